r"""The minimum of a smooth loss, to near machine precision: the reference :math:`\mathcal E^*`.

An optimizer's progress is measured by its *excess* cost :math:`\mathcal E(\theta_k) - \mathcal E^*`,
which needs the minimum :math:`\mathcal E^*` itself far more accurately than the optimizers under
study ever reach it. :func:`lbfgs_minimum` computes it once, on the full data, with a
quasi-Newton method: SciPy's L-BFGS-B (limited-memory BFGS: each step solves
:math:`B_k d = -\nabla \mathcal E` with a curvature model :math:`B_k` built from the last few
gradient differences), fed the loss and its exact gradient by one jitted
``jax.value_and_grad``. For a smooth, strongly convex cost (a linear classifier with weight
decay, least squares) it converges to a gradient norm of about :math:`10^{-9}` in a few hundred
iterations; the answer is :math:`\mathcal E^*` to many more digits than any plot shows.

>>> import numpy as np
>>> best = lbfgs_minimum(lambda w, c: 0.5 * (w - c) @ (w - c) + 1.0, np.zeros(3), np.array([1.0, 2.0, 3.0]))
>>> round(best.loss, 12), np.round(best.x, 6).tolist(), best.converged
(1.0, [1.0, 2.0, 3.0], True)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate

__all__ = ["Minimum", "lbfgs_minimum"]


class Minimum(NamedTuple):
    """Result of :func:`lbfgs_minimum`."""

    x: Any  #: the minimizer, with the structure of the start (array or pytree)
    loss: float  #: the minimum value :math:`\mathcal E^*`
    gradient_norm: float  #: :math:`\lVert \nabla \mathcal E(x) \rVert` at the minimizer
    iterations: int  #: L-BFGS iterations taken
    converged: bool  #: whether L-BFGS-B met its stopping test (``gtol`` on the largest gradient entry)


def lbfgs_minimum(f, x0, *args, gtol: float = 1e-10, max_iter: int = 5000) -> Minimum:
    r"""Minimize ``f(x, *args)`` from ``x0`` by L-BFGS-B with JAX's exact gradient.

    Parameters
    ----------
    f : callable
        A smooth scalar loss ``f(x, *args)``, differentiable by JAX.
    x0 : array of shape (n,) or pytree of arrays
        The start; the result's ``x`` has the same structure.
    *args
        Data passed to ``f`` unchanged (the full training set: no batches).
    gtol : float
        Stop when the largest entry of the gradient falls below ``gtol`` (default 1e-10; the
        relative decrease test of L-BFGS-B is set to 1e-15, so that it does not stop first).
    max_iter : int
        At most this many iterations (default 5000, at most 100,000).

    Returns
    -------
    Minimum
        ``x``, ``loss`` (:math:`\mathcal E^*`), ``gradient_norm``, ``iterations``, ``converged``.
    """
    import scipy.optimize  # only here: the rest of lib does not need SciPy's optimizers

    f = _validate.callable_("f", f)
    x0 = _validate.parameters("x0", x0)
    args = _validate.data("args", args)
    gtol = _validate.positive("gtol", gtol)
    max_iter = _validate.count("max_iter", max_iter, _validate.MAX_ITER)
    _validate.scalar_loss(f, x0, args, name="x0")
    flat0, unravel = ravel_pytree(x0)
    value_and_grad = jax.jit(jax.value_and_grad(lambda v: f(unravel(v), *args)))

    def fun(v):
        value, grad = value_and_grad(v)
        return float(value), np.asarray(grad, dtype=float)

    result = scipy.optimize.minimize(fun, np.asarray(flat0, dtype=float), jac=True, method="L-BFGS-B",
                                     options=dict(maxiter=max_iter, gtol=gtol, ftol=1e-15))
    return Minimum(x=unravel(result.x), loss=float(result.fun),
                   gradient_norm=float(np.linalg.norm(result.jac)), iterations=int(result.nit),
                   converged=bool(result.success))
