"""Computational core of the book *Optimization in Deep Learning*.

Importing ``lib`` switches JAX to float64: every gradient, Hessian and
trajectory in the book is computed in double precision, so that a gradient
norm of 1e-10 means something.
"""

import jax

jax.config.update("jax_enable_x64", True)

# Subpackages by concept, lowest first (the import contract in pyproject.toml keeps each one
# importing only those below it): calculus (derivatives of a loss), models (losses, networks,
# data, surfaces), optim (optimizer rules, the driver, schedules, clipping, mini-batches), theory
# (what the book derives about the optimizers), teaching (self-checks, grading, glue) and explorer
# (anywidget; imported on demand, as ``from lib.explorer import Explorer``, so that the numerical
# core needs no front end). The optimizers chapters use most are re-exported here: ``lib.optimize``,
# ``lib.descend``, ``lib.adam()`` …; the rest as ``lib.optim.schedules``, ``lib.models.networks``.
from . import (  # noqa: E402
    calculus,
    models,
    optim,
    plotting,
    teaching,
    theory,
)
from .calculus.critical import KINDS, CriticalPoint, classify_critical_point, escape_direction  # noqa: E402
from .calculus.dense import hessian_eigenvalues  # noqa: E402
from .calculus.derivatives import flatten, gradient, hessian  # noqa: E402
from .calculus.spectrum import hvp, spectral_density, top_eigenvalues  # noqa: E402
from .optim import (  # noqa: E402
    MinibatchTrajectory,
    Rule,
    Trajectory,
    TrajectoryGrid,
    adagrad,
    adam,
    clipped,
    descend,
    descend_grid,
    momentum,
    newton,
    optimize,
    rmsprop,
    scheduled,
    sgd,
    trace_count,
)

__all__ = [
    "KINDS", "CriticalPoint", "classify_critical_point", "escape_direction",
    "flatten", "gradient", "hessian", "hessian_eigenvalues",
    "Rule", "sgd", "momentum", "adam", "rmsprop", "adagrad", "newton", "clipped", "scheduled",
    "optimize", "descend", "descend_grid", "Trajectory", "MinibatchTrajectory", "TrajectoryGrid",
    "trace_count",
    "hvp", "spectral_density", "top_eigenvalues",
]

#: The book's package version, its one source: pyproject.toml reads it (setuptools ``attr:``), the
#: wheel and ``importlib.metadata.version("optbook-lib")`` report it, and a git tag ``v<version>``
#: publishes it (.github/workflows/book.yml). A notebook pins it with
#: ``pip install "optbook-lib @ git+<repository>@v<version>"``.
__version__ = "0.1.0"
