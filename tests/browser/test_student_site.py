"""The student edition contains no solution text anywhere (pages, sources, notebooks, search index)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tools.student_edition import HTML as STUDENT
from tools.student_edition import OPENING, strip_solutions

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "_build" / "html"
SHINGLE = 6  # consecutive words that identify a passage


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]{3,}", text.lower())


def shingles_of(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[k:k + SHINGLE]) for k in range(len(w) - SHINGLE + 1)}


def solution_passages() -> dict[str, set[tuple[str, ...]]]:
    """For each solution in the sources, the runs of words found nowhere else in its chapter."""
    passages = {}
    for path in [ROOT / "intro.md", *sorted((ROOT / "chapters").glob("*.md"))]:
        if not (MAIN / path.relative_to(ROOT).with_suffix(".html")).exists():
            continue  # not in the table of contents
        text = path.read_text()
        elsewhere = shingles_of(strip_solutions(text)[0])
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            match = OPENING.match(lines[i])
            if not match:
                i += 1
                continue
            label = lines[i].split("}", 1)[1].strip()
            body = []
            i += 1
            while lines[i].rstrip() != match.group("fence"):
                if not lines[i].startswith(":"):
                    body.append(lines[i])
                i += 1
            passages[f"{path.name}:{label}"] = shingles_of(" ".join(body)) - elsewhere
    return passages


def site_text(folder: Path) -> set[tuple[str, ...]]:
    shingles = set()
    for path in folder.rglob("*"):
        if path.suffix not in {".html", ".md", ".ipynb", ".txt", ".js"} or "vendor" in path.parts:
            continue
        shingles |= shingles_of(html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(errors="ignore"))))
    return shingles


@pytest.fixture(scope="module")
def passages():
    found = {label: s for label, s in solution_passages().items() if s}
    assert found, "no solutions found in the sources"
    return found


def test_solutions_are_present_in_the_main_edition(passages):
    # The control: the same search finds every solution in the full edition.
    main = site_text(MAIN)
    missing = [label for label, shingles in passages.items() if not shingles & main]
    assert missing == []


def test_no_solution_text_in_the_student_edition(passages):
    assert (STUDENT / "index.html").exists(), "run `make book-student` first"
    student = site_text(STUDENT)
    leaked = [label for label, shingles in passages.items() if shingles & student]
    assert leaked == []


def test_student_pages_keep_the_exercises():
    page = (STUDENT / "chapters" / "worked-example.html").read_text()
    assert "ex-worked-hessian" in page and 'class="solution' not in page
