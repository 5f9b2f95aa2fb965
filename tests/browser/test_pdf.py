"""The PDF edition (``make pdf``, tools/pdf_edition.py): every chapter, math, exercises, explorers.

Reads what ``make pdf`` wrote into ``_build/pdf`` (``make test-site`` runs it first) and the
built sites it was printed from. A few pages are rendered to PNG in ``_build/screenshots/pdf``
for a person to look at; the test checks only that they are not blank.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jupytext
import pytest
from bs4 import BeautifulSoup

from tools.pdf_edition import MAIN_HTML, OUT, toc_chapters, website

from .conftest import SCREENSHOTS
from .test_student_site import pages_with_solutions, shingles, unique_solution_text

pypdf = pytest.importorskip("pypdf", reason="the PDF edition needs requirements-pdf.txt (`make pdf`)")

ROOT = Path(__file__).resolve().parents[2]
STUDENT_OUT = OUT / "student"
CHAPTERS = toc_chapters()
# TeX that MathJax should have typeset; any of it in the text layer means raw math got printed.
RAW_TEX = ["$$", "\\frac", "\\begin{", "\\(", "\\[", "\\nabla", "\\mathbb"]


def shown_code(source: Path) -> str:
    """The code of a chapter's cells that print with it (not folded, not removed)."""
    if "```{code-cell}" not in source.read_text():
        return ""
    cells = jupytext.read(source).cells
    return "\n".join(cell.source for cell in cells if cell.cell_type == "code"
                     and not any(tag.startswith(("hide", "remove")) for tag in cell.metadata.get("tags", [])))


def chapter_pdf(out: Path, slug: str) -> Path:
    path = out / "chapters" / f"{slug}.pdf"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make pdf`")
    return path


@functools.cache
def pdf_text(path: Path) -> list[str]:
    """The text layer of each page, whitespace collapsed."""
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages]


def html_title(docname: str) -> str:
    soup = BeautifulSoup((MAIN_HTML / f"{docname}.html").read_text(), "html.parser")
    return " ".join(soup.select_one("article h1").get_text(" ").replace("#", "").split())


@pytest.mark.parametrize("out", [OUT, STUDENT_OUT], ids=["full", "student"])
def test_the_book_has_every_chapter_of_the_toc_in_order(out):
    chapters = toc_chapters(student=out == STUDENT_OUT)  # the student's leaves out instructors and status
    book = pypdf.PdfReader(chapter_pdf(out, chapters[0].slug).parents[1] / "book.pdf")
    chapter_pages = [len(pypdf.PdfReader(chapter_pdf(out, chapter.slug)).pages) for chapter in chapters]
    assert all(pages > 0 for pages in chapter_pages)
    assert len(book.pages) > sum(chapter_pages)  # plus the title page with the contents

    def flatten(outline):
        for item in outline:
            yield from flatten(item) if isinstance(item, list) else [item]

    marks = {item.title: book.get_destination_page_number(item) for item in flatten(book.outline)}
    starts = [marks[html_title(chapter.docname)] for chapter in chapters]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    if out == STUDENT_OUT:
        assert not [slug for slug in ("instructors", "status") if (out / "chapters" / f"{slug}.pdf").exists()]
        assert {html_title("chapters/instructors"), html_title("chapters/status")}.isdisjoint(marks)


#: The most bytes a chapter's PDF may take per page. Figures are PNGs of about 60 kB; a page far
#: above this carries something that should not be printed as it is (once, 22 MB of dashes of a
#: diverging explorer run drawn 20,000 units past the plot).
MAX_BYTES_PER_PAGE = 400_000


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda chapter: chapter.slug)
def test_each_chapter_pdf_stays_small(chapter):
    path = chapter_pdf(OUT, chapter.slug)
    pages = len(pypdf.PdfReader(path).pages)
    assert path.stat().st_size <= MAX_BYTES_PER_PAGE * pages, \
        f"{path.name}: {path.stat().st_size / 1e6:.1f} MB for {pages} pages"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda chapter: chapter.slug)
def test_each_chapter_pdf_opens_with_its_title_and_has_no_raw_math(chapter):
    pages = pdf_text(chapter_pdf(OUT, chapter.slug))
    assert html_title(chapter.docname) in pages[0]
    text = " ".join(pages)
    # A shown code cell prints as typed, TeX in a Matplotlib label included: only TeX beyond that is raw.
    in_code = shown_code(ROOT / f"{chapter.docname}.md")
    assert [tex for tex in RAW_TEX if text.count(tex) > in_code.count(tex)] == []
    source = ROOT / f"{chapter.docname}.md"
    if "\\nabla" in source.read_text():  # the sources never type ∇ itself: here MathJax drew it
        assert "∇" in text


def test_exercises_are_numbered_and_solutions_printed_in_the_full_edition():
    numbers, solutions = set(), 0
    for chapter in CHAPTERS:
        soup = BeautifulSoup((MAIN_HTML / f"{chapter.docname}.html").read_text(), "html.parser")
        numbers |= {" ".join(caption.get_text().split())
                    for caption in soup.select("div.exercise .caption-number")}
        solutions += len(soup.select("div.solution"))
    text = " ".join(" ".join(pdf_text(chapter_pdf(OUT, chapter.slug))) for chapter in CHAPTERS)
    assert numbers and all(re.fullmatch(r"Exercise \d+\.\d+", number) for number in numbers)
    assert {number for number in numbers if f"{number} (" not in text} == set()
    assert text.count("Solution to Exercise") == solutions


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if (MAIN_HTML / f"{c.docname}.html").exists()
                                     and "widget-view+json" in (MAIN_HTML / f"{c.docname}.html").read_text()],
                         ids=lambda chapter: chapter.slug)
def test_each_explorer_prints_with_the_address_of_its_interactive_version(chapter):
    explorers = (MAIN_HTML / f"{chapter.docname}.html").read_text().count("widget-view+json")
    address = f"{website()}{chapter.docname}.html"
    for out in (OUT, STUDENT_OUT):
        squeezed = "".join(" ".join(pdf_text(chapter_pdf(out, chapter.slug))).split())
        assert squeezed.count(f"Interactiveversion:{address}") == explorers, out


@pytest.mark.parametrize("page", pages_with_solutions(), ids=str)
def test_the_student_pdf_has_no_solution_text(page):
    slug = page.stem
    unique = unique_solution_text(page)
    full = shingles(" ".join(pdf_text(chapter_pdf(OUT, slug))))
    student_text = " ".join(pdf_text(chapter_pdf(STUDENT_OUT, slug)))
    # The control: every solution's own words are found in the full edition's PDF.
    assert {key for key, words in unique.items() if not words & full} == set()
    leaked = {key: sorted(words & shingles(student_text))[:3] for key, words in unique.items()
              if words & shingles(student_text)}
    assert leaked == {} and "Solution to" not in student_text


def page_with(out: Path, slug: str, pattern: str) -> int:
    """Index of the first page of a chapter's PDF whose text matches ``pattern``."""
    return next(i for i, text in enumerate(pdf_text(chapter_pdf(out, slug))) if re.search(pattern, text))


def test_pages_render_to_png_for_a_look():
    pdfium = pytest.importorskip("pypdfium2")
    folder = SCREENSHOTS / "pdf"
    pages = pdf_text(chapter_pdf(OUT, "critical-points"))
    most_math = max(range(len(pages)), key=lambda index: pages[index].count("∇"))
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {
        "book-title-page": (OUT / "book.pdf", 0),
        "chapter-first-page": (chapter_pdf(OUT, "worked-example"), 0),
        "math": (chapter_pdf(OUT, "critical-points"), most_math),
        "explorer": (chapter_pdf(OUT, "worked-example"),
                     page_with(OUT, "worked-example", "Interactive version")),
        "exercise-and-solution": (chapter_pdf(OUT, "worked-example"),
                                  page_with(OUT, "worked-example", "Solution to Exercise")),
        "student-exercise": (chapter_pdf(STUDENT_OUT, "worked-example"),
                             page_with(STUDENT_OUT, "worked-example", r"Exercise \d+\.\d+ \(")),
    }
    for name, (path, index) in wanted.items():
        image = pdfium.PdfDocument(path)[index].render(scale=1.5).to_pil()
        image.save(folder / f"{name}.png")
        gray = image.convert("L")
        inked = sum(gray.histogram()[:200]) / (gray.width * gray.height)
        assert inked > 0.01, f"{name}: page {index + 1} of {path.name} is almost blank"
