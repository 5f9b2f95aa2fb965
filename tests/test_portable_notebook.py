"""The chapters as plain notebooks (tools/portable_notebook.py): what each piece of MyST becomes."""

from pathlib import Path

import pytest

from lib.teaching import glue
from tools import portable_notebook as pn

ROOT = Path(__file__).resolve().parents[1]
BOOK = pn.Book.load(ROOT)


def converter(mode="download", values=None, doc="chapters/sgd"):
    return pn.Converter(BOOK, doc, mode, values if values is not None else {"x": "0.000123", "n": "1347"})


def test_glued_numbers_are_written_in_or_evaluated_live():
    text = "loss {glue:text}`x:.1e` after {glue:text}`n:,` steps and {glue:text}`n`"
    assert converter().markdown(text) == "loss 1.2e-04 after 1,347 steps and 1347"
    # Live, a number is one the chapter's own code cells glue (here two of sgd's).
    live_text = "loss {glue:text}`sgd_budget_batch:.1e` and {glue:text}`sgd_budget_mini`"
    live = converter("live").markdown(live_text)
    assert live == ("loss {eval}`lib.teaching.glue.text('sgd_budget_batch', '.1e')` and "
                    "{eval}`lib.teaching.glue.text('sgd_budget_mini', '')`")


def test_a_live_notebook_refuses_a_name_no_code_cell_glues():
    message = r"chapters/sgd\.md:12: no code cell of chapters/sgd glues a value named 'x'"
    with pytest.raises(KeyError, match=message):
        converter("live").markdown("text\n\nloss {glue:text}`x:.1e`", line=10)


def test_live_expressions_format_like_the_website():
    glue.glue("portable_test_value", 0.000123)
    glue.glue("portable_test_count", 1347)
    assert glue.text("portable_test_value", ".1e") == glue.format_plain("0.000123", ".1e") == "1.2e-04"
    for plain, spec in (("1347", "zz"), ("abc", "d"), ("[1, 2]", "f")):
        with pytest.raises(ValueError, match=f"^spec {spec!r} cannot format"):
            glue.format_plain(plain, spec)
    assert glue.text("portable_test_count", ",") == "1,347"
    with pytest.raises(ValueError, match="name 'never_glued' has no glued value"):
        glue.text("never_glued")
    with pytest.raises(ValueError, match="spec"):
        glue.text("portable_test_count", ".2q")
    with pytest.raises(TypeError, match="name"):
        glue.glue(3, 1.0)


def test_a_missing_glued_value_fails_the_conversion():
    with pytest.raises(KeyError, match=r"chapters/sgd\.md:7: no glued value named 'y'"):
        converter().markdown("{glue:text}`y:.2f`", line=7)


def test_admonitions_and_exercises_become_block_quotes_and_solutions_fold():
    source = "\n".join([
        ":::{admonition} Learning objectives", ":class: tip", "After this chapter you can", ":::", "",
        "````{exercise} Batch size and learning rate", ":label: ex-sgd-scaling", "",
        "Double the batch size.", "````", "",
        "````{solution} ex-sgd-scaling", ":class: dropdown", "", "Halve the variance.", "````",
    ])
    text = converter().markdown(source)
    number = BOOK.targets["ex-sgd-scaling"].text
    assert "> **Learning objectives**\n>\n> After this chapter you can" in text
    assert f"> **{number}** (Batch size and learning rate)\n>\n> Double the batch size." in text
    assert f"<details>\n<summary>Solution to {number}</summary>\n\nHalve the variance.\n\n</details>" in text
    assert pn.raw_myst(text) is None


def test_references_and_citations_read_as_on_the_website():
    c = converter()
    same_page = c.markdown("see {numref}`fig-sgd-compare`")
    assert same_page == f"see {BOOK.targets['fig-sgd-compare'].text}"
    other = c.markdown("see {ref}`ch-momentum`")
    assert other == f"see [Momentum]({BOOK.site}chapters/momentum.html#ch-momentum)"
    assert c.markdown("a {term}`saddle <saddle point>` and a {term}`Hessian`") == "a saddle and a Hessian"
    assert c.markdown("{cite}`sgd-grosse2018optimization`") == "(Grosse, 2018)"
    assert c.markdown("inline `code with {glue:text}` kept`") == "inline `code with {glue:text}` kept`"


def test_syntax_without_a_plain_form_is_an_error_not_left_raw():
    with pytest.raises(ValueError, match=r"sgd\.md:1: the role \{unknownrole\}"):
        converter().markdown("{unknownrole}`x`")
    with pytest.raises(ValueError, match=r"sgd\.md:4: the directive \{glossary\}"):
        converter().markdown("Text.\n\n:::{glossary}\nterm\n:::", line=2)
    with pytest.raises(ValueError, match=r"sgd\.md:3: unclosed fence: the \{note\} directive"):
        converter().markdown("Text.\n\n```{note}\nnever closed\n")
    with pytest.raises(KeyError, match=r"sgd\.md:5: unknown reference target 'no-such-label'"):
        converter().markdown("see {ref}`no-such-label`", line=5)
    with pytest.raises(ValueError, match="mode"):
        pn.Converter(BOOK, "chapters/sgd", "pdf")


def test_figures_and_exercises_are_numbered_per_chapter():
    figures = [t for t in BOOK.targets.values() if t.text.startswith("Fig. ")]
    exercises = [t for t in BOOK.targets.values() if t.text.startswith("Exercise ")]
    toc = pn.yaml.safe_load((pn.ROOT / "_toc.yml").read_text())
    chapters = pn.chapter_numbers(toc)
    # The numbered chapters run 1, 2, … through the numbered parts, in the order of the contents.
    assert list(chapters.values()) == list(range(1, len(chapters) + 1))
    assert [doc for doc in BOOK.chapters if doc in chapters] == list(chapters)
    assert not {"chapters/glossary", "chapters/notation", "chapters/bibliography"} & set(chapters)
    for targets in (figures, exercises):
        assert targets
        # "Exercise 6.2": the chapter's number, then the count within the chapter (labelled ones
        # are a subset, so the counts only increase).
        numbers = [tuple(int(n) for n in t.text.split()[-1].split(".")) for t in targets]
        assert all(len(n) == 2 and n[0] == chapters[t.doc] for n, t in zip(numbers, targets))
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_the_install_cell_names_the_commit_the_book_is_built_from(tmp_path, monkeypatch):
    import subprocess

    monkeypatch.delenv("BOOK_BUILD_REF", raising=False)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=pn.ROOT, capture_output=True, text=True)
    if head.returncode == 0:
        assert pn.build_ref() == head.stdout.strip()
        assert BOOK.package.endswith("@" + head.stdout.strip())
    # Outside a git checkout: the branch named in _config.yml.
    assert pn.build_ref(tmp_path, fallback="main") == "main"


def test_one_build_names_one_commit(monkeypatch):
    """build_book.py fixes the commit for the whole build (the pages and the downloads written after)."""
    monkeypatch.setenv("BOOK_BUILD_REF", "0" * 40)
    assert pn.build_ref() == "0" * 40
    assert pn.Book.load().package.endswith("@" + "0" * 40)


@pytest.mark.parametrize("doc", pn.runnable_chapters(BOOK))
def test_every_chapter_converts_to_a_live_notebook(doc):
    notebook = pn.convert(BOOK, doc, "live")
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and not any("install" in c.metadata.get("tags", []) for c in code)
    assert "instructors" not in doc and "status" not in doc


def test_raw_myst_left_in_a_cell_is_found_and_located():
    assert pn.raw_myst("plain *text* and `{glue:text}` in code") is None
    assert pn.raw_myst("a\n\nb {cite}`key`", path="x.ipynb") == "x.ipynb:3: {cite}`key`"
    assert pn.raw_myst("(fig-x)=\n# Title") == "<cell>:1: (fig-x)="
    assert pn.raw_myst(":class: tip\ntext").endswith(":class: tip")
    assert pn.raw_myst("::::{admonition} T\n:class: tip\n{eval}`1+1`\n::::", live=True) is None
    assert pn.raw_myst("::::{admonition} T\n:class: tip\n{eval}`1+1`\n::::").startswith("<cell>:3: {eval}")
