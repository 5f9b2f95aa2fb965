"""The import contract of lib (pyproject.toml, [tool.importlinter]) catches what it forbids.

``make lint`` runs ``lint-imports`` on the project; here it runs on a copy of lib into which one
forbidden import has been written, and must report that import as a broken contract.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_copy(tmp_path, module: str, line: str) -> subprocess.CompletedProcess:
    shutil.copytree(ROOT / "lib", tmp_path / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path = tmp_path / "lib" / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}  # the copy, not the installed lib
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
@pytest.mark.parametrize("module, line, broken", [
    ("calculus.dense", "from ..theory import quadratic", "lib.calculus.dense -> lib.theory.quadratic"),
    ("models.networks", "from ..optim import descend", "lib.models.networks -> lib.optim"),
    ("optim.driver", "from ..theory import quadratic", "lib.optim.driver -> lib.theory.quadratic"),
    ("teaching.checks", "from ..explorer import widget", "lib.teaching.checks -> lib.explorer.widget"),
    ("theory.quadratic", "import matplotlib", "lib.theory.quadratic -> matplotlib"),
])
def test_a_forbidden_import_breaks_the_contract(tmp_path, module, line, broken):
    run = _lint_copy(tmp_path, module, line)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "BROKEN" in run.stdout and broken in run.stdout, run.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_an_allowed_import_keeps_it(tmp_path):
    run = _lint_copy(tmp_path, "theory.quadratic", "from ..calculus import derivatives")
    assert run.returncode == 0, run.stdout + run.stderr
