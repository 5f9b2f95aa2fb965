"""The explorer in JupyterLab with a running kernel: slider moves are recomputed exactly.

Starts a token-less JupyterLab from this virtual environment on a free localhost
port, opens the worked-example chapter (converted from MyST markdown to .ipynb
with jupytext in a temporary folder), runs all cells, moves a slider and checks
that the trajectory drawn in the end is the kernel's ``lib.descend`` at exactly the
slider's value (the page draws its own run at once; the kernel's replaces it once
the page has checked it step by step).

The chapter is ``EXPLORER_NOTEBOOK`` (default ``chapters/worked-example.md``).
"""

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
jupytext = pytest.importorskip("jupytext")

from . import lab  # noqa: E402  (needs jupytext)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = Path(os.environ.get("EXPLORER_NOTEBOOK", ROOT / "chapters" / "worked-example.md"))
KERNEL_TIMEOUT_MS = int(os.environ.get("KERNEL_TIMEOUT_MS", 180_000))
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "_build/screenshots"))


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """(base URL, notebook name) of a running JupyterLab; shut down afterwards."""
    if not NOTEBOOK.is_file():
        pytest.fail(f"{NOTEBOOK} not found (set EXPLORER_NOTEBOOK to a chapter with an Explorer)")
    work = tmp_path_factory.mktemp("jupyterlab")
    (work / "notebooks").mkdir()
    name = lab.write_notebook(NOTEBOOK, work / "notebooks")
    try:
        with lab.jupyterlab(work) as base:
            yield base, name
    except RuntimeError as error:  # did not start
        pytest.fail(str(error))


@pytest.fixture
def lab_page(jupyterlab, browser):
    # `browser` is the session's Chromium from conftest.py: the sync Playwright API
    # cannot start a second instance inside the first.
    base, name = jupyterlab
    host = urlparse(base).netloc
    outside = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000})

    def only_localhost(route):
        parsed = urlparse(route.request.url)
        if parsed.scheme in ("data", "blob") or parsed.netloc == host:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_localhost)
    page = context.new_page()
    lab.start_kernel(base, name)
    page.goto(f"{base}/lab/tree/{name}?reset", timeout=120_000)  # start from an empty workspace
    page.outside_requests = outside
    try:
        yield page
    finally:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / "explorer-jupyterlab.png"))
        context.close()


def run_all_cells(page):
    lab.run_all_to_the_end(page, kernel_timeout_ms=KERNEL_TIMEOUT_MS)


def test_a_chapter_source_opens_as_a_notebook(jupyterlab, browser):
    """`make install` (and Binder's postBuild) make JupyterLab open .md chapters as notebooks."""
    base, _ = jupyterlab
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        # A workspace of its own: JupyterLab saves open tabs per workspace on the server, and
        # this tab must not reappear beside the notebook that the kernel test runs.
        page.goto(f"{base}/lab/workspaces/markdown-check/tree/{NOTEBOOK.name}", timeout=120_000)
        # JupyterLab renders only the cells in view; code and markdown cells both showing
        # means jupytext parsed the MyST source into a notebook.
        page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=120_000)
        page.wait_for_selector(".jp-NotebookPanel .jp-MarkdownCell", timeout=30_000)
        assert page.locator(".jp-FileEditor").count() == 0, "opened as text, not as a notebook"
    finally:
        context.close()


def test_slider_move_is_recomputed_exactly_by_the_kernel(lab_page):
    import lib
    from lib.models import surfaces

    page = lab_page
    run_all_cells(page)
    explorer = lab.wait_until_live(page, KERNEL_TIMEOUT_MS)
    explorer.scroll_into_view_if_needed()
    path = explorer.locator("path.optx-run-a")
    before = path.get_attribute("d")

    lr_slider = explorer.locator("fieldset").first.locator("input[type=range]").first
    assert lr_slider.get_attribute("step") == "1", "every position is a value the page computes"
    assert int(lr_slider.get_attribute("data-fine")) == 1, "an arrow key moves one position (α ×1.05)"
    coarse = int(lr_slider.get_attribute("data-coarse"))
    assert coarse == 6
    lr_slider.focus()
    page.keyboard.press("Home")
    assert int(lr_slider.evaluate("el => el.value")) == 0
    page.keyboard.press("PageUp")
    page.keyboard.press("Shift+ArrowRight")
    assert int(lr_slider.evaluate("el => el.value")) == 2 * coarse, "PageUp and Shift+→ make a large step"
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert int(lr_slider.evaluate("el => el.value")) == 2 * coarse + 5, "arrow keys move the slider"
    assert lr_slider.get_attribute("aria-valuetext").startswith("alpha ")
    page.wait_for_function(
        """() => { const p = document.querySelector('.optx path.optx-run-a');
                   const r = document.querySelector('.optx .optx-readout');
                   return p.dataset.source === 'live' && r.textContent.includes('[live]'); }""",
        timeout=60_000)
    page.wait_for_timeout(500)  # let the last of the throttled round trips land
    page.wait_for_function("() => document.querySelector('.optx path.optx-run-a').dataset.source === 'live'")
    lr = float(path.get_attribute("data-lr"))
    momentum = float(path.get_attribute("data-momentum"))
    last = np.array([float(v) for v in path.get_attribute("data-last").split(",")])
    assert path.get_attribute("d") != before

    title = explorer.locator(".optx-title").inner_text()
    surface = next(factory() for factory in (surfaces.two_weight_net, surfaces.saddle, surfaces.plateau,
                                             surfaces.rosenbrock) if factory().name == title)
    # The value the slider shows, three significant digits, is the value the kernel ran.
    assert lr == float(f"{lr:.3g}") and f"α = {lr:g}" in explorer.locator(".optx-readout").first.inner_text()
    shown = int(explorer.locator("input[type=range]").last.evaluate("el => el.value"))
    # The chapter may start the runs elsewhere than the surface's default (x0=...): the path's first point.
    start = np.array([float(v) for v in path.get_attribute("data-first").split(",")])
    run = lib.descend(surface.f, start, lr=lr, momentum=momentum, steps=surface.steps)
    finite = run.points.shape[0] - 1 if run.diverged_at is None else run.diverged_at - 1
    np.testing.assert_allclose(last, run.points[min(shown, finite)], rtol=1e-12, atol=1e-14)
    assert "[live]" in explorer.locator(".optx-readout").first.inner_text()
    assert page.outside_requests == []
    # By now (the chapter has run) JupyterLab would have asked about its news feed.
    toasts = page.locator(".Toastify__toast, .jp-Notification-Toast")
    news = [text for text in toasts.all_inner_texts() if "news" in text.lower()]
    assert news == [], "the news pop-up is over the book"


def test_jupyterlab_neither_fetches_nor_asks_about_news(jupyterlab):
    """`make install` (and Binder's postBuild) install tools/jupyterlab-overrides.json, which
    turns off JupyterLab's news feed and its "get notified about Jupyter news?" pop-up."""
    import urllib.request

    base, _ = jupyterlab
    source = json.loads((ROOT / "tools" / "jupyterlab-overrides.json").read_text())
    installed = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert installed.is_file() and json.loads(installed.read_text()) == source, \
        f"{installed} differs from tools/jupyterlab-overrides.json: run `make install`"
    plugin = "@jupyterlab/apputils-extension:notification"
    with urllib.request.urlopen(f"{base}/lab/api/settings/{plugin}") as response:
        settings = json.loads(response.read())
    # The schema's defaults as JupyterLab serves them, with the overrides applied.
    defaults = {key: spec.get("default") for key, spec in settings["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False, defaults
