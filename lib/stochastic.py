r"""Mini-batch stochastic gradient descent, and the statistics of stochastic gradients.

The training loss is an average over the :math:`N` training examples,
:math:`f(\theta) = \frac1N \sum_{i=1}^N \ell_i(\theta)`. A mini-batch
:math:`B_k` of :math:`S` examples gives the estimate
:math:`\hat g_k = \frac1S \sum_{i \in B_k} \nabla \ell_i(\theta_k)` of the full gradient, and

.. math::

    p_{k+1} = \mu p_k - \alpha_k \hat g_k, \qquad \theta_{k+1} = \theta_k + p_{k+1}, \qquad p_0 = 0,

(:func:`lib.momentum_step`; μ = 0 is plain SGD). An *epoch* is one pass over the
data: with ``shuffle=True`` the examples are visited in a fresh random order each
epoch (a permutation drawn from ``jax.random.fold_in(key, epoch)``) and cut into
:math:`\lceil N/S \rceil` consecutive batches; the last one is shorter when
:math:`S` does not divide :math:`N`. With ``shuffle=False`` every epoch visits
the examples in the order given. The rate :math:`\alpha_k` comes from a
:class:`lib.schedules.Schedule` (or is a constant).

Losses follow the book's convention ``f(params, *data)`` where every data array
has the examples along axis 0 and ``f`` is the *mean* over the examples it is
given (e.g. :func:`lib.networks.cross_entropy_loss`). The epoch orders are drawn
first (one small jitted call per number of examples and epochs, see
:func:`batch_indices`); then the whole run is one jitted ``lax.scan`` over all
epochs × batches, with the batch indices, learning rate, momentum and data traced.

>>> import numpy as np, jax.numpy as jnp
>>> x, t = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([2.0, 4.0, 6.0, 8.0])
>>> loss = lambda w, x, t: 0.5 * jnp.mean((x @ w - t) ** 2)
>>> run = sgd(loss, np.zeros(1), x, t, lr=0.05, batch_size=2, epochs=20, key=0)
>>> run.params.round(4).tolist(), int(run.steps[-1]), int(run.examples[-1])
([2.0], 40, 80)
"""

from __future__ import annotations

import numbers
from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _validate
from .optimizers import _TRACES, MomentumState, momentum_init, momentum_step
from .schedules import as_schedule

__all__ = ["SGDRun", "sgd", "batch_indices", "examples_processed", "per_example_gradients",
           "minibatch_gradients", "minibatch_variance", "measured_minibatch_variance"]


# ----------------------------------------------------------------------------------------------
# Argument checks


def _as_key(key):
    if isinstance(key, numbers.Integral) and not isinstance(key, (bool, np.bool_)):
        if key < 0:
            raise ValueError(f"key must be a non-negative integer seed or a jax.random key, got {key}")
        return jax.random.PRNGKey(int(key))
    if isinstance(key, jax.Array) and (jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
                                       or (key.dtype == jnp.uint32 and key.shape == (2,))):
        return key
    raise TypeError(f"key must be an integer seed or a jax.random key, got {type(key).__name__}")


def _check_data(data) -> tuple:
    if not data:
        raise ValueError("data must contain at least one array of examples (e.g. x, y)")
    arrays = []
    for i, a in enumerate(data):
        array = np.asarray(a)
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                         or array.dtype == np.bool_):
            raise TypeError(f"data[{i}] must be a numeric array, got dtype {array.dtype}")
        if array.ndim == 0:
            raise ValueError(f"data[{i}] must have the examples along axis 0, got a scalar")
        if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
            raise ValueError(f"data[{i}] contains non-finite values (nan or inf)")
        arrays.append(jnp.asarray(array))
    n = arrays[0].shape[0]
    if n == 0:
        raise ValueError("data must contain at least one example, got 0")
    for i, a in enumerate(arrays):
        if a.shape[0] != n:
            raise ValueError(f"data arrays must all hold the same number of examples along axis 0: "
                             f"data[0] has {n}, data[{i}] has {a.shape[0]}")
    return tuple(arrays)


def _check_batch(batch_size, n) -> int:
    batch_size = _validate.positive_int("batch_size", batch_size)
    if batch_size > n:
        raise ValueError(f"batch_size must be <= the number of examples N = {n}, got {batch_size}")
    return batch_size


def _check_flag(name, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


# ----------------------------------------------------------------------------------------------
# Which examples each step sees


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
    """The example indices of every mini-batch of a run, exactly as :func:`sgd` uses them.

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
    n = _validate.positive_int("n", n)
    batch_size = _check_batch(batch_size, n)
    epochs = _validate.positive_int("epochs", epochs)
    return _batch_indices(_as_key(key), n, batch_size, epochs, _check_flag("shuffle", shuffle))


def examples_processed(steps, n, batch_size) -> np.ndarray:
    """How many examples :func:`sgd` has used after ``steps`` steps (epochs of ``n``, batches of ``S``)."""
    steps = np.asarray(steps)
    per_epoch = -(-n // batch_size)
    return (steps // per_epoch) * n + np.minimum((steps % per_epoch) * batch_size, n)


# ----------------------------------------------------------------------------------------------
# The run


class SGDRun(NamedTuple):
    """One run of :func:`sgd`.

    The full training loss is recorded every ``eval_every`` steps: at steps
    ``steps[r]`` (0, E, 2E, …, and the last step), after ``examples[r]`` examples,
    ``losses[r]`` is :math:`f(\\theta)` on *all* the data and ``grad_norms[r]`` is
    :math:`\\lVert\\nabla f(\\theta)\\rVert`. ``batch_losses[k]`` is the loss on
    the mini-batch of step ``k`` (the noisy number SGD actually sees) and
    ``lrs[k]`` the rate it used. ``points[r]`` (if ``keep_points``) is θ flat in
    ``ravel_pytree`` order. ``params`` are the final parameters (same structure
    as ``x0``). If an iterate stopped being finite or left ``‖θ‖ ≤ max_norm``,
    ``diverged`` is True, ``diverged_at`` is that step, the run is frozen and
    later records are ``nan``.
    """

    steps: np.ndarray
    examples: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    batch_losses: np.ndarray
    lrs: np.ndarray
    points: Optional[np.ndarray]
    params: object
    batches_per_epoch: int
    diverged: bool
    diverged_at: Optional[int]


def _healthy(x, max_norm):
    return jnp.all(jnp.isfinite(x)) & (jnp.linalg.norm(x) <= max_norm)


@partial(jax.jit, static_argnames=("f", "schedule_fn", "eval_every", "keep_points", "nesterov"))
def _sgd(f, x0, data, index, mask, schedule_params, momentum, max_norm, *, schedule_fn, eval_every,
         keep_points, nesterov):
    _TRACES["sgd"] += 1  # runs only while tracing
    n = data[0].shape[0]
    batch_size = index.shape[1]
    flat0, unravel = ravel_pytree(x0)
    total = index.shape[0]
    records = -(-total // eval_every)
    padded = n % batch_size != 0

    def full_loss(x):
        return f(unravel(x), *data)

    def batch_loss(x, rows, weights):
        batch = tuple(jnp.take(a, rows, axis=0) for a in data)
        if not padded:
            return f(unravel(x), *batch)
        # A short last batch: average the per-example losses over the real examples only.
        params = unravel(x)
        per_example = jax.vmap(lambda *ex: f(params, *(e[None] for e in ex)))(*batch)
        return jnp.sum(weights * per_example) / jnp.sum(weights)

    batch_value_and_grad = jax.value_and_grad(batch_loss)
    full_value_and_grad = jax.value_and_grad(full_loss)

    def step(carry, k):
        x, state, dead_at = carry
        valid = (k < total) & (dead_at < 0)
        row = jnp.minimum(k, total - 1)
        loss, g = batch_value_and_grad(x, index[row], mask[row])
        lr = schedule_fn(k, *schedule_params)
        update, new_state = momentum_step(g, state, lr, momentum, nesterov)
        x_new = x + update
        blew_up = valid & ~_healthy(x_new, max_norm)
        move = valid & ~blew_up
        x = jnp.where(move, x_new, x)
        state = MomentumState(jnp.where(move, new_state.velocity, state.velocity))
        dead_at = jnp.where(blew_up, k + 1, dead_at)
        return (x, state, dead_at), (jnp.where(valid, loss, jnp.nan), lr)

    def measure(x, dead):
        loss, g = full_value_and_grad(x)
        bad = dead | ~jnp.isfinite(loss)
        nan = jnp.nan
        point = jnp.where(bad, jnp.full_like(x, nan), x) if keep_points else jnp.zeros(0)
        return jnp.where(bad, nan, loss), jnp.where(bad, nan, jnp.linalg.norm(g)), point

    def record(carry, r):
        # Measure the full loss at the current iterate (record r), then take the next
        # eval_every steps, except after the last record. One copy of each computation.
        x, _, dead_at = carry
        measured = measure(x, dead_at >= 0)
        blank = (jnp.full(eval_every, jnp.nan), jnp.full(eval_every, jnp.nan))
        carry, (batch_losses, lrs) = jax.lax.cond(
            r < records,
            lambda c: jax.lax.scan(step, c, r * eval_every + jnp.arange(eval_every)),
            lambda c: (c, blank), carry)
        return carry, (measured, batch_losses, lrs)

    init = (flat0, momentum_init(flat0), jnp.array(-1))
    (x_last, _, dead_at), ((losses, norms, points), batch_losses, lrs) = jax.lax.scan(
        record, init, jnp.arange(records + 1))
    return (losses, norms, points, batch_losses.reshape(-1)[:total], lrs.reshape(-1)[:total],
            x_last, dead_at)


def sgd(f, x0, *data, lr, batch_size, epochs=1, key=0, shuffle=True, momentum=0.0, nesterov=False,
        eval_every=None, keep_points=False, max_norm=1e8) -> SGDRun:
    r"""Mini-batch SGD (with optional momentum and a learning-rate schedule) on ``f(params, *data)``.

    Parameters
    ----------
    f : callable
        ``f(params, *batch)``, the *mean* loss over the examples in ``batch``.
    x0 : array (n,) or pytree
        Starting parameters.
    *data : arrays
        Training data, examples along axis 0 (e.g. ``x`` of shape (N, d) and ``y`` of shape (N,)).
    lr : float or lib.schedules.Schedule
        The learning rate α, or a schedule ``α_k`` of the step count ``k``.
    batch_size : int
        S, 1 ≤ S ≤ N. ``S = N`` with ``shuffle=False`` is full-batch gradient descent.
    epochs : int
        Passes over the data; the run has ``epochs · ⌈N/S⌉`` steps.
    key : int or jax.random key
        Seed of the per-epoch permutations.
    shuffle : bool
        Draw a new random order every epoch (True) or keep the given order (False).
    momentum, nesterov :
        As in :func:`lib.descend`.
    eval_every : int, optional
        Record the full loss and gradient norm every this many steps (default: once per epoch).
    keep_points : bool
        Also record the parameters at every record.
    max_norm : float
        A run whose ``‖θ‖`` exceeds this counts as diverged.

    Only ``f``, the shapes of the data, ``batch_size``, ``epochs``,
    ``eval_every``, ``keep_points``, ``nesterov`` and the *kind* of schedule are
    compiled in; new values of everything else reuse the compiled run
    (``lib.trace_count("sgd")`` counts compilations).
    """
    _validate.callable_("f", f)
    params = _validate.parameters("x0", x0)
    data = _check_data(data)
    n = int(data[0].shape[0])
    batch_size = _check_batch(batch_size, n)
    epochs = _validate.positive_int("epochs", epochs)
    schedule = as_schedule(lr)
    momentum = _validate.in_unit_interval("momentum", momentum)
    nesterov = _check_flag("nesterov", nesterov)
    shuffle = _check_flag("shuffle", shuffle)
    keep_points = _check_flag("keep_points", keep_points)
    max_norm = _validate.positive("max_norm", max_norm)
    per_epoch = -(-n // batch_size)
    total = epochs * per_epoch
    eval_every = per_epoch if eval_every is None else _validate.positive_int("eval_every", eval_every)
    eval_every = min(eval_every, total)
    index, mask = _batch_indices(_as_key(key), n, batch_size, epochs, shuffle)
    _validate.scalar_loss(f, params, data, name="x0")
    first_batch = tuple(a[:batch_size] for a in data)
    _validate.scalar_loss(f, params, first_batch, name="x0 (on a mini-batch)")
    if n % batch_size:
        _validate.scalar_loss(f, params, tuple(a[:1] for a in data), name="x0 (on one example)")

    schedule_params = tuple(jnp.asarray(p, dtype=jnp.float64) for p in schedule.params)
    losses, norms, points, batch_losses, lrs, x_last, dead_at = _sgd(
        f, params, data, jnp.asarray(index), jnp.asarray(mask), schedule_params,
        jnp.float64(momentum), jnp.float64(max_norm), schedule_fn=schedule.fn, eval_every=eval_every, keep_points=keep_points, nesterov=nesterov)

    records = -(-total // eval_every)
    steps = np.minimum(np.arange(records + 1) * eval_every, total)
    dead_at = int(dead_at)
    _, unravel = ravel_pytree(params)
    final = jax.tree_util.tree_map(np.asarray, unravel(x_last))
    return SGDRun(steps=steps, examples=examples_processed(steps, n, batch_size),
                  losses=np.asarray(losses), grad_norms=np.asarray(norms),
                  batch_losses=np.asarray(batch_losses), lrs=np.asarray(lrs),
                  points=np.asarray(points) if keep_points else None, params=final,
                  batches_per_epoch=per_epoch, diverged=dead_at >= 0,
                  diverged_at=dead_at if dead_at >= 0 else None)


# ----------------------------------------------------------------------------------------------
# Statistics of the stochastic gradient


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
    data = _check_data(data)
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
    batch_size = _check_batch(batch_size, per_example.shape[0])
    samples = _validate.positive_int("samples", samples)
    replace = _check_flag("replace", replace)
    return np.asarray(_sample_means(jnp.asarray(per_example), _as_key(key), jnp.asarray(batch_size),
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
    r"""Monte-Carlo estimate of :math:`\mathbb E \lVert \hat g_S - \nabla f \rVert^2` for each ``S`` in ``batch_sizes``.

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
        sizes = sorted({_check_batch(int(s) if isinstance(s, np.integer) else s, n) for s in batch_sizes})
    except TypeError as err:
        if "batch_size" in str(err):
            raise
        raise TypeError(f"batch_sizes must be a sequence of integers, got {type(batch_sizes).__name__}") from err
    if not sizes:
        raise ValueError("batch_sizes must contain at least one batch size")
    if any(sizes[-1] % size for size in sizes):
        raise ValueError(f"batch_sizes must all divide the largest one, {sizes[-1]}, got {sizes}")
    sequences = _validate.positive_int("sequences", sequences)
    replace = _check_flag("replace", replace)
    result = np.asarray(_measured_variances(jnp.asarray(per_example), _as_key(key), sizes=tuple(sizes),
                                            sequences=sequences, replace=replace))
    order = {size: value for size, value in zip(sizes, result)}
    return np.array([order[int(s)] for s in batch_sizes])


def _check_per_example(per_example):
    array = np.asarray(per_example, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < 2:
        raise ValueError(f"per_example must be an (N, n) array of per-example gradients with N >= 2, "
                         f"got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("per_example contains non-finite values (nan or inf)")
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
    batch_size = _check_batch(batch_size, n)
    replace = _check_flag("replace", replace)
    sigma2 = float(np.mean(np.sum((per_example - per_example.mean(axis=0)) ** 2, axis=1)))
    correction = 1.0 if replace else (n - batch_size) / (n - 1)
    return sigma2 / batch_size * correction
