"""Every page of the built book, checked as a reader's browser sees it."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tools.portable_notebook import build_ref

from .conftest import HTML, book_pages, redirect_target, settle

#: What the site was built from: the commit (``git rev-parse HEAD``), or the branch outside git.
BUILD_REF = build_ref()

# Pages Sphinx writes for its own machinery; they are checked for load errors only.
GENERATED = {"genindex.html", "search.html"}


def test_a_redirect_page_leads_to_a_page_of_the_site(probe, site_url):
    """index.html only redirects (a meta refresh): the reader lands on the front page."""
    assert redirect_target("index.html") == "intro.html"
    probe.page.goto(f"{site_url}/index.html")
    probe.page.wait_for_url(f"{site_url}/intro.html", wait_until="load")
    settle(probe.page)
    assert probe.page.title()


@pytest.mark.parametrize("page_path", book_pages())
def test_page_loads_cleanly(probe, site_url, screenshot_dir, page_path):
    page = probe.page
    page.goto(f"{site_url}/{page_path}", wait_until="load")
    settle(page)
    shot = screenshot_dir / (re.sub(r"[/.]", "_", page_path.removesuffix(".html")) + ".png")
    page.screenshot(path=str(shot), full_page=True)

    assert probe.external_requests == [], "requests left localhost"
    assert probe.failed_requests == [], "requests failed"
    assert probe.console_errors == [], "console errors"

    if page_path in GENERATED:
        return
    # Math: every math node was typeset by MathJax (no raw TeX left).
    raw_math = page.locator("div.math, span.math").count()
    typeset = page.locator("mjx-container").count()
    if raw_math:
        assert typeset >= raw_math, f"{raw_math} math nodes but {typeset} typeset"
    # Figures: every content image has non-trivial alt text and actually loaded.
    images = page.locator("article img")
    for i in range(images.count()):
        img = images.nth(i)
        alt = (img.get_attribute("alt") or "").strip()
        src = img.get_attribute("src")
        assert len(alt) >= 20 and not alt.startswith("_build"), f"image {src} lacks alt text: {alt!r}"
        assert img.evaluate("el => el.complete && el.naturalWidth > 0"), f"image {src} did not load"
        # Sharp on high-density screens and paper: vector, or two image pixels per CSS pixel.
        if "/_images/" in src and not src.endswith(".svg"):
            natural, shown = img.evaluate("el => [el.naturalWidth, el.getBoundingClientRect().width]")
            assert natural >= 2 * shown - 0.5, f"image {src}: {natural} px shown {shown:.0f} px wide"
    # Widgets: every embedded widget view rendered (the HTML manager replaces its script tag).
    views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]')
    if views.count():
        # The anywidget host fills a div per view; the full HTML manager makes .jupyter-widgets.
        rendered = ".jupyter-widgets, .widget-subarea, .lm-Widget, .anywidget-static > *"
        page.wait_for_selector(rendered, timeout=15000)
        assert page.locator(rendered).count() >= views.count()


def notebook_chapters():
    return sorted(p.stem for p in (HTML / "_sources" / "chapters").glob("*.ipynb"))


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_launch_and_download_links_work(probe, site_url, chapter):
    """Binder opens the chapter's live notebook; the .ipynb download is a notebook that installs lib."""
    page = probe.page
    page.goto(f"{site_url}/chapters/{chapter}.html", wait_until="load")
    binder = page.locator("a[href*='mybinder.org']")
    assert binder.count() >= 1
    assert binder.first.get_attribute("href").endswith(f"urlpath=lab/tree/notebooks/{chapter}.ipynb")
    # Binder runs the commit the site was built from (the branch only outside a git checkout).
    assert f"/{BUILD_REF}?" in binder.first.get_attribute("href")
    assert page.locator("a[href*='colab.research.google.com']").count() == 0, \
        "Colab cannot open the .md sources: no Colab launch button"
    href = page.locator("a[href*='_sources/'][href$='.ipynb']").first.get_attribute("href")
    with urllib.request.urlopen(f"{site_url}/chapters/{href}") as response:
        notebook = json.loads(response.read())
    code = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    if any(re.search(r"^\s*(import lib|from lib)", source, re.M) for source in code):
        assert "install" in code[0] and "optbook-lib" in code[0], "first code cell installs lib"
        assert f"@{BUILD_REF}" in code[0], "the install cell names the commit the site was built from"
