"""The grading pieces that need no sandbox: the answers' JSON, the trusted scoring and its
slips, the gradebook and its CSV escaping, reading what a sandbox left behind."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from tools import assignments as asg
from tools.grading import answers as ans
from tools.grading import grade as grading
from tools.grading import sandbox
from tools.grading.gradebook import DANGEROUS, Gradebook, escape, unescape
from tools.grading.score import Grader, solution_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# ----- answers -----

@pytest.mark.parametrize("value", [None, True, 3, 2.5, "s1234", [1, 2.0, "a"], (1.0, [2.0])])
def test_plain_values_survive_the_round_trip(value):
    assert ans.decode(json.loads(json.dumps(ans.encode(value)))) == value


def test_arrays_nan_and_blanks_survive_the_round_trip():
    data = json.loads(json.dumps(ans.encode({"unused": 1}) and ans.encode(
        (np.arange(6.0).reshape(2, 3), np.float32(0.5), float("nan"), ...))))
    array, half, nan, blank = ans.decode(data)
    assert array.shape == (2, 3) and array[1, 2] == 5.0 and half == 0.5
    assert np.isnan(nan) and blank is Ellipsis


def test_objects_and_functions_come_back_only_as_markers():
    class Sneaky:
        def __eq__(self, other):
            return True

    assert isinstance(ans.decode(ans.encode(Sneaky())), ans.Unsupported)
    assert isinstance(ans.decode(ans.encode(lambda x: x)), ans.FunctionAnswer)


@pytest.mark.parametrize("data", [
    {"__class__": "os.system"}, {"array": [1, "x"], "shape": [2]}, {"array": [1.0], "shape": [3]},
    {"tuple": "abc"}, {"float": "1e999"}, {"array": [1.0], "shape": [-1]},
])
def test_decode_refuses_any_other_form(data):
    with pytest.raises(ValueError, match="answers:"):
        ans.decode(data)


def test_a_function_answer_replays_only_the_recorded_calls():
    args = (np.array([1.0, 2.0]), 0.1)
    fn = ans.FunctionAnswer("step", {ans.call_key(args): (np.array([0.5, 0.5]),),
                                     ans.call_key((np.zeros(2), 0.1)): ans.RaisedError("ZeroDivisionError")})
    assert fn(np.array([1.0, 2.0]), 0.1)[0].tolist() == [0.5, 0.5]
    with pytest.raises(AssertionError, match="inputs the grader did not run it on"):
        fn(np.array([1.0, 2.5]), 0.1)
    with pytest.raises(AssertionError, match="step raised ZeroDivisionError"):
        fn(np.zeros(2), 0.1)


def test_read_private_does_not_wait_on_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "answers.json")  # left by a notebook: opening it plainly blocks for ever
    assert sandbox.read_private(tmp_path / "answers.json") is None


def test_read_private_follows_no_link_and_refuses_a_huge_file(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"variables": {"x": 1}}')
    (tmp_path / "answers.json").symlink_to(secret)
    assert sandbox.read_private(tmp_path / "answers.json") is None
    assert sandbox.read_private(secret) == {"variables": {"x": 1}}
    (tmp_path / "big.json").write_text('{"x": "' + "a" * ans.MAX_BYTES + '"}')
    assert sandbox.read_private(tmp_path / "big.json") is None


# ----- scoring in the grader's process -----

@pytest.fixture(scope="module")
def graders():
    return {name: Grader(asg.load(name)) for name in ("learning-rates", "momentum")}


def _answers(env: dict, names) -> dict:
    return {"variables": {name: ans.encode(env[name]) for name in names if name in env}}


def test_the_solutions_answers_score_full_marks_outside_the_kernel(graders):
    grader = graders["momentum"]
    env = solution_env(grader.assignment, "s1")
    plan = grader.plan("s1")
    data = _answers(env, plan["variables"])
    data["calls"] = {name: [ans.encode(env[name](*ans.decode(args))) for args in calls]
                     for name, calls in plan["calls"].items()}
    results = grader.score("s1", data, plan)
    assert all(part["score"] == part["points"] for parts in results.values() for part in parts)
    # The same answers under another identifier: the variant's parts fail.
    other = grader.score("s2", data, plan)
    assert sum(part["score"] for parts in other.values() for part in parts) < grader.assignment.points


@pytest.mark.parametrize("wrong, slip", [
    (lambda lam, H: 1 / lam[-1], "the factor 2 is missing."),
    (lambda lam, H: 2 / np.max(np.diag(H)), "diagonal entries of H"),
    (lambda lam, H: 1.234, None),
])
def test_a_wrong_threshold_is_told_its_slip_and_nothing_else(graders, wrong, slip):
    grader = graders["learning-rates"]
    env = solution_env(grader.assignment, "s1")
    H = np.array(env["params"]["hessian"])
    env["threshold"] = wrong(np.linalg.eigvalsh(H), H)
    plan = {**grader.plan(None), "calls": {}}
    part = next(p for p in grader.score("s1", _answers(env, plan["variables"]), plan)["q3"]
                if p["name"] == "the threshold")
    assert part["score"] == 0
    if slip:
        assert "Likely slip" in part["message"] and slip in part["message"]
    else:
        assert part["message"].startswith("Not yet:") and "slip" not in part["message"]
    assert "rtol" not in part["message"] and "eigvalsh" not in part["message"]


# ----- the gradebook -----

@pytest.mark.parametrize("prefix", DANGEROUS)
def test_formula_cells_are_escaped_and_read_back(prefix):
    text = prefix + 'HYPERLINK("x")'
    assert escape(text) == "'" + text and unescape(escape(text)) == text
    assert escape("s1234") == "s1234" and escape(12.5) == "12.5"


def test_the_gradebook_merges_by_student_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "grades" / "gradebook.csv"
    book = Gradebook(path, ["student_id", "total"])
    book.put("alice", {"student_id": "alice", "total": 3})
    book.put("=bob", {"student_id": "=bob", "total": 1})
    again = Gradebook(path, ["student_id", "total"])
    again.put("carol", {"student_id": "carol", "total": 2})
    again.put("alice", {"student_id": "alice", "total": 4})
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["key"], row["total"]) for row in rows] == [("'=bob", "1"), ("alice", "4"), ("carol", "2")]
    assert os.listdir(path.parent) == ["gradebook.csv"]
    assert "=bob" in Gradebook(path, ["student_id", "total"]).rows


def test_the_default_gradebook_is_outside_build():
    path = grading.default_gradebook("momentum")
    assert path.parts[-3:] == ("grades", "momentum", "gradebook.csv") and "_build" not in path.parts


# ----- the sandbox's command line -----

def test_the_sandbox_command_isolates_and_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap", lambda: "/usr/bin/bwrap")
    hidden = tmp_path / "submissions"
    hidden.mkdir()
    cmd = sandbox.command(tmp_path / "work", ["python", "x.py"], hidden=[hidden], env={"HOME": "/tmp"},
                          memory=2**30)
    text = " ".join(cmd)
    assert cmd[:2] == ["prlimit", f"--as={2**30}"]
    for flag in ("--ro-bind / /", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
                 f"--tmpfs {hidden}", "--tmpfs /tmp", f"--bind {tmp_path / 'work'} {sandbox.WORK}"):
        assert flag in text, flag
    assert cmd[-3:] == ["--", "python", "x.py"]


def test_the_interpreter_stays_visible_where_the_sandbox_empties_its_folders(tmp_path):
    """A virtual environment in a checkout under /tmp, made from a Python under a home folder."""
    base = Path("/root/.pyenv/versions/3.11.7")
    venv = tmp_path / "checkout" / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / "pyvenv.cfg").write_text(f"home = {base}/bin\ninclude-system-site-packages = false\n")
    folders = sandbox.interpreter_folders(venv / "bin" / "python")
    assert venv in folders and base in folders
    assert all(any(f.is_relative_to(e) for e in sandbox.EMPTIED) for f in folders)
    if Path("/usr/bin/python3").exists():  # Debian's interpreter lies outside every emptied folder
        assert sandbox.interpreter_folders(Path("/usr/bin/python3")) == []
