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

from tools import myst_reader as myst

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"


def implement_solutions():
    found = []
    for path in sorted(CHAPTERS.glob("*.md")):
        document = myst.read(path)
        for solution in document.directives("solution"):
            if not (solution.argument.startswith("ex-") and "-implement-" in solution.argument):
                continue
            body = document.nested(solution)
            code = "\n".join("\n".join(body.lines[s.start + 1:s.end - 1]) + "\n"
                              for s in body.segments() if s.kind == "code"
                              and body.lines[s.start].strip() == "```python")
            found.append(pytest.param(code, id=solution.argument))
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
