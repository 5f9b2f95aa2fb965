"""The explorer in JupyterLab with a running kernel: slider moves are recomputed exactly.

Starts a token-less JupyterLab from this virtual environment on a free localhost
port, opens the worked-example chapter (converted from MyST markdown to .ipynb
with jupytext in a temporary folder), runs all cells, moves a slider and checks
that the trajectory drawn is ``lib.descend`` at the exact, off-grid slider
value: something only the kernel can have computed.

The chapter is ``EXPLORER_NOTEBOOK`` (default ``chapters/worked-example.md``).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
jupytext = pytest.importorskip("jupytext")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = Path(os.environ.get("EXPLORER_NOTEBOOK", ROOT / "chapters" / "worked-example.md"))
STARTUP_TIMEOUT_S = 120
KERNEL_TIMEOUT_MS = int(os.environ.get("KERNEL_TIMEOUT_MS", 180_000))
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "_build/screenshots"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """(base URL, notebook name) of a running JupyterLab; shut down afterwards."""
    if not NOTEBOOK.is_file():
        pytest.fail(f"{NOTEBOOK} not found (set EXPLORER_NOTEBOOK to a chapter with an Explorer)")
    work = tmp_path_factory.mktemp("jupyterlab")
    notebooks, runtime, config = work / "notebooks", work / "runtime", work / "config"
    for folder in (notebooks, runtime, config):
        folder.mkdir()
    notebook = jupytext.read(NOTEBOOK)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    name = NOTEBOOK.stem + ".ipynb"
    jupytext.write(notebook, notebooks / name)
    shutil.copy(NOTEBOOK, notebooks / NOTEBOOK.name)  # the MyST source too, as readers get it

    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(config),
               JUPYTER_PLATFORM_DIRS="1", PYTHONPATH=str(ROOT))
    command = [
        str(Path(sys.executable).with_name("jupyter-lab")),
        "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.open_browser=False",
        "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={notebooks}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
    ] + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])
    log = open(work / "jupyterlab.log", "w")
    server = subprocess.Popen(command, cwd=notebooks, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited early, see {work / 'jupyterlab.log'}")
            try:
                with urllib.request.urlopen(f"{base}/api/status", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start in {STARTUP_TIMEOUT_S} s")
                time.sleep(0.5)
        yield base, name
    finally:
        server.terminate()  # SIGTERM: the server shuts its kernels down, then exits
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the server's own process group
            server.wait(timeout=10)
        log.close()


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
    page.goto(f"{base}/lab/tree/{name}?reset", timeout=120_000)  # start from an empty workspace
    page.outside_requests = outside
    try:
        yield page
    finally:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / "explorer-jupyterlab.png"))
        context.close()


def run_all_cells(page):
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    # JupyterLab may ask which kernel to start; accept its (python3) proposal.
    try:
        page.locator(".jp-Dialog .jp-mod-accept").click(timeout=15_000)
    except playwright_api.TimeoutError:
        pass
    # Wait for the kernel to be idle before asking it to run anything.
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=KERNEL_TIMEOUT_MS)
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all'], "
                 ".lm-Menu-item[data-command='notebook:run-all-cells']").first.click()


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
    from lib import surfaces

    page = lab_page
    run_all_cells(page)
    explorer = page.locator(".optx").first
    explorer.wait_for(timeout=KERNEL_TIMEOUT_MS)
    page.wait_for_function(
        "() => { const m = document.querySelector('.optx .optx-mode'); return m && m.textContent.startsWith('Live'); }",
        timeout=KERNEL_TIMEOUT_MS)
    explorer.scroll_into_view_if_needed()
    path = explorer.locator("path.optx-run-a")
    before = path.get_attribute("d")

    lr_slider = explorer.locator("fieldset").first.locator("input[type=range]").first
    assert lr_slider.get_attribute("step") == "1", "live mode uses the fine slider positions"
    lr_slider.focus()
    start_value = int(lr_slider.evaluate("el => el.value"))
    for _ in range(50):  # 50 fine positions = 1.25 grid cells: lands between two cells
        page.keyboard.press("ArrowRight")
    assert int(lr_slider.evaluate("el => el.value")) == start_value + 50, "arrow keys move the slider"
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
    grid_lrs = np.geomspace(*surface.lr_range, 25)
    assert np.min(np.abs(np.log(grid_lrs / lr))) > 1e-4, f"α = {lr} is on the precomputed grid"
    shown = int(explorer.locator("input[type=range]").last.evaluate("el => el.value"))
    run = lib.descend(surface.f, np.array(surface.x0), lr=lr, momentum=momentum, steps=surface.steps)
    finite = run.points.shape[0] - 1 if run.diverged_at is None else run.diverged_at - 1
    np.testing.assert_allclose(last, run.points[min(shown, finite)], rtol=1e-12, atol=1e-14)
    assert "[live]" in explorer.locator(".optx-readout").first.inner_text()
    assert page.outside_requests == []
