r"""Which learning rates SGD survives on a quadratic: mini-batch curvature and stale gradients.

**Mean-square stability of mini-batch SGD.** On a quadratic whose examples have
Hessians :math:`A_i` (for least squares :math:`A_i = x_i x_i^\top`), a step with
batch :math:`B` multiplies the error :math:`e = \theta - \theta^*` by
:math:`I - \alpha H_B`, :math:`H_B = \frac1S\sum_{i\in B} A_i`, plus noise that
does not depend on :math:`e`. With a new batch drawn independently at every step,
the second moment :math:`\mathbb E[e e^\top]` evolves by the linear map

.. math::

    \operatorname{vec}\Sigma \mapsto
    \mathbb E\bigl[(I - \alpha H_B) \otimes (I - \alpha H_B)\bigr] \operatorname{vec}\Sigma
    = \bigl(I\otimes I - \alpha(H\otimes I + I\otimes H) + \alpha^2\,\mathbb E[H_B\otimes H_B]\bigr)
      \operatorname{vec}\Sigma ,

and SGD settles in mean square exactly when its spectral radius
(:func:`mean_square_rate`) is below 1. For a batch of :math:`S` distinct examples
drawn uniformly from :math:`N`,

.. math::

    \mathbb E[H_B\otimes H_B] = \frac{N - S}{S(N - 1)}\,\overline{A\otimes A}
    + \frac{N(S - 1)}{S(N - 1)}\,H\otimes H,
    \qquad \overline{A\otimes A} = \frac1N\sum_i A_i\otimes A_i ,

(with replacement: :math:`\frac1S\overline{A\otimes A} + (1 - \frac1S) H\otimes H`).
At :math:`S = N` this is :math:`(I - \alpha H)^{\otimes 2}`, stable for
:math:`\alpha < 2/\lambda_{\max}`; smaller batches add the positive semidefinite
term :math:`\propto \overline{A\otimes A} - H\otimes H` and lower the limit
(:func:`mean_square_stable_lr`).

**Stale gradients.** Asynchronous SGD applies gradients computed :math:`\tau`
steps ago: :math:`\theta_{k+1} = \theta_k - \alpha\nabla L(\theta_{k-\tau})`. Along
an eigenvector of curvature λ this is :math:`e_{k+1} = e_k - \alpha\lambda e_{k-\tau}`,
with characteristic polynomial

.. math::

    z^{\tau + 1} - z^{\tau} + \alpha\lambda = 0 ,

stable when all its roots lie inside the unit circle, that is for
:math:`0 < \alpha\lambda < 2\sin\frac{\pi}{2(2\tau + 1)}` — 2 without delay, 1 for
:math:`\tau = 1`, about :math:`\pi/(2\tau)` for large τ (:func:`delayed_stable_lr`).
"""

from __future__ import annotations

import numpy as np

from .. import _validate

__all__ = ["mean_square_operator", "mean_square_rate", "mean_square_stable_lr",
           "delayed_roots", "delayed_rate", "delayed_stable_lr"]


def _example_hessians(value) -> np.ndarray:
    array = _validate.real_array("example_hessians", value, "an (N, d, d) array")
    if array.ndim != 3 or array.shape[1] != array.shape[2] or array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"example_hessians must have shape (N, d, d) with N, d >= 1, got {array.shape}")
    if not np.allclose(array, np.swapaxes(array, 1, 2), rtol=1e-10, atol=1e-12):
        raise ValueError("example_hessians must be symmetric matrices")
    if array.shape[1] > 64:
        raise ValueError(f"example_hessians: d = {array.shape[1]} makes the (d², d²) operator too large; "
                         "d must be <= 64")
    return array


def mean_square_operator(example_hessians, batch_size, lr, *, replace=False) -> np.ndarray:
    r""":math:`\mathbb E[(I - \alpha H_B)\otimes(I - \alpha H_B)]`, a ``(d², d²)`` matrix (module docstring).

    ``example_hessians`` is ``(N, d, d)``: the Hessian of each example's loss, the
    cost being their mean. Batches of ``batch_size`` distinct examples
    (``replace=False``) or of independent draws (``replace=True``).

    >>> a = np.array([[[2.0]], [[0.0]]])           # H = 1; a batch of one sees 2 or 0
    >>> mean_square_operator(a, 1, 0.5)             # E[(1 - 0.5 h)²] = (0 + 1)/2
    array([[0.5]])
    """
    a = _example_hessians(example_hessians)
    n, d = a.shape[0], a.shape[1]
    s = _validate.batch_size("batch_size", batch_size, n)
    lr = _validate.positive("lr", lr)
    replace = _validate.boolean("replace", replace)
    h = a.mean(axis=0)
    aa = np.einsum("nij,nkl->ikjl", a, a).reshape(d * d, d * d) / n     # mean of A_i ⊗ A_i
    hh = np.kron(h, h)
    if replace:
        second = aa / s + (1.0 - 1.0 / s) * hh
    elif n == 1:
        second = hh
    else:
        second = (n - s) / (s * (n - 1)) * aa + n * (s - 1) / (s * (n - 1)) * hh
    eye = np.eye(d)
    return np.kron(eye, eye) - lr * (np.kron(h, eye) + np.kron(eye, h)) + lr**2 * second


def mean_square_rate(example_hessians, batch_size, lr, *, replace=False) -> float:
    r"""Spectral radius of :func:`mean_square_operator`: the factor by which :math:`\mathbb E\lVert e\rVert^2`
    shrinks (< 1) or grows (> 1) per step in the long run, without the noise that does not depend on e.

    >>> a = np.array([[[2.0]], [[0.0]]])
    >>> round(mean_square_rate(a, 2, 0.5), 12)      # the full batch: (1 - 0.5)²
    0.25
    """
    op = mean_square_operator(example_hessians, batch_size, lr, replace=replace)
    return float(np.max(np.abs(np.linalg.eigvals(op))))


def mean_square_stable_lr(example_hessians, batch_size, *, replace=False, grid=400, tol=1e-10) -> float:
    r"""The largest α below which SGD is stable in mean square (:func:`mean_square_rate` < 1).

    Every such α lies below the full batch's :math:`2/\lambda_{\max}`; the function
    scans ``grid`` rates in :math:`(0, 2/\lambda_{\max}]` for the first that is
    unstable and bisects to ``tol``.

    >>> a = np.array([[[2.0]], [[0.0]]])            # E[(1 - α h)²] = (1 + (1 - 2α)²)/2 < 1 for α < 1
    >>> round(mean_square_stable_lr(a, 1), 8), round(mean_square_stable_lr(a, 2), 8)
    (1.0, 2.0)
    """
    a = _example_hessians(example_hessians)
    batch_size = _validate.batch_size("batch_size", batch_size, a.shape[0])
    replace = _validate.boolean("replace", replace)
    grid = _validate.count("grid", grid, MAX_GRID, "rates")
    tol = _validate.positive("tol", tol)
    if tol < 1e-15:  # below float64's relative spacing the bisection could never close
        raise ValueError(f"tol must be >= 1e-15 (float64 resolves relative differences to about "
                         f"2e-16), got {tol}")
    lam_max = float(np.linalg.eigvalsh(a.mean(axis=0)).max())
    if lam_max <= 0:
        raise ValueError("example_hessians must have a mean with a positive eigenvalue")

    def unstable(lr):
        return mean_square_rate(a, batch_size, lr, replace=replace) >= 1.0

    rates = np.linspace(0, 2.0 / lam_max, grid + 1)[1:]
    first = next((i for i, lr in enumerate(rates) if unstable(lr)), len(rates) - 1)
    lo, hi = (rates[first - 1] if first else 0.0), rates[first]
    while hi - lo > tol * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if unstable(mid) else (mid, hi)
    return float(0.5 * (lo + hi))


#: Most rates :func:`mean_square_stable_lr` scans, and the longest delay whose polynomial is solved
#: (its roots are the eigenvalues of a ``(τ + 1, τ + 1)`` companion matrix).
MAX_GRID = 100_000
MAX_DELAY = 1_000


def _delay(value) -> int:
    return _validate.nonnegative_count("delay", value, MAX_DELAY, "steps")


def delayed_roots(lr, curvature, delay) -> np.ndarray:
    r"""The roots of :math:`z^{\tau+1} - z^\tau + \alpha\lambda`: the modes of gradient descent with
    gradients ``delay`` = τ steps old along a direction of curvature λ.

    >>> np.sort(delayed_roots(0.5, 1.0, 1).real)      # z² - z + 1/2: z = (1 ± i)/2
    array([0.5, 0.5])
    """
    lr = _validate.positive("lr", lr)
    curvature = _validate.real_scalar("curvature", curvature)
    tau = _delay(delay)
    coefficients = np.zeros(tau + 2)
    coefficients[0], coefficients[1], coefficients[-1] = 1.0, -1.0, lr * curvature
    if tau == 0:
        coefficients = np.array([1.0, lr * curvature - 1.0])
    return np.roots(coefficients)


def delayed_rate(lr, curvature, delay) -> float:
    r"""The largest modulus of :func:`delayed_roots`: the error along that direction shrinks like
    ``rate``:math:`^k` (stable when < 1).

    >>> delayed_rate(0.5, 1.0, 0)                   # no delay: |1 - αλ|
    0.5
    """
    return float(np.max(np.abs(delayed_roots(lr, curvature, delay))))


def delayed_stable_lr(curvature, delay) -> float:
    r"""The largest stable α for gradients ``delay`` = τ steps old on curvature λ > 0:
    :math:`\frac{2}{\lambda}\sin\frac{\pi}{2(2\tau+1)}`.

    >>> delayed_stable_lr(1.0, 0), round(delayed_stable_lr(1.0, 1), 12)
    (2.0, 1.0)
    """
    curvature = _validate.positive("curvature", curvature)
    tau = _delay(delay)
    return float(2.0 / curvature * np.sin(np.pi / (2 * (2 * tau + 1))))
