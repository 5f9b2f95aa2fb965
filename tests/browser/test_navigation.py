"""Getting around the built site: the contents on a phone and a laptop, the keyboard, solutions,
display formulas on a phone, numbering, and text free of raw TeX in the bibliography and search.

Screenshots go to ``_build/screenshots/`` (``navigation-phone-open.png`` and friends).
"""

from __future__ import annotations

import json
import re

import pytest

from .conftest import HTML, PHONE_HEIGHT, PHONE_WIDTH, phone_page, settle

pytestmark = pytest.mark.browser

EXPLORER_PAGE = "chapters/worked-example.html"
#: A chapter link of the contents, and whether a reader can see it (on the screen, not hidden).
CHAPTER_LINK_VISIBLE_JS = """() => {
  const links = [...document.querySelectorAll('nav.bd-docs-nav a.reference.internal')];
  const link = links.find((a) => a.getAttribute('href').includes('momentum.html'));
  if (!link) return null;
  const r = link.getBoundingClientRect(), style = getComputedStyle(link);
  const hit = document.elementFromPoint(r.left + Math.min(10, r.width / 2), r.top + r.height / 2);
  return r.width > 0 && r.right > 0 && r.left < innerWidth && r.top < innerHeight
    && style.visibility !== 'hidden' && !!hit && link.contains(hit);
}"""
MENU = ".header-article-items .primary-toggle"


def relative_luminance(rgb):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(rgb1, rgb2):
    light, dark = sorted((relative_luminance(rgb1), relative_luminance(rgb2)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def parse_rgb(text):
    return tuple(float(v) for v in re.findall(r"[\d.]+", text)[:3])


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast((0xE6, 0x9F, 0x00), (255, 255, 255)) == pytest.approx(2.25, abs=0.01)


@pytest.fixture
def touch_phone(browser):
    with phone_page(browser) as probe:
        yield probe.page


def test_menu_button_opens_and_closes_the_contents_on_a_phone(touch_phone, site_url, screenshot_dir):
    page = touch_phone
    page.goto(f"{site_url}/{EXPLORER_PAGE}", wait_until="load")
    settle(page)
    assert page.evaluate(CHAPTER_LINK_VISIBLE_JS) is False
    menu = page.locator(MENU)
    box = menu.bounding_box()
    assert box and box["width"] >= 24, "the ☰ is on the screen"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.touchscreen.tap(x, y)
    page.wait_for_timeout(400)
    assert page.evaluate(CHAPTER_LINK_VISIBLE_JS) is True, "a tap on ☰ shows the chapters"
    page.screenshot(path=str(screenshot_dir / "navigation-phone-open.png"))
    # A second tap on the same spot closes them again.
    page.touchscreen.tap(x, y)
    page.wait_for_timeout(400)
    assert page.evaluate(CHAPTER_LINK_VISIBLE_JS) is False, "a second tap hides the chapters"
    # No tooltip is left over the header's icons.
    assert page.locator(".tooltip:visible").count() == 0
    page.screenshot(path=str(screenshot_dir / "navigation-phone-closed.png"))


def test_sidebar_collapses_and_returns_on_a_laptop(probe, site_url, screenshot_dir):
    page = probe.page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{site_url}/{EXPLORER_PAGE}", wait_until="load")
    settle(page)
    assert page.evaluate(CHAPTER_LINK_VISIBLE_JS) is True
    article = page.locator("article").bounding_box()["width"]
    page.locator(MENU).click()
    page.wait_for_timeout(500)
    assert page.evaluate(CHAPTER_LINK_VISIBLE_JS) is False, "the collapse button hides the contents"
    assert page.locator("article").bounding_box()["width"] > article, "and the text takes the room"
    page.screenshot(path=str(screenshot_dir / "navigation-desktop-collapsed.png"))
    page.locator(MENU).click()
    page.wait_for_timeout(500)
    assert page.evaluate(CHAPTER_LINK_VISIBLE_JS) is True
    assert probe.console_errors == []


def test_the_first_explorer_is_a_few_keys_from_the_top_and_formulas_are_no_tab_stops(probe, site_url):
    page = probe.page
    page.goto(f"{site_url}/{EXPLORER_PAGE}", wait_until="load")
    settle(page)
    page.wait_for_selector(".optx .optx-plot[data-drawn]", timeout=30_000)
    formulas = page.locator("mjx-container").count()
    assert formulas > 20
    stops = page.evaluate("() => document.querySelectorAll('mjx-container[tabindex=\"0\"]').length")
    assert stops == 0, f"{stops} formulas are Tab stops on a laptop"
    # From the top of the page: Tab to the skip link, Enter, Tab into the explorer.
    presses = 0
    for _ in range(10):
        page.keyboard.press("Tab")
        presses += 1
        if "explorer" in page.evaluate("() => document.activeElement.textContent"):
            break
    page.keyboard.press("Enter")
    presses += 1
    for _ in range(10 - presses):
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate("() => !!document.activeElement.closest('.optx')"):
            break
    assert page.evaluate("() => !!document.activeElement.closest('.optx')"), \
        f"not in the explorer after {presses} key presses"
    assert presses <= 10


def test_focus_ring_has_3_to_1_contrast_on_white(probe, site_url):
    page = probe.page
    page.goto(f"{site_url}/{EXPLORER_PAGE}", wait_until="load")
    settle(page)
    rings = []
    for _ in range(12):  # skip links, search, the contents' links: each kind of control
        page.keyboard.press("Tab")
        rings.append(page.evaluate("""() => {
          const el = document.activeElement, s = getComputedStyle(el);
          return [el.tagName + ' ' + (el.textContent || '').trim().slice(0, 30),
                  s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor];
        }"""))
    for name, style, width, colour in rings:
        assert style != "none" and width >= 2, f"{name}: no focus ring"
        assert contrast(parse_rgb(colour), (255, 255, 255)) >= 3, f"{name}: ring {colour}"


def test_a_click_on_a_solution_title_opens_it(probe, site_url):
    page = probe.page
    page.goto(f"{site_url}/{EXPLORER_PAGE}", wait_until="load")
    settle(page)
    solution = page.locator("div.solution").first
    title = solution.locator(".admonition-title")
    title.scroll_into_view_if_needed()
    assert "toggle-hidden" in solution.get_attribute("class")
    before = page.evaluate("() => scrollY")
    box = title.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] / 2)  # on its words
    page.wait_for_timeout(400)
    assert "toggle-hidden" not in solution.get_attribute("class"), "the solution opened"
    assert abs(page.evaluate("() => scrollY") - before) < 5, "the page stayed where it was"
    assert title.locator("a").count() == 0


def math_pages():
    return sorted(p.relative_to(HTML).as_posix() for p in (HTML / "chapters").glob("*.html")
                  if '<div class="math notranslate nohighlight"' in p.read_text())


@pytest.mark.parametrize("page_path", math_pages())
def test_display_formulas_fit_a_phone_or_scroll_with_a_cue(touch_phone, site_url, page_path):
    page = touch_phone
    page.goto(f"{site_url}/{page_path}", wait_until="load")
    settle(page)
    found = page.evaluate("""() => {
      const article = document.querySelector('article').getBoundingClientRect();
      return [...document.querySelectorAll('mjx-container[display="true"]')].map((box) => {
        const r = box.getBoundingClientRect(), s = getComputedStyle(box);
        return { text: box.textContent.slice(0, 40), left: r.left, right: r.right,
                 articleRight: article.right, scrolls: box.scrollWidth > box.clientWidth + 1,
                 overflow: s.overflowX, cue: s.boxShadow !== 'none',
                 tab: box.getAttribute('tabindex') };
      });
    }""")
    assert found
    for formula in found:
        assert formula["right"] <= formula["articleRight"] + 1, f"{formula['text']} is cut: {formula}"
        if formula["scrolls"]:
            assert formula["overflow"] in ("auto", "scroll") and formula["cue"], formula
            assert formula["tab"] == "0", f"{formula['text']}: a scrolling formula is keyboard-reachable"
    # On paper nothing scrolls: each formula shrinks to the printed column (A4 less the PDF
    # edition's margins is 688 CSS px wide; the narrower phone column is a harder case).
    page.emulate_media(media="print")
    for width in (688, PHONE_WIDTH):
        page.set_viewport_size({"width": width, "height": PHONE_HEIGHT})
        page.wait_for_timeout(200)
        cut = page.evaluate("""() => {
          const column = document.querySelector('article').getBoundingClientRect();
          return [...document.querySelectorAll('mjx-container[display="true"] > mjx-math')]
            .filter((math) => math.getBoundingClientRect().right > column.right + 1
                              || math.getBoundingClientRect().left < column.left - 1)
            .map((math) => math.textContent.slice(0, 40));
        }""")
        assert cut == [], f"printed {width} px wide, these formulas are cut: {cut}"


def test_exercises_figures_and_equations_are_numbered_per_chapter():
    from bs4 import BeautifulSoup

    page = BeautifulSoup((HTML / "chapters" / "momentum.html").read_text(), "html.parser")
    heading = " ".join(page.select_one("section > h1").get_text().split())
    chapter = re.match(r"(\d+)\.?\s", heading)
    assert chapter, f"the chapter's title carries its number: {heading!r}"
    number = chapter[1]
    exercises = [" ".join(c.get_text().split()) for c in page.select("div.exercise .caption-number")]
    figures = [" ".join(c.get_text().split()) for c in page.select("figure .caption-number")]
    assert exercises and all(re.fullmatch(rf"Exercise {number}\.\d+", e) for e in exercises), exercises
    assert exercises[0] == f"Exercise {number}.1"
    assert figures and all(re.fullmatch(rf"Fig\. {number}\.\d+", f) for f in figures), figures
    for reference in ("glossary", "notation", "bibliography", "instructors"):
        html = (HTML / "chapters" / f"{reference}.html").read_text()
        title = BeautifulSoup(html, "html.parser").select_one("section > h1")
        assert not re.match(r"\d", title.get_text().strip()), f"{reference} has a chapter number"


def test_build_status_is_built_linked_from_the_instructors_page_and_not_in_the_contents():
    from bs4 import BeautifulSoup

    assert (HTML / "chapters" / "status.html").exists()
    intro = BeautifulSoup((HTML / "intro.html").read_text(), "html.parser")
    contents = " ".join(a["href"] for a in intro.select("nav.bd-docs-nav a[href]"))
    assert "status.html" not in contents and "momentum.html" in contents
    instructors = BeautifulSoup((HTML / "chapters" / "instructors.html").read_text(), "html.parser")
    assert instructors.select('article a[href$="status.html"], article a[href*="status.html#"]')


def test_bibliography_and_search_index_hold_no_raw_tex():
    from bs4 import BeautifulSoup

    # The book's bibliography and each chapter's list of references.
    text = " ".join(item.get_text() for page in sorted((HTML / "chapters").glob("*.html"))
                     for item in BeautifulSoup(page.read_text(), "html.parser").select(".citation-list"))
    assert "Nesterov" in text and "O(1/k²)" in text
    assert not re.search(r"\$|\\[a-zA-Z]+|\\\(", text), re.findall(r".{30}(?:\$|\\[a-zA-Z(]).{30}", text)
    source = (HTML / "searchindex.js").read_text()
    index = json.loads(source[source.index("(") + 1:source.rindex(")")])
    titles = [*index["titles"], *index["alltitles"]]
    assert "Training, and the stability limit 2/α" in titles
    raw = [t for t in titles if "\\" in t or "$" in t]
    assert raw == []
    # The build's status page (file names, dates) is not searched: no title, no word points to it.
    status = index["docnames"].index("chapters/status")
    assert index["titles"][status] == ""
    assert not [term for term, docs in index["terms"].items()
                if status == docs or (isinstance(docs, list) and status in docs)]
    glossary = index["docnames"].index("chapters/glossary")
    assert [term for term, docs in index["terms"].items()
            if glossary in ([docs] if isinstance(docs, int) else docs)]


def test_search_snippets_show_formulas_as_text(probe, site_url):
    page = probe.page
    page.goto(f"{site_url}/search.html?q=stability", wait_until="load")
    page.wait_for_selector("#search-results li p.context", timeout=20_000)
    page.wait_for_timeout(1000)
    snippets = page.locator("#search-results li").all_inner_texts()
    assert snippets
    assert not [s for s in snippets if re.search(r"\\[a-zA-Z(\[]", s)], snippets
    assert any("2/α" in s for s in snippets), "formulas read as their symbols (the index's table)"
