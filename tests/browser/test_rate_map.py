"""The momentum chapter's rate map on the built static site: a click sets run A, no kernel needed.

Needs a built book (``make book``) and Chromium. Screenshots: ``rate-map-desktop.png``,
``rate-map-regimes.png`` and ``rate-map-phone.png`` in ``_build/screenshots/``.
"""

from __future__ import annotations

import math

import pytest

from .conftest import PHONE_WIDTH, explorer_page, phone_page, settle
from .test_explorer_site import wait_for_redraw

pytestmark = pytest.mark.browser

PAGE = "chapters/momentum.html"
PHONE = PHONE_WIDTH


def map_explorer(page):
    explorer = page.locator(".optx", has=page.locator(".optx-map")).first
    explorer.scroll_into_view_if_needed()
    return explorer


def state(explorer):
    """What the reader sees of run A and the map."""
    return explorer.evaluate("""root => {
        const ranges = root.querySelectorAll('fieldset')[0].querySelectorAll('input[type=range]');
        const readout = root.querySelector('.optx-map-readout');
        return {
            lr: Number(ranges[0].value), momentum: Number(ranges[1].value),
            path: root.querySelector('.optx-run-a').getAttribute('d'),
            run: root.querySelector('.optx-readout').textContent,
            map: readout.textContent, regime: readout.dataset.regime, rate: Number(readout.dataset.rate),
            marker: root.querySelector('.optx-map-marker').getAttribute('transform'),
            image: root.querySelector('.optx-map-image').getAttribute('href'),
            drawn: Number(root.querySelector('.optx-plot').dataset.drawn),
        };
    }""")


def point(explorer, u, v):
    """Viewport coordinates of the map at fraction u of the α axis and v of the μ axis (from the
    bottom), with the map scrolled into view (a click outside the viewport goes nowhere)."""
    image = explorer.locator(".optx-map-image")
    image.scroll_into_view_if_needed()
    box = image.bounding_box()
    return box["x"] + u * box["width"], box["y"] + (1 - v) * box["height"]


@pytest.fixture
def desktop(browser, site_url):
    with explorer_page(browser, f"{site_url}/{PAGE}", ready=".optx-map-frame") as probe:
        yield probe


def test_clicking_the_map_sets_run_a_and_the_readout(desktop, screenshot_dir):
    page = desktop.page
    explorer = map_explorer(page)
    frame = explorer.locator(".optx-map-frame")
    assert frame.get_attribute("role") == "application"
    assert "convergence rate" in frame.get_attribute("aria-label")
    readout_id = frame.get_attribute("aria-describedby")
    assert explorer.locator(f"#{readout_id}").count() == 1
    before = state(explorer)
    assert before["regime"] == "monotone"
    assert before["map"].startswith("Run A at α = 0.002, μ = 0: rate 0.998")

    # Upper middle of the map: large momentum, ripples.
    page.mouse.click(*point(explorer, 0.55, 0.8))
    wait_for_redraw(explorer, before["drawn"])
    after = state(explorer)
    assert after["momentum"] > before["momentum"] and after["lr"] > before["lr"]
    assert after["path"] != before["path"] and after["marker"] != before["marker"]
    assert after["regime"] == "ripples"
    # The rate read out is √μ of exactly the setting drawn (complex roots), as the text says.
    mu = float(after["map"].split("μ = ")[1].split(":")[0])
    lr = float(after["map"].split("α = ")[1].split(",")[0])
    assert math.isclose(after["rate"], math.sqrt(mu), rel_tol=1e-12), after["map"]
    assert after["run"].startswith(f"α = {after['map'].split('α = ')[1].split(':')[0]} — "), after["run"]
    path = explorer.locator("path.optx-run-a")
    assert (float(path.get_attribute("data-lr")), float(path.get_attribute("data-momentum"))) == (lr, mu)
    assert f"rate {after['map'].split('rate ')[1].split(' per')[0]} per step, ripples" in after["map"]
    screenshot_dir.mkdir(parents=True, exist_ok=True)
    explorer.screenshot(path=str(screenshot_dir / "rate-map-desktop.png"))

    # Keys on the focused map: down lowers μ by one slider step, left lowers α by one.
    frame.focus()
    for key, moved in (("ArrowDown", "momentum"), ("ArrowLeft", "lr")):
        previous = state(explorer)
        page.keyboard.press(key)
        wait_for_redraw(explorer, previous["drawn"])
        now = state(explorer)
        assert now[moved] < previous[moved], key
        assert now["map"] != previous["map"] and now["path"] != previous["path"], key

    # Colour by regime: the image is repainted, the legend names the regimes.
    previous = state(explorer)
    explorer.locator("input[type=radio][value=regime]").check()
    assert state(explorer)["image"] != previous["image"]
    swatches = [text.strip() for text in
                explorer.locator(".optx-map-entry:has(.optx-map-swatch)").all_inner_texts()]
    assert swatches == ["monotone", "ripples", "sign-flipping", "divergent (rate ≥ 1)"], swatches
    # Each critical-damping curve is named by the two regimes it separates: only (1 − √μ)² bounds
    # the monotone region; (1 + √μ)² separates ripples from sign-flipping.
    legend = explorer.locator(".optx-map-legend").inner_text()
    assert "αλ = (1 − √μ)²: monotone to its left, ripples to its right" in legend
    assert "αλ = (1 + √μ)²: ripples to its left, sign-flipping to its right" in legend
    assert "1 ± √μ" not in legend
    explorer.locator(".optx-map").screenshot(path=str(screenshot_dir / "rate-map-regimes.png"))

    # Far right: no setting there converges.
    previous = state(explorer)
    page.mouse.click(*point(explorer, 0.995, 0.1))
    wait_for_redraw(explorer, previous["drawn"])
    assert state(explorer)["regime"] == "divergent"
    assert "diverged at step" in state(explorer)["run"]
    assert desktop.console_errors == []
    assert desktop.external_requests == [] and desktop.failed_requests == []


def test_the_map_works_on_a_phone(browser, site_url, screenshot_dir):
    with phone_page(browser) as probe:
        page = probe.page
        page.goto(f"{site_url}/{PAGE}")
        settle(page)
        page.wait_for_selector(".optx-map-frame", timeout=30_000)
        explorer = map_explorer(page)
        card = explorer.bounding_box()
        assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE + 0.5, card
        for part in (".optx-map-svg", ".optx-map-legend", ".optx-map-readout", ".optx-map-modes"):
            box = explorer.locator(part).bounding_box()
            right = card["x"] + card["width"] + 0.5
            assert box["x"] >= card["x"] - 0.5 and box["x"] + box["width"] <= right, part
        assert explorer.locator(".optx-map-svg").bounding_box()["width"] >= 0.8 * card["width"] - 40
        sideways = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert sideways <= 0, f"the page scrolls sideways by {sideways} px"
        before = state(explorer)
        explorer.locator(".optx-map-frame").scroll_into_view_if_needed()
        page.touchscreen.tap(*point(explorer, 0.5, 0.85))
        wait_for_redraw(explorer, before["drawn"])
        after = state(explorer)
        assert after["momentum"] > before["momentum"] and after["path"] != before["path"]
        assert after["regime"] == "ripples"
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        explorer.locator(".optx-map").screenshot(
            path=str(screenshot_dir / "rate-map-phone.png"),
            style=".bd-header, .bd-header-article, .skip-link { visibility: hidden !important; }")
        assert probe.console_errors == []
