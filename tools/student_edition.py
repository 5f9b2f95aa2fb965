"""Build the student edition: the same book with every exercise solution removed.

Solutions are not just collapsed: they are cut out of the sources before the
build, so they are absent from the HTML, from the downloadable ``.md`` and
``.ipynb`` files and from the search index. Code cells are unchanged, so the
build reuses the main edition's execution cache and executes nothing new.

Output: ``_build/student/_build/html``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import myst_reader as myst  # noqa: E402  (the chapters' MyST, read as MyST reads it)

SOURCE_COPY = ROOT / "_build" / "student-src"
OUTPUT = ROOT / "_build" / "student"
HTML = OUTPUT / "_build" / "html"
BOOK_FILES = ["_config.yml", "_toc.yml", "intro.md", "references.bib"]
BOOK_DIRS = ["chapters", "tools", "_vendor"]
#: Pages for teachers and maintainers, not for students: left out of the student edition
#: (and so of its PDF): what the autograder cannot stop, and the build's status.
NOT_FOR_STUDENTS = ["chapters/instructors", "chapters/status"]


def strip_solutions(text: str, path: str = "<text>") -> tuple[str, int]:
    """Remove every ``{solution}`` directive (fenced by backticks or colons) from MyST text.

    ``path`` names the text in messages (an unclosed fence is reported with its file:line).
    """
    document = myst.parse(text, path)
    spans = document.spans("solution")
    lines, kept, line = document.lines, [], 0
    for start, end in spans:
        kept.extend(lines[line:start])
        line = end
    kept.extend(lines[line:])
    return "\n".join(kept), len(spans)


def make_source_copy() -> int:
    if SOURCE_COPY.exists():
        shutil.rmtree(SOURCE_COPY)
    SOURCE_COPY.mkdir(parents=True)
    for name in BOOK_FILES:
        shutil.copy2(ROOT / name, SOURCE_COPY / name)
    for name in BOOK_DIRS:
        shutil.copytree(ROOT / name, SOURCE_COPY / name)
    total = 0
    for page in NOT_FOR_STUDENTS:
        (SOURCE_COPY / f"{page}.md").unlink()
    toc = (SOURCE_COPY / "_toc.yml").read_text()
    for page in NOT_FOR_STUDENTS:
        # A page outside the contents (an orphan, like the build status) goes with its file alone.
        toc = toc.replace(f"      - file: {page}\n", "")
    (SOURCE_COPY / "_toc.yml").write_text(toc)
    for path in [SOURCE_COPY / "intro.md", *sorted((SOURCE_COPY / "chapters").glob("*.md"))]:
        name = str(path.relative_to(SOURCE_COPY))
        text, removed = strip_solutions(path.read_text(), name)
        # Every number the edition shows is glued by its own code cells (solutions gone or not).
        myst.check_glue(myst.parse(text, name))
        path.write_text(text)
        total += removed
    config = (SOURCE_COPY / "_config.yml").read_text()
    config = config.replace("title: Optimization in Deep Learning",
                            "title: Optimization in Deep Learning (student edition)", 1)
    # Share the main edition's execution cache: code cells are identical.
    config = config.replace("  execute_notebooks: cache",
                            f"  execute_notebooks: cache\n  cache: {ROOT / '_build' / '.jupyter_cache'}", 1)
    (SOURCE_COPY / "_config.yml").write_text(config)
    return total


def main() -> int:
    removed = make_source_copy()
    print(f"student edition: removed {removed} solutions")
    if OUTPUT.exists():
        shutil.rmtree(OUTPUT)
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(SOURCE_COPY),
               "--path-output", str(OUTPUT), "-W", "-n", "--keep-going"]
    result = subprocess.run(command, cwd=SOURCE_COPY)
    if result.returncode == 0:
        sys.path.insert(0, str(ROOT / "tools"))
        import portable_notebook

        portable_notebook.write_downloads(SOURCE_COPY, OUTPUT / "_build")
        print(f"The student edition is at {HTML / 'index.html'}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
