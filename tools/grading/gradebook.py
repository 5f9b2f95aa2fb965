"""The gradebook of one assignment: a CSV merged by student, rewritten after every row.

Each row is one student (the identifier their notebook ran with, normalised; a notebook
without one is keyed by its file name). A later batch adds its students and replaces the
rows of students it grades again; nobody else's row changes. The file is rewritten whole
after every graded submission, through a temporary file and an atomic rename, so a crash
loses at most the submission being graded. Every text cell that a spreadsheet would read as
a formula (starting with ``= + - @``, a tab or a carriage return) is written with a leading
apostrophe.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def escape(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def unescape(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(DANGEROUS) else text


class Gradebook:
    def __init__(self, path: Path, columns: list[str]):
        self.path, self.columns = Path(path), columns
        self.rows: dict[str, dict] = {}
        if self.path.exists():
            with self.path.open(newline="") as handle:
                for row in csv.DictReader(handle):
                    row = {key: unescape(value or "") for key, value in row.items() if key}
                    self.rows[row["key"]] = row

    def put(self, key: str, row: dict) -> None:
        """Add or replace one student's row and write the whole file (atomically)."""
        self.rows[key] = {"key": key, **row}
        self.write()

    def add_missing(self, key: str, row: dict) -> None:
        if key not in self.rows:
            self.rows[key] = {"key": key, **row}

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        columns = ["key", *self.columns]
        extra = sorted({name for row in self.rows.values() for name in row} - set(columns))
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".gradebook-", suffix=".csv")
        with os.fdopen(handle, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(columns + extra)
            for key in sorted(self.rows):
                row = self.rows[key]
                writer.writerow([escape(row.get(name, "")) for name in columns + extra])
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)
