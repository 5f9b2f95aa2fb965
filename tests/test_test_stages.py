"""The test stages' parallel runs keep each test file on one worker, as their fixtures assume.

A module-scoped server (the Binder simulation's JupyterLab, the Colab kernel) must start once,
and the Binder fixture's postBuild installs into a shared venv, which two workers at once would
corrupt. The Makefile's ``--dist`` modes are run here on two small files with pytest-xdist.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TEST_FILE = '''
import os
import time

import pytest


@pytest.fixture(scope="module")
def server():
    with open(os.environ["STAGE_LOG"], "a") as log:
        log.write(f"setup {{__name__}} {{os.environ['PYTEST_XDIST_WORKER']}}\\n")


@pytest.mark.parametrize("k", range(6))
def test_k(server, k):
    time.sleep(0.1)
    with open(os.environ["STAGE_LOG"], "a") as log:
        log.write(f"test {{__name__}} {{os.environ['PYTEST_XDIST_WORKER']}}\\n")
'''


def dist_modes() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    modes = set(re.findall(r"\$\(call XDIST,(\w+)\)", makefile))
    assert modes, "the Makefile runs no stage with pytest-xdist"
    return modes


def run_stage(folder: Path, options: list[str], log: Path) -> list[list[str]]:
    """pytest with these options on the test files in ``folder``; the lines they logged, split."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *options, "-p", "no:cacheprovider",
         "--rootdir", str(folder), "-c", "/dev/null", str(folder)],
        cwd=folder, env={**os.environ, "STAGE_LOG": str(log)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line.split() for line in log.read_text().splitlines()]


def test_each_stage_runs_a_file_on_one_worker_with_its_module_fixture_set_up_once(tmp_path):
    for name in ("test_first", "test_second"):
        (tmp_path / f"{name}.py").write_text(TEST_FILE.format())
    for mode in sorted(dist_modes()):
        lines = run_stage(tmp_path, ["-n", "2", "--dist", mode], tmp_path / f"{mode}.log")
        for module in ("test_first", "test_second"):
            setups = [w for kind, m, w in lines if kind == "setup" and m == module]
            workers = {w for kind, m, w in lines if kind == "test" and m == module}
            assert len(setups) == 1 and len(workers) == 1, (mode, module, setups, workers)


SIZED_FILE = '''
import os
import time

import pytest


@pytest.mark.parametrize("k", range({count}))
def test_k(k):
    time.sleep(0.05)
    with open(os.environ["STAGE_LOG"], "a") as log:
        log.write(f"{{__name__}} {{os.environ['PYTEST_XDIST_WORKER']}}\\n")
'''


def browser_stage_options() -> list[str]:
    """The scheduling options of the Makefile's browser stage (``test-site``)."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test-site:.*\n\t(.*)$", makefile, re.M)[1]
    options = re.search(r"^BROWSER_SCHEDULE := (.*)$", makefile, re.M)[1].split()
    assert "$(call XDIST,loadfile) $(BROWSER_SCHEDULE)" in recipe, recipe
    return ["-n", "2", "--dist", "loadfile", *options]


def test_the_browser_stage_starts_the_chapter_executing_files_first_one_on_each_worker(tmp_path):
    """They take a third of the stage: left to the end on one worker, the other worker idles."""
    from tests.browser.conftest import LONGEST

    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.browser.conftest import pytest_collection_modifyitems  # noqa: F401\n")

    for name in LONGEST:  # fewer tests than the others, as in the real stage
        (tmp_path / f"{name}.py").write_text(SIZED_FILE.format(count=2))
    for name in ("test_pages", "test_phone", "test_explorers"):
        (tmp_path / f"{name}.py").write_text(SIZED_FILE.format(count=8))
    first = {}
    for module, worker in run_stage(tmp_path, browser_stage_options(), tmp_path / "order.log"):
        first.setdefault(worker, module)
    assert sorted(first.values()) == sorted(LONGEST), first
