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
model — which near a saddle *is* the saddle.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _validate
from .derivatives import gradient, hessian
from .optimizers import Trajectory

__all__ = ["newton_step", "newton"]


def _damping(value) -> float:
    damping = _validate.real_scalar("damping", value)
    if damping < 0:
        raise ValueError(f"damping must be >= 0, got {damping}")
    return damping


def newton_step(f, x, *args, damping=0.0) -> np.ndarray:
    r"""One Newton step from ``x``: :math:`x - (H + \delta I)^{-1} \nabla f(x)`, flat float64.

    Raises ``ValueError`` if :math:`H + \delta I` is singular (use ``damping > 0``).

    >>> import numpy as np
    >>> from lib.second_order import newton_step
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


@partial(jax.jit, static_argnames=("f", "steps"))
def _newton(f, x0, args, damping, max_norm, *, steps):
    flat0, unravel = ravel_pytree(x0)

    def flat_loss(v):
        return f(unravel(v), *args)

    grad = jax.grad(flat_loss)
    hess = jax.jacfwd(grad)
    nan_row = jnp.full_like(flat0, jnp.nan)
    eye = jnp.eye(flat0.size)

    def healthy(x, loss):
        return jnp.all(jnp.isfinite(x)) & jnp.isfinite(loss) & (jnp.linalg.norm(x) <= max_norm)

    def body(carry, _):
        x, alive = carry
        loss = flat_loss(x)
        alive = alive & healthy(x, loss)
        h = hess(x)
        step = jnp.linalg.solve((h + h.T) / 2 + damping * eye, grad(x))
        x_next = jnp.where(alive, x - step, x)
        return (x_next, alive), (jnp.where(alive, x, nan_row), jnp.where(alive, loss, jnp.nan))

    (x_last, alive), (points, losses) = jax.lax.scan(body, (flat0, jnp.array(True)), None,
                                                     length=steps)
    loss_last = flat_loss(x_last)
    alive = alive & healthy(x_last, loss_last)
    points = jnp.concatenate([points, jnp.where(alive, x_last, nan_row)[None]])
    losses = jnp.concatenate([losses, jnp.where(alive, loss_last, jnp.nan)[None]])
    return points, losses


def newton(f, x0, *args, steps=10, damping=0.0, max_norm=1e8) -> Trajectory:
    r"""Run Newton's method on ``f(x, *args)`` from ``x0``; returns a :class:`lib.Trajectory`.

    .. math:: \theta_{k+1} = \theta_k - (H(\theta_k) + \delta I)^{-1} \nabla f(\theta_k).

    One jitted ``lax.scan``; ``damping`` (δ ≥ 0) is traced. A singular Hessian
    or a blow-up makes the run stop with ``diverged = True`` and ``nan`` rows,
    like :func:`lib.descend`.

    >>> import numpy as np
    >>> from lib.second_order import newton
    >>> run = newton(lambda w: (w[0] - 1.0) ** 2 + 50.0 * (w[1] + 2.0) ** 2, np.zeros(2), steps=2)
    >>> run.points
    array([[ 0.,  0.],
           [ 1., -2.],
           [ 1., -2.]])
    """
    _validate.callable_("f", f)
    params = _validate.parameters("x0", x0)
    _validate.scalar_loss(f, params, args, name="x0")
    steps = _validate.positive_int("steps", steps)
    damping = _damping(damping)
    max_norm = _validate.positive("max_norm", max_norm)
    points, losses = _newton(f, params, tuple(args), jnp.float64(damping), jnp.float64(max_norm),
                             steps=steps)
    points, losses = np.asarray(points), np.asarray(losses)
    bad = np.flatnonzero(np.isnan(losses))
    at = int(bad[0]) if bad.size else None
    return Trajectory(points, losses, at is not None, at)
