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

# Pages with code that cannot run outside the repository: no notebook is offered for them.
REPOSITORY_ONLY = {"instructors", "status"}
# Where Binder's postBuild and `make lab` write the live notebooks (the launch buttons open them).
LIVE_FOLDER = "notebooks"
# Raw MyST a plain notebook must never show (the tests search every Markdown cell for these).
RAW_MYST = re.compile(r"\{[a-z][a-z:-]*\}`|^\s*[`:]{3,}\s*\{|^\(\s*[\w-]+\s*\)=\s*$|^:[a-z-]+:\s", re.M)

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\s*(?:\{(?P<name>[\w:-]+)\})?\s*(?P<arg>.*)$")
ROLE = re.compile(r"\{(?P<role>[a-z][a-z:-]*)\}`(?P<content>[^`]+)`")
LIVE_MYST = re.compile(r"\{eval\}`[^`]+`|^:{3,}(\{admonition\}|\{dropdown\}).*$|^:{3,}$|^:class: .*$", re.M)
INLINE = re.compile(ROLE.pattern + r"|`[^`]+`")
TARGET = re.compile(r"^\(\s*(?P<label>[\w-]+)\s*\)=\s*$")
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*$")
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
        text = (root / f"{doc}.md").read_text()
        lines = text.splitlines()
        for i, line in enumerate(lines):
            match = TARGET.match(line)
            if match:
                heading = next((HEADING.match(after) for after in lines[i + 1:i + 3]
                                if HEADING.match(after)), None)
                if heading:
                    targets[match["label"]] = Target(doc, _strip_roles(heading["title"]))
            fence = FENCE.match(line)
            if fence and fence["name"] == "exercise":
                counts["exercise"] += 1
                label = next((m[1] for m in (re.match(r"^:label:\s*(\S+)", after)
                                             for after in lines[i + 1:i + 6]) if m), None)
                if label:
                    number = f"{prefix}{counts['exercise']}"
                    targets[label] = Target(doc, f"Exercise {number}", fence["arg"].strip())
        for cell in jupytext.reads(text, fmt="md:myst").cells:
            options = cell.metadata.get("mystnb", {}).get("figure", {})
            if cell.cell_type == "code" and "caption" in options:
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
    return ROLE.sub(lambda m: _explicit_text(m["content"]), text)


def _explicit_text(content: str) -> str:
    """``text <target>`` → ``text``; a bare target is returned as it is."""
    match = re.match(r"^(.*?)\s*<([^<>]+)>$", content.strip(), re.S)
    return match[1] if match else content


class Converter:
    """Turns one chapter's MyST Markdown into plain Markdown cells."""

    def __init__(self, book: Book, doc: str, mode: str, glue: dict[str, str] | None = None):
        if mode not in ("download", "live"):
            raise ValueError(f"mode must be 'download' or 'live', got {mode!r}")
        if mode == "download" and glue is None:
            raise ValueError("glue (the chapter's glued text/plain values) is needed for mode='download'")
        self.book, self.doc, self.mode, self.glue = book, doc, mode, glue or {}
        self.cited: list[str] = []
        # Cited keys carry the chapter's prefix, declared by its bibliography directive.
        prefix = re.search(r"^:keyprefix:\s*(\S+)", (book.root / f"{doc}.md").read_text(), re.M)
        self.keyprefix = prefix[1] if prefix else ""

    # ----- inline roles -----
    def role(self, match: re.Match) -> str:
        role, content = match["role"], match["content"]
        if role == "glue:text":
            name, _, spec = content.rpartition(":") if ":" in content else (content, "", "")
            if self.mode == "live":
                return "{eval}`lib.teaching.glue.text(%r, %r)`" % (name, spec)
            if name not in self.glue:
                raise KeyError(f"{self.doc}: no glued value named {name!r}")
            return format_plain(self.glue[name], spec or "s")
        if role == "term":
            return _explicit_text(content)
        if role == "cite":
            return "(" + "; ".join(self.citation(key.strip()) for key in content.split(",")) + ")"
        if role in ("ref", "numref", "doc"):
            return self.reference(role, content)
        if role == "math":
            return f"${content}$"
        raise ValueError(f"{self.doc}: the role {{{role}}} has no plain-notebook form")

    def entry(self, key: str) -> dict[str, str]:
        """The bibliography entry of a cited key (keys carry the chapter's ``keyprefix``)."""
        bibliography = self.book.bibliography
        entry = bibliography.get(key) or bibliography.get(key.removeprefix(self.keyprefix))
        if entry is None:
            raise KeyError(f"{self.doc}: no bibliography entry for {key!r}")
        return entry

    def citation(self, key: str) -> str:
        entry = self.entry(key)
        self.cited.append(key)
        names = [name.split(",")[0].strip() for name in entry.get("author", "").split(" and ")]
        authors = names[0] if len(names) == 1 else (" and ".join(names) if len(names) == 2
                                                     else f"{names[0]} et al.")
        return f"{authors}, {entry.get('year', 'n.d.')}"

    def reference(self, role: str, content: str) -> str:
        label = re.search(r"<([^<>]+)>$", content)
        label = label[1] if label else content.strip()
        if role == "doc":
            doc = label.removeprefix("/")
            target = Target(doc, _explicit_text(content) if "<" in content else doc)
        else:
            target = self.book.targets.get(label)
            if target is None:
                raise KeyError(f"{self.doc}: unknown reference target {label!r}")
        explicit = _explicit_text(content) if "<" in content else None
        if role == "numref" and explicit:
            number = target.text.split()[-1]
            text = explicit.replace("%s", number).replace("{number}", number)
        else:
            text = explicit or target.text
        if target.doc == self.doc:
            return text
        return f"[{text}]({self.book.site}{target.doc}.html#{label})"

    def inline(self, text: str) -> str:
        """Replace roles; inline code spans are left as they are."""
        return INLINE.sub(lambda m: self.role(m) if m["role"] else m[0], text)

    # ----- blocks -----
    def markdown(self, source: str) -> str:
        lines = source.splitlines()
        out = self.blocks(lines)
        text = "\n".join(out).strip("\n")
        text = re.sub(r"^>\n(?:>\n)+", ">\n", text, flags=re.M)  # one empty quoted line at most
        return re.sub(r"\n{3,}", "\n\n", text)

    def blocks(self, lines: list[str]) -> list[str]:
        out, i = [], 0
        while i < len(lines):
            line = lines[i]
            fence = FENCE.match(line)
            if fence and fence["name"] is None and fence["fence"].startswith("`"):
                # A plain code block: copied untouched up to its closing fence.
                end = self._closing(lines, i, fence["fence"])
                out.extend(lines[i:end + 1])
                i = end + 1
                continue
            if fence and fence["name"]:
                end = self._closing(lines, i, fence["fence"])
                options, body = self._options(lines[i + 1:end])
                out.extend(self.directive(fence["name"], fence["arg"].strip(), options, body))
                i = end + 1
                continue
            if TARGET.match(line) or re.match(r"^%", line):
                i += 1  # label targets and MyST comments have no plain form
                continue
            out.append(self.inline(line))
            i += 1
        return out

    @staticmethod
    def _closing(lines: list[str], start: int, fence: str) -> int:
        for j in range(start + 1, len(lines)):
            if lines[j].strip() == fence:
                return j
        raise ValueError(f"unclosed fence {fence!r} opened by {lines[start]!r}")

    @staticmethod
    def _options(lines: list[str]) -> tuple[dict[str, str], list[str]]:
        options, i = {}, 0
        while i < len(lines) and (match := re.match(r"^:([\w-]+):\s*(.*)$", lines[i])):
            options[match[1]] = match[2].strip()
            i += 1
        return options, lines[i:]

    def directive(self, name: str, arg: str, options: dict[str, str], body: list[str]) -> list[str]:
        inner = self.blocks(body)
        if name == "admonition" or name in ADMONITIONS:
            title = self.inline(arg) if name == "admonition" else name.capitalize()
            return self.box(title, options.get("class", name), inner)
        if name == "exercise":
            target = self.book.targets.get(options.get("label", ""))
            number = target.text if target else "Exercise"
            title = f" ({self.inline(arg)})" if arg else ""
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
        raise ValueError(f"{self.doc}: the directive {{{name}}} has no plain-notebook form")

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
            text = converter.markdown(cell.source)
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text))
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
        figure = cell.metadata.get("mystnb", {}).get("figure", {})
        if "caption" in figure:
            number = book.targets.get(figure.get("name", ""))
            label = f"**{number.text}.** " if number else ""
            cells.append(nbformat.v4.new_markdown_cell(label + converter.markdown(figure["caption"])))
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # stable ids: the same chapter gives the same file
        # Live notebooks keep what jupyterlab-myst renders: {eval}, admonitions and dropdowns.
        text = LIVE_MYST.sub("", cell.source) if mode == "live" else cell.source
        if cell.cell_type == "markdown" and RAW_MYST.search(text):
            raise ValueError(f"{doc}: MyST syntax left in a Markdown cell: "
                             f"{RAW_MYST.search(text)[0]!r} in {cell.source[:200]!r}")
    nbformat.validate(notebook)
    return notebook


def runnable_chapters(book: Book) -> list[str]:
    """Chapters with code that runs outside the repository."""
    return [doc for doc in book.chapters if Path(doc).name not in REPOSITORY_ONLY
            and "```{code-cell}" in (book.root / f"{doc}.md").read_text()]


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
