r"""Quadratic models: the closed forms of gradient descent and heavy-ball momentum.

Near a minimum every smooth loss looks like a quadratic,

.. math:: f(x) = \tfrac12 x^\top H x - b^\top x, \qquad \nabla f(x) = H x - b,

with a symmetric positive definite Hessian :math:`H` and minimizer
:math:`x^* = H^{-1} b`. On a quadratic both gradient descent and heavy-ball
momentum are *linear* iterations, so everything about them has a closed form:

* gradient descent, :math:`x_{t+1} = x_t - \alpha \nabla f(x_t)`, multiplies the
  error along the eigenvector of :math:`\lambda_i` by :math:`1 - \alpha\lambda_i` per
  step; it converges iff :math:`0 < \alpha < 2/\lambda_{\max}`, fastest at
  :math:`\alpha = 2/(\lambda_1 + \lambda_n)` with rate :math:`(\kappa - 1)/(\kappa + 1)`,
  where :math:`\kappa = \lambda_1/\lambda_n` (eigenvalues :math:`\lambda_1 \ge \dots \ge \lambda_n > 0`);
* heavy-ball momentum, :math:`p \leftarrow \mu p - \alpha \nabla f(x)`,
  :math:`x \leftarrow x + p`, acts on the pair (error, velocity) of each
  eigendirection by the 2×2 matrix of :func:`momentum_matrix`; its rate is the
  largest spectral radius over the spectrum (:func:`momentum_rate`), smallest
  at Polyak's :math:`\alpha^* = 4/(\sqrt{\lambda_1} + \sqrt{\lambda_n})^2`,
  :math:`\mu^* = ((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2`, rate
  :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` (:func:`heavy_ball_optimal`).
  :func:`momentum_regimes` maps the rate and the regime (monotone, ripples, sign-flipping,
  divergent) over a grid of (α, μ); :func:`critical_damping_lr` gives the curves between them.

:func:`lib.optimize` with :func:`lib.momentum` runs the heavy ball itself, also at
:math:`\mu = 1` (the frictionless puck that never settles), which :func:`lib.descend` refuses.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate

__all__ = ["Quadratic", "quadratic", "quadratic_loss", "condition_number", "OptimalParameters",
           "gd_rate", "gd_optimal", "gd_closed_form", "momentum_matrix", "momentum_rate",
           "heavy_ball_optimal", "MOMENTUM_REGIMES", "MomentumRegimes", "momentum_regimes",
           "critical_damping_lr", "empirical_rate"]


# ----------------------------------------------------------------------------------- the model

def quadratic_loss(x, H, b):
    r""":math:`f(x) = \tfrac12 x^\top H x - b^\top x` — a pure function; ``H`` and ``b`` are data.

    Pass it to :func:`lib.descend` with the data as extra arguments, so that a
    new ``H`` never recompiles: ``lib.descend(quadratic_loss, x0, H, b, lr=0.1)``.
    """
    return 0.5 * x @ (H @ x) - b @ x


def _symmetric_matrix(name, H) -> np.ndarray:
    array = _validate.square_matrix(name, H)
    scale = max(float(np.max(np.abs(array))), 1e-300)
    if not np.allclose(array, array.T, rtol=0.0, atol=1e-12 * scale):
        raise ValueError(f"{name} must be symmetric")
    return (array + array.T) / 2


class Quadratic(NamedTuple):
    r"""The quadratic :math:`\tfrac12 x^\top H x - b^\top x` and its closed-form facts.

    Use ``lib.descend(q.f, x0, *q.args, lr=...)``.
    """

    H: np.ndarray  #: symmetric positive definite Hessian (n, n)
    b: np.ndarray  #: linear term (n,)
    minimizer: np.ndarray  #: :math:`x^* = H^{-1} b`
    minimum: float  #: :math:`f(x^*) = -\tfrac12 b^\top H^{-1} b`
    eigenvalues: np.ndarray  #: ascending
    eigenvectors: np.ndarray  #: unit eigenvectors, one per column
    condition_number: float  #: :math:`\kappa = \lambda_{\max}/\lambda_{\min}`

    @property
    def f(self):
        """The loss function ``f(x, H, b)`` (always the same object: one compilation)."""
        return quadratic_loss

    @property
    def args(self):
        """The data to pass after ``x``: ``(H, b)``."""
        return (self.H, self.b)


def quadratic(H, b=None) -> Quadratic:
    r"""The quadratic model :math:`f(x) = \tfrac12 x^\top H x - b^\top x` with ``H`` positive definite.

    ``b`` defaults to zero (minimizer at the origin).

    >>> from lib.theory.quadratic import quadratic
    >>> q = quadratic([[2.0, 0.0], [0.0, 20.0]], [2.0, 20.0])
    >>> q.minimizer, q.minimum, q.condition_number
    (array([1., 1.]), -11.0, 10.0)
    """
    H = _symmetric_matrix("H", H)
    n = H.shape[0]
    if b is None:
        b = np.zeros(n)
    b = _validate.real_array("b", b, "a vector")
    if b.shape != (n,):
        raise ValueError(f"b must have shape ({n},) to match H, got {b.shape}")
    eigenvalues, eigenvectors = np.linalg.eigh(H)
    if eigenvalues[0] <= 0:
        raise ValueError(f"H must be positive definite, got smallest eigenvalue {eigenvalues[0]:g}")
    minimizer = np.linalg.solve(H, b)
    return Quadratic(H, b, minimizer, float(-0.5 * b @ minimizer), eigenvalues, eigenvectors,
                     float(eigenvalues[-1] / eigenvalues[0]))


def condition_number(H) -> float:
    r"""Condition number :math:`\kappa = |\lambda|_{\max} / |\lambda|_{\min}` of a symmetric matrix.

    ``inf`` for a singular matrix. For a positive definite Hessian it is the
    ratio of the largest to the smallest curvature.

    >>> from lib.theory.quadratic import condition_number
    >>> condition_number([[1.0, 0.0], [0.0, 100.0]])
    100.0
    """
    magnitudes = np.abs(np.linalg.eigvalsh(_symmetric_matrix("H", H)))
    smallest = magnitudes.min()
    if smallest <= 1e-15 * magnitudes.max():
        return float("inf")
    return float(magnitudes.max() / smallest)


# ---------------------------------------------------------------------------- gradient descent

class OptimalParameters(NamedTuple):
    """Best constant hyper-parameters for a quadratic and the linear rate they achieve."""

    lr: float
    momentum: float
    rate: float  #: error shrinks like ``rate**t`` (up to a polynomial factor)


def _spectrum(eigenvalues) -> np.ndarray:
    """The Hessian's eigenvalues: a number or a 1-D array of them, all > 0 (not the matrix itself)."""
    values = _validate.positive_spectrum("eigenvalues", eigenvalues)
    shape = np.shape(eigenvalues)
    if len(shape) > 1:
        raise ValueError(f"eigenvalues must be a number or a 1-D array (n,) of the Hessian's eigenvalues, "
                         f"got shape {shape} (for a matrix H, pass np.linalg.eigvalsh(H))")
    return values


def _lr_array(name, lr):
    if _validate.is_bool(lr) or (isinstance(lr, np.ndarray) and lr.dtype == np.bool_):
        raise TypeError(f"{name} must be a real number or array of them, got a boolean")
    values = _validate.real_array(name, lr, "a number or an array")
    if values.size == 0:
        raise ValueError(f"{name} must hold at least one learning rate, got shape {values.shape}")
    if np.any(values <= 0):
        raise ValueError(f"{name} must be > 0")
    return values


def gd_rate(lr, eigenvalues):
    r"""Linear rate of gradient descent on a quadratic: :math:`\max_i |1 - \alpha\lambda_i|`.

    The error along eigenvector :math:`i` is multiplied by :math:`1 - \alpha\lambda_i`
    each step; a rate ≥ 1 means no convergence. ``lr`` may be an array (result
    has its shape).

    >>> from lib.theory.quadratic import gd_rate
    >>> float(gd_rate(0.1, [1.0, 10.0]))
    0.9
    """
    lr = _lr_array("lr", lr)
    lam = _spectrum(eigenvalues)
    return np.max(np.abs(1.0 - lr[..., None] * lam), axis=-1)


def gd_optimal(eigenvalues) -> OptimalParameters:
    r"""Best constant step for gradient descent: :math:`\alpha = 2/(\lambda_{\max} + \lambda_{\min})`.

    It balances the two extreme directions, :math:`1 - \alpha\lambda_{\min} =
    -(1 - \alpha\lambda_{\max})`, giving rate :math:`(\kappa - 1)/(\kappa + 1)`.

    >>> from lib.theory.quadratic import gd_optimal
    >>> gd_optimal([1.0, 9.0])
    OptimalParameters(lr=0.2, momentum=0.0, rate=0.8)
    """
    lam = _spectrum(eigenvalues)
    big, small = float(lam.max()), float(lam.min())
    kappa = big / small
    return OptimalParameters(2.0 / (big + small), 0.0, (kappa - 1.0) / (kappa + 1.0))


def gd_closed_form(q: Quadratic, x0, lr, steps) -> np.ndarray:
    r"""Gradient-descent iterates on ``q`` from the closed form, without iterating.

    .. math:: x_t = x^* + V \operatorname{diag}\big((1 - \alpha\lambda_i)^t\big) V^\top (x_0 - x^*),

    where the columns of :math:`V` are the eigenvectors of :math:`H`. Returns
    ``(steps + 1, n)``, like :attr:`lib.Trajectory.points`.
    """
    if not isinstance(q, Quadratic):
        raise TypeError(f"q must be a lib.theory.quadratic.Quadratic, got {type(q).__name__}")
    x0 = _validate.real_array("x0", x0, "a vector")
    if x0.shape != q.b.shape:
        raise ValueError(f"x0 must have shape {q.b.shape}, got {x0.shape}")
    lr = _validate.positive("lr", lr)
    steps = _validate.count("steps", steps, _validate.MAX_STEPS)
    _validate.memory("steps", (steps + 1) * q.b.size)
    coords = q.eigenvectors.T @ (x0 - q.minimizer)
    factors = (1.0 - lr * q.eigenvalues)[None, :] ** np.arange(steps + 1)[:, None]
    return q.minimizer + (factors * coords) @ q.eigenvectors.T


# --------------------------------------------------------------------------- heavy-ball momentum

def momentum_matrix(lr, momentum, curvature) -> np.ndarray:
    r"""The 2×2 matrix that advances (error, velocity) along one eigendirection.

    On a quadratic, along an eigenvector with eigenvalue :math:`\lambda` and with
    :math:`e = x - x^*`, the update :math:`p \leftarrow \mu p - \alpha\lambda e`,
    :math:`e \leftarrow e + p` is

    .. math:: \begin{pmatrix} e \\ p \end{pmatrix} \leftarrow
              \begin{pmatrix} 1 - \alpha\lambda & \mu \\ -\alpha\lambda & \mu \end{pmatrix}
              \begin{pmatrix} e \\ p \end{pmatrix}.

    Its eigenvalues solve :math:`z^2 - (1 + \mu - \alpha\lambda) z + \mu = 0`.

    >>> from lib.theory.quadratic import momentum_matrix
    >>> momentum_matrix(0.1, 0.5, 2.0)
    array([[ 0.8,  0.5],
           [-0.2,  0.5]])
    """
    lr = _validate.positive("lr", lr)
    momentum = _momentum_value("momentum", momentum)
    curvature = _validate.real_scalar("curvature", curvature)
    a = lr * curvature
    return np.array([[1.0 - a, momentum], [-a, momentum]])


def _momentum_value(name, value) -> float:
    return _validate.in_closed_unit_interval(name, value)


def _momentum_radii(lr, momentum, eigenvalues):
    """Checked (trace, discriminant, spectral radius) of T(λ), each of shape broadcast(lr, μ) + (n_λ,)."""
    lr = _lr_array("lr", lr)
    mu = _validate.real_array("momentum", momentum, "a number or an array")
    if np.any(mu < 0) or np.any(mu > 1):
        raise ValueError("momentum must lie in [0, 1]")
    lam = _spectrum(eigenvalues)
    lr, mu = _validate.broadcast(lr=lr, momentum=mu)
    trace = (1.0 + mu)[..., None] - lr[..., None] * lam
    discriminant = trace**2 - 4.0 * mu[..., None]
    root = np.sqrt(np.abs(discriminant))
    real_radius = np.maximum(np.abs(trace + root), np.abs(trace - root)) / 2.0
    radius = np.where(discriminant >= 0, real_radius, np.sqrt(mu)[..., None])
    return trace, discriminant, radius


def momentum_rate(lr, momentum, eigenvalues):
    r"""Linear rate of heavy-ball momentum on a quadratic with the given Hessian eigenvalues.

    The largest spectral radius of :func:`momentum_matrix` over the spectrum,
    from the roots of :math:`z^2 - (1 + \mu - \alpha\lambda) z + \mu = 0` in closed
    form. When they are complex both have modulus :math:`\sqrt\mu`. ``lr`` and
    ``momentum`` may be arrays (broadcast together; the result has their
    broadcast shape), which makes a rate map over (α, μ) one call. A rate ≥ 1
    means the run does not converge. With ``momentum = 0`` this is :func:`gd_rate`.

    >>> from lib.theory.quadratic import momentum_rate
    >>> float(momentum_rate(0.1, 0.0, [1.0, 10.0]))
    0.9
    >>> round(float(momentum_rate(0.1, 0.81, [1.0])), 12)  # complex roots: sqrt(0.81)
    0.9
    """
    return _momentum_radii(lr, momentum, eigenvalues)[2].max(axis=-1)


#: Names of the regime codes of :func:`momentum_regimes`: ``MOMENTUM_REGIMES[code]``.
MOMENTUM_REGIMES = ("monotone", "ripples", "sign-flipping", "divergent")


class MomentumRegimes(NamedTuple):
    """Rate and regime of heavy-ball momentum per (α, μ); arrays of the broadcast shape of (α, μ)."""

    rate: np.ndarray  #: largest spectral radius over the spectrum (:func:`momentum_rate`)
    regime: np.ndarray  #: int8 code into :data:`MOMENTUM_REGIMES`, for the rate-setting direction
    curvature: np.ndarray  #: the eigenvalue λ whose direction sets the rate


def momentum_regimes(lr, momentum, eigenvalues) -> MomentumRegimes:
    r"""Convergence rate and regime of heavy-ball momentum on a quadratic, per (α, μ).

    Along the eigendirection of :math:`\lambda` the error follows the roots of
    :math:`z^2 - (1 + \mu - \alpha\lambda) z + \mu = 0` (:func:`momentum_matrix`). The
    *rate* is the largest root modulus over the spectrum (:func:`momentum_rate`); the
    *regime* describes the slowest direction, the one that sets it:

    ===  ===============  ==========================================================
    0    monotone         real roots, the larger one positive: the error decays
                          without changing sign (overdamped)
    1    ripples          complex roots of modulus :math:`\sqrt\mu`: the error spirals
                          in, oscillating (underdamped)
    2    sign-flipping    real roots, the larger one negative: the error changes sign
                          at every step (a too-large step, as gradient descent's zigzag)
    3    divergent        rate ≥ 1: the run does not converge
    ===  ===============  ==========================================================

    Along one direction the regimes change at the two double roots of
    :func:`critical_damping_lr`: *critical damping*, :math:`\alpha\lambda = (1 - \sqrt\mu)^2`,
    separates monotone from ripples, and :math:`\alpha\lambda = (1 + \sqrt\mu)^2` separates
    ripples from sign-flipping (for :math:`\mu > 0`). The run stops
    converging where :math:`\alpha\lambda_{\max} \ge 2(1 + \mu)`. ``lr`` and ``momentum``
    broadcast together like :func:`momentum_rate`, so one call maps a grid,
    e.g. ``momentum_regimes(lrs[None, :], mus[:, None], eigenvalues)``.

    >>> from lib.theory.quadratic import MOMENTUM_REGIMES, momentum_regimes
    >>> result = momentum_regimes([0.05, 0.05, 0.19, 0.3], [0.0, 0.81, 0.0, 0.0], [1.0, 10.0])
    >>> [MOMENTUM_REGIMES[code] for code in result.regime]
    ['monotone', 'ripples', 'sign-flipping', 'divergent']
    >>> result.rate.round(3).tolist()
    [0.95, 0.9, 0.9, 2.0]
    """
    lam = _spectrum(eigenvalues)
    trace, discriminant, radius = _momentum_radii(lr, momentum, lam)
    slowest = np.argmax(radius, axis=-1)[..., None]
    rate = np.take_along_axis(radius, slowest, axis=-1)[..., 0]
    complex_roots = np.take_along_axis(discriminant, slowest, axis=-1)[..., 0] < 0
    # Real roots: the one of larger modulus has the sign of the trace.
    flipping = np.take_along_axis(trace, slowest, axis=-1)[..., 0] < 0
    regime = np.where(rate >= 1.0, 3, np.where(complex_roots, 1, np.where(flipping, 2, 0)))
    return MomentumRegimes(rate, regime.astype(np.int8), lam[slowest[..., 0]])


def critical_damping_lr(momentum, curvature):
    r"""The two learning rates of critical damping along a direction of curvature λ.

    The roots of :math:`z^2 - (1 + \mu - \alpha\lambda) z + \mu` coincide (a double root,
    :math:`z = \pm\sqrt\mu`) where :math:`\alpha\lambda = (1 \pm \sqrt\mu)^2`. Returns
    ``(low, high) = ((1 - √μ)²/λ, (1 + √μ)²/λ)``: below ``low`` the direction is
    overdamped (monotone), between them underdamped (ripples), above ``high``
    its larger root is negative (sign-flipping). ``momentum`` may be an array.

    >>> from lib.theory.quadratic import critical_damping_lr
    >>> critical_damping_lr(0.25, 4.0)
    (0.0625, 0.5625)
    """
    if isinstance(momentum, (str, bytes)):
        raise TypeError("momentum must be a real number or array of them")
    mu = _validate.real_array("momentum", momentum, "a number or an array")
    if np.any(mu < 0) or np.any(mu > 1):
        raise ValueError("momentum must lie in [0, 1]")
    curvature = _validate.positive("curvature", curvature)
    root = np.sqrt(mu)
    low, high = (1.0 - root) ** 2 / curvature, (1.0 + root) ** 2 / curvature
    if mu.ndim == 0:
        return float(low), float(high)
    return low, high


def heavy_ball_optimal(eigenvalues) -> OptimalParameters:
    r"""Polyak's optimal heavy-ball parameters for a quadratic with this spectrum.

    .. math:: \alpha^* = \Big(\frac{2}{\sqrt{\lambda_{\max}} + \sqrt{\lambda_{\min}}}\Big)^2, \qquad
              \mu^* = \Big(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\Big)^2, \qquad
              \text{rate} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}.

    At these values the roots for both extreme eigenvalues are double roots of
    modulus :math:`\sqrt{\mu^*}`, and every eigenvalue in between has complex
    roots of the same modulus.

    >>> from lib.theory.quadratic import heavy_ball_optimal
    >>> heavy_ball_optimal([1.0, 9.0])
    OptimalParameters(lr=0.25, momentum=0.25, rate=0.5)
    """
    lam = _spectrum(eigenvalues)
    big, small = float(lam.max()), float(lam.min())
    root_kappa = np.sqrt(big / small)
    rate = float((root_kappa - 1.0) / (root_kappa + 1.0))
    return OptimalParameters(float(4.0 / (np.sqrt(big) + np.sqrt(small)) ** 2), rate**2, rate)


def empirical_rate(distances, start=0, stop=None, floor=1e-12) -> float:
    r"""Fit :math:`d_t \approx C r^t` to a run's distances to the optimum; return :math:`r`.

    A least-squares line through :math:`\log d_t` for ``start ≤ t < stop``,
    keeping only the finite :math:`d_t > \text{floor} \cdot \max_t d_t` over that window
    (below it rounding dominates, and an exact 0 has no logarithm). Needs at
    least two such points. If the error decays like :math:`t^m r^t` (a defective
    iteration matrix, as at the optimal heavy-ball parameters) the fit is
    biased upwards by about :math:`\exp(m \cdot \overline{1/t})`.

    >>> import numpy as np
    >>> from lib.theory.quadratic import empirical_rate
    >>> round(empirical_rate(3.0 * 0.7 ** np.arange(50)), 10)
    0.7
    """
    d = _validate.real_array("distances", distances, "an array", finite=False)
    if d.ndim != 1:
        raise ValueError(f"distances must be 1-D, got shape {d.shape}")
    start = _validate.nonnegative_int("start", start)
    stop = d.size if stop is None else _validate.nonnegative_int("stop", stop)
    if not 0 <= start < stop <= d.size:
        raise ValueError(f"need 0 <= start < stop <= len(distances), got start={start}, stop={stop}")
    if stop - start < 2:
        raise ValueError(f"stop must be at least start + 2 = {start + 2} (a rate needs two distances), "
                         f"got stop={stop}")
    floor = _validate.positive("floor", floor)
    t = np.arange(start, stop)
    window = d[start:stop]
    finite = np.isfinite(window)
    if not finite.any() or np.max(window[finite]) <= 0:
        raise ValueError("distances has no finite positive value in the window")
    keep = finite & (window > floor * np.max(window[finite]))
    if keep.sum() < 2:
        raise ValueError(f"distances has fewer than two usable values in the window start={start} to "
                         f"stop={stop} ({keep.sum()} finite and above floor × max = "
                         f"{floor * np.max(window[finite]):.3g}): widen the window or lower floor")
    slope = np.polyfit(t[keep], np.log(window[keep]), 1)[0]
    return float(np.exp(slope))

