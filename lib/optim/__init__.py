r"""Optimizers: rules, one driver, schedules, clipping and mini-batches.

An optimizer is a :class:`Rule` (``init``, ``update``; :mod:`lib.optim.rules`), built by a
constructor — :func:`sgd`, :func:`momentum`, :func:`adam`, :func:`rmsprop`, :func:`adagrad`,
:func:`newton` — or by a wrapper around another rule — :func:`clipped`, :func:`scheduled`.
:func:`optimize` (:mod:`lib.optim.driver`) runs any rule, full-batch or on mini-batches
(``batch_size=``), as one jitted ``lax.scan``, and returns a :class:`Trajectory`
(:class:`MinibatchTrajectory`). :func:`descend` is the shortcut for gradient descent with
momentum and :func:`descend_grid` runs it for a grid of learning rates and momenta.

>>> import lib, numpy as np
>>> run = lib.optimize(lib.adam(), lambda x: x @ x, np.array([1.0, -2.0]), hyper={"lr": 0.1}, steps=50)
>>> run.diverged, run.points.shape
(False, (51, 2))
"""

from . import clipping, minibatch, schedules
from .clipping import clipped
from .driver import (
    MinibatchTrajectory,
    Trajectory,
    TrajectoryGrid,
    descend,
    descend_grid,
    optimize,
    trace_count,
)
from .minibatch import batch_indices
from .rules import Rule, adagrad, adam, momentum, newton, rmsprop, scheduled, sgd
from .schedules import Schedule

__all__ = ["Rule", "sgd", "momentum", "adam", "rmsprop", "adagrad", "newton", "clipped", "scheduled",
           "optimize", "descend", "descend_grid", "Trajectory", "MinibatchTrajectory", "TrajectoryGrid",
           "trace_count", "Schedule", "batch_indices", "clipping", "minibatch", "schedules"]
