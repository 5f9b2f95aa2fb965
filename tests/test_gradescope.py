"""The Gradescope autograder zip, run as Gradescope runs it, without Docker.

Each test lays out a folder as Gradescope's container has ``/autograder`` (the zip unpacked into
``source/``, ``run_autograder`` copied beside it, the upload in ``submission/``) and runs the real
``run_autograder`` as root, with ``AUTOGRADER_ROOT`` pointing at the folder. The notebook runs as
an unprivileged user made here (``optbook-student``); the results are read from
``results/results.json``. Crafted submissions try to forge their verdict: patch ``lib``, write
``results.json``, read the hidden tests, leave a process behind, kill their parent, loop forever.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests.test_assignments import with_answers
from tools import assignments as asg
from tools.grading import gradescope

# One worker for the whole file (the Makefile's --dist loadfile): every run
# ends by killing the student user's processes, which would stop a run of another test beside it.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

NAME = "momentum"
USER = "optbook-student"
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def _student_user() -> pwd.struct_passwd:
    if os.geteuid() != 0:
        pytest.skip("the Gradescope runner switches to an unprivileged user: needs root (as in "
                    "Gradescope's container)")
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        pytest.skip("useradd is missing: cannot make the unprivileged user the notebook runs as")
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell",
                    "/usr/sbin/nologin", USER], check=False, capture_output=True)
    return pwd.getpwnam(USER)


def _student_python(account) -> tuple[str, str]:
    """An interpreter the student's user can run with this environment's packages: this one, or
    (where it lives in a folder only root may enter, such as pyenv's under /root) the system's
    Python of the same version with this environment's site-packages on its path."""
    site = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    candidates = [(sys.executable, ""),
                  (f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}", site)]
    for python, extra in candidates:
        probe = [*gradescope._as_user(account.pw_uid, account.pw_gid), "env", "-i",
                 f"PYTHONPATH={extra}", python, "-c", "import jax, nbclient, ipykernel"]
        if Path(python).exists() and subprocess.run(probe, capture_output=True).returncode == 0:
            return python, extra
    pytest.skip("no Python with this environment's packages that the unprivileged user can run")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("built")
    asg.build(NAME, out=out)
    return out


@pytest.fixture(scope="module")
def setting(built):
    account = _student_user()
    python, site = _student_python(account)
    return {"built": built, "python": python, "site": site, "account": account,
            "bubblewrap": gradescope.bubblewrap_works(account.pw_uid, account.pw_gid)}


@pytest.fixture
def fake_root():
    """An empty folder to stand for /autograder, open to every user as Gradescope's is (pytest's
    own temporary folders are root's alone, which would hide the tests whatever the runner does)."""
    root = Path(tempfile.mkdtemp(prefix="optbook-autograder-", dir="/tmp"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def run_autograder(setting, root: Path, nb, *, mode: str = "auto", time_limit: float = 120,
                   upload_name: str = f"{NAME}.ipynb") -> tuple[dict, Path, float]:
    """Lay out a fake /autograder in ``root`` and run the zip's run_autograder there."""
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    with zipfile.ZipFile(setting["built"] / NAME / "autograder" / "autograder.zip") as archive:
        archive.extractall(root / "source")
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
    nbformat.write(nb, root / "submission" / upload_name)
    metadata = {"id": 1, "users": [{"email": "alice@example.org", "id": 7, "name": "Alice"}],
                "previous_submissions": [{"score": 3.0, "results": {"tests": [{"output": "hidden"}]}}]}
    (root / "submission_metadata.json").write_text(json.dumps(metadata))
    os.chmod(root / "submission_metadata.json", 0o644)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "OPTBOOK_PYTHON": sys.executable,
           "OPTBOOK_STUDENT_PYTHON": setting["python"], "OPTBOOK_STUDENT_SITE": setting["site"],
           "OPTBOOK_STUDENT_USER": USER, "OPTBOOK_SANDBOX": mode, "OPTBOOK_TIME_LIMIT": str(time_limit)}
    started = time.monotonic()
    done = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=time_limit + 120, cwd=root)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    (root / "log.txt").write_text(done.stdout)  # what Gradescope shows the instructor
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    return results, root, seconds


def validate(results: dict) -> None:
    """Gradescope's results.json: a score that is the sum of the tests', each test complete."""
    assert isinstance(results["output"], str) and isinstance(results["tests"], list)
    for test in results["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(test), test
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert 0 <= test["score"] <= test["max_score"], test
        assert test["visibility"] in VISIBILITY
    assert results["score"] == pytest.approx(sum(test["score"] for test in results["tests"]))


def _notebook(setting, *, solution: bool, student: str, extra: str = ""):
    kind = "solution" if solution else "student"
    nb = with_answers(setting["built"] / NAME / kind / f"{NAME}.ipynb", student)
    if extra:
        at = next(i for i, cell in enumerate(nb.cells) if "setup" in cell.metadata.get("tags", [])) + 1
        nb.cells.insert(at, nbformat.v4.new_code_cell(extra))
    for index, cell in enumerate(nb.cells):
        cell.id = f"c{index}"
    return nb


def _possible() -> float:
    return asg.load(NAME).points


def test_a_correct_notebook_gets_full_marks(setting, fake_root):
    results, root, _ = run_autograder(setting, fake_root, _notebook(setting, solution=True, student="alice"),
                                      upload_name="alice_momentum.ipynb")  # Gradescope keeps the file's name
    assert results["score"] == pytest.approx(_possible()) == sum(t["max_score"] for t in results["tests"])
    assert results["extra_data"]["sandbox"] == ("bubblewrap" if setting["bubblewrap"] else "user")
    assert results["extra_data"]["lib_version"] == asg.lib_version()
    assert results["extra_data"]["id_check"] == "ok" and not results["extra_data"]["grading_error"]
    assert {t["visibility"] for t in results["tests"]} == {"visible", gradescope.HIDDEN_VISIBILITY}
    # Only root may read the hidden tests, the results and the earlier submissions' results (the
    # zip unpacks readable by all).
    assert root.stat().st_mode & 0o005 == 0o005
    for name in ("source", "submission", "results", "submission_metadata.json"):
        assert (root / name).stat().st_mode & 0o077 == 0, name
    assert results["extra_data"]["uploaded_by"] == ["alice@example.org"]
    assert "STUDENT_ID 'alice' (ok), uploaded by alice@example.org" in (root / "log.txt").read_text()


def test_a_blank_notebook_gets_nothing(setting, fake_root):
    nb = nbformat.read(setting["built"] / NAME / "student" / f"{NAME}.ipynb", as_version=4)
    results, _, _ = run_autograder(setting, fake_root, nb)
    assert results["score"] == 0.0
    assert "blank" in results["output"]
    assert all(t["output"] for t in results["tests"])  # every part says why


FORGE = '''
import json, os, pathlib, subprocess, sys, time
ROOT = pathlib.Path({root!r})
OUTBOX = pathlib.Path({outbox!r})

def note(name, text):
    try:
        (OUTBOX / name).write_text(text)
    except OSError:
        pass

# 1. Read the hidden tests and solutions, and answer with them.
try:
    hidden = json.loads((ROOT / "source" / "grader.json").read_text())
    for question in hidden["questions"]:
        exec(question["given"] + "\\n" + question["solution"], globals())
    note("hidden", "read")
except OSError as err:
    note("hidden", type(err).__name__)
# 2. Patch the grading code in this kernel.
import numpy as np
import lib.teaching.grading, lib.teaching.variants
lib.teaching.grading.require_close = lambda *args, **kwargs: None
lib.teaching.variants.variant = lambda *args, **kwargs: {{}}
np.isclose = lambda *args, **kwargs: True
np.allclose = lambda *args, **kwargs: True
# 3. Write the verdict directly, now and from a process that outlives the notebook.
forged = json.dumps({{"score": 999.0, "tests": [], "output": "forged"}})
for target in [ROOT / "results" / "results.json", ROOT / "results.json"]:
    try:
        target.write_text(forged)
        note("results", "written")
    except OSError as err:
        note("results", type(err).__name__)
loop = {loop!r}
subprocess.Popen([sys.executable, "-c", loop], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.5)
'''


@pytest.mark.parametrize("mode", ["user", "bubblewrap"])
def test_a_forging_notebook_gets_nothing_and_cannot_change_the_results(setting, fake_root, mode):
    if mode == "bubblewrap" and not setting["bubblewrap"]:
        pytest.skip("bubblewrap cannot make its namespaces here as an unprivileged user")
    outbox = Path(tempfile.mkdtemp(prefix="optbook-outbox-", dir="/tmp"))  # where the user may write
    try:
        os.chmod(outbox, 0o777)
        root = fake_root
        forged = json.dumps({"score": 999.0, "tests": [], "output": "forged"})
        loop = ("import pathlib, time\n"
                "while True:\n"
                f"    pathlib.Path({str(outbox)!r}, 'heartbeat').write_text(repr(time.time()))\n"
                "    try:\n"
                f"        pathlib.Path({str(root)!r}, 'results', 'results.json').write_text({forged!r})\n"
                "    except OSError:\n"
                "        pass\n"
                "    time.sleep(0.1)\n")
        code = FORGE.format(root=str(root), outbox=str(outbox), loop=loop)
        nb = _notebook(setting, solution=False, student="mallory", extra=code)
        results, root, _ = run_autograder(setting, fake_root, nb, mode=mode)
        assert results["score"] == 0.0 and results["extra_data"]["sandbox"] == mode
        assert not results["extra_data"]["grading_error"]  # it ran to its end: the attacks just failed
        written = (root / "results" / "results.json").read_bytes()
        if mode == "user":  # the notebook shares /tmp with us: it reports what it could do
            assert (outbox / "hidden").read_text() == "PermissionError"
            assert (outbox / "results").read_text() == "PermissionError"
            beat = (outbox / "heartbeat").read_text()
            time.sleep(1.0)
            assert (outbox / "heartbeat").read_text() == beat  # the left-behind process is dead
        else:  # in bubblewrap the notebook sees its own /tmp: nothing comes out
            assert not list(outbox.iterdir())
        time.sleep(0.5)
        assert (root / "results" / "results.json").read_bytes() == written
        assert not (root / "results.json").exists()
        uid = setting["account"].pw_uid
        assert gradescope.kill_user(uid) == 0  # no process of the student's user is left
    finally:
        shutil.rmtree(outbox, ignore_errors=True)


def test_a_notebook_that_kills_its_parent_costs_only_its_own_grade(setting, fake_root):
    code = ("import os, signal\n"
            "for pid in [p for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()]:\n"
            "    try:\n"
            "        os.kill(int(pid), signal.SIGKILL)\n"
            "    except OSError:\n"
            "        pass\n"
            "os.kill(os.getppid(), signal.SIGKILL)\n")
    results, _, _ = run_autograder(setting, fake_root, _notebook(setting, solution=True, student="killer",
                                                                extra=code), mode="user")
    assert results["score"] == 0.0
    assert "did not run to the end" in results["output"] and results["extra_data"]["grading_error"]


def test_an_endless_loop_stops_at_its_limit(setting, fake_root):
    nb = _notebook(setting, solution=True, student="dave", extra="while True:\n    pass")
    results, _, seconds = run_autograder(setting, fake_root, nb, time_limit=15)
    assert seconds < 15 + 45  # the limit, the scorer's own work (loading lib, the plan)
    assert results["score"] < _possible()
    assert "time limit" in results["extra_data"]["grading_error"]


def test_no_notebook_in_the_upload_is_said_plainly(built, fake_root):
    root = fake_root
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    with zipfile.ZipFile(built / NAME / "autograder" / "autograder.zip") as archive:
        archive.extractall(root / "source")
    (root / "submission" / "notes.txt").write_text("no notebook")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "OPTBOOK_PYTHON": sys.executable}
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, check=True,
                   capture_output=True, timeout=120)
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    assert results["score"] == 0 and f"hand in {NAME}.ipynb" in results["output"]


def test_the_zip_pins_lib_as_built(built):
    zipped = built / NAME / "autograder" / "autograder.zip"
    with zipfile.ZipFile(zipped) as archive:
        record = json.loads(archive.read("build.json"))
        names = set(archive.namelist())
        lib_files = {n for n in names if n.startswith("code/lib/")}
        for name in lib_files:
            assert archive.read(name) == (asg.ROOT / name.removeprefix("code/")).read_bytes(), name
        for script in ("setup.sh", "run_autograder"):
            assert (archive.getinfo(script).external_attr >> 16) & 0o111, script  # executable
        requirements = archive.read("requirements.txt").decode()
    assert record == {"assignment": NAME, "lib_version": asg.lib_version()}
    assert {f"code/lib/{p.relative_to(asg.ROOT / 'lib')}" for p in (asg.ROOT / "lib").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts} == lib_files
    assert all("==" in line for line in requirements.splitlines() if line and not line.startswith("#"))
    digest = hashlib.sha256(zipped.read_bytes()).hexdigest()
    again = asg.autograder_zip(asg.load(NAME), built / "again", record["lib_version"])
    assert hashlib.sha256(again.read_bytes()).hexdigest() == digest  # the same sources, the same zip


@pytest.mark.parametrize("report", [None, [], {"timings": "x"}, {"timings": {"cells": "x", "total": "1"}},
                                    {"timings": {"cells": [{"seconds": "1", "tags": []}, 3], "total": 2.0}},
                                    {"timings": {"cells": 5, "total": True}}])
def test_a_malformed_timing_report_is_dropped_not_trusted(report):
    found = gradescope.kernel_timings(report)
    assert all(isinstance(value, float) for value in found.values())
    assert found.get("other_cells", 0.0) == 0.0
