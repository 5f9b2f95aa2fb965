"""Structure every chapter shares: in the table of contents, runnable on Colab, exercises."""

from pathlib import Path

import pytest
import yaml

from tools import myst_reader as myst

ROOT = Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
IN_TOC = {entry["file"] for part in TOC["parts"] for entry in part["chapters"]}
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
DOCUMENTS = {p: myst.read(p, ROOT) for p in CHAPTERS}
NOTEBOOKS = [p for p in CHAPTERS if DOCUMENTS[p].code_cells() and p.stem != "instructors"]


#: Pages built but kept out of the reader's table of contents (front matter ``orphan: true``).
ORPHANS = {p for p in CHAPTERS if (DOCUMENTS[p].front_matter or {}).get("orphan") is True}


def test_every_chapter_file_is_in_the_table_of_contents_or_an_orphan_page():
    assert {f"chapters/{p.stem}" for p in CHAPTERS if p not in ORPHANS} == IN_TOC
    assert not {f"chapters/{p.stem}" for p in ORPHANS} & IN_TOC


@pytest.mark.parametrize("orphan", sorted(ORPHANS), ids=lambda p: p.stem)
def test_an_orphan_page_is_linked_from_a_page_in_the_table_of_contents(orphan):
    """Out of the contents, but a reader can still reach it: some page of the contents links its label."""
    label = DOCUMENTS[orphan].labels()[0].label
    pages = [ROOT / f"{doc}.md" for doc in IN_TOC]
    assert any(f"{{ref}}`{label}`" in page.read_text() or f"]({label})" in page.read_text() for page in pages)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapters_run_without_myst_nb(path):
    """A reader's kernel (Colab, Binder) has no MyST-NB: glue comes from lib, which forwards to it."""
    text = path.read_text()
    assert "myst_nb" not in text
    if "glue(" in text:
        assert "from lib.teaching.glue import glue" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_teaching_chapters_have_objectives_exercises_and_a_summary(path):
    document = DOCUMENTS[path]
    assert any(d.argument == "Learning objectives" for d in document.directives("admonition"))
    assert any(h.level == 2 and h.title == "Summary" for h in document.headings())
    exercises, solutions = document.directives("exercise"), document.directives("solution")
    assert len(exercises) >= 2 and len(solutions) == len(exercises)
    # Each solution answers an exercise of the chapter, by its label.
    assert {s.argument for s in solutions} == {e.options.get("label") for e in exercises}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_glued_number_is_glued_by_the_chapters_code(path):
    """A {glue:text} name no code cell glues would fail the build, the live notebook and the download."""
    myst.check_glue(DOCUMENTS[path])
