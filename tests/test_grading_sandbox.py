"""A crafted class graded as `make grade` grades it: each notebook in its own bubblewrap sandbox.

One batch holds a correct notebook, a blank one, notebooks that forge otter's verdicts, patch
``lib``, attack the files around them, kill their parent, switch STUDENT_ID at run time, use
a CSV formula as identifier, or break with a SyntaxError; a second batch holds an endless
loop under a short time limit; then one student is regraded alone.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from tests.test_assignments import with_answers
from tools import assignments as asg
from tools.grading import grade as grading
from tools.grading import sandbox
from tools.grading.gradebook import DANGEROUS

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

NAME = "momentum"


def _notebook(built: Path, *, solution: bool, student: str, extra: dict[str, str] | None = None,
              replace: dict[str, str] | None = None):
    """A copy of the built notebook with STUDENT_ID set, answer cells replaced (``replace``:
    question → code) and cells inserted after the set-up cell (``extra``: tag → code)."""
    kind = "solution" if solution else "student"
    nb = with_answers(built / NAME / kind / f"{NAME}.ipynb", student, replace)
    at = next(i for i, cell in enumerate(nb.cells) if "setup" in cell.metadata.get("tags", [])) + 1
    nb.cells[at:at] = [nbformat.v4.new_code_cell(code) for code in (extra or {}).values()]
    for index, cell in enumerate(nb.cells):
        cell.id = f"c{index}"
    return nb


def _hashes(*paths: Path) -> dict[str, str]:
    found = {}
    for path in paths:
        for file in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
            found[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return found


def _rows(gradebook: Path) -> dict[str, dict]:
    with gradebook.open(newline="") as handle:
        return {Path(row["submission"]).stem or row["key"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The crafted class, graded once for the whole module."""
    tmp = tmp_path_factory.mktemp("class")
    built = tmp / "built"
    asg.build(NAME, out=built)
    submissions = tmp / "submissions"
    submissions.mkdir()
    beside = tmp / "beside.txt"
    beside.write_text("the instructor's file next to the submissions\n")
    zip_path = built / NAME / "autograder" / "autograder.zip"
    attack = f'''
import glob, os, pathlib
targets = [{str(submissions / "alice.ipynb")!r}, {str(zip_path)!r}, {str(beside)!r}]
targets += glob.glob({str(submissions)!r} + "/*") + glob.glob("/proc/*/cmdline")
for target in targets:
    try:
        pathlib.Path(target).write_text("overwritten")
    except OSError:
        pass
for target in [{str(tmp / "planted.txt")!r}, "/tmp/planted.txt", os.path.expanduser("~/planted.txt")]:
    try:
        pathlib.Path(target).write_text("planted")
    except OSError:
        pass
'''
    forge = '''
import json, pathlib
try:  # otter's verdicts: every test passes (in the sandbox otter is a stand-in without them)
    import otter.test_files.abstract_test as abstract
    abstract.TestFile.run = lambda self, *args, **kwargs: None
except ImportError:
    pass
pathlib.Path("results.json").write_text(json.dumps({"score": 12, "tests": []}))
pathlib.Path("answers.json").write_text(json.dumps({"variables": {"new_lr": 1.0}}))
run = {"error": None, "first_id": "forger", "first_id_seen": True, "timings": {}}
pathlib.Path("run.json").write_text(json.dumps(run))
'''
    patch_lib = '''
import numpy as np
import lib.teaching.grading, lib.teaching.checks, lib.teaching.variants
lib.teaching.grading.require_close = lambda *args, **kwargs: None
lib.teaching.checks.check_array = lambda *args, **kwargs: True
lib.teaching.variants.variant = lambda *args, **kwargs: {}
np.isclose = lambda *args, **kwargs: True
np.allclose = lambda *args, **kwargs: True
'''
    switch = ('exec("STUDENT_ID = " + repr("alice"))\n'
              'params = for_student(STUDENT_ID, "momentum")')
    notebooks = {
        "alice": _notebook(built, solution=True, student="alice"),
        "bob": _notebook(built, solution=False, student="bob"),
        "forger": _notebook(built, solution=False, student="forger", extra={"f": forge}),
        "patcher": _notebook(built, solution=False, student="patcher", extra={"p": patch_lib}),
        "attacker": _notebook(built, solution=False, student="attacker", extra={"a": attack}),
        "killer": _notebook(built, solution=True, student="killer",
                            extra={"k": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"}),
        "carol": _notebook(built, solution=True, student="carol", extra={"s": switch}),
        "formula": _notebook(built, solution=False, student="=HYPERLINK('http://evil.example','x')"),
        "broken": _notebook(built, solution=True, student="erin", replace={"q2": "optimal_lr = (1 +\n"}),
    }
    for stem, nb in notebooks.items():
        nbformat.write(nb, submissions / f"{stem}.ipynb")
    roster = tmp / "roster.csv"
    roster.write_text("student_id,name\nalice,A\nbob,B\ncarol,C\nerin,E\nfrank,F\n")
    gradebook = tmp / "grades" / "gradebook.csv"
    before = _hashes(submissions, built / NAME, beside)
    started = time.monotonic()
    grading.grade(NAME, submissions, roster=roster, gradebook=gradebook, jobs=2, built=built,
                  time_limit=240)
    first = _rows(gradebook)
    after_first = _hashes(submissions, built / NAME, beside)

    # A second batch, later: an endless loop, under a short limit.
    late = tmp / "late"
    late.mkdir()
    nbformat.write(_notebook(built, solution=True, student="dave", extra={"l": "while True:\n    pass"}),
                   late / "dave.ipynb")
    loop_started = time.monotonic()
    grading.grade(NAME, late, gradebook=gradebook, jobs=1, built=built, time_limit=20)
    loop_seconds = time.monotonic() - loop_started
    second = _rows(gradebook)
    return {"tmp": tmp, "built": built, "submissions": submissions, "gradebook": gradebook,
            "first": first, "second": second, "before": before, "after": after_first,
            "loop_seconds": loop_seconds, "seconds": time.monotonic() - started, "roster": roster}


def test_every_row_is_written(graded):
    rows = graded["first"]
    stems = {"alice", "bob", "forger", "patcher", "attacker", "killer", "carol", "formula", "broken"}
    assert stems <= set(rows)
    assert rows["frank"]["id_check"] == "no submission"


def test_the_correct_notebook_gets_full_marks_and_forgeries_nothing(graded):
    rows = graded["first"]
    assert float(rows["alice"]["total"]) == float(rows["alice"]["possible"]) == 12.0
    assert rows["alice"]["id_check"] == "ok" and not rows["alice"]["grading_error"]
    for stem in ("bob", "forger", "patcher", "attacker", "formula"):
        assert float(rows[stem]["total"]) == 0.0, (stem, rows[stem])
        assert not rows[stem]["grading_error"], (stem, rows[stem])  # each ran to its end


def test_no_file_outside_the_sandbox_changed(graded):
    assert graded["after"] == graded["before"]
    assert not (graded["tmp"] / "planted.txt").exists()


def test_a_notebook_that_kills_its_parent_costs_only_its_own_row(graded):
    row = graded["first"]["killer"]
    assert float(row["total"]) == 0.0 and row["grading_error"]


def test_a_run_time_identifier_switch_is_flagged(graded):
    row = graded["first"]["carol"]
    assert "changed after the first cell" in row["id_check"]
    assert "alice" in row["id_check"]  # the answers fit alice's variant, not carol's
    assert float(row["total"]) < 12.0


def test_no_csv_cell_starts_a_formula(graded):
    with graded["gradebook"].open(newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not [cell for cell in cells if cell.startswith(DANGEROUS)]
    assert graded["first"]["formula"]["student_id"].startswith("'=HYPERLINK")


def test_a_syntax_error_is_named_and_later_questions_get_nothing(graded):
    row = graded["first"]["broken"]
    assert "SyntaxError" in row["grading_error"] and row["grading_error"].startswith("cell ")
    assert float(row["q1"]) == 3.0 and float(row["q2"]) == 0.0 and float(row["q3"]) == 0.0
    feedback = next((graded["gradebook"].parent / "feedback").glob("erin-*.txt")).read_text()
    assert "SyntaxError" in feedback and "Not graded: your notebook stopped at cell" in feedback
    assert "require_close" not in feedback and "rtol" not in feedback  # no test source, no tolerance


def test_the_endless_loop_stops_at_its_limit_and_the_late_batch_keeps_the_first(graded):
    second = graded["second"]
    assert graded["loop_seconds"] < 20 + 30
    assert float(second["dave"]["total"]) < 12.0 and second["dave"]["grading_error"]
    for stem, row in graded["first"].items():
        assert second[stem] == row, stem


def test_regrading_one_student_changes_only_that_row(graded):
    gradebook = graded["gradebook"]
    before = _rows(gradebook)
    time.sleep(1.1)  # graded_at has a resolution of a second
    grading.grade(NAME, graded["submissions"], roster=graded["roster"], gradebook=gradebook, jobs=1,
                  built=graded["built"], student="alice", time_limit=240)
    after = _rows(gradebook)
    assert set(after) == set(before)
    changed = [stem for stem in after if after[stem] != before[stem]]
    assert changed == ["alice"]
    assert after["alice"]["graded_at"] != before["alice"]["graded_at"]
    assert after["alice"]["total"] == before["alice"]["total"]
    summary = (gradebook.parent / "summary.csv").read_text()
    assert "students_missing" in summary and (gradebook.parent / "summary.png").stat().st_size > 1000


def test_grading_without_bubblewrap_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.bwrap()
