"""Gradable assignments built from the chapters, one variant per student.

Each ``assignments/<chapter>.yml`` names the chapter's exercises that become questions and
adds what the chapter cannot hold: the student's variant (parameters drawn by
:mod:`lib.teaching.variants` from ``STUDENT_ID``), the answer cells and the autograder's tests. The
question text is the chapter's exercise block, converted by ``tools/portable_notebook.py``
(the parser of the plain notebooks), so it never drifts from the book.

``build`` writes, for each assignment, into ``_build/assignments/<name>/``:

``student/``     ``<name>.ipynb`` (questions, answer cells with ``...``, ``grader.check``
                 cells) and ``tests/`` with the *public* test cases only (both zipped
                 beside it as ``<name>-student.zip``, for the LMS);
``solution/``    the same notebook with the solutions (and the book's worked solution),
                 and every test;
``autograder/``  ``autograder.zip`` for Gradescope (:mod:`tools.grading.gradescope`): the
                 notebook runs as an unprivileged user and hands back only its answers;
                 a root process scores them with the hidden tests, which recompute each
                 answer with ``lib`` for the student's own variant. ``lib`` travels in the
                 zip, file for file as built, and every dependency is pinned.

``grade`` grades a folder of notebooks, each in its own bubblewrap sandbox, and merges the
scores into the assignment's gradebook (:mod:`tools.grading`).

    python tools/assignments.py build [NAME ...]
    python tools/assignments.py grade NAME SUBMISSIONS [--roster R] [--jobs N] [--student ID] ...
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import re
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import portable_notebook as pn  # noqa: E402  (the chapters' MyST parser, shared)

CONFIGS = ROOT / "assignments"
OUTPUT = ROOT / "_build" / "assignments"
# The solution notebook's identifier (students' notebooks start blank).
EXAMPLE_ID = "example-student"
# Python packages the Gradescope autograder needs besides lib's own dependencies: what the tests
# import, the notebook's kernel (nbclient runs it), otter-grader (the tests' test_case decorator).
GRADER_EXTRA_PACKAGES = ["jaxlib", "scipy", "optax", "nbclient", "nbformat", "ipykernel", "jupyter_client",
                         "otter-grader"]

# The top of every test file: what the tests' code may use without importing it.
TEST_PREAMBLE = '''\
import jax.numpy as jnp
import numpy as np
from otter.test_files import test_case

import lib
from lib.teaching import update_checks
from lib.teaching.grading import (require_answer, require_callable, require_check, require_choice,
                                  require_close, require_shape, student_variant)
from lib.theory import quadratic as quad
'''
PREAMBLE_NAMES = {"jnp", "np", "test_case", "lib", "quad", "update_checks",
                  "require_answer", "require_callable", "require_check", "require_choice",
                  "require_close", "require_shape", "student_variant"}


@dataclass
class Case:
    """One part of a question: an otter test case, public (in the student's tests) or hidden."""

    name: str
    points: float
    public: bool
    code: str


@dataclass
class Question:
    name: str
    title: str
    exercise: str  # the chapter's exercise label ("" for a question written in the config)
    prompt: str  # Markdown, from the chapter's exercise (or the config's `prompt`)
    book_solution: str  # Markdown, the chapter's {solution} block ("" if none)
    variant: str
    given: str
    scaffold: str
    solution: str
    helpers: str
    cases: list[Case]

    @property
    def points(self) -> float:
        return sum(case.points for case in self.cases)


@dataclass
class Assignment:
    name: str
    title: str
    chapter: str
    chapter_title: str
    page: str
    questions: list[Question]
    mistake: dict = field(default_factory=dict)

    @property
    def points(self) -> float:
        return sum(question.points for question in self.questions)


# ----- reading the chapter and the configuration -----

def _directive(document: pn.myst.Document, name: str, label: str) -> pn.myst.Directive | None:
    """The ``{name}`` directive labelled ``label`` (exercise: ``:label:``, solution: its argument)."""
    for directive in document.directives(name):
        if (directive.options.get("label") if name == "exercise" else directive.argument) == label:
            return directive
    return None


def _without_code(document: pn.myst.Document) -> list[str]:
    """The lines minus fenced code blocks: the chapter's self-check snippets call helpers that
    live in its hidden cells; the assignment's answer and check cells replace them."""
    return [line for segment in document.segments() if segment.kind != "code"
            for line in document.lines[segment.start:segment.end]]


def _drop_paragraphs(markdown: str, drop: list[str], where: str) -> str:
    paragraphs = re.split(r"\n\s*\n", markdown)
    for text in drop:
        if not any(text in paragraph for paragraph in paragraphs):
            raise ValueError(f"{where}: drop: no paragraph contains {text!r}")
        paragraphs = [paragraph for paragraph in paragraphs if text not in paragraph]
    return "\n\n".join(paragraphs).strip()


def _cases(raw: list[dict], where: str) -> list[Case]:
    cases = []
    for i, entry in enumerate(raw):
        unknown = set(entry) - {"name", "points", "public", "code"}
        if unknown or "code" not in entry or "points" not in entry:
            raise ValueError(f"{where}: tests[{i}] needs code and points (and optionally name, "
                             f"public); unknown keys: {sorted(unknown)}")
        points = entry["points"]
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            raise ValueError(f"{where}: tests[{i}].points must be a number > 0, got {points!r}")
        cases.append(Case(str(entry.get("name", f"part {i + 1}")), float(points),
                          bool(entry.get("public", False)), entry["code"].rstrip() + "\n"))
    if not any(not case.public for case in cases):
        raise ValueError(f"{where}: tests need at least one hidden case (the graded answer)")
    return cases


QUESTION_KEYS = {"name", "exercise", "prompt", "title", "drop", "replace", "variant", "given", "scaffold",
                 "solution", "helpers", "tests"}


def load(name: str, book: pn.Book | None = None) -> Assignment:
    """The assignment ``assignments/<name>.yml`` with its questions' text read from the chapter."""
    path = CONFIGS / f"{name}.yml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in CONFIGS.glob("*.yml")))
        raise ValueError(f"name: no assignments/{name}.yml; the assignments are: {known}")
    config = yaml.safe_load(path.read_text())
    book = book or pn.Book.load(ROOT)
    doc = f"chapters/{config['chapter']}"
    glue = pn.load_glue(ROOT / "_build" / "jupyter_execute" / "chapters", config["chapter"])
    converter = pn.Converter(book, doc, "download", glue)
    chapter = converter.source
    # A number the questions show must be one the chapter's code glues, built or not.
    pn.myst.check_glue(chapter)
    # The notebook holds none of the chapter's figures and sections: every reference links to the page.
    converter.doc = f"assignments/{name}"
    title = chapter.title().title
    questions = []
    for number, raw in enumerate(config["questions"], start=1):
        where = f"{path.name}: question {number}"
        unknown = set(raw) - QUESTION_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        if ("exercise" in raw) == ("prompt" in raw):
            raise ValueError(f"{where}: give exactly one of exercise (a label in {doc}.md) or prompt")
        book_solution = ""
        if "exercise" in raw:
            exercise = _directive(chapter, "exercise", raw["exercise"])
            if exercise is None:
                raise ValueError(f"{where}: no exercise labelled {raw['exercise']!r} in {doc}.md")
            exercise_title = exercise.argument
            try:
                # Messages name the chapter's lines (shifted after a removed code block).
                body = _without_code(chapter.nested(exercise))
                prompt = converter.markdown("\n".join(body), exercise.location().line)
            except KeyError as err:  # a {glue:text} number: its value comes from the built book
                raise ValueError(f"{where}: {err.args[0]}; run `make book` first") from None
            prompt = _drop_paragraphs(prompt, raw.get("drop", []), where)
            # Words that point at the chapter's page ("the explorer above") say what they mean here.
            for old, new in (raw.get("replace") or {}).items():
                if old not in prompt:
                    raise ValueError(f"{where}: replace: the question's text has no {old!r}")
                prompt = prompt.replace(old, converter.inline(new))
            solution = _directive(chapter, "solution", raw["exercise"])
            if solution:
                try:
                    book_solution = converter.markdown(solution.body, solution.location().line)
                except KeyError:  # numbers not built yet: point to the page instead
                    book_solution = f"See the solution on the book's page: {book.site}{doc}.html"
            heading = raw.get("title", exercise_title)
        else:
            prompt, heading = converter.markdown(raw["prompt"]), raw.get("title", "")
        questions.append(Question(
            name=raw.get("name", f"q{number}"), title=converter.inline(heading),
            exercise=raw.get("exercise", ""), prompt=prompt,
            book_solution=book_solution, variant=raw.get("variant", "").strip(),
            given=raw.get("given", "").strip(), scaffold=raw["scaffold"].strip(),
            solution=raw["solution"].strip(), helpers=raw.get("helpers", "").strip(),
            cases=_cases(raw["tests"], where)))
    return Assignment(name=name, title=config["title"], chapter=config["chapter"],
                      chapter_title=pn._strip_roles(title), page=f"{book.site}{doc}.html",
                      questions=questions, mistake=config.get("mistake", {}))


def names() -> list[str]:
    return sorted(path.stem for path in CONFIGS.glob("*.yml"))


# ----- test files -----

def _free_names(code: str, known: set[str], where: str) -> list[str]:
    """Names the code reads but does not define: the notebook's variables otter passes in."""
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        raise ValueError(f"{where}: the test's code does not parse: {err}") from None
    stored = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
              and isinstance(node.ctx, ast.Store)}
    stored |= {arg.arg for node in ast.walk(tree) if isinstance(node, ast.Lambda | ast.comprehension)
               for arg in (node.args.args if isinstance(node, ast.Lambda) else [])}
    loaded = [node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
              and isinstance(node.ctx, ast.Load)]
    skip = known | stored | set(dir(builtins))
    return list(dict.fromkeys(name for name in loaded if name not in skip))


def _defined(code: str) -> set[str]:
    tree = ast.parse(code) if code else ast.Module(body=[], type_ignores=[])
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)} | {
        target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets
        if isinstance(target, ast.Name)}


def test_file(assignment: Assignment, question: Question, *, public_only: bool) -> str:
    """An otter exception-based test file; the student's copy has no hidden case and no helper."""
    helpers = _defined(question.helpers)
    cases = [case for case in question.cases if case.public or not public_only]
    parts = [f'"""{"Public tests" if public_only else "Tests"} of question {question.name} of the '
             f"assignment {assignment.name!r} (written by tools/assignments.py from "
             f'assignments/{assignment.name}.yml)."""', "", TEST_PREAMBLE,
             "OK_FORMAT = False", "", f"name = {question.name!r}",
             f"points = {sum(case.points for case in cases)!r}", ""]
    if not public_only and question.helpers:
        parts += ["", question.helpers, ""]
    for index, case in enumerate(cases, start=1):
        where = f"{assignment.name} {question.name}, test {case.name!r}"
        if case.public and set(_free_names(case.code, PREAMBLE_NAMES, where)) & helpers:
            raise ValueError(f"{where}: a public test cannot use the hidden helpers "
                             f"({', '.join(sorted(helpers))}): students get public tests")
        arguments = _free_names(case.code, PREAMBLE_NAMES | helpers, where)
        body = "".join(f"    {line}\n" if line.strip() else "\n" for line in case.code.splitlines())
        parts += ["", f"@test_case(name={case.name!r}, points={case.points!r}, hidden={not case.public})",
                  f"def test_{index}({', '.join(arguments)}):", body.rstrip("\n"), ""]
    text = "\n".join(parts).rstrip("\n") + "\n"
    compile(text, where if cases else assignment.name, "exec")  # fail the build, not the grading
    return text


# ----- notebooks -----

def lib_version() -> str:
    """The commit the assignment is built from (``git rev-parse HEAD``): students install exactly
    this ``lib``, and the autograder records it. Outside a git checkout: lib's package version."""
    import subprocess

    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True)
        return done.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def lib_requirement(book: pn.Book, version: str) -> str:
    """pip's requirement for ``lib`` at exactly ``version`` (a commit, or a released version)."""
    if re.fullmatch(r"[0-9a-f]{40}", version):
        return re.sub(r"@[^@]+$", f"@{version}", book.package)
    return f"optbook-lib=={version}"


def _setup_cell(assignment: Assignment, book: pn.Book, version: str | None = None) -> str:
    from otter import __version__ as otter_version

    version = version or lib_version()
    return f'''# Run this cell after filling in STUDENT_ID above. It installs what this kernel lacks
# (Colab: about a minute, once): the book's package `lib` at exactly the version the
# autograder has, loads the public tests and prints YOUR variant: the numbers of your
# questions, which differ from your neighbours'.
import importlib.metadata
import importlib.util
import json
import subprocess
import sys

LIB_VERSION = "{version}"
NEEDED = {{"otter": "otter-grader=={otter_version}", "lib": "{lib_requirement(book, version)}"}}


def installed_lib_version():
    try:
        found = importlib.metadata.distribution("optbook-lib")
    except importlib.metadata.PackageNotFoundError:
        return None
    origin = json.loads(found.read_text("direct_url.json") or "{{}}")
    # A commit when pip installed it from git; a local (editable) copy is left as it is.
    return origin.get("vcs_info", {{}}).get("commit_id") or "local " + found.version


class InstallFailed(RuntimeError):
    def _render_traceback_(self):  # shown as this message alone, without a traceback
        return [str(self)]


missing = [spec for module, spec in NEEDED.items() if importlib.util.find_spec(module) is None]
installed = installed_lib_version()
if (installed and not installed.startswith("local") and installed != LIB_VERSION
        and NEEDED["lib"] not in missing):
    missing.append(NEEDED["lib"])  # another version of lib: the autograder's numbers differ
if missing:
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise InstallFailed(
            "Could not install what this assignment needs (" + ", ".join(missing) + "). "
            "Check that this runtime is online, then run this cell again. If it fails again, "
            "send your instructor this message and pip's last line: "
            + (done.stderr.strip().splitlines() or ["pip failed"])[-1])
    importlib.invalidate_caches()
print("optbook-lib version:", installed_lib_version() or "not installed by pip")

import jax.numpy as jnp
import numpy as np
import otter

import lib
from lib.teaching import update_checks
from lib.teaching.variants import for_student
from lib.theory import quadratic as quad

grader = otter.Notebook(tests_dir="tests")
params = for_student(STUDENT_ID, {assignment.name!r})'''


def _intro(assignment: Assignment) -> str:
    total = f"{assignment.points:g}"
    return (f"# Assignment: {assignment.title}\n\n"
            f"*From the chapter [{assignment.chapter_title}]({assignment.page}) of* Optimization in "
            f"Deep Learning. *{len(assignment.questions)} questions, {total} points.*\n\n"
            "1. Write your student identifier, exactly as on the course roster, between the quotes "
            "of `STUDENT_ID` in the next cell. Your numbers (your *variant*) are derived from it: "
            "they differ from your neighbours', and the autograder grades your answers for your "
            "variant. Do not change it later.\n"
            "2. Run the cells in order. In each question replace every `...` with your answer and run "
            "`grader.check(\"q…\")`: it runs the public tests (format and shape). The hidden tests, "
            "which check the values, run when your work is graded. "
            "The autograder marks the values each question's *Your variant* paragraph names; "
            "derivations and explanations the exercise asks for are for you, or for your "
            "instructor to read.\n"
            f"3. Save the notebook and hand in `{assignment.name}.ipynb`, keeping its name.")


def notebook(assignment: Assignment, book: pn.Book, *, solutions: bool) -> nbformat.NotebookNode:
    new_md, new_code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    student_id = (f'STUDENT_ID = "{EXAMPLE_ID}"  # any identifier: the solutions work for every variant'
                  if solutions else
                  'STUDENT_ID = ""  # your identifier as on the course roster, e.g. "s1234567"')
    cells = [new_md(_intro(assignment)),
             new_code(student_id, metadata={"tags": ["student-id"]}),
             new_code(_setup_cell(assignment, book), metadata={"tags": ["setup"]})]
    for number, question in enumerate(assignment.questions, start=1):
        title = f" — {question.title}" if question.title else ""
        cells.append(new_md(f"## Question {number}{title} ({question.points:g} points)\n\n"
                            f"{question.prompt}"))
        if question.variant:
            cells.append(new_md(question.variant))
        if question.given:
            cells.append(new_code(question.given, metadata={"tags": ["given"]}))
        if solutions and question.book_solution:
            cells.append(new_md("**The book's solution** (for the book's numbers, not a variant's):"
                                "\n\n" + question.book_solution))
        answer = question.solution if solutions else question.scaffold
        cells.append(new_code(answer, metadata={"tags": ["answer", question.name]}))
        cells.append(new_code(f'grader.check("{question.name}")', metadata={"tags": ["check"]}))
    cells.append(new_md("## Before you hand in\n\nRun all cells from the top (Kernel ▸ Restart "
                        "Kernel and Run All Cells), check every question once more below, save, and "
                        f"hand in `{assignment.name}.ipynb`."))
    cells.append(new_code("grader.check_all()", metadata={"tags": ["check"]}))
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "otter": {"assignment_name": assignment.name},  # otter run refuses another assignment's notebook
    })
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"  # stable ids: the same sources give the same file
        left = pn.raw_myst(cell.source, path=f"{assignment.name}.ipynb, cell {index}") \
            if cell.cell_type == "markdown" else None
        if left:
            raise ValueError(f"{assignment.name}: MyST syntax left in a Markdown cell: {left}")
    nbformat.validate(nb)
    return nb


# ----- the autograder zip -----

def _pins() -> dict[str, str]:
    """``name==version`` lines of requirements.txt, constraints.txt and requirements-test.txt
    (otter-grader), by normalised name."""
    pins = {}
    for path in (ROOT / "constraints.txt", ROOT / "requirements.txt", ROOT / "requirements-test.txt"):
        for line in path.read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
            if match:
                pins[_normalise_package(match[1])] = match[0]
    return pins


def _normalise_package(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def grader_requirements() -> str:
    """What Gradescope must install for ``lib``: its dependencies at the book's pinned versions."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0] for spec in project["dependencies"]]
    pins = _pins()
    lines = []
    for package in [*wanted, *GRADER_EXTRA_PACKAGES]:
        pin = pins.get(_normalise_package(package))
        if pin is None:
            raise ValueError(f"{package}: no exact pin in requirements.txt or constraints.txt")
        lines.append(pin)
    return ("# lib's dependencies at the versions the book is built with (tools/assignments.py).\n"
            + "\n".join(lines) + "\n")


def autograder_zip(assignment: Assignment, folder: Path, version: str | None = None) -> Path:
    """Our Gradescope autograder zip (:mod:`tools.grading.gradescope`): the notebook runs as an
    unprivileged user and only hands back answers; root scores them with every test, for the
    student's variant, with the ``lib`` the assignment was built from."""
    from tools.grading.gradescope import build_zip

    tests = folder / "tests"  # every test file, for reading (the zip carries them in grader.json)
    tests.mkdir(parents=True, exist_ok=True)
    for question in assignment.questions:
        (tests / f"{question.name}.py").write_text(test_file(assignment, question, public_only=False))
    record = {"assignment": assignment.name, "lib_version": version or lib_version()}
    return build_zip(assignment, folder, requirements=grader_requirements(), record=record)


def build(name: str, book: pn.Book | None = None, out: Path = OUTPUT) -> Path:
    """Write ``out/<name>/{student,solution,autograder}``; returns ``out/<name>``."""
    book = book or pn.Book.load(ROOT)
    assignment = load(name, book)
    target = out / name
    for kind in ("student", "solution", "autograder"):  # grades/ of earlier batches stay
        shutil.rmtree(target / kind, ignore_errors=True)
    (target / f"{name}-student.zip").unlink(missing_ok=True)
    for kind, solutions in (("student", False), ("solution", True)):
        folder = target / kind
        (folder / "tests").mkdir(parents=True)
        nbformat.write(notebook(assignment, book, solutions=solutions), folder / f"{name}.ipynb")
        for question in assignment.questions:
            text = test_file(assignment, question, public_only=not solutions)
            (folder / "tests" / f"{question.name}.py").write_text(text)
    # What the autograder records: the lib the students install (their feedback warns on another).
    (target / "autograder").mkdir(parents=True, exist_ok=True)
    version = lib_version()
    record = json.dumps({"assignment": name, "lib_version": version}, indent=1) + "\n"
    (target / "build.json").write_text(record)
    (target / "autograder" / "build.json").write_text(record)
    autograder_zip(assignment, target / "autograder", version)
    # What students download from the LMS: the notebook with the tests/ folder grader.check reads,
    # in a folder named after the assignment.
    with zipfile.ZipFile(target / f"{name}-student.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((target / "student").rglob("*")):
            if path.is_file():
                archive.write(path, f"{name}/{path.relative_to(target / 'student')}")
    return target


# ----- grading: tools/grading (a bubblewrap sandbox per submission, verdicts outside it) -----

def grade(name: str, submissions: Path, **options) -> Path:
    """Grade a folder of notebooks (see :func:`tools.grading.grade.grade`); returns the gradebook."""
    from tools.grading.grade import grade as grade_folder

    return grade_folder(name, submissions, **options)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="write _build/assignments/<name>/")
    build_parser.add_argument("names", nargs="*", help=f"default: all ({', '.join(names())})")
    commands.add_parser("grade", help="grade a folder of submitted notebooks (python -m tools.grading.grade "
                        "--help)", add_help=False)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["grade"]:
        from tools.grading.grade import main as grade_main

        return grade_main(argv[1:])
    args = parser.parse_args(argv)
    if args.command == "build":
        book = pn.Book.load(ROOT)
        for name in args.names or names():
            started = time.monotonic()
            target = build(name, book)
            print(f"{name}: {target.relative_to(ROOT)}/{{student,solution,autograder}} "
                  f"({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
