"""The gradable assignments: variants per student, the notebooks, and grading.

The assignments are built once per module into a temporary folder. The fast tests call the
autograder's test functions in-process; the slow ones grade real notebooks, each in its
bubblewrap sandbox, through ``tools.assignments.grade``, as ``make grade`` does (the crafted,
hostile class is in ``test_grading_sandbox.py``).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from lib.teaching import variants
from tools import assignments as asg
from tools.grading import grade as grading
from tools.grading.score import solution_env

NAMES = asg.names()
# otter-grader imports a traitlets API that traitlets deprecates: not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore:Traits should be given as instances:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:The inplace keyword")]  # otter's use of pandas
OTHER_ID = "s7654321"  # a neighbour of asg.EXAMPLE_ID


def test_the_three_first_assignments_exist():
    assert {"critical-points", "momentum", "learning-rates"} <= set(NAMES)
    assert set(NAMES) <= set(variants.ASSIGNMENTS)


# ----- lib.teaching.variants -----

def test_a_variant_is_stable_across_processes_and_versions():
    # A golden value: if the derivation changes, submitted notebooks would be graded for other numbers.
    assert variants.variant("s1234", "momentum") == {
        "plain_lr": 0.02, "new_momentum": 0.98, "velocity_fraction": 0.99,
        "lambda_min": 0.1, "lambda_max": 20.0, "error_digits": 10,
        "hb_lr": 0.01, "hb_momentum": 0.5, "hb_start": (-1.0, 0.5)}


def test_identifiers_are_compared_without_spaces_and_case():
    assert variants.variant(" S1234 ", "momentum") == variants.variant("s1234", "momentum")


@pytest.mark.parametrize("name", NAMES)
def test_neighbours_get_different_parameters(name):
    # Tens of thousands of combinations: two of these 30 students sharing one is unlikely (and
    # would only mean that they share their numbers; the autograder still grades each for their own).
    ids = [f"s{1000 + i}" for i in range(30)]
    drawn = [json.dumps(variants.variant(student, name), sort_keys=True) for student in ids]
    assert len(set(drawn)) == len(ids)
    assert variants.variant(asg.EXAMPLE_ID, name) != variants.variant(OTHER_ID, name)


@pytest.mark.parametrize("bad, error, words", [
    (None, TypeError, "student_id must be a string"),
    (1234, TypeError, "student_id must be a string"),
    ("", variants.StudentIdError, "student_id is blank"),
    ("   ", variants.StudentIdError, "student_id is blank"),
    ("x" * 101, variants.StudentIdError, "student_id must have at most 100"),
    ("s12\n34", variants.StudentIdError, "student_id must not contain control"),
])
def test_bad_identifiers_are_refused_naming_the_argument(bad, error, words):
    with pytest.raises(error, match=words):
        variants.variant(bad, "momentum")


def test_an_unknown_assignment_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"assignment must be one of \('critical-points'"):
        variants.variant("s1234", "momentun")


def test_a_blank_identifier_shows_a_message_not_a_traceback():
    error = variants.StudentIdError("student_id is blank: ...")
    assert error._render_traceback_() == ["STUDENT_ID needed: student_id is blank: ..."]


@pytest.mark.parametrize("student", [f"s{i}" for i in range(40)])
def test_every_critical_points_variant_is_well_posed(student):
    p = variants.variant(student, "critical-points")
    a, b, c = p["quadratic_a"], p["quadratic_b"], p["quadratic_c"]
    assert b * b != 4 * a * c  # a non-singular Hessian: the second-order test decides


# ----- building -----

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    book = asg.pn.Book.load(asg.ROOT)
    for name in NAMES:
        asg.build(name, book, out=out)
    return out


def test_the_build_is_reproducible(built, tmp_path):
    again = asg.build("momentum", out=tmp_path)
    for kind in ("student", "solution"):
        for path in (built / "momentum" / kind).rglob("*"):
            if path.is_file():
                assert path.read_bytes() == (again / kind / path.relative_to(built / "momentum" / kind)
                                             ).read_bytes(), path


@pytest.mark.parametrize("name", NAMES)
def test_the_outputs_are_there(built, name):
    folder = built / name
    assert (folder / "student" / f"{name}.ipynb").exists()
    assert (folder / "solution" / f"{name}.ipynb").exists()
    with zipfile.ZipFile(folder / "autograder" / "autograder.zip") as zipped:
        assert {"run_autograder", "setup.sh", "requirements.txt", "build.json", "grader.json",
                "code/lib/__init__.py", "code/lib/teaching/variants.py", "code/lib/teaching/grading.py",
                "code/tools/grading/extract.py", "code/tools/grading/score.py"} <= set(zipped.namelist())
        requirements = zipped.read("requirements.txt").decode()
        hidden = json.loads(zipped.read("grader.json"))
    assert "jax==" in requirements and "otter-grader==" in requirements  # what Gradescope installs
    assert [q["name"] for q in hidden["questions"]] == [q.name for q in asg.load(name).questions]


@pytest.mark.parametrize("name", NAMES)
def test_questions_come_from_the_chapter(built, name):
    assignment = asg.load(name)
    source = (asg.ROOT / "chapters" / f"{assignment.chapter}.md").read_text()
    for question in assignment.questions:
        # The prompt's first words are the exercise's (roles converted, so compare plain words).
        words = re.findall(r"[A-Za-z]{4,}", question.prompt)[:6]
        assert all(word in source for word in words), (question.name, words)


def _secret_lines(assignment) -> set[str]:
    """Lines only the solution or the hidden tests contain (long enough to be distinctive)."""
    public = "\n".join(question.scaffold + "\n" + question.given + "\n" + question.prompt
                       for question in assignment.questions)
    public += asg.TEST_PREAMBLE + asg._setup_cell(assignment, asg.pn.Book.load(asg.ROOT))
    secret = set()
    for question in assignment.questions:
        hidden_code = "\n".join(case.code for case in question.cases if not case.public)
        for text in (question.solution, question.helpers, hidden_code, question.book_solution):
            for line in text.splitlines():
                line = line.strip()
                if len(line) > 12 and line not in public and not line.startswith("#"):
                    secret.add(line)
    return secret


@pytest.mark.parametrize("name", NAMES)
def test_no_solution_and_no_hidden_test_in_the_students_files(built, name):
    assignment = asg.load(name)
    secret = _secret_lines(assignment)
    assert len(secret) > 10
    student = built / name / "student"
    for path in student.rglob("*"):
        if path.is_file():
            text = path.read_text()
            if path.suffix == ".ipynb":  # the JSON, and the cells' text as a student sees it
                text += "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
            leaked = [line for line in secret if line in text]
            assert not leaked, (path, leaked[:3])
            assert "hidden=True" not in text
    assert [p.name for p in (student / "tests").iterdir()] and not (student / "autograder.zip").exists()
    with zipfile.ZipFile(built / name / f"{name}-student.zip") as archive:  # what the LMS hands out
        assert sorted(archive.namelist()) == sorted(
            f"{name}/{path.relative_to(student)}" for path in student.rglob("*") if path.is_file())


# ----- the autograder's tests, in-process -----

def _load_tests(path: Path):
    spec = importlib.util.spec_from_file_location(f"otter_test_{path.parent.parent.parent.name}_{path.stem}",
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cases(module):
    return [value for value in vars(module).values() if type(value).__name__ == "test_case"]


def solved(name: str, student: str) -> dict:
    """The solution notebook's variables for a student, computed in-process (no kernel)."""
    return solution_env(asg.load(name), student)


def score(built: Path, name: str, env: dict) -> tuple[float, float, list[str]]:
    got, possible, messages = 0.0, 0.0, []
    for path in sorted((built / name / "autograder" / "tests").glob("*.py")):
        for case in _cases(_load_tests(path)):
            possible += case.points
            try:
                case.call_func(env)
                got += case.points
            except AssertionError as err:
                messages.append(str(err))
    return got, possible, messages


@pytest.mark.parametrize("name", NAMES)
def test_each_solution_passes_only_its_own_variants_hidden_tests(built, name):
    mine, neighbours = solved(name, asg.EXAMPLE_ID), solved(name, OTHER_ID)
    got, possible, messages = score(built, name, mine)
    assert got == possible, messages
    copied = {**neighbours, "STUDENT_ID": asg.EXAMPLE_ID}  # the neighbour's answers under my id
    got, possible, messages = score(built, name, copied)
    assert got < possible and messages


@pytest.mark.parametrize("name", NAMES)
def test_public_tests_pass_on_the_solution_and_cannot_see_the_variant(built, name):
    env = solved(name, asg.EXAMPLE_ID)
    for path in sorted((built / name / "student" / "tests").glob("*.py")):
        module = _load_tests(path)
        assert not hasattr(module, "expected")
        for case in _cases(module):
            assert not case.hidden
            case.call_func(env)


def test_an_implement_question_gives_partial_credit_with_the_checks_diagnosis(built):
    def no_friction(theta, velocity, grad, lr, momentum):  # a typical slip: p <- p - lr * grad
        velocity = velocity - lr * grad
        return theta + velocity, velocity

    env = {**solved("momentum", asg.EXAMPLE_ID), "heavy_ball_step": no_friction}
    got, messages = {}, []
    for case in _cases(_load_tests(built / "momentum" / "autograder" / "tests" / "q3.py")):
        try:
            case.call_func(env)
            got[case.name] = case.points
        except AssertionError as err:
            got[case.name], messages = 0.0, [*messages, str(err)]
    assert got == {"heavy_ball_step returns (theta, velocity)": 0.5, "the first step, from rest": 1.0,
                   "six steps with your settings": 0.0}
    assert "friction" in messages[0] and messages[0].startswith("Not yet:")


def test_a_test_file_refuses_a_public_test_that_uses_hidden_helpers():
    assignment = asg.load("momentum")
    question = assignment.questions[0]
    question.cases[0].code = "assert new_lr == expected(STUDENT_ID)[0]\n"
    with pytest.raises(ValueError, match="public test cannot use the hidden helpers"):
        asg.test_file(assignment, question, public_only=True)


def test_config_errors_name_the_file_and_question(tmp_path, monkeypatch):
    (tmp_path / "broken.yml").write_text(
        "title: T\nchapter: momentum\nquestions:\n  - exercise: ex-momentum-nope\n"
        "    scaffold: x = ...\n    solution: x = 1\n    tests: [{code: assert x == 1, points: 1}]\n")
    monkeypatch.setattr(asg, "CONFIGS", tmp_path)
    with pytest.raises(ValueError, match="broken.yml: question 1: no exercise labelled 'ex-momentum-nope'"):
        asg.load("broken")
    with pytest.raises(ValueError, match="name: no assignments/missing.yml"):
        asg.load("missing")


def test_grader_requirements_pin_libs_dependencies():
    lines = [line for line in asg.grader_requirements().splitlines() if not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+", line) for line in lines), lines
    assert {line.split("==")[0] for line in lines} >= {"jax", "jaxlib", "numpy", "scikit-learn"}


@pytest.mark.parametrize("source, expected", [
    ('STUDENT_ID = " s42 "  # mine', "s42"),
    ('STUDENT_ID: str = "s42"', "s42"),
    ('STUDENT_ID = "".join(["s", "42"])', None),  # not a literal: the run-time value decides
    ("x = 1", None),
])
def test_first_cell_id_reads_the_literal(source, expected):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    assert grading.first_cell_id(nb) == expected


def test_the_install_line_names_the_exact_version():
    book = asg.pn.Book.load(asg.ROOT)
    cell = asg._setup_cell(asg.load("momentum"), book, version="0" * 40)
    assert f'"lib": "optbook-lib @ git+{book.package.split("git+")[1].rsplit("@", 1)[0]}@{"0" * 40}"' in cell
    assert "@main" not in cell
    assert re.fullmatch(r"[0-9a-f]{40}|\d+\.\d+\.\d+", asg.lib_version())


def test_a_failed_install_stops_with_one_message(tmp_path):
    import subprocess
    import sys

    cell = asg._setup_cell(asg.load("momentum"), asg.pn.Book.load(asg.ROOT), version="0" * 40)
    install = cell.split("\nimport jax.numpy")[0]
    install = re.sub(r"NEEDED = \{.*\}", 'NEEDED = {"no_such_module_xyz": "no-such-package-xyz==0"}', install)
    (tmp_path / "cell.py").write_text(install)
    ipython = Path(sys.executable).with_name("ipython")
    done = subprocess.run([str(ipython), "--quick", "--no-banner", "--colors=NoColor", "-c",
                           f"exec(open({str(tmp_path / 'cell.py')!r}).read())"],
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PIP_NO_INDEX": "1", "HOME": str(tmp_path)})
    output = done.stdout + done.stderr
    assert "Could not install what this assignment needs (no-such-package-xyz==0)" in output
    assert "Traceback" not in output and "CalledProcessError" not in output


# ----- grading real notebooks, each in its sandbox, as make grade does -----

def with_answers(notebook_path: Path, student: str, answers: dict[str, str] | None = None):
    """A copy of a built notebook with STUDENT_ID set and some questions' answer cells replaced."""
    nb = nbformat.read(notebook_path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "student-id" in tags:
            cell.source = f'STUDENT_ID = "{student}"'
        for question, code in (answers or {}).items():
            if "answer" in tags and question in tags:
                cell.source = code
    return nb


def typed_answers(assignment, student: str) -> dict[str, str]:
    """Answer cells holding a student's right answers as literal numbers (no code)."""
    env = solved(assignment.name, student)
    return {question.name: "\n".join(f"{variable} = {np.asarray(env[variable]).tolist()!r}"
                                      for variable in sorted(asg._defined(question.scaffold)))
            for question in assignment.questions}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_make_grade_grades_blank_mistaken_and_right_notebooks(built, name, tmp_path):
    assignment = asg.load(name)
    mistake = assignment.mistake
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    solution = built / name / "solution" / f"{name}.ipynb"
    (submissions / "blank.ipynb").write_bytes((built / name / "student" / f"{name}.ipynb").read_bytes())
    nbformat.write(with_answers(solution, asg.EXAMPLE_ID, {mistake["question"]: mistake["code"]}),
                   submissions / "mistake.ipynb")
    nbformat.write(with_answers(solution, OTHER_ID), submissions / "right.ipynb")
    if name == "critical-points":  # a neighbour's answers, typed in as numbers under one's own id
        nbformat.write(with_answers(solution, asg.EXAMPLE_ID, typed_answers(assignment, OTHER_ID)),
                       submissions / "copied.ipynb")
        # Neither stops the batch: otter refuses both before running anything.
        (submissions / "corrupt.ipynb").write_text("{not a notebook")
        (submissions / "other-assignment.ipynb").write_bytes(
            (built / "momentum" / "student" / "momentum.ipynb").read_bytes())
    roster = tmp_path / "roster.csv"
    roster.write_text(f"student_id,name\n{OTHER_ID},Neighbour\n{asg.EXAMPLE_ID},Example\nabsent,Absent\n")

    table = asg.grade(name, submissions, roster=roster, gradebook=tmp_path / "grades" / "gradebook.csv",
                      built=built, jobs=2)
    rows = {Path(row["submission"]).name if row["submission"] else row["student_id"]: row
            for row in csv.DictReader(table.open())}
    possible = assignment.points
    assert float(rows["right.ipynb"]["total"]) == possible == float(rows["right.ipynb"]["possible"])
    assert rows["right.ipynb"]["id_check"] == "ok"
    assert float(rows["blank.ipynb"]["total"]) == 0.0
    assert rows["blank.ipynb"]["id_check"] == "blank STUDENT_ID"
    assert 0 < float(rows["mistake.ipynb"]["total"]) < possible
    assert float(rows["mistake.ipynb"][mistake["question"]]) < assignment.questions[
        [q.name for q in assignment.questions].index(mistake["question"])].points
    assert rows["absent"]["id_check"] == "no submission"

    feedback = {path.read_text().split(" (STUDENT_ID")[0]: path.read_text()
                for path in (tmp_path / "grades" / "feedback").glob("*.txt")}
    assert mistake["feedback"] in feedback["mistake.ipynb"]
    assert "student_id is blank" in feedback["blank.ipynb"]
    if name == "critical-points":
        assert float(rows["copied.ipynb"]["total"]) < possible / 2
        assert asg.EXAMPLE_ID not in rows  # handed in (twice): not listed as "no submission"
        assert "used by several submissions" in rows["copied.ipynb"]["id_check"]
        assert float(rows["corrupt.ipynb"]["total"]) == 0 and rows["corrupt.ipynb"]["grading_error"]
        error = rows["other-assignment.ipynb"]["grading_error"]
        assert "is assignment 'momentum', not 'critical-points'" in error
    assert not rows["right.ipynb"]["grading_error"] and not rows["mistake.ipynb"]["grading_error"]
