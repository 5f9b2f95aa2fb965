"""The tools' MyST reader (tools/myst_reader.py): each construct as MyST reads it, each error located."""

import shutil
import textwrap
from pathlib import Path

import pytest
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from tools import myst_reader as myst

ROOT = Path(__file__).resolve().parents[1]


def parse(text, path="chapters/x.md", first_line=1):
    return myst.parse(textwrap.dedent(text).lstrip("\n"), path, first_line)


def test_the_parser_is_myst_parsers_own_with_the_books_extensions():
    config = MdParserConfig(enable_extensions={"amsmath", "colon_fence", "dollarmath", "deflist",
                                               "substitution", "linkify"})
    reference = create_md_parser(config, myst.RendererHTML)
    ours = myst.markdown_parser()
    assert ours.get_active_rules() == reference.get_active_rules()
    assert {"colon_fence", "math_block", "myst_target", "fence"} <= set(ours.get_active_rules()["block"])
    assert {"myst_role", "math_inline"} <= set(ours.get_active_rules()["inline"])


def test_a_backtick_directive_with_argument_options_and_body():
    doc = parse("""
        Intro.

        :::{exercise} ★ pencil: Counting {term}`steps`
        :label: ex-count
        :class: tip

        How many steps?
        :::
        """)
    [exercise] = doc.directives()
    assert (exercise.name, exercise.fence) == ("exercise", ":::")
    assert exercise.argument == "★ pencil: Counting {term}`steps`"
    assert exercise.options == {"label": "ex-count", "class": "tip"}
    assert exercise.body_lines == ["", "How many steps?"]
    assert str(exercise.where) == "chapters/x.md:3" and exercise.location(1).line == 7
    # A role in the argument is found at the directive's line.
    [role] = doc.roles()
    assert (role.name, role.content, role.line) == ("term", "steps", 3)


def test_nested_fences_four_backticks_around_code_and_colons_around_colons():
    doc = parse("""
        ````{solution} ex-count
        :class: dropdown

        ```python
        print("```{note} not a directive")
        ```
        ````

        ::::{admonition} Outer
        :::{note}
        Inner {cite}`key`.
        :::
        ::::
        """)
    assert [(d.name, d.line) for d in doc.directives()] == [("solution", 1), ("admonition", 9), ("note", 10)]
    assert [d.name for d in doc.directives(nested=False)] == ["solution", "admonition"]
    solution = doc.directives("solution")[0]
    assert [s.kind for s in doc.nested(solution).segments()] == ["text", "code"]
    [role] = doc.roles()
    assert (role.name, role.line, role.column) == ("cite", 11, 6)


def test_a_code_cell_with_backticks_in_its_strings_is_code_and_its_glue_names_are_read():
    doc = parse('''
        ```{code-cell} ipython3
        :tags: [remove-cell]
        fence = "```{note}"
        text = """
        ```` not a closing fence: it has text after the backticks
        """
        %config InlineBackend.figure_format = "svg"
        from lib.teaching.glue import glue
        glue("sgd_loss", 1.0, display=False)
        for key in ["a", "b"]:
            glue(f"sgd_{key}_end", 2.0, display=False)
        ```

        The loss is {glue:text}`sgd_loss:.3g`, then {glue:text}`sgd_a_end`.
        ''')
    [cell] = doc.code_cells()
    assert cell.options == {"tags": "[remove-cell]"} and 'fence = "```{note}"' in cell.body
    assert [d.name for d in doc.directives()] == ["code-cell"]  # nothing read inside the code
    glued = doc.glued()
    assert "sgd_loss" in glued and "sgd_a_end" in glued and "sgd_zz_end" in glued
    assert "sgd_other" not in glued
    assert [(r.name, r.spec, r.where.line) for r in doc.glue_refs()] == [("sgd_loss", ".3g", 14),
                                                                         ("sgd_a_end", "", 14)]
    myst.check_glue(doc)


def test_yaml_options_of_a_code_cell_and_a_figure_caption():
    doc = parse("""
        ```{code-cell} ipython3
        ---
        mystnb:
          figure:
            caption: The loss after {glue:text}`n_steps` steps.
            name: fig-loss
        ---
        plot()
        ```
        """)
    [cell] = doc.code_cells()
    assert cell.options["mystnb"]["figure"]["name"] == "fig-loss" and cell.body == "plot()"
    assert [(r.name, r.where.line) for r in doc.glue_refs()] == [("n_steps", 1)]


def test_roles_labels_headings_and_code_spans():
    doc = parse("""
        (sec-intro)=

        ## The {term}`Hessian <Hessian matrix>`

        Inline ``{glue:text}`not_a_role` `` code, a role {ref}`sec-intro`, a
        double-tick role {math}``a`b`` and one in a table:

        | a | {glue:text}`x:.2f` |
        |---|---|
        | {glue:text}`x:.2f` | 1 |
        % a comment {cite}`hidden`
        """)
    [label] = doc.labels()
    assert (label.label, label.where.line) == ("sec-intro", 1)
    assert label.heading.title == "The {term}`Hessian <Hessian matrix>`"
    assert [(h.level, h.where.line) for h in doc.headings()] == [(2, 3)]
    roles = [(r.name, r.content, r.line, r.column) for r in doc.roles()]
    assert roles == [("term", "Hessian <Hessian matrix>", 3, 7), ("ref", "sec-intro", 5, 49),
                     ("math", "a`b", 6, 17), ("glue:text", "x:.2f", 8, 6), ("glue:text", "x:.2f", 10, 2)]
    assert [s.kind for s in doc.segments()] == ["skip", "text", "skip", "text"]  # the last: the final newline
    # A role is rewritten where it stands, a code span left as it is.
    lines = doc.rewrite(0, 6, lambda role: role.name.upper())
    assert lines[4] == "Inline ``{glue:text}`not_a_role` `` code, a role REF, a"


@pytest.mark.parametrize(("text", "message"), [
    ("Text.\n\n```{note}\nnever closed\n", r"chapters/x\.md:3: unclosed fence: the \{note\} directive"),
    ("Text.\n\n```python\nx = 1\n", r"chapters/x\.md:3: unclosed fence: the code block \(```python\)"),
    ("::::{admonition} A\n\n:::{note}\ninner\n::::\n", r"chapters/x\.md:3: unclosed fence: the \{note\}"),
    ("```{code-cell}\n---\ntags: [x]\nx = 1\n```\n", r"chapters/x\.md:1: the directive's options block"),
    # As in CommonMark, a backtick fence's argument cannot hold a backtick: that line is no fence, and
    # its closing line opens a code block that never closes (a colon fence takes such an argument).
    ("````{exercise} On {term}`steps`\nText.\n````\n", r"chapters/x\.md:3: unclosed fence: the code block"),
])
def test_errors_name_the_file_and_line(text, message):
    with pytest.raises(myst.MystError, match=message):
        myst.parse(text, "chapters/x.md").directives()


def test_an_error_in_a_cell_names_the_line_in_its_file():
    with pytest.raises(myst.MystError, match=r"chapters/x\.md:42: unclosed fence"):
        myst.parse("Text.\n\n:::{note}\n", "chapters/x.md", first_line=40)


def test_an_empty_chapter_is_an_error_not_a_stop_iteration():
    with pytest.raises(myst.MystError, match=r"chapters/x\.md:1: the chapter is empty"):
        myst.parse("", "chapters/x.md").title()
    with pytest.raises(myst.MystError, match=r"chapters/x\.md:1: the chapter has no heading"):
        myst.parse("Only text.\n", "chapters/x.md").title()


def test_an_unknown_glue_name_is_refused_with_its_line():
    doc = parse("""
        ```{code-cell} ipython3
        glue("known", 1.0)
        ```

        Known {glue:text}`known:.2f`, unknown {glue:text}`nknown:.2f`
        and {glue:text}`other`.
        """)
    with pytest.raises(myst.UnknownName, match=r"chapters/x\.md:5: no code cell glues a value named 'nknown' "
                       r"\(all unknown glue names: chapters/x\.md:5: 'nknown'; chapters/x\.md:6: 'other'\)"):
        myst.check_glue(doc)
    myst.check_glue(doc, known={"known", "nknown", "other"})  # an executed build's names
    with pytest.raises(KeyError):  # the lookups' usual exception, too
        myst.check_glue(doc, known={"known"})


def test_code_that_is_not_python_is_located():
    with pytest.raises(myst.MystError, match=r"chapters/x\.md:1: a code cell is not Python"):
        parse("```{code-cell} ipython3\ndef (:\n```\n").glued()


def test_glued_names_from_calls():
    names = myst.glued_in_code("import lib\nlib.glue.glue('a', 1)\nglue(f'b_{i}_c', 2)\nprint('x')\n")
    assert names.exact == {"a"} and names.patterns == {"b_*_c"}
    assert "b_7_c" in names and "b_c" not in names
    assert "anything" in myst.glued_in_code("glue(name, 1)")  # a name computed at run time


def test_every_chapter_reads_without_error_and_its_glue_names_are_glued():
    total = myst.check_chapters(sorted((ROOT / "chapters").glob("*.md")))
    assert total > 100


def book_copy(folder: Path) -> Path:
    for name in ("_config.yml", "_toc.yml", "references.bib", "intro.md"):
        shutil.copy2(ROOT / name, folder / name)
    shutil.copytree(ROOT / "chapters", folder / "chapters")
    return folder


def add_unknown_glue(chapter: Path, before: str, name: str) -> int:
    """Insert a paragraph showing the glued value ``name`` two lines below the line starting
    with ``before``; returns its line number."""
    lines = chapter.read_text().split("\n")
    index = next(i for i, text in enumerate(lines) if text.startswith(before)) + 2
    lines.insert(index, f"The loss fell to {{glue:text}}`{name}:.3g`.")
    chapter.write_text("\n".join(lines))
    return index + 1


def test_the_build_refuses_an_unknown_glue_name_in_a_chapter_copy(tmp_path):
    """tools/build_book.py checks every page before executing anything: a copy with a bad name fails."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import build_book

    book_copy(tmp_path)
    assert build_book.check_sources(tmp_path) > 100
    line = add_unknown_glue(tmp_path / "chapters" / "sgd.md", "## Summary", "sgd_no_such_number")
    with pytest.raises(myst.UnknownName, match=rf"^chapters/sgd\.md:{line}: no code cell glues a value "
                                               r"named 'sgd_no_such_number'$"):
        build_book.check_sources(tmp_path)
    # The live notebooks (Binder, `make lab`), written without executing anything, refuse it too.
    from tools import portable_notebook as pn

    book = pn.Book.load(tmp_path)
    with pytest.raises(KeyError, match=rf"chapters/sgd\.md:{line}: no code cell glues"):
        pn.convert(book, "chapters/sgd", "live")


def test_an_assignment_refuses_an_unknown_glue_name_in_its_chapter(tmp_path):
    from tools import assignments as asg
    from tools import portable_notebook as pn

    book_copy(tmp_path)
    line = add_unknown_glue(tmp_path / "chapters" / "momentum.md", "## Summary", "momentum_no_such_number")
    with pytest.raises(KeyError, match=rf"chapters/momentum\.md:{line}: no code cell glues a value "
                                       r"named 'momentum_no_such_number'"):
        asg.load("momentum", pn.Book.load(tmp_path))
