"""lib's public surface after the split into subpackages: what ``import lib`` gives, and what it does not."""

import subprocess
import sys
from pathlib import Path

import pytest

import lib

ROOT = Path(__file__).resolve().parents[1]

# Modules that moved into a subpackage: lib.<name> is gone, lib.<subpackage>.<name> is the one path.
MOVED = {
    "calculus": ["critical", "critical_search", "dense", "derivatives", "gradient_noise", "minimize",
                 "spectrum", "step_analysis"],
    "models": ["activations", "datasets", "deep_chains", "networks", "normalization", "regression",
               "surfaces", "symbolic_surfaces", "weight_symmetry"],
    "theory": ["basins", "data_parallel", "noise_floor", "quadratic", "saddle_escape", "second_order",
               "sgd_stability", "tuning"],
    "teaching": ["checks", "glue", "grading", "update_checks", "variants"],
    "optim": ["clipping", "schedules", "minibatch"],
}

#: The optimizer modules that became lib.optim (its rules, driver, schedules, clipping, mini-batches).
GONE = ["optimizers", "adaptive", "stochastic"]


@pytest.mark.parametrize("package, name", [(p, n) for p, names in MOVED.items() for n in names])
def test_a_moved_module_has_one_path(package, name):
    module = __import__(f"lib.{package}.{name}", fromlist=["_"])
    assert module.__name__ == f"lib.{package}.{name}"
    assert not hasattr(lib, name), f"lib.{name} should be lib.{package}.{name}"
    assert not (ROOT / "lib" / f"{name}.py").exists()


def test_top_level_names_stay():
    for name in lib.__all__:
        assert callable(getattr(lib, name)) or name == "KINDS"
    assert lib.optim.__name__ == "lib.optim" and lib.optimize is lib.optim.driver.optimize
    assert lib.adam() is lib.optim.rules.adam() and lib.models.surfaces.ravine is not None


@pytest.mark.parametrize("name", GONE)
def test_the_old_optimizer_modules_are_gone(name):
    assert not hasattr(lib, name) and not (ROOT / "lib" / f"{name}.py").exists()


def test_import_lib_needs_no_front_end():
    code = "import sys, lib; print(sorted(m for m in ('anywidget', 'traitlets') if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "[]"

