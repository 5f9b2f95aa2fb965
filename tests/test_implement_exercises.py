"""Every implement-it-yourself exercise: its solution passes its self-check, its scaffold does not.

The solutions are ```python blocks inside ``{solution}`` directives, shown but not executed by the
book build; this test runs them. The scaffold (a code cell whose function body is ``...``) is run by
the build; here we check that the same check turns it down with the "unfinished" message.
"""

import contextlib
import io
import re
from pathlib import Path

import pytest

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
SOLUTION = re.compile(r"^(`{4,})\{solution\} (ex-[\w-]*-implement-[\w-]+)\n(.*?)^\1\s*$", re.M | re.S)
PYTHON = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def implement_solutions():
    found = []
    for path in sorted(CHAPTERS.glob("*.md")):
        for match in SOLUTION.finditer(path.read_text()):
            code = "\n".join(PYTHON.findall(match.group(3)))
            found.append(pytest.param(code, id=match.group(2)))
    return found


SOLUTIONS = implement_solutions()


def test_the_book_has_at_least_eight_implement_exercises():
    assert len(SOLUTIONS) >= 8


@pytest.mark.parametrize("code", SOLUTIONS)
def test_solution_passes_its_self_check(code):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<solution>", "exec"), {})
    printed = out.getvalue().strip().splitlines()
    assert "update_checks.check_" in code
    assert printed and all(line == "Correct." for line in printed), out.getvalue()


@pytest.mark.parametrize("code", SOLUTIONS)
def test_the_same_check_turns_down_an_unfinished_body(code):
    unfinished = re.sub(r"(def \w+\([^)]*\):\n)((?:    .*\n|\n)+?)(?=\S|\Z)", r"\1    ...\n\n\n", code)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(unfinished, "<scaffold>", "exec"), {})
    printed = " ".join(out.getvalue().split())
    assert "Not yet:" in printed and "still `...`" in printed, printed
