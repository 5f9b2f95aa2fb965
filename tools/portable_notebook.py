"""Write the chapters as plain Jupyter notebooks, for readers who run them outside the website.

The chapters are MyST Markdown notebooks: their prose uses roles and directives
(``{glue:text}``, ``{cite}``, ``:::{admonition}``, ``{exercise}``…) that only the
book's Sphinx build understands. A plain notebook front end (Colab, VS Code,
JupyterLab without extensions) would show that syntax raw. This module rewrites
each chapter as an ``.ipynb`` whose Markdown is plain CommonMark with a little HTML:

* admonitions and exercises become block quotes with a bold title, numbered as
  on the website (numbers are counted over the table of contents);
* solutions are folded in ``<details>`` (the student edition has none to fold);
* cross-references become the website's text ("Fig. 35", a section title) linked
  to the website; citations become "(Author, year)"; glossary terms plain text;
* code cells the website hides are collapsed, and each figure's caption follows
  its cell.

Computed numbers are written in two ways, one per kind of notebook:

``download``  the numbers the build computed are written into the text (the
              ``.ipynb`` offered by each page's download button; runs on Colab). A
              first cell installs the book's package from the repository named in
              ``_config.yml``.
``live``      each number is an inline expression ``{eval}`lib.teaching.glue.text(...)``` that
              jupyterlab-myst evaluates in the kernel once the cells above have run
              (JupyterLab on Binder or a hub, ``make lab``). Written without executing
              anything, so Binder can make these notebooks from the sources.

    python tools/portable_notebook.py live  --out notebooks
    python tools/portable_notebook.py download --glue _build/jupyter_execute/chapters \\
        --out _build/html/_sources/chapters
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from lib.teaching.glue import format_plain  # noqa: E402  (the website's glue formatting, shared)
from tools import myst_reader as myst  # noqa: E402  (the chapters' MyST, read as MyST reads it)

# Pages with code that cannot run outside the repository: no notebook is offered for them.
REPOSITORY_ONLY = {"instructors", "status"}
# Where Binder's postBuild and `make lab` write the live notebooks (the launch buttons open them).
LIVE_FOLDER = "notebooks"
# What jupyterlab-myst renders in a live notebook; anything else MyST in a Markdown cell is an error.
LIVE_ROLES = {"eval"}
LIVE_DIRECTIVES = {"admonition", "dropdown"}
ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
               "error", "seealso"}


@dataclass(frozen=True)
class Target:
    """Something a reference can point to: a section, a figure or an exercise."""

    doc: str
    text: str  # what the website prints for {ref} (a title) or {numref} (e.g. "Fig. 35")
    title: str = ""  # an exercise's title


@dataclass
class Book:
    """What every chapter's conversion needs to know about the whole book."""

    root: Path
    site: str
    package: str
    targets: dict[str, Target]
    bibliography: dict[str, dict[str, str]]
    chapters: list[str]

    @classmethod
    def load(cls, root: Path = ROOT) -> Book:
        config = yaml.safe_load((root / "_config.yml").read_text())
        toc = yaml.safe_load((root / "_toc.yml").read_text())
        chapters = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
        repository = config["repository"]
        package = f"optbook-lib @ git+{repository['url']}@{build_ref(root, repository.get('branch', 'main'))}"
        site = config["html"]["baseurl"].rstrip("/") + "/"
        return cls(root=root, site=site, package=package,
                   targets=_targets(root, [toc["root"], *chapters], chapter_numbers(toc)),
                   bibliography=_bibliography(root / "references.bib"), chapters=chapters)


def build_ref(root: Path = ROOT, fallback: str = "main") -> str:
    """The commit the book is built from (``git rev-parse HEAD``), or ``fallback`` outside a git checkout.

    The website's Binder button and the downloaded notebooks' install cell name it, so that they
    run the code the pages were computed with, not whatever the branch holds later.
    ``tools/build_book.py`` reads it once per build into ``BOOK_BUILD_REF``, which wins here, so
    that the pages and the notebooks written after them name the same commit.
    """
    import os
    import subprocess

    if os.environ.get("BOOK_BUILD_REF"):
        return os.environ["BOOK_BUILD_REF"]
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return fallback
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else fallback


def chapter_numbers(toc: dict) -> dict[str, int]:
    """The number of each chapter in a part marked ``numbered`` (1, 2, ... continuing across parts).

    Sphinx numbers these chapters so (sphinx-multitoc-numbering continues the count from part to
    part); the root page and the reference pages have no number.
    """
    numbers, count = {}, 0
    for part in toc.get("parts", []):
        if not part.get("numbered"):
            continue
        for entry in part["chapters"]:
            count += 1
            numbers[entry["file"]] = count
    return numbers


def _targets(root: Path, docs: list[str], numbers: dict[str, int] | None = None) -> dict[str, Target]:
    """Labels of sections, figures and exercises, numbered as the website numbers them.

    In a numbered chapter figures and exercises count from 1 again, after the chapter's number
    (Exercise 6.2, Fig. 6.3); elsewhere they count on through the unnumbered pages.
    """
    numbers = numbers or {}
    targets, loose = {}, {"figure": 0, "exercise": 0}
    for doc in docs:
        prefix = f"{numbers[doc]}." if doc in numbers else ""
        counts = {"figure": 0, "exercise": 0} if prefix else loose
        document = myst.read(root / f"{doc}.md", root)
        for label in document.labels():
            if label.heading:
                targets[label.label] = Target(doc, _strip_roles(label.heading.title))
        for exercise in document.directives("exercise"):
            counts["exercise"] += 1
            if exercise.options.get("label"):
                number = f"{prefix}{counts['exercise']}"
                targets[exercise.options["label"]] = Target(doc, f"Exercise {number}", exercise.argument)
        for cell in document.code_cells():
            mystnb = cell.options.get("mystnb")
            options = mystnb.get("figure", {}) if isinstance(mystnb, dict) else {}
            if "caption" in options:
                counts["figure"] += 1
                if "name" in options:
                    targets[options["name"]] = Target(doc, f"Fig. {prefix}{counts['figure']}")
    return targets


def _bibliography(path: Path) -> dict[str, dict[str, str]]:
    """A small BibTeX reader: entries' fields with braces removed (enough to print a reference)."""
    entries = {}
    for match in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", path.read_text(), re.S):
        fields = {name.lower(): re.sub(r"[{}]", "", value).strip()
                  for name, value in re.findall(r"(\w+)\s*=\s*(\{(?:[^{}]|\{[^{}]*\})*\}|\d+)", match[3])}
        entries[match[2]] = fields
    return entries


def _strip_roles(text: str) -> str:
    document = myst.parse(text)
    return "\n".join(document.rewrite(0, len(document.lines), lambda role: _explicit_text(role.content)))


def _explicit(content: str) -> tuple[str | None, str]:
    """A role's ``text <target>`` → ``(text, target)``; a bare target → ``(None, target)``."""
    stripped = content.strip()
    opening = stripped.rfind("<")
    if stripped.endswith(">") and opening >= 0 and ">" not in stripped[opening + 1:-1] \
            and len(stripped) - opening > 2:
        return stripped[:opening].rstrip(), stripped[opening + 1:-1]
    return None, stripped


def _explicit_text(content: str) -> str:
    """``text <target>`` → ``text``; a bare target is returned as it is."""
    text, _ = _explicit(content)
    return content if text is None else text


class Converter:
    """Turns one chapter's MyST Markdown into plain Markdown cells."""

    def __init__(self, book: Book, doc: str, mode: str, glue: dict[str, str] | None = None):
        if mode not in ("download", "live"):
            raise ValueError(f"mode must be 'download' or 'live', got {mode!r}")
        if mode == "download" and glue is None:
            raise ValueError("glue (the chapter's glued text/plain values) is needed for mode='download'")
        self.book, self.doc, self.mode, self.glue = book, doc, mode, glue or {}
        self.cited: list[str] = []
        self.source = myst.read(book.root / f"{doc}.md", book.root)
        self.path = self.source.path
        # In a live notebook a number is computed by the chapter's own cells: they must glue it.
        self.glued = self.source.glued() if mode == "live" else None
        # Cited keys carry the chapter's prefix, declared by its bibliography directive.
        self.keyprefix = next((d.options["keyprefix"] for d in self.source.directives()
                               if "keyprefix" in d.options), "")

    # ----- inline roles -----
    def role(self, role: myst.Role) -> str:
        name, content = role.name, role.content
        if name == "glue:text":
            key, spec = myst.glue_key(role)
            if self.mode == "live":
                if key not in self.glued:
                    raise myst.UnknownName(role.where,
                                           f"no code cell of {self.doc} glues a value named {key!r}")
                return "{eval}`lib.teaching.glue.text(%r, %r)`" % (key, spec)
            if key not in self.glue:
                raise myst.UnknownName(role.where, f"no glued value named {key!r}")
            return format_plain(self.glue[key], spec or "s")
        if name == "term":
            return _explicit_text(content)
        if name == "cite":
            return "(" + "; ".join(self.citation(key.strip(), role.where) for key in content.split(",")) + ")"
        if name in ("ref", "numref", "doc"):
            return self.reference(name, content, role.where)
        if name == "math":
            return f"${content}$"
        raise myst.MystError(role.where, f"the role {{{name}}} has no plain-notebook form")

    def entry(self, key: str, where: myst.Location | str | None = None) -> dict[str, str]:
        """The bibliography entry of a cited key (keys carry the chapter's ``keyprefix``)."""
        bibliography = self.book.bibliography
        entry = bibliography.get(key) or bibliography.get(key.removeprefix(self.keyprefix))
        if entry is None:
            raise myst.UnknownName(where or self.path, f"no bibliography entry for {key!r}")
        return entry

    def citation(self, key: str, where: myst.Location | None = None) -> str:
        entry = self.entry(key, where)
        self.cited.append(key)
        names = [name.split(",")[0].strip() for name in entry.get("author", "").split(" and ")]
        authors = names[0] if len(names) == 1 else (" and ".join(names) if len(names) == 2
                                                     else f"{names[0]} et al.")
        return f"{authors}, {entry.get('year', 'n.d.')}"

    def reference(self, role: str, content: str, where: myst.Location | None = None) -> str:
        _, label = _explicit(content)
        if role == "doc":
            doc = label.removeprefix("/")
            target = Target(doc, _explicit_text(content) if "<" in content else doc)
        else:
            target = self.book.targets.get(label)
            if target is None:
                raise myst.UnknownName(where or self.path, f"unknown reference target {label!r}")
        explicit = _explicit_text(content) if "<" in content else None
        if role == "numref" and explicit:
            number = target.text.split()[-1]
            text = explicit.replace("%s", number).replace("{number}", number)
        else:
            text = explicit or target.text
        if target.doc == self.doc:
            return text
        return f"[{text}]({self.book.site}{target.doc}.html#{label})"

    def inline(self, text: str, line: int = 1) -> str:
        """Replace roles; inline code spans are left as they are. ``line``: where ``text`` starts
        in the chapter (for messages)."""
        document = myst.parse(text, self.path, line)
        return "\n".join(document.rewrite(0, len(document.lines), self.role))

    # ----- blocks -----
    def markdown(self, source: str, line: int = 1) -> str:
        """Plain Markdown for MyST ``source``, which starts at line ``line`` of the chapter."""
        out = self.blocks(myst.parse(source, self.path, line))
        text = "\n".join(out).strip("\n")
        text = re.sub(r"^>\n(?:>\n)+", ">\n", text, flags=re.M)  # one empty quoted line at most
        return re.sub(r"\n{3,}", "\n\n", text)

    def blocks(self, document: myst.Document) -> list[str]:
        out = []
        for segment in document.segments():
            if segment.kind == "code":  # a plain code block: copied untouched
                out.extend(document.lines[segment.start:segment.end])
            elif segment.kind == "directive":
                out.extend(self.directive(segment.directive, document))
            elif segment.kind == "text":
                out.extend(document.rewrite(segment.start, segment.end, self.role))
            # "skip": label targets and MyST comments have no plain form
        return out

    def directive(self, directive: myst.Directive, document: myst.Document) -> list[str]:
        name, arg, options, body = directive.name, directive.argument, directive.options, directive.body_lines
        inner = [] if name in myst.LITERAL else self.blocks(document.nested(directive))
        if name == "admonition" or name in ADMONITIONS:
            title = self.inline(arg, directive.line) if name == "admonition" else name.capitalize()
            return self.box(title, options.get("class", name), inner)
        if name == "exercise":
            target = self.book.targets.get(options.get("label", ""))
            number = target.text if target else "Exercise"
            title = f" ({self.inline(arg, directive.line)})" if arg else ""
            return self.box(f"**{number}**{title}", "note", inner)
        if name == "solution":
            target = self.book.targets.get(arg)
            what = f"Solution to {target.text}" if target else "Solution"
            if self.mode == "live":  # rendered (math, numbers) inside jupyterlab-myst's dropdown
                return ["", f":::{{dropdown}} {what}", *inner, ":::", ""]
            return ["", "<details>", f"<summary>{what}</summary>", "", *inner, "", "</details>", ""]
        if name == "bibliography":
            self.keyprefix = options.get("keyprefix", "")
            return self.references()
        if name == "math":
            return ["", "$$", *body, "$$", ""]
        raise myst.MystError(directive.where, f"the directive {{{name}}} has no plain-notebook form")

    def box(self, title: str, css_class: str, inner: list[str]) -> list[str]:
        """An admonition: jupyterlab-myst draws the real one; plain Markdown gets a block quote."""
        if self.mode == "live":
            return ["", f"::::{{admonition}} {title}", f":class: {css_class}", *inner, "::::", ""]
        return ["", *_quote([f"**{title}**" if not title.startswith("**") else title, "", *inner]), ""]

    def references(self) -> list[str]:
        lines = []
        for key in dict.fromkeys(self.cited):
            entry = self.entry(key)
            where = entry.get("journal") or entry.get("booktitle") or entry.get("publisher") \
                or entry.get("howpublished", "")
            authors = entry.get("author", "").replace(" and ", "; ")
            lines.append(f"- {authors}. *{entry.get('title', '')}*. {where}, {entry.get('year', '')}.")
        return ["", *lines, ""]


def _quote(lines: list[str]) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in lines]


HIDDEN_TAGS = {"remove-cell", "remove-input", "hide-input", "hide-cell"}


def install_cell(book: Book) -> nbformat.NotebookNode:
    source = f'''# Run this cell first. It installs the book's package `lib` (optbook-lib) if this
# kernel does not have it yet (Colab, a fresh Jupyter): about a minute, once per runtime.
import importlib.metadata
import subprocess
import sys

BOOK_PACKAGE = "{book.package}"
try:
    importlib.metadata.version("optbook-lib")
except importlib.metadata.PackageNotFoundError:
    print("Installing the book's package…")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", BOOK_PACKAGE])
    if done.returncode != 0:
        raise RuntimeError(
            f"Installing the book's package failed (pip exit code {{done.returncode}}, messages above). "
            f"Check that this runtime can reach GitHub, then run this cell again, or install it "
            f"yourself with: pip install '{{BOOK_PACKAGE}}'") from None
    importlib.invalidate_caches()

import lib

if not hasattr(lib, "descend"):
    raise RuntimeError(f"`import lib` found {{lib.__path__}} instead of the book's package: "
                       "a folder named lib in the working directory hides it. Rename it or "
                       "change directory (os.chdir) and restart the kernel.")'''
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["install"]})


def convert(book: Book, doc: str, mode: str, glue: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The chapter ``doc`` (e.g. ``"chapters/sgd"``) as a plain notebook."""
    text = (book.root / f"{doc}.md").read_text()
    source = jupytext.reads(text, fmt="md:myst")
    converter = Converter(book, doc, mode, glue)
    # Every number the chapter shows must be glued: by its code cells (live), by the build (download).
    myst.check_glue(converter.source, converter.glued if mode == "live" else converter.glue)
    code_cells = iter(converter.source.code_cells())
    cursor = 0  # where the next cell's text is searched in the chapter (for file:line in messages)
    page = f"{book.site}{doc}.html"
    if mode == "download":
        intro = (f"*A chapter of* Optimization in Deep Learning *as a plain notebook "
                 f"([read it on the website]({page})). The numbers in the text are the ones computed "
                 f"when the book was built; run the cells to compute them yourself.*")
    else:
        intro = (f"*A chapter of* Optimization in Deep Learning *([website]({page})). Run all cells "
                 f"(Run ▸ Run All Cells): the numbers in the text appear as the cells above them finish.*")
    cells = [nbformat.v4.new_markdown_cell(intro)]
    if mode == "download":
        cells.append(install_cell(book))
    for cell in source.cells:
        if cell.cell_type == "markdown":
            found = text.find(cell.source, cursor) if cell.source else -1
            line = text.count("\n", 0, found) + 1 if found >= 0 else 1
            cursor = found + len(cell.source) if found >= 0 else cursor
            converted = converter.markdown(cell.source, line)
            if converted.strip():
                cells.append(nbformat.v4.new_markdown_cell(converted))
            continue
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        metadata = {"tags": tags} if tags else {}
        if HIDDEN_TAGS & set(tags):
            metadata["jupyter"] = {"source_hidden": True}
        if "remove-output" in tags:
            metadata.setdefault("jupyter", {})["outputs_hidden"] = True
        cells.append(nbformat.v4.new_code_cell(cell.source, metadata=metadata))
        directive = next(code_cells, None)
        figure = cell.metadata.get("mystnb", {}).get("figure", {})
        if "caption" in figure:
            number = book.targets.get(figure.get("name", ""))
            label = f"**{number.text}.** " if number else ""
            caption = converter.markdown(figure["caption"], directive.line if directive else 1)
            cells.append(nbformat.v4.new_markdown_cell(label + caption))
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # stable ids: the same chapter gives the same file
        if cell.cell_type == "markdown":
            # Live notebooks keep what jupyterlab-myst renders: {eval}, admonitions and dropdowns.
            left = raw_myst(cell.source, live=mode == "live", path=f"{doc}.ipynb, cell {number}")
            if left:
                raise ValueError(f"{doc}: MyST syntax left in a Markdown cell: {left} "
                                 f"in {cell.source[:200]!r}")
    nbformat.validate(notebook)
    return notebook


def raw_myst(markdown: str, live: bool = False, path: str = "<cell>") -> str | None:
    """The first MyST construct a plain notebook's Markdown would show raw (located), or None.

    ``live``: what jupyterlab-myst renders ({eval}, admonitions, dropdowns) is allowed.
    """
    return myst.parse(markdown, path).leftover(LIVE_ROLES if live else (), LIVE_DIRECTIVES if live else ())


def runnable_chapters(book: Book) -> list[str]:
    """Chapters with code that runs outside the repository."""
    return [doc for doc in book.chapters if Path(doc).name not in REPOSITORY_ONLY
            and myst.read(book.root / f"{doc}.md", book.root).code_cells()]


def load_glue(folder: Path, name: str) -> dict[str, str]:
    path = folder / f"{name}.glue.json"
    if not path.exists():
        return {}
    return {key: output["data"]["text/plain"] for key, output in json.loads(path.read_text()).items()
            if "text/plain" in output.get("data", {})}


def write_notebooks(root: Path, mode: str, out: Path, glue_folder: Path | None = None) -> int:
    """Write every runnable chapter of the book at ``root`` as a ``mode`` notebook into ``out``."""
    book = Book.load(root)
    out.mkdir(parents=True, exist_ok=True)
    docs = runnable_chapters(book)
    for doc in docs:
        name = Path(doc).name
        glue = load_glue(glue_folder, name) if glue_folder else None
        nbformat.write(convert(book, doc, mode, glue), out / f"{name}.ipynb")
    return len(docs)


def write_downloads(root: Path, build: Path) -> int:
    """Replace the executed notebooks a built site offers for download by plain ones.

    ``build`` is the ``_build`` folder of a finished build of the book at ``root``;
    the glued values come from its executed notebooks.
    """
    sources = build / "html" / "_sources" / "chapters"
    for name in REPOSITORY_ONLY:  # not offered: their pages have no download button
        (sources / f"{name}.ipynb").unlink(missing_ok=True)
    return write_notebooks(root, "download", sources, build / "jupyter_execute" / "chapters")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["live", "download"])
    parser.add_argument("--out", required=True, type=Path, help="folder for the .ipynb files")
    parser.add_argument("--glue", type=Path, help="folder of MyST-NB's <chapter>.glue.json (download mode)")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the book's sources (e.g. the student edition's copy)")
    args = parser.parse_args(argv)
    if args.mode == "download" and args.glue is None:
        parser.error("download mode needs --glue")
    count = write_notebooks(args.root.resolve(), args.mode, args.out, args.glue)
    print(f"Wrote {count} {args.mode} notebooks to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
