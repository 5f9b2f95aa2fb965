r"""Mini-batch stochastic gradient descent.

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
:func:`batch_indices`); then the batches are fed to the one optimizer driver
(:func:`lib.optimizers.optimize`'s batched form): the rule is
:func:`lib.optimizers.momentum_rule` inside :func:`lib.optimizers.scheduled`, and
the whole run is one jitted ``lax.scan`` over all epochs × batches, with the
batch indices, learning rate, momentum and data traced. The statistics of
stochastic gradients are in :mod:`lib.gradient_noise` (re-exported here).

>>> import numpy as np, jax.numpy as jnp
>>> x, t = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([2.0, 4.0, 6.0, 8.0])
>>> loss = lambda w, x, t: 0.5 * jnp.mean((x @ w - t) ** 2)
>>> run = sgd(loss, np.zeros(1), x, t, lr=0.05, batch_size=2, epochs=20, key=0)
>>> run.params.round(4).tolist(), int(run.steps[-1]), int(run.examples[-1])
([2.0], 40, 80)
"""

from __future__ import annotations

import functools
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _validate
from .calculus.gradient_noise import (  # noqa: F401  (kept here for the chapters)
    measured_minibatch_variance,
    minibatch_gradients,
    minibatch_variance,
    per_example_gradients,
)
from .optimizers import Trajectory, _optimize_batches, momentum_rule, scheduled
from .schedules import as_schedule

__all__ = ["SGDRun", "sgd", "batch_indices", "examples_processed", "per_example_gradients",
           "minibatch_gradients", "minibatch_variance", "measured_minibatch_variance"]


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
    n = _validate.count("n", n, _validate.MAX_SAMPLES, "examples")
    batch_size = _validate.batch_size("batch_size", batch_size, n)
    epochs = _validate.count("epochs", epochs, _validate.MAX_EPOCHS)
    _validate.memory("epochs × n", 2 * epochs * (n + batch_size))
    return _batch_indices(_validate.prng_key("key", key), n, batch_size, epochs,
                          _validate.boolean("shuffle", shuffle))


def examples_processed(steps, n, batch_size) -> np.ndarray:
    """How many examples :func:`sgd` has used after ``steps`` steps (epochs of ``n``, batches of ``S``)."""
    n = _validate.count("n", n, _validate.MAX_SAMPLES, "examples")
    batch_size = _validate.batch_size("batch_size", batch_size, n)
    steps = _validate.numeric_array("steps", steps, "a step or an array of steps")
    if not np.issubdtype(steps.dtype, np.integer) or np.any(steps < 0):
        raise TypeError(f"steps must be non-negative integers, got dtype {steps.dtype}") \
            if not np.issubdtype(steps.dtype, np.integer) else \
            ValueError("steps must be non-negative integers")
    per_epoch = -(-n // batch_size)
    return (steps // per_epoch) * n + np.minimum((steps % per_epoch) * batch_size, n)


# ----------------------------------------------------------------------------------------------
# The run


#: One run of :func:`sgd`: a :class:`lib.Trajectory` recorded every ``eval_every`` steps.
#: ``losses[r]`` is the full training loss :math:`f(\theta)` on *all* the data at step
#: ``steps[r]`` (0, E, 2E, …, and the last step), after ``examples[r]`` examples;
#: ``grad_norms[r]`` is :math:`\lVert\nabla f(\theta)\rVert` there; ``batch_losses[k]`` is
#: the loss on the mini-batch of step ``k`` (the noisy number SGD actually sees) and
#: ``lrs[k]`` the rate it used; ``points[r]`` (only with ``keep_points``, else ``None``)
#: is θ flat. ``params`` are the final (last healthy) parameters, shaped like ``x0``;
#: ``batches_per_epoch`` is ⌈N/S⌉. After a divergence (``diverged_at`` is the step of
#: the first unhealthy iterate) the run is frozen and later records are ``nan``.
SGDRun = Trajectory


@functools.cache
def _batch_loss(f, padded: bool):
    """The loss of one mini-batch ``(rows, weights)`` of the data (stable identity per ``f``)."""
    def batch_loss(params, data, batch):
        rows, weights = batch
        examples = tuple(jnp.take(a, rows, axis=0) for a in data)
        if not padded:
            return f(params, *examples)
        # A short last batch: average the per-example losses over the real examples only.
        per_example = jax.vmap(lambda *ex: f(params, *(e[None] for e in ex)))(*examples)
        return jnp.sum(weights * per_example) / jnp.sum(weights)

    return batch_loss


@functools.cache
def _lr_record(schedule_fn):
    def record(grads, state, params, hyper):
        return {"lrs": schedule_fn(state.count, *hyper["schedule"])}

    return record


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
    schedule = as_schedule(lr)
    momentum = _validate.in_unit_interval("momentum", momentum)
    nesterov = _validate.boolean("nesterov", nesterov)
    rule = scheduled(momentum_rule(nesterov), schedule.fn)
    hyper = {"schedule": tuple(jnp.asarray(p, dtype=jnp.float64) for p in schedule.params),
             "momentum": jnp.float64(momentum)}
    return run_minibatches(rule, f, x0, data, hyper, batch_size=batch_size, epochs=epochs, key=key,
                           shuffle=shuffle, eval_every=eval_every, keep_points=keep_points,
                           max_norm=max_norm, record=_lr_record(schedule.fn), check_state=False,
                           name="sgd")


def run_minibatches(rule, f, x0, data, hyper, *, batch_size, epochs, key, shuffle, eval_every, keep_points,
                    max_norm, record=None, check_state=True, name="minibatch") -> Trajectory:
    """The mini-batch driver shared by :func:`sgd` and :func:`lib.minibatch.optimize_minibatches`.

    Checks the arguments common to both, cuts the epochs into the batches of
    :func:`batch_indices` and runs ``rule`` (with ``hyper`` already a dict of
    traced numbers) through the optimizer protocol's batched ``lax.scan``. The
    extras are those documented in :func:`sgd`, plus whatever ``record`` returns.
    """
    _validate.callable_("f", f)
    params = _validate.parameters("x0", x0)
    data = _validate.examples("data", data)
    n = int(data[0].shape[0])
    batch_size = _validate.batch_size("batch_size", batch_size, n)
    epochs = _validate.count("epochs", epochs, _validate.MAX_EPOCHS)
    shuffle = _validate.boolean("shuffle", shuffle)
    keep_points = _validate.boolean("keep_points", keep_points)
    check_state = _validate.boolean("check_state", check_state)
    max_norm = _validate.positive("max_norm", max_norm)
    per_epoch = -(-n // batch_size)
    total = epochs * per_epoch
    if total > _validate.MAX_STEPS:
        raise ValueError(f"epochs × ⌈N/batch_size⌉ = {total:,} steps exceeds "
                         f"{_validate.MAX_STEPS:,}; use fewer epochs or larger batches")
    eval_every = per_epoch if eval_every is None else _validate.count("eval_every", eval_every,
                                                                      _validate.MAX_STEPS)
    eval_every = min(eval_every, total)
    records = -(-total // eval_every)
    _validate.memory("epochs × N", 2 * epochs * per_epoch * batch_size)
    if keep_points:
        _validate.memory("keep_points", (records + 1) * _validate.flat_size(params))
    index, mask = _batch_indices(_validate.prng_key("key", key), n, batch_size, epochs, shuffle)
    _validate.scalar_loss(f, params, data, name="x0", args_name="data")
    first_batch = tuple(a[:batch_size] for a in data)
    _validate.scalar_loss(f, params, first_batch, name="x0 (on a mini-batch)", evaluate=False)
    padded = n % batch_size != 0
    if padded:
        _validate.scalar_loss(f, params, tuple(a[:1] for a in data), name="x0 (on one example)",
                              evaluate=False)

    losses, norms, points, batch_losses, recorded, x_last, dead_at = _optimize_batches(
        rule, f, params, data, hyper, jnp.float64(max_norm),
        (jnp.asarray(index), jnp.asarray(mask)), batch_loss=_batch_loss(f, padded),
        every=eval_every, keep_points=keep_points, record=record,
        check_state=check_state, name=name)

    steps = np.minimum(np.arange(records + 1) * eval_every, total)
    dead_at = int(dead_at)
    _, unravel = ravel_pytree(params)
    extras = {"steps": steps, "examples": examples_processed(steps, n, batch_size),
              "grad_norms": np.asarray(norms), "batch_losses": np.asarray(batch_losses),
              "params": jax.tree_util.tree_map(np.asarray, unravel(x_last)),
              "batches_per_epoch": per_epoch}
    if record is not None:
        extras.update({key_: np.asarray(value) for key_, value in recorded.items()})
    return Trajectory(np.asarray(points) if keep_points else None, np.asarray(losses),
                      dead_at >= 0, dead_at if dead_at >= 0 else None, extras)
