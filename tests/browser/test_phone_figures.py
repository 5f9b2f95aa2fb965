"""Figures on a phone: the smallest text of every chapter figure stays legible at 360 CSS px.

A matplotlib figure is a PNG drawn at the book's dpi (``lib.plotting.use_book_style``) and shrunk
by the browser to the column's width. Its smallest text then measures, in CSS pixels,

    smallest font size (pt) × dpi × pixel ratio / 72 × rendered width / natural width,

the pixel ratio being the image pixels per CSS pixel of a figure at its own size
(``lib.plotting.PIXEL_RATIO``: retina PNGs).

The font sizes are the style's own (tick labels, legends, titles) and every size a figure's cell
names in its code (``fontsize=9``, ``labelsize=8``, ``prop={"size": 8}``); the cell is found in the
chapter's source by the figure's alt text. The rendered and natural widths are measured in
headless Chromium at 360 × 800 CSS px, one page load per chapter.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from .conftest import HTML, PHONE_WIDTH, ROOT, settle

pytestmark = pytest.mark.browser

WIDTH = PHONE_WIDTH
#: The smallest legible text on a phone, in CSS px (about 6 pt at arm's length is the floor).
MIN_TEXT_PX = 8.0

# Every figure of the page's content: its widths and what names it.
FIGURES_JS = """() => [...document.querySelectorAll('main img')]
  .filter((img) => img.currentSrc.includes('/_images/'))
  .map((img) => {
    const figure = img.closest('figure');
    const caption = figure && figure.querySelector('figcaption');
    return { src: img.currentSrc.split('/').pop(), alt: img.alt || '',
             natural: img.naturalWidth, rendered: img.getBoundingClientRect().width,
             caption: caption ? caption.textContent.trim().replace(/\\s+/g, ' ') : '' };
  })"""

_SIZE = re.compile(r"""(?<![\w])["']?(?:fontsize|labelsize|size)["']?\s*[=:]\s*["']?"""
                   r"""(\d+(?:\.\d+)?|xx-small|x-small|small|medium|large|x-large|xx-large)""")


def _words(text):
    return " ".join(str(text).split())


@cache
def style_sizes():
    """The book style's dpi and its font sizes in pt, named relative sizes resolved."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    from lib import plotting

    with mpl.rc_context():
        plotting.use_book_style()
        names = ["font.size", "xtick.labelsize", "ytick.labelsize", "axes.labelsize",
                 "axes.titlesize", "legend.fontsize", "figure.titlesize"]
        sizes = {name: FontProperties(size=mpl.rcParams[name]).get_size_in_points() for name in names}
        return float(mpl.rcParams["savefig.dpi"]), sizes, float(mpl.rcParams["font.size"])


def font_pt(value, base):
    from matplotlib.font_manager import font_scalings

    return float(value) if value[0].isdigit() else base * font_scalings[value]


@cache
def figure_cells(chapter):
    """The code of each figure cell of a chapter, by the figure's alt text (whitespace folded)."""
    import jupytext

    notebook = jupytext.read(ROOT / "chapters" / f"{chapter}.md")
    cells = {}
    for cell in notebook.cells:
        alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt")
        if cell.cell_type == "code" and alt:
            cells[_words(alt)] = cell.source
    return cells


def smallest_text_pt(chapter, alt):
    """The smallest font size (pt) in the figure with this alt text: the style's or its code's."""
    _, sizes, base = style_sizes()
    code = figure_cells(chapter).get(_words(alt))
    if code is None:
        return None
    explicit = [font_pt(m, base) for m in _SIZE.findall(code)]
    return min([*sizes.values(), *explicit])


def measure(page, url, chapter):
    """One row per figure of the page: widths, smallest font and its size on the screen in px."""
    page.goto(url, wait_until="load")
    settle(page)
    page.wait_for_function("() => [...document.images].every((img) => img.complete)")
    from lib.plotting import PIXEL_RATIO

    dpi = style_sizes()[0]
    rows = []
    for figure in page.evaluate(FIGURES_JS):
        pt = smallest_text_pt(chapter, figure["alt"])
        px = None if pt is None or not figure["natural"] else \
            pt * dpi * PIXEL_RATIO / 72 * figure["rendered"] / figure["natural"]
        rows.append({**figure, "chapter": chapter, "pt": pt, "px": px})
    return rows


def chapters():
    return sorted(p.stem for p in (HTML / "chapters").glob("*.html")
                  if (ROOT / "chapters" / f"{p.stem}.md").exists())


@pytest.mark.parametrize("chapter", chapters())
def test_figure_text_is_legible_on_a_phone(phone, site_url, chapter):
    rows = measure(phone, f"{site_url}/chapters/{chapter}.html", chapter)
    unknown = [row["alt"][:60] or row["src"] for row in rows if row["pt"] is None]
    assert not unknown, f"figures whose cell was not found by alt text: {unknown}"
    small = [f"{row['px']:.1f} px ({row['pt']:g} pt, {row['natural']} px wide shown at "
             f"{row['rendered']:.0f}): {(row['caption'] or row['alt'])[:70]}"
             for row in rows if row["px"] < MIN_TEXT_PX]
    assert not small, f"text under {MIN_TEXT_PX} CSS px on a {WIDTH} px screen: {small}"


@pytest.mark.parametrize("chapter", chapters())
def test_figures_are_sharp_on_a_phone(phone, site_url, chapter):
    """Each figure is an SVG or has at least twice the pixels of its width on a 360 px screen."""
    rows = measure(phone, f"{site_url}/chapters/{chapter}.html", chapter)
    blurry = [f"{row['natural']} px shown at {row['rendered']:.0f}: {(row['caption'] or row['alt'])[:60]}"
              for row in rows
              if not row["src"].endswith(".svg") and row["natural"] < 2 * row["rendered"] - 0.5]
    assert not blurry, f"figures with fewer than 2 image pixels per CSS pixel: {blurry}"
