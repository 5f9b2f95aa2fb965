"""The built site on a phone: 360 × 800 CSS pixels, the narrowest common phone screen.

No page may scroll sideways, and nothing inside the page's content may stick out past the
screen's right edge unless a box that fits on the screen scrolls or clips it (a code cell,
display math, a wide table). The explorer must stay usable there: its legend wraps, its
sliders lie on the screen and respond to a key press. Screenshots go to
``_build/screenshots/`` (``phone-explorer.png``, ``phone-explorer-viewport.png``).
"""

from __future__ import annotations

import pytest

from .conftest import PHONE_WIDTH, book_pages, settle

pytestmark = pytest.mark.browser

WIDTH = PHONE_WIDTH
EXPLORER_PAGE = "chapters/worked-example.html"

# What sticks out past the right edge, inside the main content. An element is excused
# when an ancestor that fits on the screen scrolls or clips it (overflow-x not visible).
OVERFLOW_JS = """() => {
  const root = document.documentElement, width = root.clientWidth;
  const content = document.querySelector('main') || document.body;
  const fits = (el) => { const r = el.getBoundingClientRect(); return r.left >= -1 && r.right <= width + 1; };
  const excused = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible' && fits(a)) return true;
    }
    return false;
  };
  const name = (el) => {
    const cls = typeof el.className === 'string' ? el.className : (el.className.baseVal || '');
    const text = (el.textContent || '').trim().slice(0, 40);
    return `${el.tagName.toLowerCase()}${cls ? '.' + cls.trim().split(/\\s+/).join('.') : ''}`
      + ` [${Math.round(el.getBoundingClientRect().left)}, ${Math.round(el.getBoundingClientRect().right)}]`
      + (text ? ` "${text}"` : '');
  };
  const wide = [];
  for (const el of content.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || fits(el)) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.position === 'fixed') continue;  // off-canvas drawers
    if (!excused(el)) wide.push(name(el));
  }
  return { scrollWidth: root.scrollWidth, clientWidth: width, wide };
}"""


def load(page, url):
    page.goto(url, wait_until="load")
    settle(page)
    if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
        page.wait_for_selector(".optx .optx-plot[data-drawn], .jupyter-widgets", timeout=15_000)
        page.wait_for_timeout(100)  # the explorer's layout settles after its first draw


@pytest.mark.parametrize("page_path", book_pages())
def test_no_page_scrolls_sideways_on_a_phone(phone, site_url, page_path):
    load(phone, f"{site_url}/{page_path}")
    found = phone.evaluate(OVERFLOW_JS)
    assert found["clientWidth"] == WIDTH
    assert found["wide"] == [], f"wider than the {WIDTH} px screen: {found['wide'][:8]}"
    assert found["scrollWidth"] <= found["clientWidth"], \
        f"{page_path} scrolls sideways: {found['scrollWidth']} px wide on a {WIDTH} px screen"


def test_explorer_is_usable_on_a_phone(phone, site_url, screenshot_dir):
    page = phone
    load(page, f"{site_url}/{EXPLORER_PAGE}")
    explorer = page.locator(".optx").first
    explorer.scroll_into_view_if_needed()
    box = explorer.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH + 0.5, box
    # The legend wraps inside the card rather than running past it.
    legend = explorer.locator(".optx-legend").bounding_box()
    assert legend["x"] >= box["x"] and legend["x"] + legend["width"] <= box["x"] + box["width"] + 0.5
    entries = explorer.locator(".optx-legend > span:visible")
    for i in range(entries.count()):
        entry = entries.nth(i).bounding_box()
        assert entry["x"] >= box["x"] and entry["x"] + entry["width"] <= box["x"] + box["width"] + 0.5
    # The plot takes the card's width; every slider is on the screen and wide enough to use.
    plot = explorer.locator("svg.optx-background").bounding_box()
    assert plot["width"] >= 0.8 * box["width"] - 40, plot
    sliders = explorer.locator("input[type=range]:visible")
    assert sliders.count() >= 3
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        slider.scroll_into_view_if_needed()
        rect = slider.bounding_box()
        assert rect["x"] >= 0 and rect["x"] + rect["width"] <= WIDTH + 0.5, rect
        assert rect["width"] >= 200, f"slider {i} is only {rect['width']:.0f} px wide"
    # A key press still moves a slider and redraws (the figure works at this width).
    lr = sliders.first
    drawn = int(explorer.locator(".optx-plot").get_attribute("data-drawn"))
    before = lr.evaluate("el => Number(el.value)")
    lr.focus()
    page.keyboard.press("ArrowLeft" if before >= float(lr.get_attribute("max")) else "ArrowRight")
    page.wait_for_function("([el, n]) => Number(el.dataset.drawn) > n",
                           arg=[explorer.locator(".optx-plot").element_handle(), drawn], timeout=5_000)
    assert lr.evaluate("el => Number(el.value)") != before
    explorer.scroll_into_view_if_needed()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    # The theme's sticky header would be painted over the stitched element screenshot.
    explorer.screenshot(path=str(screenshot_dir / "phone-explorer.png"),
                        style=".bd-header, .bd-header-article, .skip-link { visibility: hidden !important; }")
    page.screenshot(path=str(screenshot_dir / "phone-explorer-viewport.png"))
