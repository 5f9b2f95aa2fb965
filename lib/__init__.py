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
    checks,
    datasets,
    deep_chains,
    dense,
    gradient_noise,
    networks,
    optim,
    plotting,
    quadratic,
    regression,
    second_order,
    spectrum,
    surfaces,
    tuning,
)
from .critical import KINDS, CriticalPoint, classify_critical_point, escape_direction  # noqa: E402
from .dense import hessian_eigenvalues  # noqa: E402
from .derivatives import flatten, gradient, hessian  # noqa: E402
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
from .spectrum import hvp, spectral_density, top_eigenvalues  # noqa: E402

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
