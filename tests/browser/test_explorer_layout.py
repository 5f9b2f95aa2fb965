"""Every explorer of the built site: one screen on a laptop, the plot in view on a phone, and every
key press moves exactly the slider pressed, to a value the page computes exactly.

Needs a built book (``make book``) and Chromium. Screenshots: ``explorer-<page>-<i>-desktop.png``
and ``explorer-<page>-<i>-phone.png`` in ``_build/screenshots/``.
"""

from __future__ import annotations

import pytest

from .conftest import PHONE_HEIGHT, explorer_page, phone_page, settle

pytestmark = pytest.mark.browser

#: Every page of the book with an explorer.
PAGES = ["worked-example", "critical-points", "saddles-high-dimensions", "plateaux", "ravines",
         "learning-rates", "momentum", "exploding-gradients"]
LAPTOP = (1280, 800)

# Everything a reader reads off one explorer: each slider's position and label, each readout, the
# map's readout, and each run's path.
SNAPSHOT_JS = """root => ({
    sliders: [...root.querySelectorAll('input[type=range]')].map(s => ({
        id: s.id, value: s.value, text: s.getAttribute('aria-valuetext'),
        label: root.querySelector(`output[for="${s.id}"]`).textContent })),
    readouts: [...root.querySelectorAll('.optx-readout')].map(r => r.textContent),
    map: (root.querySelector('.optx-map-readout') || {}).textContent || null,
    paths: [...root.querySelectorAll('path.optx-trajectory')].map(p => ({
        d: p.getAttribute('d'), lr: p.dataset.lr, momentum: p.dataset.momentum, source: p.dataset.source })),
    drawn: Number(root.querySelector('.optx-plot').dataset.drawn),
})"""


def snapshot(explorer):
    return explorer.evaluate(SNAPSHOT_JS)


def run_of(slider_id: str) -> int | None:
    """Which run a slider belongs to (``…-lr1`` is run B's α), None for the shared steps slider."""
    tail = slider_id.rsplit("-", 1)[-1]
    return int(tail[-1]) if tail[:-1] in ("lr", "mu") else None


@pytest.mark.parametrize("name", PAGES)
def test_each_explorer_fits_a_laptop_screen(browser, site_url, name, screenshot_dir):
    """At 1280 × 800 every explorer — plot, sliders, readouts and the rate map — fits the window,
    and the runs the build computed pass the page's step-by-step check of lib.descend's rule."""
    with explorer_page(browser, f"{site_url}/chapters/{name}.html", viewport=LAPTOP) as probe:
        page = probe.page
        settle(page)
        explorers = page.locator(".optx")
        assert explorers.count() >= 1
        for index in range(explorers.count()):
            explorer = explorers.nth(index)
            explorer.scroll_into_view_if_needed()
            box = explorer.bounding_box()
            assert box["height"] <= LAPTOP[1] and box["width"] <= LAPTOP[0], (name, index, box)
            page.evaluate("top => window.scrollBy(0, top)", box["y"] - (LAPTOP[1] - box["height"]) / 2)
            box = explorer.bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP[1], (name, index, box)
            explorer.screenshot(path=str(screenshot_dir / f"explorer-{name}-{index}-desktop.png"))
            # The build's runs (lib.descend) follow the page's rule step by step: no alert.
            assert explorer.locator(".optx-error").is_hidden(), explorer.locator(".optx-error").inner_text()
        assert probe.console_errors == [] and probe.external_requests == []


@pytest.mark.parametrize("name", PAGES)
def test_a_key_press_moves_one_slider_and_only_its_run(browser, site_url, name):
    """For every slider of every explorer: an arrow key (and Page Up) changes that slider's value,
    its run's path and readout, and nothing else — no other slider's value or label, no other run.
    The value the slider shows is the value the path was computed at, exactly."""
    with explorer_page(browser, f"{site_url}/chapters/{name}.html", viewport=LAPTOP) as probe:
        page = probe.page
        for index in range(page.locator(".optx").count()):
            explorer = page.locator(".optx").nth(index)
            explorer.scroll_into_view_if_needed()
            ids = [s["id"] for s in snapshot(explorer)["sliders"]]
            for slider_id in ids:
                slider = explorer.locator(f"#{slider_id}")
                value, high = int(slider.input_value()), int(slider.get_attribute("max"))
                for key in ("ArrowRight", "PageUp") if value < high - 6 else ("ArrowLeft", "PageDown"):
                    before = snapshot(explorer)
                    slider.focus()
                    page.keyboard.press(key)
                    page.wait_for_function("([root, n]) => Number(root.querySelector('.optx-plot')"
                                           ".dataset.drawn) > n", arg=[explorer.element_handle(),
                                                                       before["drawn"]], timeout=5_000)
                    after = snapshot(explorer)
                    moved = run_of(slider_id)
                    for old, new in zip(before["sliders"], after["sliders"]):
                        if old["id"] == slider_id:
                            assert new["value"] != old["value"] and new["label"] != old["label"], (name, key)
                        else:
                            assert new == old, f"{name}: {key} on {slider_id} changed {old['id']}"
                    for run, (old, new) in enumerate(zip(before["readouts"], after["readouts"])):
                        if moved is not None and run != moved:
                            assert new == old, f"{name}: {key} on {slider_id} changed run {run}'s readout"
                    if moved is not None:
                        assert after["readouts"][moved] != before["readouts"][moved]
                        path = after["paths"][moved]
                        lr_text = explorer.locator(f"output[for$='-lr{moved}']").inner_text()
                        mu_text = explorer.locator(f"output[for$='-mu{moved}']").inner_text()
                        # The label is the value computed with (or the first six digits of a start value).
                        assert float(lr_text.split("= ")[1]) == pytest.approx(float(path["lr"]), rel=1e-6)
                        mu = float(path["momentum"])
                        assert float(mu_text.split("= ")[1]) == pytest.approx(mu, rel=1e-6, abs=1e-12)
                        assert path["source"] == "page", "the page computed this run itself"
                        if moved != 0 and after["map"] is not None:
                            assert after["map"] == before["map"], "the map shows run A only"
        assert probe.console_errors == []


def test_moving_away_and_back_returns_to_the_exact_start_value(browser, site_url):
    """The momentum chapter's ravine explorer starts run B at α = 0.07, μ = 0.5 (neither is a slider
    step of its own): a step away and back gives exactly 0.07 and 0.5 again, and moving B's μ
    leaves its α at 0.07."""
    with explorer_page(browser, f"{site_url}/chapters/momentum.html", viewport=LAPTOP) as probe:
        page = probe.page
        explorer = page.locator(".optx").first
        explorer.scroll_into_view_if_needed()
        lr_b, mu_b = explorer.locator("input[id$='-lr1']"), explorer.locator("input[id$='-mu1']")
        label = lambda which: explorer.locator(f"output[for$='-{which}1']").inner_text()  # noqa: E731
        assert (label("lr"), label("mu")) == ("α = 0.07", "μ = 0.5")
        mu_b.focus()
        page.keyboard.press("ArrowRight")
        assert label("lr") == "α = 0.07" and label("mu") != "μ = 0.5"
        page.keyboard.press("ArrowLeft")
        assert label("mu") == "μ = 0.5"
        lr_b.focus()
        for key in ("ArrowRight", "ArrowRight", "ArrowLeft", "ArrowLeft"):
            page.keyboard.press(key)
        assert (label("lr"), label("mu")) == ("α = 0.07", "μ = 0.5")
        path = explorer.locator("path.optx-run-b")
        assert (path.get_attribute("data-lr"), path.get_attribute("data-momentum")) == ("0.07", "0.5")
        assert probe.console_errors == []


def test_a_diverged_run_is_crossed_where_it_leaves_the_plot(browser, site_url):
    """Learning rates' run C at the largest α leaves the plot: its ✕ sits on the plot's edge where
    the path crosses it, not in a corner."""
    with explorer_page(browser, f"{site_url}/chapters/learning-rates.html", viewport=LAPTOP) as probe:
        page = probe.page
        explorer = page.locator(".optx").first
        explorer.scroll_into_view_if_needed()
        explorer.locator("input[id$='-lr2']").focus()
        page.keyboard.press("End")
        page.wait_for_function("root => /diverged at step/.test(root.querySelectorAll('.optx-readout')[2]"
                               ".textContent)", arg=explorer.element_handle(), timeout=5_000)
        cross = explorer.evaluate("""root => {
            const crosses = [...root.querySelectorAll('.optx-runs path[stroke-width="3"]')]
                .filter(p => p.getAttribute('visibility') === 'visible');
            const d = crosses[0].getAttribute('d');
            const [x1, y1, x2, y2] = d.match(/-?[\\d.]+/g).map(Number);
            const view = { w: 440, h: 360 };
            return { cx: (x1 + x2) / 2, cy: (y1 + y2) / 2, ...view, count: crosses.length };
        }""")
        assert cross["count"] == 1
        cx, cy, w, h = cross["cx"], cross["cy"], cross["w"], cross["h"]
        on_edge = min(abs(cx), abs(cx - w), abs(cy), abs(cy - h))
        assert on_edge < 1e-6, cross
        corner = min(abs(cross["cx"] - x) for x in (0, cross["w"])) < 6 and \
            min(abs(cross["cy"] - y) for y in (0, cross["h"])) < 6
        assert not corner, cross
        assert probe.console_errors == []


@pytest.mark.parametrize("name", ["momentum", "learning-rates", "worked-example"])
def test_on_a_phone_the_plot_stays_in_view_while_the_last_slider_moves(browser, site_url, name,
                                                                       screenshot_dir):
    """At 360 × 800 the plot stays on screen (under the site's header) while the reader scrolls down
    to the last run's sliders and moves them."""
    with phone_page(browser) as probe:
        page = probe.page
        page.goto(f"{site_url}/chapters/{name}.html")
        settle(page)
        page.wait_for_selector(".optx .optx-plot[data-drawn]", timeout=30_000)
        for index in range(page.locator(".optx").count()):
            explorer = page.locator(".optx").nth(index)
            last = explorer.locator("fieldset").nth(explorer.locator("fieldset").count() - 2) \
                if explorer.locator(".optx-shared").count() else explorer.locator("fieldset").last
            slider = last.locator("input[type=range]").last
            slider.scroll_into_view_if_needed()
            page.evaluate("() => window.scrollBy(0, 120)")  # as a reader's thumb would, past the slider
            slider.scroll_into_view_if_needed()
            before = snapshot(explorer)["drawn"]
            slider.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "([root, n]) => Number(root.querySelector('.optx-plot').dataset.drawn) > n",
                arg=[explorer.element_handle(), before], timeout=5_000)
            plot = explorer.locator(".optx-stack").bounding_box()
            control = slider.bounding_box()
            assert plot["y"] >= 0 and plot["y"] + plot["height"] <= PHONE_HEIGHT, (name, index, plot)
            assert 0 <= control["y"] and control["y"] + control["height"] <= PHONE_HEIGHT, (name, index)
            assert plot["y"] + plot["height"] <= control["y"], "the plot does not cover the slider"
            page.screenshot(path=str(screenshot_dir / f"explorer-{name}-{index}-phone.png"))
        assert probe.console_errors == []


def test_the_focus_ring_has_three_to_one_contrast_on_white(browser, site_url):
    """WCAG 2.2 (focus appearance): the ring of a focused slider contrasts ≥ 3:1 with the white card."""
    with explorer_page(browser, f"{site_url}/chapters/worked-example.html", viewport=LAPTOP) as probe:
        page = probe.page
        slider = page.locator(".optx input[type=range]").first
        slider.focus()
        page.keyboard.press("ArrowRight")  # keyboard focus: :focus-visible
        color = slider.evaluate("el => getComputedStyle(el).outlineColor")
        rgb = [int(v) for v in color[color.index("(") + 1:color.index(")")].split(",")[:3]]

        def luminance(channels):
            linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
                      for c in channels]
            return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

        contrast = (1.05) / (luminance(rgb) + 0.05)
        assert contrast >= 3.0, (color, contrast)
