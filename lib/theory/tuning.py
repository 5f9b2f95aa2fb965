r"""Tuning the learning rate: the best α from a grid, for each momentum.

To compare optimizers fairly, each gets its own best learning rate. For heavy-ball
momentum (:func:`lib.descend_grid`) and every μ of a grid, the *cost* of a
setting (α, μ) is the number of steps until the loss first falls to
:math:`\mathrm{tolerance} \cdot E(\theta_0)` or below,

.. math:: k^*(\alpha, \mu) = \min\{k : E(\theta_k) \le \mathrm{tolerance}\cdot E(\theta_0)\},

and the tuned cost of μ is :math:`\min_\alpha k^*(\alpha, \mu)` over the grid of α. The
loss must have minimum value 0 for the relative target to mean "close to the minimum".
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate
from ..optim import descend_grid

__all__ = ["TunedMomentum", "tune_learning_rate"]


class TunedMomentum(NamedTuple):
    """Per momentum μ: the fewest steps to the target over the α grid, and the α that achieved it."""

    momentums: np.ndarray  #: the momenta μ, shape (M,)
    lrs: np.ndarray  #: the learning-rate grid, shape (A,)
    steps_to_target: np.ndarray  #: shape (A, M); ``steps + 1`` where a run never reached the target
    best_steps: np.ndarray  #: shape (M,): min over α; ``steps + 1`` if no α reached it
    best_lr: np.ndarray  #: shape (M,): the (smallest) α with ``best_steps``; NaN if none reached it
    steps: int  #: the step budget of every run
    target: float  #: the loss level ``tolerance * E(θ₀)``

    @property
    def reached(self) -> np.ndarray:
        """Shape (M,): whether some α of the grid reached the target within the budget."""
        return self.best_steps <= self.steps


def tune_learning_rate(f, x0, *args, lrs, momentums, steps=1000, tolerance=1e-6) -> TunedMomentum:
    r"""Heavy-ball momentum at its best learning rate from ``lrs``, for each μ in ``momentums``.

    Runs every pair of ``lrs × momentums`` for ``steps`` steps in one vectorised call of
    :func:`lib.descend_grid`, counts the steps :math:`k^*` until the loss is at
    most ``tolerance · f(x0)`` (a diverged run never gets there), and keeps, for each μ,
    the fewest. ``f`` must have minimum value 0 and ``f(x0) > 0``.

    >>> import numpy as np
    >>> from lib.theory.tuning import tune_learning_rate
    >>> tuned = tune_learning_rate(lambda w: 0.5 * w[0] ** 2, np.array([1.0]),
    ...                            lrs=[0.5, 1.0], momentums=[0.0], steps=5)
    >>> tuned.best_steps.tolist(), tuned.best_lr.tolist()   # α = 1/λ jumps to 0 in one step
    ([1], [1.0])
    """
    tolerance = _validate.positive("tolerance", tolerance)
    if tolerance >= 1:
        raise ValueError(f"tolerance must be below 1 (a fraction of the starting loss), got {tolerance}")
    grid = descend_grid(f, x0, *args, lrs=lrs, momentums=momentums, steps=steps)
    start = float(grid.losses[0, 0, 0])
    if not np.isfinite(start) or start <= 0:
        raise ValueError(f"f(x0) must be positive and finite for a relative target, got {start}")
    target = tolerance * start
    losses = grid.losses
    below = np.where(np.isfinite(losses), losses <= target, False)
    n_steps = losses.shape[-1] - 1
    first = np.where(below.any(axis=-1), below.argmax(axis=-1), n_steps + 1)
    best_steps = first.min(axis=0)
    best_index = first.argmin(axis=0)
    best_lr = np.where(best_steps <= n_steps, grid.lrs[best_index], np.nan)
    return TunedMomentum(grid.momentums, grid.lrs, first, best_steps, best_lr, n_steps, target)
