r"""One optimizer protocol: a rule, a driver, a trajectory.

Every optimizer in ``lib`` is a :class:`Rule` in the style of optax, a pair of
pure functions

* ``init(params) -> state`` — the rule's state σ₀ for flat parameters θ₀;
* ``update(grads, state, params, hyper, loss) -> (step, new_state)`` — the step
  :math:`s_k` (applied as :math:`\theta_{k+1} = \theta_k + s_k`) from the gradient
  :math:`g_k = \nabla f(\theta_k)` of the step's loss, the state, the parameters
  :math:`\theta_k` themselves, the hyper-parameters ``hyper`` (a dict of traced
  arrays) and ``loss``, the flat loss function the step sees (a mini-batch's for
  SGD), so that a rule that needs more than the gradient — Newton's method
  needs the Hessian — can differentiate it again.

:func:`optimize` is the one driver: it runs any rule on ``f(x, *args)`` as one
jitted ``lax.scan``. The rule, the loss, the number of steps and the recorder
are compiled in; the starting point, the data and every hyper-parameter are
traced, so a new learning rate never recompiles (:func:`trace_count` counts the
compilations). Mini-batch SGD feeds its batches to the same driver
(``batches=``). A run that stops being finite or leaves the ball
``‖θ‖ ≤ max_norm`` is frozen and *flagged*: :class:`Trajectory` has
``diverged`` and ``diverged_at``, and its rows from ``diverged_at`` on are
``nan``; nothing is printed.

The rules: :func:`momentum_rule` (gradient descent, heavy ball, Nesterov;
:func:`descend`), :func:`lib.adaptive.adam_rule`, :func:`lib.adaptive.rmsprop_rule`,
:func:`lib.adaptive.adagrad_rule`, :func:`lib.clipping.clipped`
(a wrapper around any rule), :func:`lib.second_order.newton_rule` and
:func:`scheduled` (a learning-rate schedule around any rule; :func:`lib.stochastic.sgd`).
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _validate

__all__ = ["Rule", "optimize", "momentum_rule", "scheduled", "ScheduledState",
           "MomentumState", "momentum_init", "momentum_step", "Trajectory", "descend",
           "TrajectoryGrid", "descend_grid", "trace_count"]

_TRACES: collections.Counter = collections.Counter()


def trace_count(name: str = "descend") -> int:
    """How many times the jitted driver of ``name`` has been traced (compiled).

    ``name`` is the public function (``"descend"``, ``"adam"``, ``"sgd"``, …), or
    ``"optimize"`` for every run of the driver together.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    return _TRACES[name]


# ---------------------------------------------------------------------------------- the protocol

class Rule(NamedTuple):
    """An optimizer: ``init(params) -> state`` and ``update(grads, state, params, hyper, loss)``.

    ``update`` returns ``(step, new_state)``; the driver applies ``θ ← θ + step``.

    ``params`` and ``grads`` are flat float64 vectors; ``hyper`` is a dict of traced
    arrays; ``loss`` is the flat loss function of the current step. A rule is
    a static argument of the jitted driver, so build it once (the constructors
    in ``lib`` are cached): a new rule object compiles anew.
    """

    init: Callable
    update: Callable
    name: str = "rule"
    hyper: tuple = ()  #: the names of the hyper-parameters ``update`` reads from ``hyper``


class Trajectory(NamedTuple):
    r"""The iterates of one run of any optimizer.

    ``points[k]`` is :math:`\theta_k` (flat, ``ravel_pytree`` order) and ``losses[k]``
    is :math:`f(\theta_k)`, for ``k = 0 … steps`` (for :func:`lib.stochastic.sgd`:
    at the recorded steps ``steps[r]``, and ``points`` is ``None`` unless asked
    for). If the run blew up, ``diverged`` is True and every row from
    ``diverged_at`` on is ``nan``. ``extras`` holds optional per-step records of
    the optimizer (e.g. ``grad_norms``, ``velocities``); each is also an
    attribute: ``run.grad_norms`` is ``run.extras["grad_norms"]``.
    """

    points: np.ndarray | None
    losses: np.ndarray
    diverged: bool
    diverged_at: int | None
    extras: dict | None = None

    def __getattr__(self, name):
        extras = self.extras
        if extras is not None and name in extras:
            return extras[name]
        raise AttributeError(f"{type(self).__name__} has no attribute or extra {name!r}")


# ------------------------------------------------------------------------------ momentum (GD)

class MomentumState(NamedTuple):
    """State of the heavy-ball update: the velocity :math:`p`."""

    velocity: jax.Array


def momentum_init(params) -> MomentumState:
    """Zero velocity, shaped like the parameters (an array or pytree of finite real numbers)."""
    if not _validate.is_traced(params):
        params = _validate.parameters("params", params, any_shape=True)
    return MomentumState(jax.tree_util.tree_map(jnp.zeros_like, params))


def _momentum_step(grad, state, lr, momentum, nesterov):
    velocity = jax.tree_util.tree_map(lambda p, g: momentum * p - lr * g, state.velocity, grad)
    if nesterov:
        step = jax.tree_util.tree_map(lambda p, g: momentum * p - lr * g, velocity, grad)
    else:
        step = velocity
    return step, MomentumState(velocity)


def momentum_step(grad, state: MomentumState, lr, momentum, nesterov: bool = False):
    r"""One heavy-ball step; returns ``(step, new_state)``; apply as ``θ ← θ + step``.

    .. math::

        p \leftarrow \mu p - \alpha \nabla f(\theta), \qquad \theta \leftarrow \theta + p .

    With ``momentum = 0`` this is plain gradient descent,
    :math:`\theta \leftarrow \theta - \alpha\nabla f(\theta)`.
    With ``nesterov=True`` the step is :math:`\mu p_{\text{new}} - \alpha \nabla f(\theta)`
    (Bengio et al.'s rewriting of Nesterov's method, the form optax uses): the
    iterate then tracks the look-ahead point :math:`\theta + \mu p` of Sutskever's form
    :math:`p \leftarrow \mu p - \alpha \nabla f(\theta + \mu p)`. Outside ``jax.jit``
    the arguments are checked (``μ`` may be 1 here: no friction).
    """
    nesterov = _validate.boolean("nesterov", nesterov)
    if not isinstance(state, MomentumState):
        raise TypeError(f"state must be a MomentumState (from momentum_init), got {type(state).__name__}")
    if not _validate.is_traced((grad, state, lr, momentum)):
        grad = _validate.parameters("grad", grad, any_shape=True)
        _validate.same_structure("state", state.velocity, "grad", grad)
        lr = _validate.positive("lr", lr)
        momentum = _validate.in_closed_unit_interval("momentum", momentum)
    return _momentum_step(grad, state, lr, momentum, nesterov)


@functools.cache
def _momentum_rule(nesterov: bool) -> Rule:
    def update(grads, state, params, hyper, loss):
        return _momentum_step(grads, state, hyper["lr"], hyper["momentum"], nesterov)

    return Rule(lambda params: MomentumState(jnp.zeros_like(params)), update,
                "nesterov" if nesterov else "momentum", ("lr", "momentum"))


def momentum_rule(nesterov: bool = False) -> Rule:
    """Gradient descent with heavy-ball (or Nesterov) momentum; hyper ``{"lr": α, "momentum": μ}``."""
    return _momentum_rule(_validate.boolean("nesterov", nesterov))


class ScheduledState(NamedTuple):
    """State of :func:`scheduled`: the step count and the inner rule's state."""

    count: jax.Array
    inner: object


def scheduled(rule: Rule, schedule_fn: Callable) -> Rule:
    """``rule`` with its learning rate ``hyper["lr"] = schedule_fn(k, *hyper["schedule"])`` at step ``k``.

    ``schedule_fn`` is a :class:`lib.schedules.Schedule`'s ``fn`` (a module-level
    function); its numbers ``hyper["schedule"]`` are traced. Cached: the same pair
    gives the same rule, so the driver compiles once.
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"rule must be a lib.optimizers.Rule, got {type(rule).__name__}")
    if not callable(schedule_fn):
        raise TypeError(f"schedule_fn must be a callable schedule fn(k, *params), "
                        f"got {type(schedule_fn).__name__}")
    return _scheduled(rule, schedule_fn)


@functools.cache
def _scheduled(rule: Rule, schedule_fn: Callable) -> Rule:
    def init(params):
        return ScheduledState(jnp.asarray(0), rule.init(params))

    def update(grads, state, params, hyper, loss):
        lr = schedule_fn(state.count, *hyper["schedule"])
        step, inner = rule.update(grads, state.inner, params, dict(hyper, lr=lr), loss)
        return step, ScheduledState(state.count + 1, inner)

    hyper = tuple(name for name in rule.hyper if name != "lr") + ("schedule",)
    return Rule(init, update, f"scheduled {rule.name}", hyper)


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

    Returns ``(points, losses, extras)`` with ``steps + 1`` rows; ``extras`` is
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
               recorded(alive, g, state, x))
        state = jax.tree_util.tree_map(lambda new, old: jnp.where(alive, new, old), new_state, state)
        return (x_next, state, alive), row

    carry = (flat0, rule.init(flat0), jnp.array(True))
    (x_last, state_last, alive), (points, losses, extras) = jax.lax.scan(body, carry, None,
                                                                         length=steps)
    loss_last, g_last = value_and_grad(x_last)
    alive = alive & healthy(x_last, loss_last, state_last)
    points = jnp.concatenate([points, jnp.where(alive, x_last, nan_row)[None]])
    losses = jnp.concatenate([losses, jnp.where(alive, loss_last, jnp.nan)[None]])
    extras = jax.tree_util.tree_map(lambda rows, last: jnp.concatenate([rows, last[None]]),
                                    extras, recorded(alive, g_last, state_last, x_last))
    return points, losses, extras


def _scan_batches(rule, f, x0, args, hyper, max_norm, batches, batch_loss, every, keep_points,
                  record=None, check_state=False):
    r"""A run whose step ``k`` sees the loss ``batch_loss(params, args, batch_k)`` (pure).

    ``batches`` is a pytree whose leaves have one row per step. Every ``every``
    steps (and after the last) the full loss ``f(θ, *args)``, its gradient norm
    and (with ``keep_points``) θ are recorded. A step whose new iterate is not
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
        point = jnp.where(bad, jnp.full_like(x, jnp.nan), x) if keep_points else jnp.zeros(0)
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


@partial(jax.jit, static_argnames=("rule", "f", "steps", "record", "check_state", "name"))
def _optimize(rule, f, x0, args, hyper, max_norm, *, steps, record, check_state, name):
    _TRACES["optimize"] += 1  # runs only while tracing
    _TRACES[name] += 1
    return _scan(rule, f, x0, args, hyper, max_norm, steps, record, check_state)


@partial(jax.jit, static_argnames=("rule", "f", "batch_loss", "every", "keep_points", "record",
                                   "check_state", "name"))
def _optimize_batches(rule, f, x0, args, hyper, max_norm, batches, *, batch_loss, every,
                      keep_points, record, check_state, name):
    _TRACES["optimize"] += 1
    _TRACES[name] += 1
    return _scan_batches(rule, f, x0, args, hyper, max_norm, batches, batch_loss, every,
                         keep_points, record, check_state)


def _first_nan_row(losses):
    bad = np.flatnonzero(np.isnan(losses))
    return int(bad[0]) if bad.size else None


#: The range of each named hyper-parameter, checked entry by entry like the keyword arguments of
#: :func:`descend` and the adaptive optimizers: ``(low, high, low_included, high_included)``.
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


def _hyper_value(key, value):
    """One hyper-parameter as a float64 JAX array, finite and within :data:`HYPER_RANGES`."""
    name = f"hyper[{key!r}]"
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    array = _validate.real_array(name, value)
    if key in HYPER_RANGES and array.size:
        low, high, low_in, high_in = HYPER_RANGES[key]
        above = array >= low if low_in else array > low
        below = array <= high if high_in else array < high
        if not np.all(above & below):
            bad = float(array.ravel()[np.argmin(above & below)])
            interval = f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"
            raise ValueError(f"{name} must lie in {interval}, got {bad}")
    return jnp.asarray(array)


def _hyper(hyper, rule) -> dict:
    """``hyper`` as a dict of float64 JAX arrays (traced in the driver), checked finite and in range.

    Every name must be one the rule reads, when the rule lists them (a misspelt ``"Lr"``
    would otherwise be ignored);
    the named ones of :data:`HYPER_RANGES` are checked like keyword arguments (``lr > 0``,
    a momentum in [0, 1], …).
    """
    if not isinstance(hyper, dict):
        raise TypeError(f"hyper must be a dict of hyper-parameters, got {type(hyper).__name__}")
    missing = [name for name in rule.hyper if name not in hyper]
    if missing:
        raise ValueError(f"hyper lacks {missing}, which the rule {rule.name!r} needs "
                         f"(it reads {list(rule.hyper)})")
    out = {}
    for key, value in hyper.items():
        if not isinstance(key, str):
            raise TypeError(f"hyper keys must be strings, got {type(key).__name__}")
        if rule.hyper and key not in rule.hyper:
            raise ValueError(f"hyper[{key!r}] is not read by the rule {rule.name!r} "
                             f"(it reads {list(rule.hyper)})")
        if isinstance(value, tuple):
            out[key] = tuple(_hyper_value(key, v) for v in value)
        else:
            out[key] = _hyper_value(key, value)
    return out


def _check_run(f, x0, args, steps, max_norm, args_name="args"):
    _validate.callable_("f", f)
    params = _validate.parameters("x0", x0)
    args = _validate.data(args_name, args)
    _validate.scalar_loss(f, params, args, name="x0")
    steps = _validate.count("steps", steps, _validate.MAX_STEPS)
    max_norm = _validate.positive("max_norm", max_norm)
    return params, args, steps, max_norm


def optimize(rule: Rule, f, x0, *args, hyper: dict, steps: int = 100, max_norm=1e8, record=None,
             check_state: bool = True, name: str = "optimize") -> Trajectory:
    r"""Run the optimizer ``rule`` on ``f(x, *args)`` from ``x0`` for ``steps`` steps.

    .. math:: (s_k, \sigma_{k+1}) = \text{update}(\nabla f(\theta_k), \sigma_k, \theta_k, \text{hyper}, f),
              \qquad \theta_{k+1} = \theta_k + s_k, \qquad \sigma_0 = \text{init}(\theta_0).

    One jitted ``lax.scan``: ``rule``, ``f``, ``steps`` and ``record`` are
    compiled in; ``x0``, ``args`` and ``hyper`` (a dict of numbers or arrays)
    are traced. The run stops at the first iterate that is not finite, whose
    loss is not finite, that leaves ``‖θ‖ ≤ max_norm``, or (``check_state``)
    whose optimizer state is not finite: ``diverged`` is then True, and that
    row and every later one is ``nan``. ``record(g, state, θ, hyper)``, if given
    (a fixed function), returns a dict of per-row values that come back as
    ``Trajectory.extras``.

    >>> import lib, numpy as np
    >>> from lib.optimizers import optimize, momentum_rule
    >>> run = optimize(momentum_rule(), lambda x: x @ x, np.array([1.0, -2.0]),
    ...                hyper={"lr": 0.25, "momentum": 0.0}, steps=2)
    >>> run.points
    array([[ 1.  , -2.  ],
           [ 0.5 , -1.  ],
           [ 0.25, -0.5 ]])
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"rule must be a lib.optimizers.Rule, got {type(rule).__name__}")
    params, args, steps, max_norm = _check_run(f, x0, args, steps, max_norm)
    check_state = _validate.boolean("check_state", check_state)
    if record is not None:
        _validate.callable_("record", record)
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    points, losses, extras = _optimize(rule, f, params, args, _hyper(hyper, rule), jnp.float64(max_norm),
                                       steps=steps, record=record, check_state=check_state,
                                       name=name)
    losses = np.asarray(losses)
    at = _first_nan_row(losses)
    extras = None if record is None else jax.tree_util.tree_map(np.asarray, extras)
    return Trajectory(np.asarray(points), losses, at is not None, at, extras)


# ------------------------------------------------------------------------------ descend, grid

def descend(f, x0, *args, lr, momentum=0.0, steps=100, nesterov=False, max_norm=1e8) -> Trajectory:
    r"""Run gradient descent with momentum on ``f(x, *args)`` from ``x0``.

    .. math::

        p_{k+1} = \mu p_k - \alpha \nabla f(\theta_k), \qquad \theta_{k+1} = \theta_k + p_{k+1},
        \qquad p_0 = 0 .

    :func:`optimize` with :func:`momentum_rule`. ``lr`` is α > 0, ``momentum`` is
    μ ∈ [0, 1). The run counts as diverged, and stops, at the first iterate that
    is not finite or leaves the ball ``‖θ‖ ≤ max_norm``; that row and all later
    rows are ``nan``. No warning is printed: ``Trajectory.diverged`` reports it.

    >>> import lib, numpy as np
    >>> run = lib.descend(lambda x: x @ x, np.array([1.0, -2.0]), lr=0.25, steps=2)
    >>> run.points
    array([[ 1.  , -2.  ],
           [ 0.5 , -1.  ],
           [ 0.25, -0.5 ]])
    >>> lib.descend(lambda x: x @ x, np.array([1.0]), lr=1.5, steps=100).diverged
    True
    """
    rule = momentum_rule(nesterov)
    lr = _validate.positive("lr", lr)
    momentum = _validate.in_unit_interval("momentum", momentum)
    return optimize(rule, f, x0, *args, hyper={"lr": lr, "momentum": momentum}, steps=steps,
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
    _TRACES["optimize"] += 1
    _TRACES["descend_grid"] += 1

    def one(lr, mu):
        return _scan(rule, f, x0, args, {"lr": lr, "momentum": mu}, max_norm, steps)[:2]

    over_momentum = jax.vmap(one, in_axes=(None, 0))
    return jax.vmap(over_momentum, in_axes=(0, None))(lrs, momentums)


def descend_grid(f, x0, *args, lrs, momentums=(0.0,), steps=100, nesterov=False,
                 max_norm=1e8) -> TrajectoryGrid:
    """:func:`descend` for every pair in ``lrs × momentums``, vectorised in one jitted call of the driver."""
    rule = momentum_rule(nesterov)
    params, args, steps, max_norm = _check_run(f, x0, args, steps, max_norm)
    lrs = _validate.real_array("lrs", lrs).ravel()
    momentums = _validate.real_array("momentums", momentums).ravel()
    _validate.count("lrs", lrs.size, _validate.MAX_RUNS, what="values")
    _validate.count("momentums", momentums.size, _validate.MAX_RUNS, what="values")
    lrs = np.asarray([_validate.positive("lrs", v) for v in lrs])
    momentums = np.asarray([_validate.in_unit_interval("momentums", v) for v in momentums])
    _validate.memory("lrs × momentums × steps", lrs.size * momentums.size * (steps + 1)
                     * (_validate.flat_size(params) + 1))
    points, losses = _optimize_grid(rule, f, params, args, jnp.asarray(lrs), jnp.asarray(momentums),
                                    jnp.float64(max_norm), steps=steps)
    points, losses = np.asarray(points), np.asarray(losses)
    bad = np.isnan(losses)
    diverged_at = np.where(bad.any(axis=-1), bad.argmax(axis=-1), -1)
    return TrajectoryGrid(lrs, momentums, points, losses, diverged_at)
