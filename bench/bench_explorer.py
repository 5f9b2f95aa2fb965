"""Benchmarks of the explorer: static-site redraw and page weight, kernel recompute and compile.

    .venv/bin/python -m bench.bench_explorer [--html DIR] [--page chapters/worked-example.html]
                                            [--quick] [--no-lab]

(a) Static site, headless Chromium: median time from a slider ``input`` event to the
    trajectory being redrawn (synchronous handler, and to the next animation frame), and
    from an arrow-key press (Chromium's input pipeline) to the page's own run at the new
    value being drawn; transferred bytes of the page. (b) Kernel: median time from a
    Python-side slider change to the new trajectory being set on the widget (200-step run),
    and the time of the first trajectory in a fresh process (includes compilation).
    (c) JupyterLab: a real JupyterLab with a running kernel, in Chromium: median and 90th
    percentile of the time from an arrow-key press on the α slider to the page's run at the
    new α being drawn, and to the kernel's run (lib.descend, checked by the page) replacing
    it, over 60 presses (30 with --quick). (:func:`jupyterlab_latency`; the JupyterLab is
    the one ``make lab`` runs.)
"""

import argparse
import functools
import gzip
import http.server
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

REDRAW_JS = """async ([count, noop]) => {
    const root = document.querySelector('.optx');
    const slider = root.querySelector('input[type=range]');
    // A macrotask queued from a rAF callback runs after that frame's style, layout and
    // paint: the moment the new trajectory is on screen (up to compositing).
    const painted = () => new Promise(resolve => requestAnimationFrame(
        () => setTimeout(() => resolve(performance.now()), 0)));
    const sync = [], toPaint = [];
    const low = Number(slider.min), high = Number(slider.max), step = Number(slider.step) || 1;
    for (let i = 0; i < count; i++) {
        slider.value = String(low + ((i * 7 * step) % (high - low + step)));
        // Inputs arrive at arbitrary moments within a frame, as a reader's would.
        await new Promise(resolve => setTimeout(resolve, 3 + (i * 5) % 17));
        const start = performance.now();
        // noop: the same event where nothing listens, to measure the frame clock alone.
        const target = noop ? document.createElement('input') : slider;
        target.dispatchEvent(new Event('input', { bubbles: true }));
        sync.push(performance.now() - start);
        toPaint.push(await painted() - start);
    }
    const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
    const explorers = document.querySelectorAll('.optx').length;
    return { sync: median(sync), frame: median(toPaint), explorers };
}"""


# Key press → drawn: from the keydown on a slider to the run's path being drawn at the value the
# slider's label shows ("drawn"), and, with a kernel, to the kernel's run replacing it ("live").
KEY_PROBE_JS = """([slider, run, kernel]) => {
  const root = slider.closest('.optx');
  const path = root.querySelectorAll('path.optx-trajectory')[run];
  const label = root.querySelector(`output[for="${slider.id}"]`);
  const probe = window.__optxKeys = { results: [], pending: null };
  const painted = () => new Promise(resolve => requestAnimationFrame(
      () => setTimeout(() => resolve(performance.now()), 0)));
  slider.addEventListener('keydown', () => {
    probe.pending = { start: performance.now(), drawn: null, painted: null, live: null };
  }, true);
  new MutationObserver(() => {
    const p = probe.pending;
    if (!p) return;
    const shown = Number(label.textContent.split('= ')[1]);
    if (Math.abs(Number(path.dataset.lr) / shown - 1) > 1e-6) return;
    const now = performance.now();
    if (p.drawn === null) {
      p.drawn = now - p.start;
      painted().then(t => {
        p.painted = t - p.start;
        if (!kernel) { probe.results.push(p); probe.pending = null; }
      });
    }
    if (kernel && path.dataset.source === 'live' && p.live === null) {
      p.live = now - p.start;
      probe.results.push(p);
      probe.pending = null;
    }
  }).observe(path, { attributes: true, attributeFilter: ['d', 'data-source', 'data-lr'] });
}"""


def key_presses(page, slider, presses: int, kernel: bool, pause_ms=(250, 400)) -> list:
    """Arrow-key presses on ``slider`` (right to the end, then back), a reader's pace apart."""
    import numpy as np

    page.evaluate(KEY_PROBE_JS, [slider.element_handle(), 0, kernel])
    slider.focus()
    rng = np.random.default_rng(0)
    key, positions = "ArrowRight", int(slider.get_attribute("max"))
    for i in range(presses):
        value = int(slider.evaluate("el => el.value"))
        key = "ArrowLeft" if value >= positions else "ArrowRight" if value <= 0 else key
        page.keyboard.press(key)
        page.wait_for_function(f"() => window.__optxKeys.results.length > {i}", timeout=20_000)
        page.wait_for_timeout(int(rng.uniform(*pause_ms)))
    return page.evaluate("() => window.__optxKeys.results")


def static_site(html_dir: Path, page_path: str) -> dict:
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Quiet, directory=str(html_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{page_path}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            bodies = {}
            page.on("response", lambda r: bodies.__setitem__(r.url, r.body() if r.ok else b""))
            page.goto(url)
            page.wait_for_selector(".optx .optx-plot[data-drawn]", timeout=60_000)
            page.wait_for_load_state("networkidle")
            timing = page.evaluate(REDRAW_JS, [200, False])
            clock = page.evaluate(REDRAW_JS, [200, True])
            slider = page.locator(".optx input[type=range]").first
            slider.scroll_into_view_if_needed()
            keys = key_presses(page, slider, 60, kernel=False, pause_ms=(20, 60))
            transfer = page.evaluate("""() => performance.getEntriesByType('navigation')
                .concat(performance.getEntriesByType('resource'))
                .reduce((total, e) => total + (e.transferSize || 0), 0)""")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    document = (html_dir / page_path).stat().st_size
    return {"redraw_sync_ms": timing["sync"], "redraw_frame_ms": timing["frame"],
            "key_drawn_ms": statistics.median(k["drawn"] for k in keys),
            "key_painted_ms": statistics.median(k["painted"] for k in keys),
            "frame_clock_ms": clock["frame"],
            "explorers": timing["explorers"], "transfer_bytes": transfer,
            "response_bytes": sum(len(b) for b in bodies.values()),
            # What a web server that compresses (as GitHub Pages and most hosts do) sends.
            "gzip_bytes": sum(len(gzip.compress(b, 6)) for b in bodies.values()),
            "document_bytes": document}


FIRST_TRAJECTORY = """
import json, time
import lib
from lib.models import surfaces
from lib.explorer import Explorer, Run
start = time.perf_counter()
explorer = Explorer(surfaces.two_weight_net(), runs=[Run(), Run(momentum=0.9)])
total = time.perf_counter() - start
print(json.dumps({"first": explorer.timings.first_trajectory, "grid": explorer.timings.grid,
                  "contours": explorer.timings.contours, "constructor": total}))
"""


def kernel() -> dict:
    import numpy as np

    import lib  # noqa: F401  (float64)
    from lib.explorer import Explorer, Run
    from lib.models import surfaces

    fresh = subprocess.run([sys.executable, "-c", FIRST_TRAJECTORY], capture_output=True, text=True,
                           check=True, cwd=ROOT)
    first = json.loads(fresh.stdout.strip().splitlines()[-1])
    surface = surfaces.two_weight_net()
    explorer = Explorer(surface, runs=[Run(), Run(momentum=0.9)], steps=200, grid_size=(5, 3))
    rng = np.random.default_rng(0)
    lrs = np.exp(rng.uniform(*np.log(surface.lr_range), size=60))
    times = []
    for lr in lrs:
        start = time.perf_counter()
        explorer.set_run(0, lr=float(lr))  # the observer runs lib.descend and sets `trajectories`
        times.append(time.perf_counter() - start)
        assert explorer.trajectories[0]["lr"] == float(lr)
    return {"update_ms": 1e3 * statistics.median(times[5:]), "first_s": first["first"],
            "constructor_s": first["constructor"], "grid_s": first["grid"]}


LAB_NOTEBOOK_CELL = """\
import lib
print(lib.__file__)
from lib.models import surfaces
from lib.explorer import Explorer, Run
Explorer(surfaces.two_weight_net(), runs=[Run(), Run(momentum=0.9)])
"""


def jupyterlab_latency(presses: int = 60, warmup: int = 5, root: Path = ROOT) -> dict:
    """Key press → exact run drawn, in a real JupyterLab (Chromium) with a running kernel.

    A notebook holding one explorer (the worked example's, 100-step runs) is run; then the
    learning-rate slider of run A gets ``presses`` arrow-key presses through Chromium's input
    pipeline, a reader's pace apart (250–400 ms), right to the end of the slider and back.
    Each time runs from the keydown event to the moment the page's own run at the new α is
    in the SVG (drawn) and on screen (painted), and to the moment the kernel's run
    (lib.descend, checked step by step by the page) has replaced it (live): the round trip
    browser → Jupyter server → kernel → back, which the reader no longer waits for.
    """
    import tempfile

    import nbformat
    import numpy as np
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from tests.browser import lab

    with tempfile.TemporaryDirectory() as folder, lab.jupyterlab(Path(folder), root) as base:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(LAB_NOTEBOOK_CELL)])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                           "language": "python"}
        nbformat.write(notebook, Path(folder) / "notebooks" / "latency.ipynb")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(lab.WEBSOCKET_PROBE_JS)
            lab.start_kernel(base, "latency.ipynb")
            page.goto(f"{base}/lab/tree/latency.ipynb?reset", timeout=120_000)
            lab.run_all_to_the_end(page)
            explorer = lab.wait_until_live(page, 180_000)
            lib_file = page.locator(".jp-OutputArea-output").first.inner_text().strip()
            assert lib_file.startswith(str(root)), f"the kernel imported {lib_file}, not {root}/lib"
            explorer.scroll_into_view_if_needed()
            slider = explorer.locator("fieldset").first.locator("input[type=range]").first
            results = key_presses(page, slider, presses + warmup, kernel=True)[warmup:]
            browser.close()
    drawn = np.array([r["drawn"] for r in results])
    painted = np.array([r["painted"] for r in results])
    live = np.array([r["live"] for r in results])
    return {"presses": len(results),
            "drawn_median_ms": float(np.median(drawn)), "drawn_p90_ms": float(np.percentile(drawn, 90)),
            "painted_median_ms": float(np.median(painted)),
            "live_median_ms": float(np.median(live)), "live_p90_ms": float(np.percentile(live, 90))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--page", default="chapters/worked-example.html")
    parser.add_argument("--quick", action="store_true", help="fewer key presses in JupyterLab")
    parser.add_argument("--no-lab", action="store_true", help="skip the JupyterLab measurement")
    args = parser.parse_args()
    rows = []
    if (args.html / args.page).is_file():
        site = static_site(args.html.resolve(), args.page)
        rows += [
            ("static: input → redrawn (handler)", f"{site['redraw_sync_ms']:.2f} ms", "≤ 16 ms"),
            ("static: input → painted (next frame rendered)", f"{site['redraw_frame_ms']:.2f} ms", "≤ 16 ms"),
            ("static: key press → run drawn at the new value, median", f"{site['key_drawn_ms']:.2f} ms",
             "≤ 16 ms"),
            ("static: key press → painted, median", f"{site['key_painted_ms']:.2f} ms", ""),
            ("  the same with nothing to redraw (frame clock alone)", f"{site['frame_clock_ms']:.2f} ms", ""),
            (f"page weight, all transfers ({site['explorers']} explorers)",
             f"{site['transfer_bytes'] / 1e6:.2f} MB", "≤ 2 MB"),
            ("page weight, gzip-compressed as a web host sends it",
             f"{site['gzip_bytes'] / 1e6:.2f} MB", "≤ 2 MB"),
            ("  of which the HTML document (widget state)", f"{site['document_bytes'] / 1e6:.2f} MB", ""),
        ]
    else:
        print(f"(no built page at {args.html / args.page}: static-site rows skipped)")
    k = kernel()
    rows += [
        ("kernel: slider change → trajectory set (200 steps)", f"{k['update_ms']:.2f} ms", "≤ 30 ms"),
        ("kernel: first trajectory (compile, fresh process)", f"{k['first_s']:.3f} s", "≤ 0.5 s"),
        ("kernel: whole constructor incl. grid (fresh)", f"{k['constructor_s']:.3f} s", ""),
    ]
    if not args.no_lab:
        live = jupyterlab_latency(presses=30 if args.quick else 60)
        presses = live["presses"]
        rows += [
            (f"JupyterLab: key press → page's exact run drawn, median of {presses}",
             f"{live['drawn_median_ms']:.1f} ms", "≤ 16 ms"),
            ("JupyterLab: key press → page's exact run drawn, 90th percentile",
             f"{live['drawn_p90_ms']:.1f} ms", ""),
            ("JupyterLab: key press → painted (next frame), median",
             f"{live['painted_median_ms']:.1f} ms", ""),
            ("JupyterLab: key press → kernel's run drawn (checked), median / p90",
             f"{live['live_median_ms']:.0f} / {live['live_p90_ms']:.0f} ms", ""),
        ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>10}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
