r"""The one driver: :func:`optimize` runs any :class:`lib.optim.Rule`, full-batch or on mini-batches.

.. math:: (s_k, \sigma_{k+1}) = \text{update}(g_k, \sigma_k, \theta_k, \text{hyper}, f_k),
          \qquad \theta_{k+1} = \theta_k + s_k, \qquad \sigma_0 = \text{init}(\theta_0),

where :math:`g_k = \nabla f_k(\theta_k)` and :math:`f_k` is the loss step :math:`k` sees: the
full loss ``f(θ, *args)`` (a full-batch run, ``steps`` steps), or the mean loss of the
mini-batch :math:`B_k` of the data (``batch_size=``: epochs of shuffled batches, see
:func:`lib.optim.batch_indices`). Either way the run is one jitted ``lax.scan``: the rule, the
loss, the number of steps and the recorder are compiled in; the start, the data and every
hyper-parameter are traced, so a new learning rate never recompiles (:func:`trace_count`
counts the compilations). A run that stops being finite or leaves the ball
``‖θ‖ ≤ max_norm`` is frozen and *flagged* (``diverged``, ``diverged_at``); nothing is
printed. Every run returns a :class:`Trajectory` (a :class:`MinibatchTrajectory` for a
mini-batch run).

:func:`descend` (gradient descent with momentum, the shortcut the chapters use most) and
:func:`descend_grid` (the same for a whole grid of learning rates and momenta, vectorised)
are built on the same scan.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate
from . import rules
from .minibatch import batch_indices, examples_processed
from .rules import Rule, check_rule

__all__ = ["optimize", "Trajectory", "MinibatchTrajectory", "descend", "TrajectoryGrid",
           "descend_grid", "trace_count", "check_hyper", "HYPER_RANGES", "CheckedRun", "check_run",
           "run_checked"]

_TRACES: collections.Counter = collections.Counter()


def trace_count(name: str = "descend") -> int:
    """How many times the jitted driver has been traced (compiled) for runs named ``name``.

    ``name`` is ``"descend"``, ``"descend_grid"``, or the ``name=`` a caller gave
    :func:`optimize` (``"optimize"`` by default); ``"all"`` counts every run together.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    return _TRACES[name]


@dataclasses.dataclass(frozen=True, eq=False)
class Trajectory:
    r"""The iterates of one run of any optimizer.

    ``points[k]`` is :math:`\theta_k` (flat, ``ravel_pytree`` order), ``losses[k]`` is
    :math:`f(\theta_k)` and ``grad_norms[k]`` is :math:`\lVert\nabla f(\theta_k)\rVert`, for
    ``k = 0 … steps``. If the run blew up, ``diverged`` is True and every row from
    ``diverged_at`` on is ``nan``. ``records`` holds what a ``record=`` function returned at
    every row (``None`` without one). ``grad_norms`` is ``None`` only for a trajectory made
    outside the driver that did not measure them.
    """

    points: np.ndarray
    losses: np.ndarray
    diverged: bool
    diverged_at: int | None
    grad_norms: np.ndarray | None = None
    records: dict | None = None


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class MinibatchTrajectory(Trajectory):
    r"""A mini-batch run, recorded every ``eval_every`` steps: :class:`Trajectory`'s fields at the records.

    ``points[r]``, ``losses[r]`` and ``grad_norms[r]`` are θ, the full training loss
    :math:`f(\theta)` on *all* the data and its gradient norm at step ``steps[r]`` (0, E, 2E,
    …, and the last step), after ``examples[r]`` examples. ``batch_losses[k]`` is the loss on
    the mini-batch of step ``k`` (the noisy number the optimizer sees); ``records`` (per
    step) holds what ``record=`` returned. ``params`` are the final (last healthy) parameters,
    shaped like ``x0``; ``batches_per_epoch`` is ⌈N/S⌉. After a divergence (``diverged_at``
    is the step of the first unhealthy iterate) the run is frozen and later records are ``nan``.
    """

    steps: np.ndarray
    examples: np.ndarray
    batch_losses: np.ndarray
    params: object
    batches_per_epoch: int


# ---------------------------------------------------------------------------------- the driver

def _healthy(x, max_norm, loss=None, state=None):
    """The divergence test, the same for every optimizer: θ finite and inside the ball (and the
    loss and the rule's state finite, when given)."""
    ok = jnp.all(jnp.isfinite(x)) & (jnp.linalg.norm(x) <= max_norm)
    if loss is not None:
        ok = ok & jnp.isfinite(loss)
    if state is not None:
        for leaf in jax.tree_util.tree_leaves(state):
            ok = ok & jnp.all(jnp.isfinite(leaf))
    return ok


def _mask(alive, tree):
    return jax.tree_util.tree_map(
        lambda v: jnp.where(alive, v, False if v.dtype == jnp.bool_ else jnp.nan), tree)


def _scan(rule, f, x0, args, hyper, max_norm, steps, record=None, check_state=False):
    r"""Every-step run :math:`\theta_{k+1} = \theta_k + s_k` on the full loss, as one scan (pure).

    Returns ``(points, losses, grad_norms, records)`` with ``steps + 1`` rows; ``records`` is
    ``record(g, state, θ, hyper)`` per row (``()`` without a recorder), masked
    like the points once the run has stopped.
    """
    flat0, unravel = ravel_pytree(x0)

    def flat_loss(v):
        return f(unravel(v), *args)

    value_and_grad = jax.value_and_grad(flat_loss)
    nan_row = jnp.full_like(flat0, jnp.nan)

    def healthy(x, loss, state):
        return _healthy(x, max_norm, loss, state if check_state else None)

    def recorded(alive, g, state, x):
        return () if record is None else _mask(alive, record(g, state, x, hyper))

    def body(carry, _):
        x, state, alive = carry
        loss, g = value_and_grad(x)
        alive = alive & healthy(x, loss, state)
        step, new_state = rule.update(g, state, x, hyper, flat_loss)
        # A dead run is frozen where it died: no further arithmetic on huge numbers.
        x_next = jnp.where(alive, x + step, x)
        row = (jnp.where(alive, x, nan_row), jnp.where(alive, loss, jnp.nan),
               jnp.where(alive, jnp.linalg.norm(g), jnp.nan), recorded(alive, g, state, x))
        state = jax.tree_util.tree_map(lambda new, old: jnp.where(alive, new, old), new_state, state)
        return (x_next, state, alive), row

    carry = (flat0, rule.init(flat0), jnp.array(True))
    (x_last, state_last, alive), (points, losses, norms, extras) = jax.lax.scan(
        body, carry, None, length=steps)
    loss_last, g_last = value_and_grad(x_last)
    alive = alive & healthy(x_last, loss_last, state_last)
    points = jnp.concatenate([points, jnp.where(alive, x_last, nan_row)[None]])
    losses = jnp.concatenate([losses, jnp.where(alive, loss_last, jnp.nan)[None]])
    norms = jnp.concatenate([norms, jnp.where(alive, jnp.linalg.norm(g_last), jnp.nan)[None]])
    extras = jax.tree_util.tree_map(lambda rows, last: jnp.concatenate([rows, last[None]]),
                                    extras, recorded(alive, g_last, state_last, x_last))
    return points, losses, norms, extras


def _scan_batches(rule, f, x0, args, hyper, max_norm, batches, batch_loss, every, record=None,
                  check_state=False):
    r"""A run whose step ``k`` sees the loss ``batch_loss(params, args, batch_k)`` (pure).

    ``batches`` is a pytree whose leaves have one row per step. Every ``every``
    steps (and after the last) θ, the full loss ``f(θ, *args)`` and its gradient norm
    are recorded. A step whose new iterate is not
    healthy is not taken: the run stays at its last healthy point, which is
    returned, and ``dead_at`` is that step's number (``-1`` if none).
    """
    flat0, unravel = ravel_pytree(x0)
    total = jax.tree_util.tree_leaves(batches)[0].shape[0]
    records = -(-total // every)

    def full_loss(x):
        return f(unravel(x), *args)

    def step_loss(x, batch):
        return batch_loss(unravel(x), args, batch)

    batch_value_and_grad = jax.value_and_grad(step_loss)
    full_value_and_grad = jax.value_and_grad(full_loss)

    def step(carry, k):
        x, state, dead_at = carry
        valid = (k < total) & (dead_at < 0)
        batch = jax.tree_util.tree_map(lambda b: b[jnp.minimum(k, total - 1)], batches)
        loss, g = batch_value_and_grad(x, batch)
        update, new_state = rule.update(g, state, x, hyper, partial(step_loss, batch=batch))
        x_new = x + update
        blew_up = valid & ~_healthy(x_new, max_norm, None, new_state if check_state else None)
        move = valid & ~blew_up
        extra = () if record is None else _mask(valid, record(g, state, x, hyper))
        x = jnp.where(move, x_new, x)
        state = jax.tree_util.tree_map(lambda new, old: jnp.where(move, new, old), new_state, state)
        dead_at = jnp.where(blew_up, k + 1, dead_at)
        return (x, state, dead_at), (jnp.where(valid, loss, jnp.nan), extra)

    def measure(x, dead):
        loss, g = full_value_and_grad(x)
        bad = dead | ~jnp.isfinite(loss)
        point = jnp.where(bad, jnp.full_like(x, jnp.nan), x)
        return jnp.where(bad, jnp.nan, loss), jnp.where(bad, jnp.nan, jnp.linalg.norm(g)), point

    blank_extra = jax.eval_shape(
        lambda: () if record is None else record(flat0, rule.init(flat0), flat0, hyper))

    def chunk(carry, r):
        # Measure the full loss at the current iterate (record r), then take the next
        # `every` steps, except after the last record. One copy of each computation.
        x, _, dead_at = carry
        measured = measure(x, dead_at >= 0)
        blank = (jnp.full(every, jnp.nan),
                 jax.tree_util.tree_map(lambda s: jnp.full((every,) + s.shape, jnp.nan, s.dtype)
                                        if s.dtype != jnp.bool_ else jnp.zeros((every,) + s.shape, bool),
                                        blank_extra))
        carry, per_step = jax.lax.cond(
            r < records,
            lambda c: jax.lax.scan(step, c, r * every + jnp.arange(every)),
            lambda c: (c, blank), carry)
        return carry, (measured, per_step)

    init = (flat0, rule.init(flat0), jnp.array(-1))
    (x_last, _, dead_at), ((losses, norms, points), (step_losses, extras)) = jax.lax.scan(
        chunk, init, jnp.arange(records + 1))
    flat = partial(lambda a: a.reshape((-1,) + a.shape[2:])[:total])
    return (losses, norms, points, flat(step_losses), jax.tree_util.tree_map(flat, extras),
            x_last, dead_at)


@functools.cache
def _minibatch_loss(f, padded: bool):
    r"""The loss of one mini-batch, ``loss(params, data, (rows, weights))``, for the driver.

    ``f(params, *examples)`` is the mean loss over the examples it is given. Without
    ``padded`` the batch loss is ``f`` on the rows ``rows`` of every data array; with it (a
    short last batch padded to the batch size) it is the weighted mean
    :math:`\sum_i w_i \ell_i / \sum_i w_i` of the per-example losses, so the padding (weight
    0) does not count. Cached: one function object per ``(f, padded)``, so the jitted
    driver compiles once per loss.
    """
    def batch_loss(params, data, batch):
        rows, weights = batch
        examples = tuple(jnp.take(a, rows, axis=0) for a in data)
        if not padded:
            return f(params, *examples)
        # A short last batch: average the per-example losses over the real examples only.
        per_example = jax.vmap(lambda *ex: f(params, *(e[None] for e in ex)))(*examples)
        return jnp.sum(weights * per_example) / jnp.sum(weights)

    return batch_loss


@partial(jax.jit, static_argnames=("rule", "f", "steps", "record", "check_state", "name"))
def _optimize(rule, f, x0, args, hyper, max_norm, *, steps, record, check_state, name):
    _TRACES["all"] += 1  # runs only while tracing
    _TRACES[name] += 1
    return _scan(rule, f, x0, args, hyper, max_norm, steps, record, check_state)


@partial(jax.jit, static_argnames=("rule", "f", "batch_loss", "every", "record", "check_state",
                                   "name"))
def _optimize_batches(rule, f, x0, args, hyper, max_norm, batches, *, batch_loss, every, record,
                      check_state, name):
    _TRACES["all"] += 1
    _TRACES[name] += 1
    return _scan_batches(rule, f, x0, args, hyper, max_norm, batches, batch_loss, every, record,
                         check_state)



def _first_nan_row(losses):
    bad = np.flatnonzero(np.isnan(losses))
    return int(bad[0]) if bad.size else None


# ---------------------------------------------------------------------------- hyper-parameters

#: The range of each named hyper-parameter, checked entry by entry like the keyword arguments of
#: :func:`descend`: ``(low, high, low_included, high_included)``.
HYPER_RANGES = {
    "lr": (0.0, np.inf, False, False),
    "momentum": (0.0, 1.0, True, True),
    "b1": (0.0, 1.0, True, False),
    "b2": (0.0, 1.0, True, False),
    "decay": (0.0, 1.0, True, False),
    "eps": (0.0, np.inf, False, False),
    "damping": (0.0, np.inf, True, False),
    "initial_accumulator": (0.0, np.inf, True, False),
    "threshold": (0.0, np.inf, False, False),
}


def _hyper_value(key, value, any_shape=False):
    """One hyper-parameter as a float64 JAX array, finite and within :data:`HYPER_RANGES`.

    A single number (a 0-d array), unless ``any_shape`` (a schedule's parameters, which may be
    1-D arrays); a traced value (a caller's ``jit`` or ``vmap``) is passed through unchecked.
    """
    if _validate.is_traced(value):
        return value
    name = f"hyper[{key!r}]"
    if _validate.is_bool(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    array = _validate.real_array(name, value)
    if not any_shape and array.ndim != 0:
        raise ValueError(f"{name} must be a single number, got {_validate.shape_text(array.shape)}"
                         f"{' (an empty array)' if array.size == 0 else ''}: a run has one value of "
                         f"each hyper-parameter (lib.descend_grid sweeps a grid of them)")
    if key in HYPER_RANGES and array.size:
        low, high, low_in, high_in = HYPER_RANGES[key]
        above = array >= low if low_in else array > low
        below = array <= high if high_in else array < high
        if not np.all(above & below):
            bad = float(array.ravel()[np.argmin(above & below)])
            interval = f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"
            raise ValueError(f"{name} must lie in {interval}, got {bad}")
    return jnp.asarray(array)


def check_hyper(hyper, rule: Rule) -> dict:
    """``hyper`` with the rule's defaults filled in, as a dict of float64 JAX arrays, checked.

    Every name must be one the rule reads (a misspelt ``"Lr"`` would otherwise be
    ignored) and every name it reads must be given or have a default; the named ones of
    :data:`HYPER_RANGES` are checked like keyword arguments (``lr > 0``, a momentum in
    [0, 1], …). Every value is a single real number (a 0-d array; an array of learning rates
    is refused: one run has one of each, :func:`descend_grid` sweeps a grid), except
    ``"schedule"``, which may be a :class:`lib.optim.Schedule` (its numbers are used; it must be
    of the kind the rule was built with) or a tuple of numbers or 1-D arrays. Traced values
    (under a caller's ``jit`` or ``vmap``) are not checked.
    """
    check_rule("rule", rule)
    if not isinstance(hyper, dict):
        raise TypeError(f"hyper must be a dict of hyper-parameters, got {type(hyper).__name__}")
    for key in hyper:
        if not isinstance(key, str):
            raise TypeError(f"hyper keys must be strings, got {type(key).__name__}")
    hyper = dict(rule.defaults) | hyper
    missing = [name for name in rule.hyper_names if name not in hyper]
    if missing:
        raise ValueError(f"hyper lacks {missing}, which the rule {rule.name!r} needs "
                         f"(it reads {list(rule.hyper_names)})")
    out = {}
    for key, value in hyper.items():
        if rule.hyper_names and key not in rule.hyper_names:
            raise ValueError(f"hyper[{key!r}] is not read by the rule {rule.name!r} "
                             f"(it reads {list(rule.hyper_names)})")
        if key == "schedule" and hasattr(value, "fn") and hasattr(value, "params"):
            if rule.schedule_fn is not None and value.fn is not rule.schedule_fn:
                raise ValueError(f"hyper['schedule'] is a {value.name} schedule, but the rule {rule.name!r} "
                                 f"follows {rule.schedule_fn.__name__.strip('_')}: build the rule with "
                                 f"lib.scheduled(rule, this schedule)")
            value = tuple(value.params)
        if key == "schedule" and isinstance(value, tuple):
            out[key] = tuple(_hyper_value(key, v, any_shape=True) for v in value)
        else:
            out[key] = _hyper_value(key, value)
    return out


def _check_record(record, rule: Rule, params, hyper: dict):
    """``record`` as :func:`optimize` takes it: ``None``, or a function ``record(g, state, θ, hyper)``
    returning a dict of values, evaluated abstractly (``jax.eval_shape``) on the run's shapes."""
    if record is None:
        return None
    if not callable(record) or isinstance(record, type):
        raise TypeError(f"record must be a function record(g, state, θ, hyper) returning a dict, "
                        f"got {record.__name__ if isinstance(record, type) else type(record).__name__}")
    flat = jax.ShapeDtypeStruct((_validate.flat_size(params),), jnp.float64)
    try:
        out = jax.eval_shape(lambda x, h: record(x, rule.init(x), x, h), flat, hyper)
    except Exception as err:  # noqa: BLE001 - any error inside the user's function
        raise ValueError(f"record could not be evaluated as record(g, state, θ, hyper) on the run's "
                         f"flat parameters of shape {flat.shape}: {type(err).__name__}: {err}") from err
    if not isinstance(out, dict):
        got = f"an array of shape {out.shape}" if hasattr(out, "shape") else type(out).__name__
        raise TypeError(f"record must return a dict of values (one entry per quantity), got {got}")
    return record


# ---------------------------------------------------------------------------------- optimize

class CheckedRun(NamedTuple):
    """The checked inputs of a full-batch run (from :func:`check_run`), for :func:`run_checked`."""

    f: object
    params: object
    args: tuple
    steps: int
    max_norm: float


def check_run(f, x0, *args, steps=100, max_norm=1e8) -> CheckedRun:
    """Check the loss, the start, the data, ``steps`` and ``max_norm`` of a full-batch run once.

    ``f(x0, *args)`` must be a finite real scalar; ``x0`` an array (n,) or a pytree of finite
    numbers. An interactive figure checks its fixed inputs once and then calls
    :func:`run_checked` for every slider move, without checking them again.
    """
    _validate.callable_("f", f)
    params = _validate.parameters("x0", x0)
    args = _validate.data("args", args)
    _validate.scalar_loss(f, params, args, name="x0")
    steps = _validate.count("steps", steps, _validate.MAX_STEPS)
    max_norm = _validate.positive("max_norm", max_norm)
    return CheckedRun(f, params, args, steps, max_norm)


def run_checked(rule: Rule, run: CheckedRun, hyper: dict, *, record=None, check_state: bool = True,
                name: str = "optimize") -> Trajectory:
    """:func:`optimize` on inputs already checked by :func:`check_run`; ``hyper`` is checked here."""
    if not isinstance(run, CheckedRun):
        raise TypeError(f"run must be a CheckedRun (from check_run), got {type(run).__name__}")
    hyper = check_hyper(hyper, rule)
    check_state = _validate.boolean("check_state", check_state)
    record = _check_record(record, rule, run.params, hyper)
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    points, losses, norms, records = _optimize(
        rule, run.f, run.params, run.args, hyper, jnp.float64(run.max_norm), steps=run.steps,
        record=record, check_state=check_state, name=name)
    losses = np.asarray(losses)
    at = _first_nan_row(losses)
    records = None if record is None else jax.tree_util.tree_map(np.asarray, records)
    return Trajectory(np.asarray(points), losses, at is not None, at, np.asarray(norms), records)


def optimize(rule: Rule, f, x0, *args, hyper: dict, steps: int | None = None, max_norm=1e8,
             record=None, check_state: bool = True, name: str = "optimize", batch_size=None,
             epochs: int = 1, key=0, shuffle: bool = True, eval_every=None) -> Trajectory:
    r"""Run the optimizer ``rule`` on ``f(x, *args)`` from ``x0``: full-batch, or on mini-batches.

    Full-batch (no ``batch_size``): ``steps`` steps (100 by default) on the full loss;
    returns a :class:`Trajectory` with ``steps + 1`` rows.

    Mini-batch (``batch_size=S``): ``args`` are the training data, examples along axis 0,
    and ``f(x, *batch)`` must be the *mean* loss over the examples it is given. Each of
    ``epochs`` epochs visits the N examples once, in a fresh random order (``shuffle``,
    drawn from ``key``; see :func:`lib.optim.batch_indices`), cut into ⌈N/S⌉ batches (a short
    last batch is averaged over its real examples); the run has ``epochs · ⌈N/S⌉`` steps,
    so ``steps`` is not given. θ, the full loss and its gradient norm are recorded every
    ``eval_every`` steps (default: once per epoch) and after the last; returns a
    :class:`MinibatchTrajectory`. ``S = N`` with ``shuffle=False`` is full-batch gradient
    descent.

    ``hyper`` is a dict of numbers (:func:`check_hyper`: a rule's defaults may be left
    out). ``rule``, ``f``, ``steps`` (or the batch layout) and ``record`` are compiled in;
    ``x0``, the data and ``hyper`` are traced. The run stops at the first iterate that is
    not finite, whose loss is not finite, that leaves ``‖θ‖ ≤ max_norm``, or
    (``check_state``) whose optimizer state is not finite: ``diverged`` is then True, and
    later rows are ``nan``. ``record(g, state, θ, hyper)``, if given (a fixed function),
    returns a dict of values per row (per step in a mini-batch run), returned as ``records``.

    >>> import lib, numpy as np
    >>> run = lib.optimize(lib.momentum(), lambda x: x @ x, np.array([1.0, -2.0]),
    ...                    hyper={"lr": 0.25, "momentum": 0.0}, steps=2)
    >>> run.points
    array([[ 1.  , -2.  ],
           [ 0.5 , -1.  ],
           [ 0.25, -0.5 ]])
    >>> import jax.numpy as jnp
    >>> x, t = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([2.0, 4.0, 6.0, 8.0])
    >>> loss = lambda w, x, t: 0.5 * jnp.mean((x @ w - t) ** 2)
    >>> run = lib.optimize(lib.adam(), loss, np.zeros(1), x, t, hyper={"lr": 0.05},
    ...                    batch_size=2, epochs=300)
    >>> run.params.round(2).tolist(), int(run.steps[-1])
    ([2.0], 600)
    """
    check_rule("rule", rule)
    if batch_size is None:
        for option, value, default in (("epochs", epochs, 1), ("key", key, 0), ("shuffle", shuffle, True),
                                       ("eval_every", eval_every, None)):
            if value is not default:
                raise ValueError(f"{option} is an option of a mini-batch run: give batch_size too")
        checked = check_run(f, x0, *args, steps=100 if steps is None else steps, max_norm=max_norm)
        return run_checked(rule, checked, hyper, record=record, check_state=check_state, name=name)
    if steps is not None:
        raise ValueError("steps is not an option of a mini-batch run: it has epochs × ⌈N/batch_size⌉ "
                         "steps; give epochs instead")
    hyper = check_hyper(hyper, rule)
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    return _minibatch_run(rule, f, x0, args, hyper, batch_size=batch_size, epochs=epochs, key=key,
                          shuffle=shuffle, eval_every=eval_every, max_norm=max_norm, record=record,
                          check_state=check_state, name=name)


def _minibatch_run(rule, f, x0, data, hyper, *, batch_size, epochs, key, shuffle, eval_every,
                   max_norm, record, check_state, name) -> MinibatchTrajectory:
    """Check the arguments of a mini-batch run, cut the epochs into batches, run the batched scan."""
    _validate.callable_("f", f)
    params = _validate.parameters("x0", x0)
    record = _check_record(record, rule, params, hyper)
    data = _validate.examples("args", data)
    n = int(data[0].shape[0])
    batch_size = _validate.batch_size("batch_size", batch_size, n)
    epochs = _validate.count("epochs", epochs, _validate.MAX_EPOCHS)
    shuffle = _validate.boolean("shuffle", shuffle)
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
    _validate.memory("the recorded points", (records + 1) * _validate.flat_size(params))
    index, mask = batch_indices(n, batch_size, epochs, key, shuffle)
    _validate.scalar_loss(f, params, data, name="x0", args_name="data")
    first_batch = tuple(a[:batch_size] for a in data)
    _validate.scalar_loss(f, params, first_batch, name="x0 (on a mini-batch)", evaluate=False)
    padded = n % batch_size != 0
    if padded:
        _validate.scalar_loss(f, params, tuple(a[:1] for a in data), name="x0 (on one example)",
                              evaluate=False)

    losses, norms, points, batch_losses, recorded, x_last, dead_at = _optimize_batches(
        rule, f, params, data, hyper, jnp.float64(max_norm),
        (jnp.asarray(index), jnp.asarray(mask)), batch_loss=_minibatch_loss(f, padded),
        every=eval_every, record=record, check_state=check_state, name=name)

    steps = np.minimum(np.arange(records + 1) * eval_every, total)
    dead_at = int(dead_at)
    _, unravel = ravel_pytree(params)
    return MinibatchTrajectory(
        np.asarray(points), np.asarray(losses), dead_at >= 0, dead_at if dead_at >= 0 else None,
        np.asarray(norms), None if record is None else jax.tree_util.tree_map(np.asarray, recorded),
        steps=steps, examples=examples_processed(steps, n, batch_size),
        batch_losses=np.asarray(batch_losses),
        params=jax.tree_util.tree_map(np.asarray, unravel(x_last)), batches_per_epoch=per_epoch)


# ------------------------------------------------------------------------------ descend, grid

def descend(f, x0, *args, lr, momentum=0.0, steps=100, nesterov=False, max_norm=1e8) -> Trajectory:
    r"""Run gradient descent with momentum on ``f(x, *args)`` from ``x0``.

    .. math::

        p_{k+1} = \mu p_k - \alpha \nabla f(\theta_k), \qquad \theta_{k+1} = \theta_k + p_{k+1},
        \qquad p_0 = 0 .

    The shortcut for ``optimize(momentum(nesterov), f, x0, *args, hyper={"lr": α,
    "momentum": μ}, steps=steps)``. ``lr`` is α > 0, ``momentum`` is μ ∈ [0, 1) (use
    :func:`optimize` for μ = 1). The run counts as diverged, and stops, at the first iterate
    that is not finite or leaves the ball ``‖θ‖ ≤ max_norm``; that row and all later rows are
    ``nan``. No warning is printed: ``Trajectory.diverged`` reports it.

    >>> import lib, numpy as np
    >>> run = lib.descend(lambda x: x @ x, np.array([1.0, -2.0]), lr=0.25, steps=2)
    >>> run.points
    array([[ 1.  , -2.  ],
           [ 0.5 , -1.  ],
           [ 0.25, -0.5 ]])
    >>> lib.descend(lambda x: x @ x, np.array([1.0]), lr=1.5, steps=100).diverged
    True
    """
    rule = rules.momentum(nesterov)
    lr = _validate.positive("lr", lr)
    mu = _validate.in_unit_interval("momentum", momentum)
    steps = _validate.count("steps", steps, _validate.MAX_STEPS)
    return optimize(rule, f, x0, *args, hyper={"lr": lr, "momentum": mu}, steps=steps,
                    max_norm=max_norm, check_state=False, name="descend")


class TrajectoryGrid(NamedTuple):
    """Runs for every (learning rate, momentum) pair: ``points[i, j]`` used ``lrs[i]``, ``momentums[j]``."""

    lrs: np.ndarray
    momentums: np.ndarray
    points: np.ndarray  #: (n_lr, n_momentum, steps + 1, n)
    losses: np.ndarray  #: (n_lr, n_momentum, steps + 1)
    diverged_at: np.ndarray  #: (n_lr, n_momentum) first nan row, or -1 if the run stayed finite


@partial(jax.jit, static_argnames=("rule", "f", "steps"))
def _optimize_grid(rule, f, x0, args, lrs, momentums, max_norm, *, steps):
    _TRACES["all"] += 1
    _TRACES["descend_grid"] += 1

    def one(lr, mu):
        return _scan(rule, f, x0, args, {"lr": lr, "momentum": mu}, max_norm, steps)[:2]

    over_momentum = jax.vmap(one, in_axes=(None, 0))
    return jax.vmap(over_momentum, in_axes=(0, None))(lrs, momentums)


def descend_grid(f, x0, *args, lrs, momentums=(0.0,), steps=100, nesterov=False,
                 max_norm=1e8) -> TrajectoryGrid:
    """:func:`descend` for every pair in ``lrs × momentums``, vectorised in one jitted call of the scan.

    Not a second driver: it is :func:`descend`'s scan under ``jax.vmap`` over the two
    hyper-parameters, which one call of :func:`optimize` cannot express (a run has one
    ``hyper``). A grid of 25 × 11 runs is one compiled program and one call instead of 275
    — what a learning-rate sweep and the explorers' map of rates need.
    """
    rule = rules.momentum(nesterov)
    checked = check_run(f, x0, *args, steps=steps, max_norm=max_norm)
    lrs = _validate.real_array("lrs", lrs).ravel()
    momentums = _validate.real_array("momentums", momentums).ravel()
    _validate.count("lrs", lrs.size, _validate.MAX_RUNS, what="values")
    _validate.count("momentums", momentums.size, _validate.MAX_RUNS, what="values")
    lrs = np.asarray([_validate.positive("lrs", v) for v in lrs])
    momentums = np.asarray([_validate.in_unit_interval("momentums", v) for v in momentums])
    _validate.memory("lrs × momentums × steps", lrs.size * momentums.size * (checked.steps + 1)
                     * (_validate.flat_size(checked.params) + 1))
    points, losses = _optimize_grid(rule, f, checked.params, checked.args, jnp.asarray(lrs),
                                    jnp.asarray(momentums), jnp.float64(checked.max_norm),
                                    steps=checked.steps)
    points, losses = np.asarray(points), np.asarray(losses)
    bad = np.isnan(losses)
    diverged_at = np.where(bad.any(axis=-1), bad.argmax(axis=-1), -1)
    return TrajectoryGrid(lrs, momentums, points, losses, diverged_at)
