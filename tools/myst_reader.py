"""Read the book's MyST Markdown the way MyST itself reads it, with every piece located by file:line.

The chapters are parsed by markdown-it-py with the plugins of mdit-py-plugins, configured by
MyST-Parser's own ``create_md_parser`` from the extensions the book enables in ``_config.yml``
(``parse.myst_enable_extensions``). So a fence, a role or a label is what the website's build sees,
not what a regular expression guesses. The tools (plain notebooks, the student edition, the
assignments, the chapter catalog) read chapters through :func:`read` and :func:`parse`:

* :class:`Directive` — ``{name} argument``, its options (``:key: value`` lines or a ``---`` YAML
  block), its body and the file:line of its opening fence;
* :class:`Role` — ``{name}`content``` (e.g. ``{glue:text}`loss:.3g```), with its line and column;
* :class:`Label` — a target ``(label)=``; :class:`Heading` — a section title;
* :class:`GlueRef` — a ``{glue:...}`` role's glued name and format.

Every error is a :class:`MystError` whose message starts with ``file:line``: an unclosed fence, an
empty chapter, an unknown directive or role a tool relies on, a glue reference whose name no code
cell glues (:func:`check_glue`, against the names the chapter's code passes to ``glue(...)``, read
with :mod:`ast`, or against the values an executed build glued).
"""

from __future__ import annotations

import ast
import fnmatch
import functools
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

ROOT = Path(__file__).resolve().parent.parent
#: Directives whose body is not MyST (code, maths): their bodies are not read for roles or directives.
LITERAL = frozenset({"code-cell", "code", "code-block", "sourcecode", "math", "raw", "literalinclude"})
#: Roles that read a glued value.
GLUE_ROLES = frozenset({"glue", "glue:", "glue:any", "glue:text", "glue:md"})


class MystError(ValueError):
    """A problem in MyST source, located: the message starts with ``file:line``."""

    def __init__(self, where: Location | str, message: str):
        self.where, self.message = where, message
        super().__init__(f"{where}: {message}")

    def __str__(self) -> str:  # a KeyError subclass would otherwise print the message quoted
        return f"{self.where}: {self.message}"


class UnknownName(MystError, KeyError):
    """A name the source uses but nothing defines: a glued value, a reference target, a citation."""


@dataclass(frozen=True)
class Location:
    path: str
    line: int  # 1-based, in the file

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Role:
    """``{name}`content``` at ``where``; ``column`` is its offset in its source line (None if unknown)."""

    name: str
    content: str
    markup: str
    where: Location
    index: int  # the source line, 0-based within the parsed text
    column: int | None

    @property
    def line(self) -> int:
        return self.where.line


@dataclass(frozen=True)
class GlueRef:
    """A ``{glue:text}`name:spec``` reference: the glued ``name`` and its format ``spec``."""

    name: str
    spec: str
    where: Location

    @property
    def line(self) -> int:
        return self.where.line


@dataclass(frozen=True)
class Label:
    """A target ``(label)=`` and the heading right after it, if any."""

    label: str
    where: Location
    heading: Heading | None = None


@dataclass(frozen=True)
class Heading:
    level: int
    title: str  # the source text after the ``#`` marks, roles as written
    where: Location


@dataclass(frozen=True)
class Directive:
    """A fenced directive (backticks or colons): ``{name} argument``, options, body.

    ``start`` and ``end`` index the parsed text's lines, fences included (``end`` is one past the
    closing fence); ``body`` is the text after the options.
    """

    name: str
    argument: str
    options: dict = field(hash=False)
    body: str
    fence: str
    where: Location
    start: int
    end: int
    body_index: int  # the body's first line, 0-based within the parsed text

    @property
    def line(self) -> int:
        return self.where.line

    @property
    def body_lines(self) -> list[str]:
        return self.body.split("\n") if self.body else []

    def location(self, offset: int = 0) -> Location:
        """The file:line of the body's line ``offset``."""
        return Location(self.where.path, self.where.line + (self.body_index - self.start) + offset)


@dataclass(frozen=True)
class Segment:
    """A run of source lines ``[start, end)``: a directive, a plain code block, a label or comment
    (``skip``), or ordinary Markdown (``text``)."""

    kind: str
    start: int
    end: int
    directive: Directive | None = None


@functools.cache
def _extensions(root: Path = ROOT) -> frozenset[str]:
    config = yaml.safe_load((root / "_config.yml").read_text()) or {}
    return frozenset(config.get("parse", {}).get("myst_enable_extensions", []))


@functools.cache
def markdown_parser(extensions: frozenset[str] | None = None) -> MarkdownIt:
    """markdown-it-py as MyST-Parser configures it for the book (its ``create_md_parser``)."""
    config = MdParserConfig(enable_extensions=set(_extensions() if extensions is None else extensions))
    return create_md_parser(config, RendererHTML)


def option_line(line: str) -> tuple[str, str] | None:
    """``:name: value`` → ``(name, value)``; None for any other line."""
    if not line.startswith(":"):
        return None
    name, colon, value = line[1:].partition(":")
    if not colon or not name or not all(c.isalnum() or c in "_-" for c in name):
        return None
    return name, value.strip()


def split_options(lines: list[str], where: Location | None = None) -> tuple[dict, int]:
    """A directive body's options and the index of its first content line.

    Options are the leading ``:key: value`` lines, or a YAML block between ``---`` lines (as MyST
    reads them).
    """
    if lines and lines[0].strip() == "---":
        for j in range(1, len(lines)):
            if lines[j].strip() == "---":
                try:
                    options = yaml.safe_load("\n".join(lines[1:j])) or {}
                except yaml.YAMLError as err:
                    raise MystError(where or "<string>",
                                    f"the directive's options are not YAML: {err}") from None
                return options, j + 1
        raise MystError(where or "<string>", "the directive's options block (---) is never closed")
    options, i = {}, 0
    while i < len(lines) and (option := option_line(lines[i])):
        options[option[0]] = option[1]
        i += 1
    return options, i


class Document:
    """One piece of MyST text, parsed: a chapter, a cell, or a directive's body.

    ``first_line`` is the file line of the text's first line, so that whatever is found in a
    cell or a directive's body is located in its file.
    """

    def __init__(self, text: str, path: str = "<string>", first_line: int = 1):
        self.text, self.path, self.first_line = text, str(path), first_line
        self.lines = text.split("\n")
        self.tokens: list[Token] = markdown_parser().parse(text)
        self._directives: list[Directive] = []
        self._segments: list[Segment] = []
        self._roles: list[Role] = []
        self._labels: list[Label] = []
        self._headings: list[Heading] = []
        self._cursors: dict[int, int] = {}
        self.front_matter: dict | None = None
        self._read()

    def where(self, index: int) -> Location:
        return Location(self.path, self.first_line + index)

    # ----- the block structure -----
    def _read(self) -> None:
        claimed: list[Segment] = []
        headings: dict[int, Heading] = {}  # by the position of their heading_open token
        for position, token in enumerate(self.tokens):
            if token.type == "front_matter":
                self.front_matter = yaml.safe_load(token.content) or {}
                claimed.append(Segment("skip", *token.map))
            elif token.type in ("fence", "colon_fence"):
                claimed.append(self._fence(token))
            elif token.type in ("myst_target", "myst_line_comment"):
                claimed.append(Segment("skip", *token.map))
            elif token.type == "heading_open":
                source = self.lines[token.map[0]].strip()
                title = (source.lstrip("#").strip() if token.markup.startswith("#")
                         else self.tokens[position + 1].content)
                headings[position] = Heading(int(token.tag[1:]), title, self.where(token.map[0]))
            elif token.type == "inline":
                self._inline(token)
        self._headings = list(headings.values())
        for position, token in enumerate(self.tokens):
            if token.type == "myst_target":
                heading = headings.get(position + 1)
                # A label names the heading right below it (a blank line between them is allowed).
                if heading and heading.where.line - self.where(token.map[0]).line > 2:
                    heading = None
                self._labels.append(Label(token.content.strip(), self.where(token.map[0]), heading))
        self._segments = self._cover(claimed)

    def _fence(self, token: Token) -> Segment:
        start, end = token.map
        marker = token.markup
        closing = self.lines[end - 1].strip().lstrip(">").strip() if end - 1 > start else ""
        info = token.info.strip()
        name = info[1:info.index("}")] if info.startswith("{") and "}" in info else None
        if not (closing and set(closing) == {marker[0]} and len(closing) >= len(marker)):
            what = f"the {{{name}}} directive" if name else f"the code block ({marker}{info})"
            raise MystError(self.where(start), f"unclosed fence: {what} opened here is never closed "
                            f"(no closing {marker} before the end of the text)")
        if name is None:
            return Segment("code", start, end)
        argument = info[info.index("}") + 1:].strip()
        # The body is taken from the source lines, as written (markdown-it trims list indentation).
        raw = self.lines[start + 1:end - 1]
        options, skip = split_options(raw, self.where(start))
        body = "\n".join(raw[skip:])
        directive = Directive(name, argument, options, body, marker, self.where(start), start, end,
                              start + 1 + skip)
        self._directives.append(directive)
        return Segment("directive", start, end, directive)

    def _cover(self, claimed: list[Segment]) -> list[Segment]:
        """Every line in one segment: the claimed ones, and ordinary text between them."""
        segments, line = [], 0
        for segment in sorted(claimed, key=lambda s: s.start):
            if segment.start < line:  # inside an earlier segment (cannot happen for block tokens)
                continue
            if segment.start > line:
                segments.append(Segment("text", line, segment.start))
            segments.append(segment)
            line = segment.end
        if line < len(self.lines):
            segments.append(Segment("text", line, len(self.lines)))
        return segments

    # ----- inline roles -----
    def _inline(self, token: Token) -> None:
        if token.map is None or not token.children:
            return
        first, last = token.map[0], max(token.map[1], token.map[0] + 1)
        region = "\n".join(self.lines[first:last])
        # Several inline tokens share a source line in a table row: search each after the last.
        cursor = self._cursors.get(first, 0)
        for child in token.children:
            if child.type == "code_inline":
                found = region.find(child.markup, cursor)
                if found >= 0:  # step over the code span, so a role written inside it is not taken
                    close = region.find(child.markup, found + len(child.markup))
                    cursor = close + len(child.markup) if close >= 0 else cursor
            elif child.type == "myst_role":
                name, content = child.meta["name"], child.content
                column, markup, index = None, f"{{{name}}}`{content}`", first
                for ticks in ("`", "``", "```"):
                    candidate = f"{{{name}}}{ticks}{content}{ticks}"
                    found = region.find(candidate, cursor)
                    if found >= 0:
                        markup, cursor = candidate, found + len(candidate)
                        index = first + region.count("\n", 0, found)
                        column = found - (region.rfind("\n", 0, found) + 1)
                        break
                self._roles.append(Role(name, content, markup, self.where(index), index, column))
        self._cursors[first] = cursor

    # ----- the API -----
    def rewrite(self, start: int, end: int, replace: Callable[[Role], str]) -> list[str]:
        """Lines ``[start, end)`` with each role replaced by ``replace(role)`` (called in source
        order); everything else, code spans included, as written."""
        by_line: dict[int, list[tuple[Role, str]]] = {}
        for role in self._roles:
            if start <= role.index < end:
                if role.column is None:
                    raise MystError(role.where, f"the role {{{role.name}}} is split across lines: "
                                    "write it on one line")
                by_line.setdefault(role.index, []).append((role, replace(role)))
        out = []
        for index in range(start, end):
            line = self.lines[index]
            for role, text in sorted(by_line.get(index, []), key=lambda pair: -pair[0].column):
                line = line[:role.column] + text + line[role.column + len(role.markup):]
            out.append(line)
        return out

    def leftover(self, roles: Container[str] = (), directives: Container[str] = ()) -> str | None:
        """The first MyST construct a plain Markdown reader would show raw, located, or None.

        ``roles`` and ``directives`` name those allowed (what jupyterlab-myst renders).
        """
        for role in self.roles():
            if role.name not in roles:
                return f"{role.where}: {role.markup}"
        for directive in self.directives():
            if directive.name not in directives:
                return f"{directive.where}: {directive.fence}{{{directive.name}}}"
        for label in self.labels():
            return f"{label.where}: ({label.label})="
        for document in [self, *(self.nested(d) for d in self.directives() if d.name not in LITERAL)]:
            for segment in document.segments():
                for index in range(segment.start, segment.end) if segment.kind == "text" else ():
                    if option_line(document.lines[index]):
                        return f"{document.where(index)}: {document.lines[index]}"
        return None

    def segments(self) -> list[Segment]:
        """The text as consecutive segments (directives, code blocks, skipped lines, text)."""
        return list(self._segments)

    def spans(self, name: str) -> list[tuple[int, int]]:
        """The lines ``[start, end)`` of every ``{name}`` directive, at any depth, outermost only."""
        found = []
        for directive in self._directives:
            if directive.name == name:
                found.append((directive.start, directive.end))
            elif directive.name not in LITERAL:
                offset = directive.body_index
                found.extend((start + offset, end + offset)
                             for start, end in self.nested(directive).spans(name))
        return sorted(found)

    def list_items(self) -> list[str]:
        """The first paragraph of each item of the text's ordered lists, its lines joined by spaces."""
        items = []
        for position, token in enumerate(self.tokens):
            if token.type == "list_item_open" and token.markup in (".", ")"):
                inline = next((t for t in self.tokens[position + 1:] if t.type == "inline"), None)
                if inline is not None:
                    items.append(" ".join(line.strip() for line in inline.content.split("\n")).strip())
        return items

    def nested(self, directive: Directive) -> Document:
        """The body of ``directive``, parsed, its lines located in this file."""
        return parse(directive.body, self.path, directive.location().line)

    def directives(self, name: str | None = None, *, nested: bool = True) -> list[Directive]:
        """Directives in source order (with ``nested``, also those inside MyST directives' bodies)."""
        found = []
        for directive in self._directives:
            if name is None or directive.name == name:
                found.append(directive)
            if nested and directive.name not in LITERAL:
                found.extend(self.nested(directive).directives(name))
        return sorted(found, key=lambda d: d.line)

    def roles(self, name: str | None = None, *, nested: bool = True) -> list[Role]:
        """Roles in source order, those in directives' arguments and (with ``nested``) bodies included."""
        found = [role for role in self._roles if name is None or role.name == name]
        if nested:
            for directive in self._directives:
                if directive.argument:
                    found.extend(inline_roles(directive.argument, directive.where, name))
                if directive.name not in LITERAL:
                    found.extend(self.nested(directive).roles(name))
                caption = (directive.options.get("mystnb") or {}).get("figure", {}).get("caption") \
                    if isinstance(directive.options.get("mystnb"), dict) else None
                if caption:
                    found.extend(parse(caption, self.path, directive.line).roles(name))
        return sorted(found, key=lambda r: (r.line, r.column or 0))

    def glue_refs(self) -> list[GlueRef]:
        """The glued values the text shows (``{glue:text}`name:spec``` and the other glue roles)."""
        refs = []
        for role in self.roles():
            if role.name in GLUE_ROLES:
                name, spec = glue_key(role)
                refs.append(GlueRef(name, spec, role.where))
        return refs

    def labels(self) -> list[Label]:
        """Targets ``(label)=`` (this text only; a directive's ``:label:`` is one of its options)."""
        return list(self._labels)

    def headings(self) -> list[Heading]:
        return list(self._headings)

    def title(self) -> Heading:
        """The first heading; an empty text or one without a heading is an error."""
        if not self._headings:
            what = "is empty" if not self.text.strip() else "has no heading"
            raise MystError(self.where(0), f"the chapter {what}: a chapter starts with a '# title' heading")
        return self._headings[0]

    def code_cells(self) -> list[Directive]:
        return self.directives("code-cell", nested=False)

    def glued(self) -> GluedNames:
        """The names the chapter's code cells pass to ``glue(...)``, read from their Python."""
        names = GluedNames()
        for cell in self.code_cells():
            names.update(glued_in_code(cell.body, cell.where))
        return names


def inline_roles(text: str, where: Location, name: str | None = None) -> list[Role]:
    """The roles of one line of inline text (a directive's argument) located at ``where``."""
    document = parse(text, where.path, where.line)
    return [role for role in document._roles if name is None or role.name == name]


def glue_key(role: Role) -> tuple[str, str]:
    """``name:spec`` → ``(name, spec)`` (``{glue:text}`` takes a format after the last colon)."""
    if role.name == "glue:text" and ":" in role.content:
        name, _, spec = role.content.rpartition(":")
        return name, spec
    return role.content, ""


@functools.lru_cache(maxsize=4096)
def parse(text: str, path: str = "<string>", first_line: int = 1) -> Document:
    """Parse MyST text; ``path`` and ``first_line`` say where it is, for messages.

    The same text at the same place is parsed once (a document is not changed once read).
    """
    return Document(text, str(path), first_line)


def read(path: Path | str, root: Path = ROOT) -> Document:
    """Parse a MyST file (a chapter, jupytext header included); messages name it relative to ``root``."""
    path = Path(path)
    try:
        shown = str(path.resolve().relative_to(root))
    except ValueError:
        shown = str(path)
    return parse(path.read_text(), shown)


# ----- glued names -----

class GluedNames(Container):
    """Names a chapter glues: exact ones, and patterns (``f"sgd_{key}_end"`` → ``sgd_*_end``)."""

    def __init__(self, exact: Iterable[str] = (), patterns: Iterable[str] = ()):
        self.exact, self.patterns = set(exact), set(patterns)

    def update(self, other: GluedNames) -> None:
        self.exact |= other.exact
        self.patterns |= other.patterns

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self.exact or any(
            fnmatch.fnmatchcase(name, pattern) for pattern in self.patterns))

    def __repr__(self) -> str:
        return f"GluedNames({len(self.exact)} names, patterns {sorted(self.patterns)})"


def _python(code: str) -> str:
    # IPython magics (%config, !pip) are not Python: blank them, keeping the line numbers.
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.split("\n"))


def glued_in_code(code: str, where: Location | None = None) -> GluedNames:
    """The names ``code`` passes to ``glue(name, ...)`` (or ``lib.teaching.glue.glue``, ``glue.glue``).

    A constant name is taken as it is; an f-string becomes a pattern with ``*`` for each
    formatted value; any other expression matches every name.
    """
    try:
        tree = ast.parse(_python(code))
    except SyntaxError as err:
        raise MystError(where or "<code>",
                        f"a code cell is not Python: {err.msg} (its line {err.lineno})") from None
    names = GluedNames()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        if not ((isinstance(func, ast.Name) and func.id == "glue")
                or (isinstance(func, ast.Attribute) and func.attr == "glue")):
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.exact.add(first.value)
        elif isinstance(first, ast.JoinedStr):
            names.patterns.add("".join(part.value if isinstance(part, ast.Constant) else "*"
                                       for part in first.values))
        else:
            names.patterns.add("*")
    return names


def unknown_glue(document: Document, known: Container[str]) -> list[GlueRef]:
    return [ref for ref in document.glue_refs() if ref.name not in known]


def check_glue(document: Document, known: Container[str] | None = None) -> None:
    """Refuse a glue reference whose name is not ``known`` (default: the names the document's
    code cells glue). The message lists each unknown name with its file:line."""
    known = document.glued() if known is None else known
    missing = unknown_glue(document, known)
    if missing:
        listed = "; ".join(f"{ref.where}: {ref.name!r}" for ref in missing)
        raise UnknownName(missing[0].where, f"no code cell glues a value named {missing[0].name!r}"
                          + (f" (all unknown glue names: {listed})" if len(missing) > 1 else ""))


def check_chapters(paths: Iterable[Path], root: Path = ROOT) -> int:
    """:func:`check_glue` on every chapter in ``paths``; returns how many glue references were checked."""
    count = 0
    for path in paths:
        document = read(path, root)
        check_glue(document)
        count += len(document.glue_refs())
    return count
