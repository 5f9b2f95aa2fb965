"""What each chapter asks of a reader: objectives, exercises, reading time.

Read straight from the chapter sources, so the instructors' page stays true as
chapters change. Used by ``chapters/instructors.md`` (executed at build time).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import myst_reader as myst  # noqa: E402  (the chapters' MyST, read as MyST reads it)

WORDS_PER_MINUTE = 200      # reading prose
MINUTES_PER_CODE_CELL = 1.5  # reading and running a cell
MINUTES_PER_EXERCISE = 12
SEPARATE = myst.LITERAL | {"exercise", "solution"}  # not counted as prose


class Exercise(NamedTuple):
    label: str
    title: str


class Chapter(NamedTuple):
    slug: str
    label: str
    title: str
    objectives: list
    exercises: list
    minutes: int


def _toc_chapters():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            yield part.get("caption", ""), entry["file"]


def read_chapter(path: Path) -> Chapter:
    document = myst.read(path, ROOT)
    label = next((target.label for target in document.labels() if target.label.startswith("ch-")), "")
    title = next((heading.title for heading in document.headings() if heading.level == 1), path.stem)
    objectives = next((document.nested(block).list_items() for block in document.directives("admonition")
                       if block.argument == "Learning objectives"), [])
    exercises = [Exercise(block.options["label"], block.argument) for block in document.directives("exercise")
                 if block.options.get("label")]
    code_cells = len(document.code_cells())
    minutes = (len(prose(document).split()) / WORDS_PER_MINUTE + code_cells * MINUTES_PER_CODE_CELL
               + len(exercises) * MINUTES_PER_EXERCISE)
    return Chapter(path.stem, label, title, objectives, exercises, int(round(minutes / 5.0) * 5))


def prose(document: myst.Document) -> str:
    """The text read as prose: everything but code cells, code blocks and exercises with their
    solutions (an exercise counts ``MINUTES_PER_EXERCISE``)."""
    kept = []
    for segment in document.segments():
        if segment.kind in ("text", "skip"):
            kept.extend(document.lines[segment.start:segment.end])
        elif segment.kind == "directive" and segment.directive.name not in SEPARATE:
            kept.append(segment.directive.argument)
            kept.append(prose(document.nested(segment.directive)))
    return "\n".join(kept)


def catalog():
    """(part caption, Chapter) for every chapter in the table of contents that has exercises."""
    for caption, file in _toc_chapters():
        path = ROOT / f"{file}.md"
        if path.exists():
            chapter = read_chapter(path)
            if chapter.exercises:
                yield caption, chapter
