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

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _validate
from .derivatives import gradient, hessian
from .optimizers import Rule, Trajectory, optimize

__all__ = ["newton_step", "newton_rule", "newton"]


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


def _newton_update(grads, state, params, hyper, loss):
    h = jax.jacfwd(jax.grad(loss))(params)
    eye = jnp.eye(params.size)
    return -jnp.linalg.solve((h + h.T) / 2 + hyper["damping"] * eye, grads), state


@functools.cache
def newton_rule() -> Rule:
    r"""Newton's method as a :class:`lib.optimizers.Rule`: the step :math:`-(H + \delta I)^{-1} g`.

    Stateless; it differentiates the step's ``loss`` twice at the parameters
    (hyper ``{"damping": δ}``).
    """
    return Rule(lambda params: (), _newton_update, "newton", ("damping",))


def newton(f, x0, *args, steps=10, damping=0.0, max_norm=1e8) -> Trajectory:
    r"""Run Newton's method on ``f(x, *args)`` from ``x0``; returns a :class:`lib.Trajectory`.

    .. math:: \theta_{k+1} = \theta_k - (H(\theta_k) + \delta I)^{-1} \nabla f(\theta_k).

    :func:`lib.optimizers.optimize` with :func:`newton_rule`: one jitted
    ``lax.scan``; ``damping`` (δ ≥ 0) is traced. A singular Hessian
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
    damping = _damping(damping)
    params = _validate.parameters("x0", x0)
    _validate.memory("x0 (its Hessian)", _validate.flat_size(params) ** 2)
    return optimize(newton_rule(), f, x0, *args, hyper={"damping": damping}, steps=steps,
                    max_norm=max_norm, check_state=False, name="newton")
