"""The explorer in a real JupyterLab: shared by the browser test and ``make bench``.

The JupyterLab is the one a reader gets from ``make lab`` (started by
``tests/browser/jupyterlab.py``): the settings overrides ``make install`` copies into the
environment (``tools/jupyterlab-overrides.json``) apply, so the test sees what a reader
sees (no news pop-up, ``.md`` chapters open as notebooks).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import jupytext

# run_all_to_the_end and start_kernel are for this module's callers.
from .jupyterlab import notebook_state, run_all_to_the_end, running_jupyterlab, start_kernel  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


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
    """JupyterLab from this environment on ``work/notebooks`` (created); yields the base URL.

    Its kernels import the book's package from ``root`` (default: this checkout). The
    server itself never asks PyPI for a newer JupyterLab (no network in tests); the news
    pop-up is left to the settings overrides, as in ``make lab``.
    """
    notebooks = work / "notebooks"
    notebooks.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(root))
    never_check = "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"
    with running_jupyterlab(Path(sys.executable).parent, notebooks, work, env=env,
                            extra_args=(never_check,)) as base:
        yield base


def wait_until_live(page, timeout_ms: int):
    """Wait for the first explorer to have rendered and heard its kernel (live mode)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    explorer = page.locator(".optx").first
    try:
        explorer.wait_for(timeout=timeout_ms)
    except PlaywrightTimeout:
        raise PlaywrightTimeout(f"no explorer within {timeout_ms} ms; the notebook: "
                                f"{notebook_state(page)}") from None
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
