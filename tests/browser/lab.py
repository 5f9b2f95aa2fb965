"""A token-less JupyterLab from this virtual environment, for the browser test and ``make bench``.

Both drive the same JupyterLab a reader gets from ``make lab``: the settings overrides
``make install`` copies into the environment (``tools/jupyterlab-overrides.json``) apply,
so the test sees what a reader sees (no news pop-up, ``.md`` chapters open as notebooks).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_notebook(source: Path, folder: Path) -> str:
    """``source`` (a MyST .md chapter) as ``<stem>.ipynb`` in ``folder``, plus the source itself."""
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    name = source.stem + ".ipynb"
    jupytext.write(notebook, folder / name)
    shutil.copy(source, folder / source.name)  # the MyST source too, as readers get it
    return name


@contextlib.contextmanager
def jupyterlab(work: Path, root: Path = ROOT):
    """Run JupyterLab on ``work/notebooks`` (created); yields the base URL. ``work/jupyterlab.log``.

    Its kernels import the book's package from ``root`` (default: this checkout)."""
    notebooks, runtime, config = work / "notebooks", work / "runtime", work / "config"
    for folder in (notebooks, runtime, config):
        folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(config),
               JUPYTER_PLATFORM_DIRS="1", PYTHONPATH=str(root))
    command = [
        str(Path(sys.executable).with_name("jupyter-lab")),
        "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.open_browser=False",
        "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={notebooks}",
        # The server itself never asks PyPI for a newer JupyterLab (no network in tests);
        # the news pop-up is left to the settings overrides, as in `make lab`.
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ] + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])
    log = open(work / "jupyterlab.log", "w")
    server = subprocess.Popen(command, cwd=notebooks, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early, see {work / 'jupyterlab.log'}")
            try:
                with urllib.request.urlopen(f"{base}/api/status", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start in {STARTUP_TIMEOUT_S} s") from None
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()  # SIGTERM: the server shuts its kernels down, then exits
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the server's own process group
            server.wait(timeout=10)
        log.close()


def run_all_cells(page, kernel_timeout_ms: int, timeout_error=Exception):
    """Run every cell of the notebook open in ``page`` (accepting the kernel JupyterLab proposes)."""
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    try:
        page.locator(".jp-Dialog .jp-mod-accept").click(timeout=15_000)
    except timeout_error:
        pass
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=kernel_timeout_ms)
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all'], "
                 ".lm-Menu-item[data-command='notebook:run-all-cells']").first.click()


def wait_until_live(page, timeout_ms: int):
    """Wait for the first explorer to have rendered and heard its kernel (live mode)."""
    explorer = page.locator(".optx").first
    explorer.wait_for(timeout=timeout_ms)
    page.wait_for_function(
        "() => { const m = document.querySelector('.optx .optx-mode');"
        " return m && m.textContent.startsWith('Live'); }",
        timeout=timeout_ms)
    return explorer


# Page init script: the time of every message the page receives on a WebSocket (the
# kernel's replies), so a measurement can tell transport from work.
WEBSOCKET_PROBE_JS = """(() => {
  window.__wsIn = [];
  const Native = window.WebSocket;
  class Probed extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => window.__wsIn.push(performance.now()));
    }
  }
  window.WebSocket = Probed;
})();"""

# Key press → exact trajectory drawn, measured in the page: a capture-phase keydown listener
# stamps the press; a MutationObserver sees run A's path redrawn from a kernel answer
# (data-source "live") at the exact α the slider now asks for; the time is taken there
# (drawn) and after the next frame has been rendered (painted). Argument: [slider, low,
# high, positions] of the α slider.
LATENCY_PROBE_JS = """([slider, low, high, positions]) => {
  const path = slider.closest('.optx').querySelector('path.optx-run-a');
  const probe = window.__optxLatency = { results: [], pending: null };
  const painted = () => new Promise(resolve => requestAnimationFrame(
      () => setTimeout(() => resolve(performance.now()), 0)));
  slider.addEventListener('keydown', () => { probe.pending = { start: performance.now() }; }, true);
  new MutationObserver(() => {
    const p = probe.pending;
    if (!p || p.drawn !== undefined || path.dataset.source !== 'live') return;
    const wanted = low * Math.pow(high / low, Number(slider.value) / positions);
    if (Math.abs(Math.log(Number(path.dataset.lr) / wanted)) > 1e-9) return;
    p.drawn = performance.now();
    // First message back from the server after the press (the kernel's "busy"), if probed.
    const reply = (window.__wsIn || []).find(t => t >= p.start);
    painted().then(t => {
      probe.results.push({ drawn: p.drawn - p.start, painted: t - p.start, lr: Number(path.dataset.lr),
                           reply: reply === undefined ? null : reply - p.start });
      probe.pending = null;
    });
  }).observe(path, { attributes: true, attributeFilter: ['d', 'data-source', 'data-lr'] });
}"""
