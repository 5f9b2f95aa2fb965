"""Computational core of the book *Optimization in Deep Learning*.

Importing ``lib`` switches JAX to float64: every gradient, Hessian and
trajectory in the book is computed in double precision, so that a gradient
norm of 1e-10 means something.
"""

import jax

jax.config.update("jax_enable_x64", True)

# Subpackages by concept, lowest first (the import contract in pyproject.toml keeps each one
# importing only those below it): calculus (derivatives of a loss), models (losses, networks,
# data, surfaces), the optimizer modules, theory (what the book derives about the optimizers),
# teaching (self-checks, grading, glue) and explorer (anywidget; imported on demand, as
# ``from lib.explorer import Explorer``, so that the numerical core needs no front end).
# The optimizer modules are used as ``lib.<module>.<name>``; the others as ``lib.models.networks``.
from . import (  # noqa: E402
    adaptive,
    calculus,
    clipping,
    models,
    plotting,
    schedules,
    stochastic,
    teaching,
    theory,
)
from .calculus.critical import KINDS, CriticalPoint, classify_critical_point, escape_direction  # noqa: E402
from .calculus.dense import hessian_eigenvalues  # noqa: E402
from .calculus.derivatives import flatten, gradient, hessian  # noqa: E402
from .calculus.spectrum import hvp, spectral_density, top_eigenvalues  # noqa: E402
from .optimizers import (  # noqa: E402
    MomentumState,
    Rule,
    Trajectory,
    TrajectoryGrid,
    descend,
    descend_grid,
    momentum_init,
    momentum_step,
    optimize,
    trace_count,
)

__all__ = [
    "KINDS", "CriticalPoint", "classify_critical_point", "escape_direction",
    "flatten", "gradient", "hessian", "hessian_eigenvalues",
    "MomentumState", "Trajectory", "TrajectoryGrid", "descend", "descend_grid",
    "momentum_init", "momentum_step", "optimize", "Rule", "trace_count",
    "hvp", "spectral_density", "top_eigenvalues",
]

#: The book's package version, its one source: pyproject.toml reads it (setuptools ``attr:``), the
#: wheel and ``importlib.metadata.version("optbook-lib")`` report it, and a git tag ``v<version>``
#: publishes it (.github/workflows/book.yml). A notebook pins it with
#: ``pip install "optbook-lib @ git+<repository>@v<version>"``.
__version__ = "0.1.0"
