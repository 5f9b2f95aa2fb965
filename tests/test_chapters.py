"""Structure every chapter shares: in the table of contents, runnable on Colab, exercises."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
IN_TOC = {entry["file"] for part in TOC["parts"] for entry in part["chapters"]}
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
NOTEBOOKS = [p for p in CHAPTERS if "```{code-cell}" in p.read_text() and p.stem != "instructors"]


def test_every_chapter_file_is_in_the_table_of_contents():
    assert {f"chapters/{p.stem}" for p in CHAPTERS} == IN_TOC


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapters_run_without_myst_nb(path):
    """A reader's kernel (Colab, Binder) has no MyST-NB: glue comes from lib, which forwards to it."""
    text = path.read_text()
    assert "myst_nb" not in text
    if "glue(" in text:
        assert "from lib.glue import glue" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_teaching_chapters_have_objectives_exercises_and_a_summary(path):
    text = path.read_text()
    assert "Learning objectives" in text and "## Summary" in text
    exercises = re.findall(r"^`{3,}\{exercise\}", text, re.M)
    solutions = re.findall(r"^`{3,}\{solution\}", text, re.M)
    assert len(exercises) >= 2 and len(solutions) == len(exercises)
