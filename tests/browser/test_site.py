"""Every page of the built book, checked as a reader's browser sees it."""

from __future__ import annotations

import re

import pytest

from .conftest import HTML, settle

# Pages Sphinx writes for its own machinery; they are checked for load errors only.
GENERATED = {"genindex.html", "search.html", "index.html"}


def book_pages():
    pages = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
                   if "_static" not in p.parts and "_sources" not in p.parts)
    return pages or ["intro.html"]


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
    # Widgets: every embedded widget view rendered (the HTML manager replaces its script tag).
    views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]')
    if views.count():
        rendered = ".jupyter-widgets, .widget-subarea, .lm-Widget"
        page.wait_for_selector(rendered, timeout=15000)
        assert page.locator(rendered).count() >= views.count()
