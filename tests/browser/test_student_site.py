"""The student edition contains no solution text: not in pages, page sources or notebooks.

The reference is the main edition: each rendered solution there is reduced to the
runs of six words that occur nowhere else on its page or in the page's source
outside solution blocks (hidden self-check cells may share code with a solution);
none of those runs may appear in the student edition's version of that page or of
its downloads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tools import myst_reader as myst
from tools.student_edition import HTML as STUDENT
from tools.student_edition import strip_solutions

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "_build" / "html"
SHINGLE = 6


def shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z]{3,}", text.lower())
    return {tuple(words[k:k + SHINGLE]) for k in range(len(words) - SHINGLE + 1)}


def pages_with_solutions():
    pages = []
    for path in sorted(MAIN.rglob("*.html")):
        if "_static" not in path.parts and 'class="solution' in path.read_text():
            pages.append(path.relative_to(MAIN))
    return pages


def unique_solution_text(page: Path) -> dict[str, set]:
    soup = BeautifulSoup((MAIN / page).read_text(), "html.parser")
    solutions = soup.select("div.solution")
    found = {div.get("id"): shingles(div.get_text(" ")) for div in solutions}
    for div in solutions:
        div.decompose()
    rest = shingles(soup.get_text(" "))
    source = ROOT / page.with_suffix(".md")
    if source.exists():
        rest |= shingles(strip_solutions(source.read_text())[0])
    return {key: value - rest for key, value in found.items()}


def student_versions(page: Path) -> str:
    """The student page plus its downloadable sources (.md, .ipynb)."""
    texts = [BeautifulSoup((STUDENT / page).read_text(), "html.parser").get_text(" ")]
    for suffix in (".md", ".ipynb"):
        source = STUDENT / "_sources" / page.with_suffix(suffix)
        if source.exists():
            texts.append(source.read_text())
    return " ".join(texts)


def test_every_solution_in_the_sources_is_rendered_in_the_main_edition():
    # The control: the check below looks at every solution the book has.
    in_sources = 0
    for page in {p.with_suffix("") for p in MAIN.rglob("*.html")}:
        source = ROOT / page.relative_to(MAIN).with_suffix(".md")
        if source.exists():
            in_sources += len(myst.read(source, ROOT).directives("solution"))
    rendered = sum((MAIN / page).read_text().count('<div class="solution') for page in pages_with_solutions())
    assert in_sources > 0 and rendered == in_sources


@pytest.mark.parametrize("page", pages_with_solutions(), ids=str)
def test_no_solution_text_in_the_student_edition(page):
    assert (STUDENT / page).exists(), "run `make book-student` first"
    student = shingles(student_versions(page))
    unique = unique_solution_text(page)
    assert all(unique.values()), "every solution has some text of its own"
    leaked = {key: sorted(value & student)[:3] for key, value in unique.items() if value & student}
    assert leaked == {}


def test_student_pages_keep_the_exercises():
    page = (STUDENT / "chapters" / "worked-example.html").read_text()
    assert "ex-worked-hessian" in page and 'class="solution' not in page
