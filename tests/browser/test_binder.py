"""Binder, simulated: the chapters run and read in JupyterLab as the launch buttons open them.

A fresh venv is made from ``binder/requirements.txt`` alone, with the Python of
``binder/runtime.txt``; a copy of the working tree gets ``binder/postBuild``, as
repo2docker runs it; JupyterLab starts from that venv. Each chapter is opened at
the path its page's Binder button names, all its cells are run, and the saved
notebook must hold no error output, while every number in its text (an inline
expression that jupyterlab-myst evaluates) must have been computed, and must read
as on the website wherever the website's number does not depend on the machine.
"""

from __future__ import annotations

import json
import os
import re
from html import unescape
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from myst_nb.core.variables import format_plain_text
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .environments import ROOT, fresh_venv, without_installed, working_tree_copy
from .jupyterlab import run_all_cells, running_jupyterlab, start_kernel, wait_for_run_all

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HTML = ROOT / "_build" / "html"
CHAPTER_TIMEOUT_MS = int(os.environ.get("CHAPTER_TIMEOUT_MS", 900_000))
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "_build" / "screenshots"))
EXPRESSION = re.compile(r"\{eval\}`lib\.teaching\.glue\.text\('([^']+)', '([^']*)'\)`")
RAW_MYST = re.compile(r"\{[a-z][a-z:-]*\}`|:::\s*\{|```\s*\{|^\(\s*[\w-]+\s*\)=", re.M)
# Numbers measured with a clock on the machine that built the website (timings and what is
# computed from them): they differ from run to run. Every other number must match exactly.
MEASURED = {
    "critical-points": {"critical_points_hessian_slope", "critical_points_ratio_max",
                        "critical_points_t_hessian_max"},
    "hessian-at-scale": {"hvp_ms", "grad_ms", "hvp_ratio", "lanczos_seconds", "dense_s_max", "hessian_p",
                         "eig_p", "dense_extrapolated_min", "dense_vs_lanczos", "million_years"},
    "sgd": {"sgd_time_ex_1", "sgd_time_ex_32", "sgd_time_ex_256", "sgd_time_ex_1024", "sgd_time_verdict",
            "sgd_time_step_1", "sgd_time_step_32", "sgd_budget_ms", "sgd_budget_mini", "sgd_budget_sgd",
            "sgd_budget_batch", "sgd_budget_winner", "sgd_hw_mat_ms", "sgd_hw_mat_rate", "sgd_hw_loop_ms",
            "sgd_hw_loop_rate", "sgd_hw_scan_ms", "sgd_hw_scan_rate", "sgd_hw_mat_vs", "sgd_hw_scan_us"},
    "sgd-in-practice": {"sip_shard_single_us", "sip_shard_copy_gbs", "sip_shard_model_8_us", "sip_shard_8_us",
                        "sip_shard_1_us", "sip_shard_verdict"},
}


def launch_paths() -> dict[str, str]:
    """Chapter name → the ``urlpath`` its page's Binder button opens."""
    paths = {}
    for page in sorted((HTML / "chapters").glob("*.html")):
        match = re.search(r'href="https://mybinder\.org/[^"]*\?urlpath=([^"]+)"', page.read_text())
        if match:
            paths[page.stem] = unescape(match[1])
    return paths


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    """(JupyterLab base URL, repository copy) of a Binder-like server."""
    venv = without_installed(fresh_venv("binder", [str(ROOT / "binder" / "requirements.txt")]), "optbook-lib")
    work = tmp_path_factory.mktemp("binder")
    repo = working_tree_copy(work / "repo")
    env = dict(os.environ, PATH=f"{venv / 'bin'}:{os.environ['PATH']}", VIRTUAL_ENV=str(venv),
               HOME=str(work / "home"))
    env.pop("PYTHONPATH", None)
    (work / "home").mkdir()
    import subprocess

    subprocess.run([str(repo / "binder" / "postBuild")], cwd=repo, env=env, check=True)
    with running_jupyterlab(venv / "bin", repo, work, env) as base:
        yield base, repo


def test_every_chapter_page_launches_its_live_notebook():
    paths = launch_paths()
    assert len(paths) >= 10
    for name, path in paths.items():
        assert path == f"lab/tree/notebooks/{name}.ipynb", (name, path)
    assert "instructors" not in paths, "the instructors page needs the repository: no launch button"


@pytest.mark.parametrize("chapter", sorted(launch_paths()))
def test_chapter_runs_and_reads_like_the_website(binder, browser, chapter):
    base, repo = binder
    urlpath = launch_paths()[chapter]
    host = urlparse(base).netloc
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside = []
    def only_localhost(route):
        url = route.request.url
        if urlparse(url).netloc == host or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_localhost)
    page = context.new_page()
    try:
        start_kernel(base, urlpath.removeprefix("lab/tree/"))
        workspace = urlpath.replace("lab/tree/", f"lab/workspaces/{chapter}/tree/", 1)
        page.goto(f"{base}/{workspace}?reset", timeout=120_000)
        try:
            run_all_cells(page)
        except PlaywrightTimeout:
            # Rarely, on a loaded machine, JupyterLab's "Select Kernel" dialog comes late and stays
            # over the Run menu: keep a picture of it, then open the chapter once more in a new page
            # (closing the page runs no beforeunload prompt; the server and its kernel stay).
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"binder-{chapter}-retried.png"))
            page.close()
            page = context.new_page()
            page.goto(f"{base}/{workspace}?reset", timeout=120_000)
            run_all_cells(page)
        wait_for_run_all(page, CHAPTER_TIMEOUT_MS)  # every code cell run, or one failed
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
        page.wait_for_timeout(1000)  # the last markdown cells' expressions
        # jupyterlab-myst renders Markdown cells into `.myst`; textContent also reads the cells
        # that JupyterLab keeps unpainted off screen.
        rendered = page.evaluate(
            "() => [...document.querySelectorAll('.jp-Notebook .jp-MarkdownCell .myst')]"
            ".map(e => e.textContent).join('\\n')")
        page.keyboard.press("Control+s")
        page.wait_for_timeout(1500)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"binder-{chapter}.png"))
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # what JupyterLab showed when it went wrong
        page.screenshot(path=str(SCREENSHOTS / f"binder-{chapter}-failed.png"))
        raise
    finally:
        context.close()

    notebook = nbformat.read(repo / urlpath.removeprefix("lab/tree/"), as_version=4)
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for c in notebook.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == [], f"{chapter}: error outputs {errors}"
    unrun = [c.source[:80] for c in notebook.cells if c.cell_type == "code" and c.execution_count is None]
    assert unrun == [], f"{chapter}: cells not run: {unrun[:3]}"
    assert not RAW_MYST.search(rendered), f"raw MyST in the rendered text: {RAW_MYST.search(rendered)[0]!r}"

    glue_file = ROOT / "_build" / "jupyter_execute" / "chapters" / f"{chapter}.glue.json"
    website = {name: output["data"]["text/plain"]
               for name, output in json.loads(glue_file.read_text()).items()}
    assert MEASURED.get(chapter, set()) <= set(website), "MEASURED names a number the chapter no longer glues"
    compared, mismatched = 0, []
    for cell in notebook.cells:
        if cell.cell_type != "markdown" or "{eval}" not in cell.source:
            continue
        results = {e["expression"]: e["result"] for e in cell.metadata.get("user_expressions", [])}
        for name, spec in EXPRESSION.findall(cell.source):
            expression = f"lib.teaching.glue.text({name!r}, {spec!r})"
            result = results.get(expression)
            assert result is not None, f"{chapter}: {expression} was not evaluated"
            assert result["status"] == "ok", f"{chapter}: {expression} failed: {result.get('evalue')}"
            live = result["data"]["text/plain"].strip("'\"")
            assert live, f"{chapter}: {expression} is empty"
            assert live in rendered, f"{chapter}: {live!r} ({name}) is not in the rendered text"
            expected = format_plain_text(website[name], spec or "s")
            if name in MEASURED.get(chapter, ()):
                continue
            compared += 1
            if live != expected:
                mismatched.append(f"{name}: live {live!r}, website {expected!r}")
    assert mismatched == [], f"{chapter}: numbers that differ from the website: {mismatched}"
    assert compared > 0 or not website
    assert outside == [], f"requests that left localhost: {outside[:5]}"
