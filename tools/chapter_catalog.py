"""What each chapter asks of a reader: objectives, exercises, reading time.

Read straight from the chapter sources, so the instructors' page stays true as
chapters change. Used by ``chapters/instructors.md`` (executed at build time).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORDS_PER_MINUTE = 200      # reading prose
MINUTES_PER_CODE_CELL = 1.5  # reading and running a cell
MINUTES_PER_EXERCISE = 12


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
    text = path.read_text()
    label = re.search(r"^\((ch-[\w-]+)\)=", text, re.M)
    title = re.search(r"^# (.+)$", text, re.M)
    objectives_block = re.search(r"Learning objectives\n(.*?)\n:::", text, re.S)
    objectives = []
    for line in (objectives_block.group(1).splitlines() if objectives_block else []):
        item = re.match(r"^\s*\d+\.\s+(.+)$", line)
        if item:
            objectives.append(item.group(1).strip())
        elif objectives and line.strip():  # a wrapped line continues the item above
            objectives[-1] += " " + line.strip()
    exercises = [Exercise(label, title.strip()) for title, label in
                 re.findall(r"^`{3,}\{exercise\}\s*(.*)\n:label:\s*(\S+)", text, re.M)]
    code_cells = len(re.findall(r"^```\{code-cell\}", text, re.M))
    prose = re.sub(r"```.*?```", " ", text, flags=re.S)
    minutes = (len(prose.split()) / WORDS_PER_MINUTE + code_cells * MINUTES_PER_CODE_CELL
               + len(exercises) * MINUTES_PER_EXERCISE)
    return Chapter(path.stem, label.group(1) if label else "", title.group(1).strip() if title else path.stem,
                   objectives, exercises, int(round(minutes / 5.0) * 5))


def catalog():
    """(part caption, Chapter) for every chapter in the table of contents that has exercises."""
    for caption, file in _toc_chapters():
        path = ROOT / f"{file}.md"
        if path.exists():
            chapter = read_chapter(path)
            if chapter.exercises:
                yield caption, chapter
