"""Computational core of the book *Optimization in Deep Learning*.

Importing ``lib`` switches JAX to float64: every gradient, Hessian and
trajectory in the book is computed in double precision, so that a gradient
norm of 1e-10 means something.
"""

import jax

jax.config.update("jax_enable_x64", True)

# Topic modules, used as ``lib.<module>.<name>``; ``lib.explorers`` (anywidget) is
# imported on demand so that the numerical core does not need a front end.
from . import (  # noqa: E402
    activations,
    adaptive,
    checks,
    clipping,
    datasets,
    deep_chains,
    dense,
    gradient_noise,
    networks,
    plotting,
    quadratic,
    regression,
    schedules,
    second_order,
    spectrum,
    stochastic,
    surfaces,
    tuning,
)
from .critical import KINDS, CriticalPoint, classify_critical_point, escape_direction  # noqa: E402
from .dense import hessian_eigenvalues  # noqa: E402
from .derivatives import flatten, gradient, hessian  # noqa: E402
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
from .spectrum import hvp, spectral_density, top_eigenvalues  # noqa: E402

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
