"""Computation in view: what a chapter hides from its reader is only checking and display plumbing.

A removed cell (tag ``remove-cell`` or ``remove-input``) glues numbers, asserts claims and tidies a
figure; what it computes feeds only those checks, never code the reader sees or runs after it.
Most of each chapter's code is shown, set-up included (imports are part of the lesson).
"""

import ast
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
TEACHING = sorted(p for p in (ROOT / "chapters").glob("*.md")
                  if "```{code-cell}" in p.read_text() and p.stem != "instructors")
MIN_SHOWN = 0.60  # share of a chapter's code lines in cells shown on the page

def code_cells(path):
    for cell in jupytext.read(path).cells:
        if cell.cell_type == "code":
            yield set(cell.metadata.get("tags", [])), cell.source


def hidden_kind(tags):
    if any(t.startswith("remove") for t in tags):
        return "removed"
    if any(t.startswith("hide") for t in tags):
        return "folded"
    return "shown"


def code_lines(source):
    return [line for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]


def parse(source):
    # IPython magics (%config, !pip) are not Python; the test reads only the Python around them.
    return ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line
                               for line in source.splitlines()))


def bound_names(tree):
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def read_names(tree):
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.stem)
def test_most_code_is_shown(path):
    counts = {"shown": 0, "folded": 0, "removed": 0}
    for tags, source in code_cells(path):
        counts[hidden_kind(tags)] += len(code_lines(source))
    total = sum(counts.values())
    assert counts["shown"] / total >= MIN_SHOWN, counts


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.stem)
def test_the_set_up_cell_is_shown(path):
    tags, source = next(code_cells(path))
    assert "import" in source and hidden_kind(tags) == "shown", source[:200]


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.stem)
def test_what_the_reader_runs_never_depends_on_a_removed_cell(path):
    """A removed cell checks and glues; a name it binds is never read by a cell the reader sees."""
    hidden_only = set()
    leaks = []
    for tags, source in code_cells(path):
        tree = parse(source)
        if hidden_kind(tags) == "removed":
            hidden_only |= bound_names(tree)
        else:
            # A loop or comprehension variable the cell binds itself is its own, not the hidden one.
            leaks += sorted((read_names(tree) - bound_names(tree)) & hidden_only)
            hidden_only -= bound_names(tree)
    assert not leaks, f"{path.name}: shown code reads names bound only in removed cells: {leaks}"
