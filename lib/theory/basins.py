r"""Basins of attraction: which minimum gradient descent reaches from each start.

The **basin of attraction** of a local minimum :math:`w^*` (for a given optimizer and its
hyper-parameters) is the set of starting points from which the optimizer converges to
:math:`w^*`. For gradient descent with heavy-ball momentum,

.. math::

    p_{k+1} = \mu p_k - \alpha \nabla f(w_k), \qquad w_{k+1} = w_k + p_{k+1}, \qquad p_0 = 0,

the basins depend on α and μ as well as on :math:`f`: a long step or a large velocity can carry
an iterate over the ridge between two minima.

:func:`basin_map` runs that update from every start of a grid at once, as **one** run of
:func:`lib.optimize`: the starts are stacked into one parameter vector, the loss is
:math:`F(W) = \sum_k f(W_k)`, whose gradient in row :math:`k` is :math:`\nabla f(W_k)`, and the
rule applies lib's momentum step (:func:`lib.momentum`) to every row. Since that
step acts entry by entry, each row follows exactly the run it would follow alone. A row whose
next iterate would leave the ball :math:`\lVert w \rVert \le` ``escape_norm`` (or stop being
finite) is frozen and counts as diverged, so that one diverging start does not stop the others.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate
from ..optim import Rule, momentum, optimize

__all__ = ["BasinMap", "basin_map", "DIVERGED", "UNDECIDED"]

#: Label of a start whose run left the ball ``‖w‖ ≤ escape_norm`` or stopped being finite.
DIVERGED = -2
#: Label of a start whose last iterate is within ``tol`` of no minimum (still travelling).
UNDECIDED = -1


class BasinMap(NamedTuple):
    """The outcome of :func:`basin_map` for ``K`` starts and ``M`` minima.

    ``labels[k]`` is the index of the minimum that start ``k`` reached (within ``tol``),
    :data:`UNDECIDED` (-1) if its last iterate is near none, :data:`DIVERGED` (-2) if the run
    left the ball; ``final_points[k]`` is that last iterate; ``fractions[m]`` the fraction of
    starts with label ``m`` (so ``1 - fractions.sum()`` did not settle at any minimum).
    """

    labels: np.ndarray  #: (K,) int
    final_points: np.ndarray  #: (K, n)
    fractions: np.ndarray  #: (M,)


class _FrozenState(NamedTuple):
    inner: object
    alive: jax.Array  #: (K,) bool


@functools.cache
def _per_start_rule(n: int) -> Rule:
    """lib's heavy-ball step on every row of a stack of ``n``-dimensional starts, with rows that
    would leave ``‖w‖ ≤ hyper["escape_norm"]`` frozen."""
    inner = momentum()

    def init(params):
        return _FrozenState(inner.init(params), jnp.ones(params.size // n, dtype=bool))

    def update(grads, state, params, hyper, loss):
        step, new_inner = inner.update(grads, state.inner, params, hyper, loss)
        rows = (params + step).reshape(-1, n)
        alive = (state.alive & jnp.all(jnp.isfinite(rows), axis=1)
                 & (jnp.linalg.norm(rows, axis=1) <= hyper["escape_norm"]))
        keep = jnp.repeat(alive, n)
        step = jnp.where(keep, step, 0.0)
        new_inner = jax.tree_util.tree_map(lambda v: jnp.where(keep, v, 0.0), new_inner)
        return step, _FrozenState(new_inner, alive)

    return Rule(init, update, "momentum per start", ("lr", "momentum", "escape_norm"))


def _record_alive(grads, state, params, hyper):
    """Which starts are still running (the rule's mask), recorded at every step."""
    return {"alive": state.alive}


@functools.cache
def _stacked(f, n: int):
    """:math:`F(W) = \\sum_k f(W_k)` for the flat stack ``W`` of ``n``-dimensional points."""

    def total(flat):
        return jnp.sum(jax.vmap(f)(flat.reshape(-1, n)))

    return total


def basin_map(f, minima, starts, *, lr, momentum=0.0, steps=200, tol=1e-3,
              escape_norm=1e3) -> BasinMap:
    r"""Label each start by the minimum that gradient descent with momentum reaches from it.

    Runs :math:`p \leftarrow \mu p - \alpha \nabla f(w)`, :math:`w \leftarrow w + p` for
    ``steps`` steps from each row of ``starts`` (all rows in one jitted run of
    :func:`lib.optimize`; see the module docstring), then gives start ``k`` the label
    ``m`` if its last iterate lies within ``tol`` of ``minima[m]`` (the nearest one),
    :data:`UNDECIDED` if it lies near none, and :data:`DIVERGED` if its run left the ball
    :math:`\lVert w \rVert \le` ``escape_norm`` or stopped being finite.

    Parameters
    ----------
    f : callable
        A loss of one point, ``f(w) -> scalar`` for ``w`` of shape ``(n,)``, written in JAX.
    minima : array-like of shape (M, n)
        The minima to tell apart (e.g. from :func:`lib.classify_critical_point`).
    starts : array-like of shape (K, n)
        The starting points.
    lr, momentum : float
        α > 0 and μ ∈ [0, 1).
    steps : int
        Steps per run.
    tol : float
        Distance within which a last iterate counts as having reached a minimum.
    escape_norm : float
        Radius of the ball outside which a run counts as diverged.

    >>> import numpy as np
    >>> double_well = lambda w: 0.25 * (w[0] ** 2 - 1) ** 2 + 0.5 * w[1] ** 2
    >>> basin_map(double_well, [[-1.0, 0.0], [1.0, 0.0]], [[-0.5, 1.0], [0.2, -1.0]],
    ...           lr=0.1, steps=300).labels
    array([0, 1])
    """
    _validate.callable_("f", f)
    starts = _validate.real_array("starts", starts)
    if starts.ndim != 2 or starts.shape[0] < 1 or starts.shape[1] < 1:
        raise ValueError(f"starts must have shape (K, n) with K, n >= 1, got {starts.shape}")
    k, n = starts.shape
    minima = _validate.real_array("minima", minima)
    if minima.ndim != 2 or minima.shape[0] < 1 or minima.shape[1] != n:
        raise ValueError(f"minima must have shape (M, {n}) to match starts (K, {n}), "
                         f"got {minima.shape}")
    if not (np.all(np.isfinite(starts)) and np.all(np.isfinite(minima))):
        raise ValueError("starts and minima must be finite")
    _validate.scalar_loss(f, starts[0], (), name="starts[0]")  # f of one point, not of the stack
    lr = _validate.positive("lr", lr)
    momentum = _validate.in_unit_interval("momentum", momentum)
    tol = _validate.positive("tol", tol)
    escape_norm = _validate.positive("escape_norm", escape_norm)
    if np.any(np.linalg.norm(starts, axis=1) > escape_norm):
        raise ValueError(f"every start must lie inside the ball of radius escape_norm = {escape_norm:g}")
    _validate.count("steps", steps, _validate.MAX_STEPS)
    _validate.memory("starts × steps", k * n * (steps + 1))
    run = optimize(_per_start_rule(n), _stacked(f, n), starts.ravel(),
                   hyper={"lr": lr, "momentum": momentum, "escape_norm": escape_norm},
                   steps=steps, max_norm=2.0 * escape_norm * np.sqrt(k), record=_record_alive,
                   check_state=False, name="basin_map")
    if run.diverged:  # every row stays inside its ball, so only a non-finite loss can stop the run
        raise ValueError(f"the loss stopped being finite at step {run.diverged_at} inside the ball "
                         f"of radius escape_norm = {escape_norm:g}; choose a smaller escape_norm")
    final = run.points[-1].reshape(k, n)
    distance = np.linalg.norm(final[:, None, :] - minima[None, :, :], axis=2)
    nearest = distance.argmin(axis=1)
    labels = np.where(distance[np.arange(k), nearest] <= tol, nearest, UNDECIDED)
    labels = np.where(run.records["alive"][-1], labels, DIVERGED)
    fractions = np.array([np.mean(labels == m) for m in range(minima.shape[0])])
    return BasinMap(labels.astype(int), final, fractions)
