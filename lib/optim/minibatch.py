r"""Mini-batches: which examples each step of a mini-batch run sees, and what to measure along it.

The training loss is an average over the :math:`N` training examples,
:math:`f(\theta) = \frac1N \sum_{i=1}^N \ell_i(\theta)`. A mini-batch :math:`B_k` of
:math:`S` examples gives the estimate :math:`\hat g_k = \frac1S \sum_{i \in B_k} \nabla
\ell_i(\theta_k)` of the full gradient, which a rule uses in place of :math:`\nabla f`
(``batch_size=`` in :func:`lib.optim.optimize`; with :func:`lib.optim.sgd` this is stochastic
gradient descent). An *epoch* is one pass over the data: with ``shuffle=True`` the examples are
visited in a fresh random order each epoch (a permutation drawn from
``jax.random.fold_in(key, epoch)``) and cut into :math:`\lceil N/S \rceil` consecutive
batches; the last one is shorter when :math:`S` does not divide :math:`N`. With
``shuffle=False`` every epoch visits the examples in the order given.

:func:`evaluate_points` evaluates a function of the parameters (a test loss, an accuracy) at
the iterates a run recorded. The statistics of stochastic gradients are in
:mod:`lib.calculus.gradient_noise`.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate

__all__ = ["batch_indices", "examples_processed", "evaluate_points", "accuracy"]


@partial(jax.jit, static_argnames=("n", "epochs"))
def _permutations(key, *, n, epochs):
    """Row e is the order of epoch e: a permutation drawn from ``fold_in(key, e)``."""
    return jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(key, e), n))(jnp.arange(epochs))


def _batch_indices(key, n, batch_size, epochs, shuffle):
    per_epoch = -(-n // batch_size)
    pad = per_epoch * batch_size - n
    orders = (np.asarray(_permutations(key, n=n, epochs=epochs)) if shuffle
              else np.tile(np.arange(n), (epochs, 1)))
    index = np.concatenate([orders, np.zeros((epochs, pad), dtype=orders.dtype)], axis=1)
    mask = np.concatenate([np.ones((epochs, n)), np.zeros((epochs, pad))], axis=1)
    return index.reshape(-1, batch_size).astype(np.int32), mask.reshape(-1, batch_size)


def batch_indices(n, batch_size, epochs=1, key=0, shuffle=True):
    """The example indices of every mini-batch of a run, as :func:`lib.optim.optimize` uses them.

    Returns ``(index, mask)``, both ``(epochs · ⌈n/S⌉, S)``: row ``k`` lists the
    examples of step ``k``; ``mask`` is 0 on the padding of a short last batch
    (whose ``index`` entries are meaningless). Within each epoch every example
    appears exactly once: epoch ``e`` visits the examples in the order of
    ``jax.random.permutation(jax.random.fold_in(key, e), n)``, or ``0 … n-1``
    when ``shuffle`` is False.

    >>> index, mask = batch_indices(5, 2, epochs=1, shuffle=False)
    >>> index.tolist(), mask.tolist()
    ([[0, 1], [2, 3], [4, 0]], [[1.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    """
    n = _validate.count("n", n, _validate.MAX_SAMPLES, "examples")
    batch_size = _validate.batch_size("batch_size", batch_size, n)
    epochs = _validate.count("epochs", epochs, _validate.MAX_EPOCHS)
    _validate.memory("epochs × n", 2 * epochs * (n + batch_size))
    return _batch_indices(_validate.prng_key("key", key), n, batch_size, epochs,
                          _validate.boolean("shuffle", shuffle))


def examples_processed(steps, n, batch_size) -> np.ndarray:
    """How many examples a mini-batch run has used after ``steps`` steps (epochs of ``n``, batches of S)."""
    n = _validate.count("n", n, _validate.MAX_SAMPLES, "examples")
    batch_size = _validate.batch_size("batch_size", batch_size, n)
    steps = _validate.numeric_array("steps", steps, "a step or an array of steps")
    if not np.issubdtype(steps.dtype, np.integer) or np.any(steps < 0):
        raise TypeError(f"steps must be non-negative integers, got dtype {steps.dtype}") \
            if not np.issubdtype(steps.dtype, np.integer) else \
            ValueError("steps must be non-negative integers")
    per_epoch = -(-n // batch_size)
    return (steps // per_epoch) * n + np.minimum((steps % per_epoch) * batch_size, n)


@partial(jax.jit, static_argnames=("fn", "unravel"))
def _evaluate(fn, unravel, points, data):
    return jax.vmap(lambda v: fn(unravel(v), *data))(points)


def evaluate_points(fn, points, like, *data) -> np.ndarray:
    """``fn(θ_r, *data)`` at every row ``θ_r`` of ``points`` (flat, ``ravel_pytree`` order of ``like``).

    ``points`` is a run's ``(records, n)`` array (rows of ``nan`` after a
    divergence give ``nan``); ``like`` is a parameter pytree of the run's shape
    (its ``x0``). One vmapped, jitted call: e.g. the test loss at every epoch.
    """
    _validate.callable_("fn", fn)
    like = _validate.parameters("like", like)
    flat, unravel = ravel_pytree(like)
    points = _validate.real_array("points", points, "an array of parameter vectors", finite=False)
    if points.ndim != 2 or points.shape[1] != flat.size:
        raise ValueError(f"points must have shape (records, {flat.size}), one row of the {flat.size} "
                         f"numbers in like per record, got {points.shape}")
    if points.shape[0] == 0:
        raise ValueError(f"points must hold at least one record, got shape {points.shape}")
    data = _validate.data("data", data)
    _validate.scalar_loss(fn, like, data, name="like", f_name="fn", args_name="data")
    return np.asarray(_evaluate(fn, unravel, jnp.asarray(points), tuple(jnp.asarray(a) for a in data)))


def accuracy(logits_fn, params, x, y):
    r"""The fraction of examples whose largest logit is the label.

    :math:`\frac1N\sum_i [\arg\max_c z_{ic} = y_i]`.

    ``logits_fn(params, x)`` gives ``(N, classes)`` logits (e.g. :func:`lib.networks.mlp_apply`).
    Pure, so it can be vmapped (:func:`evaluate_points` with ``partial(accuracy, mlp_apply)``).
    """
    logits = logits_fn(params, x)
    return jnp.mean(jnp.argmax(logits, axis=-1) == jnp.asarray(y))
