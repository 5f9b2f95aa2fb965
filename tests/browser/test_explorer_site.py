"""The explorer on the built static website: no kernel, no network; the page computes every run.

Needs a built book (``BOOK_HTML``, default ``_build/html``) and Chromium at
/usr/bin/chromium. Screenshots go to ``SCREENSHOT_DIR`` (default ``_build/screenshots``).
"""

import re

import pytest

from .conftest import SCREENSHOTS as SCREENSHOT_DIR
from .conftest import explorer_page

pytestmark = pytest.mark.browser

# The session fixtures `browser` and `site_url` come from conftest.py (one Playwright
# instance for the whole run: the sync API cannot nest a second one).
PAGE = "chapters/worked-example.html"


@pytest.fixture
def page(browser, site_url):
    """The worked example, loaded and drawn; ``page.probe`` records errors and outside requests."""
    with explorer_page(browser, f"{site_url}/{PAGE}") as probe:
        probe.page.probe = probe
        yield probe.page


def screenshot(locator, name):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def explorer_state(explorer):
    """What the reader sees: the two path ``d`` attributes and the two readouts."""
    return explorer.evaluate("""root => ({
        a: root.querySelector('.optx-run-a').getAttribute('d'),
        b: root.querySelector('.optx-run-b').getAttribute('d'),
        readouts: [...root.querySelectorAll('.optx-readout')].map(r => r.textContent),
        drawn: Number(root.querySelector('.optx-plot').dataset.drawn),
    })""")


def wait_for_redraw(explorer, drawn_before):
    explorer.page.wait_for_function(
        "([root, n]) => Number(root.querySelector('.optx-plot').dataset.drawn) > n",
        arg=[explorer.element_handle(), drawn_before], timeout=5_000)


def sliders(explorer):
    """(label, locator, which path it moves) for every visible slider of an explorer."""
    found = []
    for index, fieldset in enumerate(explorer.locator("fieldset:visible").all()):
        for slider in fieldset.locator("input[type=range]").all():
            label = explorer.locator(f"label[for='{slider.get_attribute('id')}']").inner_text()
            shared = "optx-shared" in (fieldset.get_attribute("class") or "")
            affects = ["a", "b"] if shared else ["ab"[index]]
            found.append((f"{'AB'[index] if len(affects) == 1 else 'both'}: {label}", slider, affects))
    # The shared steps slider first: later moves may make a run diverge within a few
    # steps, after which showing fewer steps no longer changes it.
    return sorted(found, key=lambda item: len(item[2]) == 1)


def test_explorer_renders_offline_and_accessibly(page):
    explorers = page.locator(".optx")
    assert explorers.count() >= 1
    explorer = explorers.first
    screenshot(page, "explorer-page")
    # The mode is announced, and it is the static one: there is no kernel here, the page computes.
    page.wait_for_function("() => document.querySelector('.optx-mode').textContent.length > 0")
    assert explorer.locator(".optx-mode").inner_text().startswith("Every run is computed in this page")
    state = explorer_state(explorer)
    assert state["a"].startswith("M") and state["b"].startswith("M"), "worked example compares two runs"
    sources = explorer.evaluate(
        "root => [...root.querySelectorAll('.optx-readout')].map(r => r.dataset.source)")
    assert sources == ["page", "page"]
    assert explorer.locator(".optx-error").is_hidden(), "the build's runs follow the page's rule"
    # Accessible names: the plot has a title and a description; every slider a label.
    svg = explorer.locator("svg.optx-plot")
    assert svg.get_attribute("role") == "img"
    assert "Contour plot" in svg.locator("title").text_content()
    assert "Run A" in svg.locator("desc").text_content()
    for label, slider, _ in sliders(explorer):
        assert label.strip(), "every slider has a visible label"
        assert slider.evaluate("el => el.labels.length") == 1
        assert slider.get_attribute("aria-valuetext")
    assert page.probe.external_requests == []
    assert page.probe.console_errors == []
    assert page.probe.failed_requests == []


@pytest.mark.parametrize("how", ["keyboard", "mouse"])
def test_every_slider_redraws_the_trajectory(page, how):
    explorer = page.locator(".optx").first
    explorer.scroll_into_view_if_needed()
    screenshot(explorer, f"explorer-before-{how}")
    for label, slider, affects in sliders(explorer):
        before = explorer_state(explorer)
        value, low, high = (float(slider.evaluate(f"el => el.{k}")) for k in ("value", "min", "max"))
        if how == "keyboard":
            slider.focus()
            page.keyboard.press("ArrowLeft" if value >= high else "ArrowRight")
        else:
            slider.scroll_into_view_if_needed()  # the widget is taller than the viewport
            box = slider.bounding_box()
            fraction = (value - low) / (high - low)
            thumb = 8  # px: the thumb's radius, which the track is inset by
            x_of = lambda f, box=box, thumb=thumb: box["x"] + thumb + f * (box["width"] - 2 * thumb)  # noqa: E731
            y = box["y"] + box["height"] / 2
            page.mouse.move(x_of(fraction), y)
            page.mouse.down()
            target = 0.25 if fraction > 0.5 else 0.75
            page.mouse.move(x_of((fraction + target) / 2), y, steps=3)
            page.mouse.move(x_of(target), y, steps=3)
            page.mouse.up()
        try:
            wait_for_redraw(explorer, before["drawn"])
        except Exception as error:
            raise AssertionError(f"{how} on '{label}' did not redraw the plot") from error
        after = explorer_state(explorer)
        assert float(slider.evaluate("el => el.value")) != value, label
        # A run's own sliders must redraw it; the shared steps slider at least one run
        # (a run that diverged before both step counts legitimately stays put).
        changed = [run for run in affects if after[run] != before[run]
                   and after["readouts"]["ab".index(run)] != before["readouts"]["ab".index(run)]]
        assert changed, f"{how} on '{label}' redrew none of the runs {affects}"
        if len(affects) == 1:  # the page's own run at exactly the value the slider shows
            run = "ab".index(affects[0])
            path = explorer.locator(f"path.optx-run-{affects[0]}")
            lr = path.get_attribute("data-lr")
            assert after["readouts"][run].startswith(f"α = {lr}, "), after["readouts"]
    screenshot(explorer, f"explorer-after-{how}")
    assert page.probe.console_errors == []
    assert page.probe.external_requests == []


def test_divergence_is_reported_in_plain_words(page):
    explorer = page.locator(".optx").first
    explorer.scroll_into_view_if_needed()
    # From the worked example's start near the saddle, plain gradient descent (run A) stays finite
    # at every learning rate of the slider; run B with the largest alpha and mu diverges.
    lr_b, momentum_b = explorer.locator("fieldset").nth(1).locator("input[type=range]").all()[:2]
    for slider in (lr_b, momentum_b):
        before = explorer_state(explorer)["drawn"]
        slider.focus()
        page.keyboard.press("End")
        wait_for_redraw(explorer, before)
    readout_b = explorer.locator(".optx-readout").nth(1).inner_text()
    assert re.search(r"diverged at step \d+", readout_b), readout_b
    assert explorer.locator(".optx-runs path[visibility=visible]").count() >= 1  # the ✕ marker
    screenshot(explorer, "explorer-diverged")
    assert page.probe.console_errors == []


def test_three_runs_each_have_their_sliders_line_and_marker(browser, site_url):
    """Learning rates' explorer draws one run per regime (A too small, B too large, C much too
    large): three paths, three markers of different shapes, three sets of sliders, and a move
    of C's slider redraws C alone."""
    with explorer_page(browser, f"{site_url}/chapters/learning-rates.html") as probe:
        page = probe.page
        explorer = page.locator(".optx").first
        explorer.scroll_into_view_if_needed()
        paths = [explorer.locator(f"path.optx-run-{name}") for name in "abc"]
        assert [path.get_attribute("stroke-dasharray") for path in paths] == ["", "7 4", "2 3"]
        assert all(path.get_attribute("d").startswith("M") for path in paths)
        shapes = ("circle", "square", "triangle")
        assert [explorer.locator(f".optx-marker-{shape}").count() for shape in shapes] == [1, 1, 1]
        legends = explorer.locator("fieldset legend").all_inner_texts()
        assert [text.strip() for text in legends] == ["Run A", "Run B", "Run C", "All runs"]
        readouts = explorer.locator(".optx-readout").all_inner_texts()
        assert len(readouts) == 3
        losses = [float(re.search(r"loss ([-+.\de]+)", text).group(1)) for text in readouts]
        assert losses[2] > 1e3 * max(losses[:2]), readouts  # C grows: |1 − α λ_max| = 1.2 > 1
        description = explorer.locator("svg.optx-plot desc").text_content()
        assert "Run C (dotted line, triangle)" in description, description

        before = {name: path.get_attribute("d") for name, path in zip("abc", paths)}
        drawn = explorer_state(explorer)["drawn"]
        lr_c = explorer.locator("fieldset").nth(2).locator("input[type=range]").first
        lr_c.focus()
        page.keyboard.press("Home")  # the smallest α: C converges
        wait_for_redraw(explorer, drawn)
        after = {name: path.get_attribute("d") for name, path in zip("abc", paths)}
        assert after["c"] != before["c"] and after["a"] == before["a"] and after["b"] == before["b"]
        readout_c = explorer.locator(".optx-readout").nth(2).inner_text()
        assert float(re.search(r"loss ([-+.\de]+)", readout_c).group(1)) < losses[2], readout_c
        screenshot(explorer, "explorer-three-runs")
        assert probe.console_errors == [] and probe.external_requests == []
