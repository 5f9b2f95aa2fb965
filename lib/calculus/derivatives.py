"""Exact first and second derivatives of a scalar loss, by JAX autodiff in float64.

Parameters may be a 1-D array or any pytree of arrays (a network's weights);
results are flat numpy arrays in ``jax.flatten_util.ravel_pytree`` order, so
entry ``H[i, j]`` is the second derivative with respect to flat parameters
``i`` and ``j``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate

__all__ = ["gradient", "hessian", "flatten"]


def flatten(x) -> np.ndarray:
    """The parameters ``x`` (array or pytree) as one flat float64 vector."""
    return np.asarray(ravel_pytree(_validate.parameters("x", x))[0])


@partial(jax.jit, static_argnums=0)
def _flat_gradient(f, params, args):
    return ravel_pytree(jax.grad(f)(params, *args))[0]


#: Hessian columns computed together. Each column is one Hessian-vector product;
#: a batch of them shares one pass of vectorised work, and bounding the batch
#: bounds the memory of the intermediate activations (all n at once took 3.4 GB
#: for n = 5,035 on 256 digits, this takes 0.8 GB, and is faster: `make bench`).
HESSIAN_COLUMN_BATCH = 32


@partial(jax.jit, static_argnums=(0, 3))
def _flat_hessian(f, params, args, batch):
    # Forward-over-reverse: linearise the gradient once (one forward and backward
    # pass, residuals kept), then push basis vectors through the linear map in
    # batches of `batch` columns: H e_i is column i.
    flat, unravel = ravel_pytree(params)
    n = flat.size

    def flat_grad(v):
        return ravel_pytree(jax.grad(f)(unravel(v), *args))[0]

    _, hvp = jax.linearize(flat_grad, flat)
    columns = jax.lax.map(lambda i: hvp(jax.nn.one_hot(i, n, dtype=flat.dtype)),
                          jnp.arange(n), batch_size=min(batch, n))
    return columns.T  # row i of `columns` is column i of H


def gradient(f, x, *args) -> np.ndarray:
    r"""The gradient :math:`g = \nabla f(x)` as a flat ``(n,)`` float64 array.

    ``f(x, *args)`` must return a scalar; extra ``args`` (e.g. the data) are
    traced, so new data does not recompile.

    >>> import lib, numpy as np
    >>> loss = lambda w: (1 - w[0] * w[1]) ** 2
    >>> lib.gradient(loss, np.array([1.0, 2.0]))
    array([4., 2.])
    """
    params = _validate.loss_problem(f, x, args)
    return np.asarray(_flat_gradient(f, params, tuple(args)))


def hessian(f, x, *args) -> np.ndarray:
    r"""The Hessian :math:`H_{ij} = \partial^2 f / \partial x_i \partial x_j`, ``(n, n)`` float64.

    Exact (automatic differentiation, not finite differences) and symmetric up
    to rounding.

    >>> import lib, numpy as np
    >>> loss = lambda w: (1 - w[0] * w[1]) ** 2
    >>> lib.hessian(loss, np.zeros(2))
    array([[ 0., -2.],
           [-2.,  0.]])
    """
    params = _validate.loss_problem(f, x, args)
    _validate.memory("x (its Hessian)", _validate.flat_size(params) ** 2)
    return np.asarray(_flat_hessian(f, params, tuple(args), HESSIAN_COLUMN_BATCH))
