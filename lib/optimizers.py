r"""Gradient descent with momentum, as one jitted ``lax.scan`` per run.

The update is built from a small composable piece in the style of optax: a
step rule with a NamedTuple state (:func:`momentum_init`, :func:`momentum_step`)
and a driver (:func:`descend`) that scans it. Hyper-parameters (learning rate
α, momentum μ) and the starting point enter the jitted function as traced
arrays, so new slider values never recompile; only a new loss function, a new
number of steps or a new Nesterov flag does. :func:`trace_count` exposes how
often the driver was traced, which the tests use to prove it.
"""

from __future__ import annotations

import collections
from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _validate

__all__ = ["MomentumState", "momentum_init", "momentum_step", "Trajectory", "descend",
           "descend_grid", "trace_count"]

_TRACES: collections.Counter = collections.Counter()


def trace_count(name: str = "descend") -> int:
    """How many times the jitted driver ``name`` has been traced (compiled)."""
    return _TRACES[name]


class MomentumState(NamedTuple):
    """State of the heavy-ball update: the velocity :math:`p`."""

    velocity: jax.Array


def momentum_init(params) -> MomentumState:
    """Zero velocity, shaped like the parameters."""
    return MomentumState(jax.tree_util.tree_map(jnp.zeros_like, params))


def momentum_step(grad, state: MomentumState, lr, momentum, nesterov: bool = False):
    r"""One heavy-ball step; returns ``(step, new_state)``; apply as ``θ ← θ + step``.

    .. math::

        p \leftarrow \mu p - \alpha \nabla f(\theta), \qquad \theta \leftarrow \theta + p .

    With ``momentum = 0`` this is plain gradient descent, :math:`\theta \leftarrow \theta - \alpha\nabla f(\theta)`.
    With ``nesterov=True`` the step is :math:`\mu p_{\text{new}} - \alpha \nabla f(\theta)`
    (Bengio et al.'s rewriting of Nesterov's method, the form optax uses): the
    iterate then tracks the look-ahead point :math:`\theta + \mu p` of Sutskever's form
    :math:`p \leftarrow \mu p - \alpha \nabla f(\theta + \mu p)`.
    """
    velocity = jax.tree_util.tree_map(lambda p, g: momentum * p - lr * g, state.velocity, grad)
    if nesterov:
        step = jax.tree_util.tree_map(lambda p, g: momentum * p - lr * g, velocity, grad)
    else:
        step = velocity
    return step, MomentumState(velocity)


class Trajectory(NamedTuple):
    """The iterates of one run.

    ``points[k]`` is :math:`\\theta_k` (flat), ``losses[k]`` is :math:`f(\\theta_k)`, for
    ``k = 0 … steps``. If the run blew up, ``diverged`` is True and every row from
    ``diverged_at`` on is ``nan``.
    """

    points: np.ndarray
    losses: np.ndarray
    diverged: bool
    diverged_at: Optional[int]


def _healthy(x, loss, max_norm):
    return jnp.all(jnp.isfinite(x)) & jnp.isfinite(loss) & (jnp.linalg.norm(x) <= max_norm)


def scan_updates(f, x0, args, init, update, max_norm, steps, record=None, check_state=False):
    r"""A whole run :math:`\theta_{k+1} = \theta_k + s_k`, :math:`(s_k, \sigma_{k+1}) = \text{update}(\nabla f(\theta_k), \sigma_k)`, as one scan.

    The shared driver of every optimizer in ``lib`` (pure; callers jit it).
    ``init(θ₀)`` gives the update rule's state σ₀; ``update(g, state)`` returns the
    step and the new state, with its hyper-parameters closed over as traced arrays.
    The run stops at the first iterate that is not finite or leaves the ball
    ``‖θ‖ ≤ max_norm`` (with ``check_state``, also at the first non-finite state,
    e.g. a velocity): it is frozen there and that row and every later row of
    ``(points, losses)`` is ``nan``. Parameters are flattened in ``ravel_pytree`` order.

    ``record(g, state)``, if given, returns a pytree of extra per-row values seen
    at :math:`\theta_k` (e.g. the gradient norm); they come back as a third output
    with ``steps + 1`` rows, masked like the points (``nan``, or ``False`` for
    booleans) once the run has stopped.
    """
    flat0, unravel = ravel_pytree(x0)

    def flat_loss(v):
        return f(unravel(v), *args)

    value_and_grad = jax.value_and_grad(flat_loss)
    nan_row = jnp.full_like(flat0, jnp.nan)

    def healthy(x, loss, state):
        ok = _healthy(x, loss, max_norm)
        if check_state:
            for leaf in jax.tree_util.tree_leaves(state):
                ok = ok & jnp.all(jnp.isfinite(leaf))
        return ok

    def masked(alive, g, state):
        if record is None:
            return ()
        return jax.tree_util.tree_map(
            lambda v: jnp.where(alive, v, False if v.dtype == jnp.bool_ else jnp.nan),
            record(g, state))

    def body(carry, _):
        x, state, alive = carry
        loss, g = value_and_grad(x)
        alive = alive & healthy(x, loss, state)
        step, new_state = update(g, state)
        # A dead run is frozen where it died: no further arithmetic on huge numbers.
        x_next = jnp.where(alive, x + step, x)
        row = (jnp.where(alive, x, nan_row), jnp.where(alive, loss, jnp.nan),
               masked(alive, g, state))
        state = jax.tree_util.tree_map(lambda new, old: jnp.where(alive, new, old), new_state, state)
        return (x_next, state, alive), row

    carry = (flat0, init(flat0), jnp.array(True))
    (x_last, state_last, alive), (points, losses, extras) = jax.lax.scan(body, carry, None,
                                                                         length=steps)
    loss_last, g_last = value_and_grad(x_last)
    alive = alive & healthy(x_last, loss_last, state_last)
    points = jnp.concatenate([points, jnp.where(alive, x_last, nan_row)[None]])
    losses = jnp.concatenate([losses, jnp.where(alive, loss_last, jnp.nan)[None]])
    if record is None:
        return points, losses
    extras = jax.tree_util.tree_map(lambda rows, last: jnp.concatenate([rows, last[None]]),
                                    extras, masked(alive, g_last, state_last))
    return points, losses, extras


def _trajectory(f, x0, args, lr, momentum, max_norm, steps, nesterov):
    """Gradient descent with momentum: :func:`scan_updates` with :func:`momentum_step`."""
    def update(g, state):
        return momentum_step(g, state, lr, momentum, nesterov)

    return scan_updates(f, x0, args, momentum_init, update, max_norm, steps)


@partial(jax.jit, static_argnames=("f", "steps", "nesterov"))
def _descend(f, x0, args, lr, momentum, max_norm, *, steps, nesterov):
    _TRACES["descend"] += 1  # runs only while tracing
    return _trajectory(f, x0, args, lr, momentum, max_norm, steps, nesterov)


@partial(jax.jit, static_argnames=("f", "steps", "nesterov"))
def _descend_grid(f, x0, args, lrs, momentums, max_norm, *, steps, nesterov):
    _TRACES["descend_grid"] += 1

    def one(lr, mu):
        return _trajectory(f, x0, args, lr, mu, max_norm, steps, nesterov)

    over_momentum = jax.vmap(one, in_axes=(None, 0))
    return jax.vmap(over_momentum, in_axes=(0, None))(lrs, momentums)


def _first_nan_row(losses):
    bad = np.flatnonzero(np.isnan(losses))
    return int(bad[0]) if bad.size else None


def _check_common(f, x0, args, steps, nesterov, max_norm):
    _validate.callable_("f", f)
    params = _validate.parameters("x0", x0)
    _validate.scalar_loss(f, params, args, name="x0")
    steps = _validate.positive_int("steps", steps)
    if not isinstance(nesterov, (bool, np.bool_)):
        raise TypeError(f"nesterov must be True or False, got {type(nesterov).__name__}")
    max_norm = _validate.positive("max_norm", max_norm)
    return params, steps, bool(nesterov), max_norm


def descend(f, x0, *args, lr, momentum=0.0, steps=100, nesterov=False, max_norm=1e8) -> Trajectory:
    r"""Run gradient descent with momentum on ``f(x, *args)`` from ``x0``.

    .. math::

        p_{k+1} = \mu p_k - \alpha \nabla f(\theta_k), \qquad \theta_{k+1} = \theta_k + p_{k+1},
        \qquad p_0 = 0 .

    ``lr`` is α > 0, ``momentum`` is μ ∈ [0, 1). The run counts as diverged, and
    stops, at the first iterate that is not finite or leaves the ball
    ``‖θ‖ ≤ max_norm``; that row and all later rows are ``nan``. No warning is
    printed: ``Trajectory.diverged`` reports it.

    >>> import lib, numpy as np
    >>> run = lib.descend(lambda x: x @ x, np.array([1.0, -2.0]), lr=0.25, steps=2)
    >>> run.points
    array([[ 1.  , -2.  ],
           [ 0.5 , -1.  ],
           [ 0.25, -0.5 ]])
    >>> lib.descend(lambda x: x @ x, np.array([1.0]), lr=1.5, steps=100).diverged
    True
    """
    params, steps, nesterov, max_norm = _check_common(f, x0, args, steps, nesterov, max_norm)
    lr = _validate.positive("lr", lr)
    momentum = _validate.in_unit_interval("momentum", momentum)
    points, losses = _descend(f, params, tuple(args), jnp.float64(lr), jnp.float64(momentum),
                              jnp.float64(max_norm), steps=steps, nesterov=nesterov)
    points, losses = np.asarray(points), np.asarray(losses)
    at = _first_nan_row(losses)
    return Trajectory(points, losses, at is not None, at)


class TrajectoryGrid(NamedTuple):
    """Runs for every (learning rate, momentum) pair: ``points[i, j]`` used ``lrs[i]``, ``momentums[j]``."""

    lrs: np.ndarray
    momentums: np.ndarray
    points: np.ndarray  #: (n_lr, n_momentum, steps + 1, n)
    losses: np.ndarray  #: (n_lr, n_momentum, steps + 1)
    diverged_at: np.ndarray  #: (n_lr, n_momentum) first nan row, or -1 if the run stayed finite


def descend_grid(f, x0, *args, lrs, momentums=(0.0,), steps=100, nesterov=False,
                 max_norm=1e8) -> TrajectoryGrid:
    """:func:`descend` for every pair in ``lrs × momentums``, vectorised in one jitted call."""
    params, steps, nesterov, max_norm = _check_common(f, x0, args, steps, nesterov, max_norm)
    lrs = np.atleast_1d(np.asarray([_validate.positive("lrs", v) for v in np.ravel(lrs)]))
    momentums = np.atleast_1d(np.asarray(
        [_validate.in_unit_interval("momentums", v) for v in np.ravel(momentums)]))
    points, losses = _descend_grid(f, params, tuple(args), jnp.asarray(lrs), jnp.asarray(momentums),
                                   jnp.float64(max_norm), steps=steps, nesterov=nesterov)
    points, losses = np.asarray(points), np.asarray(losses)
    bad = np.isnan(losses)
    diverged_at = np.where(bad.any(axis=-1), bad.argmax(axis=-1), -1)
    return TrajectoryGrid(lrs, momentums, points, losses, diverged_at)
