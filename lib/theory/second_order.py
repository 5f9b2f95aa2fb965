r"""Newton's method: the step that uses the whole Hessian.

Newton's method minimizes the second-order Taylor model of the loss at the
current point exactly:

.. math:: \theta_{k+1} = \theta_k - (H_k + \delta I)^{-1} \nabla f(\theta_k),

where :math:`H_k` is the Hessian at :math:`\theta_k` and :math:`\delta \ge 0` is an
optional damping (a Levenberg–Marquardt-style shift; :math:`\delta = 0` is the
plain method). On a quadratic with positive definite Hessian the plain step
lands on the minimizer in one step, whatever the condition number. The price
is a Hessian (:math:`n^2` numbers) and a linear solve (:math:`O(n^3)`) per step,
and, on a non-convex loss, the step goes to the critical point of the local
model — which near a saddle *is* the saddle. :func:`newton_step` takes one step;
``lib.optimize(lib.newton(), f, x0, hyper={"damping": δ})`` runs the method.

**Gauss–Newton and Levenberg–Marquardt.** For a loss that is a mean of squared residuals,
:math:`f(\theta) = \frac{1}{2m} \lVert r(\theta) \rVert^2` with :math:`r: \mathbb{R}^n \to
\mathbb{R}^m` and Jacobian :math:`J = \partial r / \partial \theta`,

.. math:: \nabla f = \tfrac1m J^\top r, \qquad
          \nabla^2 f = \underbrace{\tfrac1m J^\top J}_{G} + \tfrac1m \sum_i r_i \nabla^2 r_i .

The **Gauss–Newton matrix** :math:`G` drops the second term: it is positive semi-definite
everywhere, needs only first derivatives of :math:`r`, and equals the Hessian where the
residuals vanish or are linear in :math:`\theta` (linear least squares). The
**Levenberg–Marquardt** step :math:`d = -(G + \delta I)^{-1} \nabla f` adds a damping
:math:`\delta > 0`: as :math:`\delta \to 0` it is the Gauss–Newton step, as
:math:`\delta \to \infty` it is :math:`-\nabla f / \delta`, a short gradient-descent step.
Marquardt's rule adapts :math:`\delta` to how well the model predicts the loss: a step
that lowers the loss is taken and :math:`\delta` shrinks; one that does not is refused and
:math:`\delta` grows.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate
from ..calculus.derivatives import gradient, hessian
from ..optim import Trajectory

__all__ = ["newton_step", "gauss_newton_matrix", "gauss_newton_product",
           "levenberg_marquardt"]


def _damping(value) -> float:
    damping = _validate.real_scalar("damping", value)
    if damping < 0:
        raise ValueError(f"damping must be >= 0, got {damping}")
    return damping


def newton_step(f, x, *args, damping=0.0) -> np.ndarray:
    r"""One Newton step from ``x``: :math:`x - (H + \delta I)^{-1} \nabla f(x)`, flat float64.

    Raises ``ValueError`` if :math:`H + \delta I` is singular (use ``damping > 0``).

    >>> import numpy as np
    >>> from lib.theory.second_order import newton_step
    >>> loss = lambda w: 0.5 * (w[0] ** 2 + 1000.0 * w[1] ** 2)  # condition number 1000
    >>> newton_step(loss, np.array([3.0, -2.0]))
    array([0., 0.])
    """
    damping = _damping(damping)
    g = gradient(f, x, *args)
    h = hessian(f, x, *args)
    shifted = (h + h.T) / 2 + damping * np.eye(g.size)
    if np.linalg.cond(shifted) > 1e14:
        raise ValueError("the (damped) Hessian is singular at x; Newton's step is undefined "
                         "there — use damping > 0")
    return np.asarray(ravel_pytree(_validate.parameters("x", x))[0]) - np.linalg.solve(shifted, g)


# ---------------------------------------------------------------- Gauss–Newton, Levenberg–Marquardt

def _residual_problem(residuals, x, args, name="x"):
    _validate.callable_("residuals", residuals)
    params = _validate.parameters(name, x)
    args = _validate.data("args", args)
    flat, unravel = ravel_pytree(params)

    def r(v):
        return jnp.ravel(residuals(unravel(v), *args)).astype(jnp.float64)

    value = _validate.vector_values(residuals, params, args, name, "residuals")
    return flat, r, value.size


def gauss_newton_matrix(residuals, x, *args) -> np.ndarray:
    r"""The Gauss–Newton matrix :math:`G = \tfrac1m J^\top J` of :math:`f = \tfrac{1}{2m}\lVert r\rVert^2`.

    ``residuals(x, *args)`` returns the residual array (any shape, ``m`` entries); ``x`` is
    a parameter vector or pytree, flattened in ``ravel_pytree`` order.

    >>> import numpy as np
    >>> X, t = np.array([[1.0, 0.0], [1.0, 2.0]]), np.array([1.0, 3.0])
    >>> gauss_newton_matrix(lambda w: X @ w - t, np.zeros(2))   # X^T X / m
    array([[1., 1.],
           [1., 2.]])
    """
    flat, r, m = _residual_problem(residuals, x, args)
    _validate.memory("x (its Gauss–Newton matrix)", flat.size ** 2)
    jac = np.asarray(jax.jacfwd(r)(flat))
    return jac.T @ jac / m


def gauss_newton_product(residuals, x, v, *args) -> np.ndarray:
    r"""The product :math:`G v = \tfrac1m J^\top (J v)`, without forming :math:`G` or :math:`J`.

    One forward-mode pass (:math:`Jv`) and one reverse-mode pass (:math:`J^\top u`), like a
    Hessian-vector product (:func:`lib.calculus.spectrum.hvp`) but with first derivatives only.
    """
    flat, r, m = _residual_problem(residuals, x, args)
    v = _validate.real_array("v", v, "a vector")
    if v.shape != flat.shape:
        raise ValueError(f"v must have shape {flat.shape} (the flat parameters), got {v.shape}")
    _, jv = jax.jvp(r, (flat,), (jnp.asarray(v),))
    _, pullback = jax.vjp(r, flat)
    return np.asarray(pullback(jv)[0]) / m


def levenberg_marquardt(residuals, x0, *args, steps=50, damping=1.0, adapt=True,
                        decrease=1 / 3, increase=2.0) -> Trajectory:
    r"""Levenberg–Marquardt on :math:`f = \tfrac{1}{2m}\lVert r(\theta)\rVert^2` from ``x0``.

    Each step proposes :math:`d = -(G + \delta I)^{-1} \nabla f` (dense :math:`G`, see
    :func:`gauss_newton_matrix`). With ``adapt`` (Marquardt's rule) a proposal that lowers
    :math:`f` is taken and :math:`\delta \leftarrow` ``decrease`` :math:`\cdot\delta`; one that
    does not is refused (the point stays, so the loss never rises) and
    :math:`\delta \leftarrow` ``increase`` :math:`\cdot\delta`. Without ``adapt`` every step is
    taken with the fixed ``damping``. Returns a :class:`lib.Trajectory` (flat points and
    losses for ``k = 0 … steps``) with ``records`` ``"dampings"`` (the :math:`\delta` each step used)
    and ``accepted``.
    """
    flat, r, m = _residual_problem(residuals, x0, args, name="x0")
    _validate.memory("x0 (its Gauss–Newton matrix)", flat.size ** 2)
    steps = _validate.count("steps", steps, _validate.MAX_STEPS)
    lam = _validate.positive("damping", damping)
    adapt = _validate.boolean("adapt", adapt)
    decrease = _validate.in_unit_interval("decrease", decrease)
    if decrease == 0:
        raise ValueError("decrease must be > 0, got 0.0")
    increase = _validate.real_scalar("increase", increase)
    if increase <= 1:
        raise ValueError(f"increase must be > 1, got {increase}")

    @jax.jit
    def model(v):
        res, jac = r(v), jax.jacfwd(r)(v)
        return 0.5 * res @ res / m, jac.T @ res / m, jac.T @ jac / m

    @jax.jit
    def loss(v):
        res = r(v)
        return 0.5 * res @ res / m

    theta = jnp.asarray(flat)
    value, grad, gn = model(theta)
    points, losses, dampings, accepted = [np.asarray(theta)], [float(value)], [], []
    eye = jnp.eye(flat.size)
    for _ in range(steps):
        proposal = theta - jnp.linalg.solve(gn + lam * eye, grad)
        new_value = float(loss(proposal))
        dampings.append(lam)
        take = (not adapt) or (np.isfinite(new_value) and new_value < float(value))
        accepted.append(take)
        if take:
            theta = proposal
            value, grad, gn = model(theta)
            lam = lam * decrease if adapt else lam
        else:
            lam *= increase
        points.append(np.asarray(theta))
        losses.append(float(value))
    losses = np.array(losses)
    bad = np.flatnonzero(~np.isfinite(losses))
    return Trajectory(np.array(points), losses, bool(bad.size), int(bad[0]) if bad.size else None,
                      records={"dampings": np.array(dampings), "accepted": np.array(accepted)})
