r"""The statistics of stochastic gradients: per-example gradients, mini-batch gradients and their variance.

The training loss is an average over the :math:`N` training examples,
:math:`f(\theta) = \frac1N \sum_{i=1}^N \ell_i(\theta)`; a mini-batch :math:`B` of
:math:`S` examples estimates its gradient by :math:`\hat g = \frac1S \sum_{i \in B}
\nabla \ell_i(\theta)`. This module measures how noisy that estimate is
(:func:`minibatch_variance` exactly, :func:`measured_minibatch_variance` by
sampling); :func:`lib.optimize` with ``batch_size=`` runs SGD itself. Losses follow the book's
convention ``f(params, *data)``, the *mean* over the examples given.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate

__all__ = ["per_example_gradients", "minibatch_gradients", "minibatch_variance",
           "measured_minibatch_variance"]


@partial(jax.jit, static_argnames=("f",))
def _per_example(f, params, data):
    flat, unravel = ravel_pytree(params)

    def one(*example):
        return jax.grad(lambda v: f(unravel(v), *(e[None] for e in example)))(flat)

    return jax.vmap(one)(*data)


def per_example_gradients(f, params, *data) -> np.ndarray:
    r"""The gradient :math:`\nabla \ell_i(\theta)` of every example's loss: an ``(N, n)`` array.

    ``ℓ_i(θ) = f(θ, x_i, y_i)`` evaluates ``f`` on a batch holding only example ``i``.
    For a mean loss, the row mean is the full gradient :math:`\nabla f(\theta)`.
    """
    _validate.callable_("f", f)
    params = _validate.parameters("params", params)
    data = _validate.examples("data", data)
    _validate.memory("per_example_gradients", int(data[0].shape[0]) * _validate.flat_size(params))
    _validate.scalar_loss(f, params, tuple(a[:1] for a in data), name="params (on one example)")
    return np.asarray(_per_example(f, params, data))


@partial(jax.jit, static_argnames=("samples", "replace"))
def _sample_means(per_example, key, batch_size, *, samples, replace):
    n = per_example.shape[0]
    first_s = (jnp.arange(n) < batch_size) / batch_size  # weight 1/S on the first S draws

    def weights(k):
        if replace:  # S independent uniform draws; an example drawn twice counts twice
            draws = jax.random.randint(k, (n,), 0, n)
            return jnp.zeros(n).at[draws].add(first_s)
        # Without replacement: the S examples with the smallest of n uniform keys.
        ranks = jnp.argsort(jnp.argsort(jax.random.uniform(k, (n,))))
        return (ranks < batch_size) / batch_size

    w = jax.vmap(weights)(jax.random.split(key, samples))  # (samples, N), rows sum to 1
    return w @ per_example


def minibatch_gradients(per_example, batch_size, samples, key=0, replace=False) -> np.ndarray:
    r"""``samples`` independent mini-batch gradients :math:`\hat g = \frac1S \sum_{i \in B} \nabla\ell_i`.

    ``per_example`` is the ``(N, n)`` output of :func:`per_example_gradients`;
    each batch ``B`` is ``batch_size`` examples drawn uniformly without
    replacement (as within an epoch of :func:`sgd`) or with replacement.
    Returns ``(samples, n)``. The batch size is traced: every ``S`` reuses one
    compiled function.
    """
    per_example = _check_per_example(per_example)
    batch_size = _validate.batch_size("batch_size", batch_size, per_example.shape[0])
    samples = _validate.count("samples", samples, _validate.MAX_SAMPLES)
    _validate.memory("samples × N", samples * per_example.shape[0] * 2)
    replace = _validate.boolean("replace", replace)
    key = _validate.prng_key("key", key)
    return np.asarray(_sample_means(jnp.asarray(per_example), key, jnp.asarray(batch_size),
                                    samples=samples, replace=replace))


@partial(jax.jit, static_argnames=("sizes", "sequences", "replace"))
def _measured_variances(per_example, key, *, sizes, sequences, replace):
    n = per_example.shape[0]
    largest = sizes[-1]
    centered = per_example - jnp.mean(per_example, axis=0)

    def one(k):
        rows = (jax.random.randint(k, (largest,), 0, n) if replace
                else jax.random.permutation(k, n)[:largest])
        blocks, width, out = centered[rows], 1, []
        for size in sizes:  # cut the sequence into largest/S consecutive batches of S
            if size % width == 0:  # build on the previous, finer blocks
                blocks = blocks.reshape(largest // size, size // width, -1).sum(axis=1)
            else:
                blocks = centered[rows].reshape(largest // size, size, -1).sum(axis=1)
            width = size
            out.append(jnp.mean(jnp.sum(blocks**2, axis=1)) / size**2)
        return jnp.stack(out)

    return jnp.mean(jax.lax.map(one, jax.random.split(key, sequences), batch_size=16), axis=0)


def measured_minibatch_variance(per_example, batch_sizes, sequences=256, key=0, replace=False) -> np.ndarray:
    r"""Monte-Carlo estimate of :math:`\mathbb E \lVert \hat g_S - \nabla f \rVert^2` for each ``S``
    in ``batch_sizes``.

    Draws ``sequences`` random sequences of :math:`S_{\max} = \max S` examples
    (the start of a random permutation, as in an epoch, or independent draws if
    ``replace``) and cuts each into :math:`S_{\max}/S` consecutive batches of
    ``S``; every batch is a uniformly random batch of size ``S``, so the mean of
    :math:`\lVert \hat g_S - \nabla f\rVert^2` over all of them estimates the
    variance. Every size must divide the largest (e.g. powers of 2). Small
    batches get many samples (``sequences · S_max / S``), large ones fewer but
    they need fewer. Compare with the exact :func:`minibatch_variance`.
    """
    per_example = _check_per_example(per_example)
    n = per_example.shape[0]
    try:
        sizes = sorted({_validate.batch_size("batch_sizes", int(s) if isinstance(s, np.integer) else s, n)
                        for s in _validate.sequence("batch_sizes", batch_sizes)})
    except TypeError as err:
        if "batch_size" in str(err):
            raise
        raise TypeError(f"batch_sizes must be a sequence of integers, "
                        f"got {type(batch_sizes).__name__}") from err
    if not sizes:
        raise ValueError("batch_sizes must contain at least one batch size")
    if any(sizes[-1] % size for size in sizes):
        raise ValueError(f"batch_sizes must all divide the largest one, {sizes[-1]}, got {sizes}")
    sequences = _validate.count("sequences", sequences, _validate.MAX_RUNS)
    replace = _validate.boolean("replace", replace)
    key = _validate.prng_key("key", key)
    result = np.asarray(_measured_variances(jnp.asarray(per_example), key, sizes=tuple(sizes),
                                            sequences=sequences, replace=replace))
    order = {size: value for size, value in zip(sizes, result)}
    return np.array([order[int(s)] for s in batch_sizes])


def _check_per_example(per_example):
    array = _validate.real_array("per_example", per_example)
    if array.ndim != 2 or array.shape[0] < 2 or array.shape[1] < 1:
        raise ValueError(f"per_example must be an (N, n) array of per-example gradients with N >= 2, "
                         f"got shape {array.shape}")
    return array


def minibatch_variance(per_example, batch_size, replace=False) -> float:
    r"""Exact :math:`\mathbb E \lVert \hat g_S - \nabla f \rVert^2` of a mini-batch of ``S`` examples.

    With :math:`\sigma^2 = \frac1N \sum_i \lVert \nabla \ell_i - \nabla f \rVert^2` (the
    variance of one example's gradient, summed over coordinates),

    .. math::

        \mathbb E \lVert \hat g_S - \nabla f \rVert^2 = \frac{\sigma^2}{S} \quad \text{(with replacement)},
        \qquad
        \frac{\sigma^2}{S} \cdot \frac{N - S}{N - 1} \quad \text{(without replacement)} .

    The second factor, the *finite-population correction*, makes the variance
    exactly zero at ``S = N``, where the batch is the whole data set.

    >>> g = np.array([[1.0], [-1.0], [3.0], [-3.0]])   # N = 4, σ² = 5
    >>> [round(minibatch_variance(g, s), 12) for s in (1, 2, 4)]   # 5, 5/2 · 2/3, 0
    [5.0, 1.666666666667, 0.0]
    """
    per_example = _check_per_example(per_example)
    n = per_example.shape[0]
    batch_size = _validate.batch_size("batch_size", batch_size, n)
    replace = _validate.boolean("replace", replace)
    sigma2 = float(np.mean(np.sum((per_example - per_example.mean(axis=0)) ** 2, axis=1)))
    correction = 1.0 if replace else (n - batch_size) / (n - 1)
    return sigma2 / batch_size * correction
