"""A real JupyterLab for browser tests: started on a free localhost port, stopped afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

STARTUP_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_jupyterlab(bin_dir: Path, root_dir: Path, work: Path, env: dict[str, str] | None = None,
                       extra_args: tuple[str, ...] = ()):
    """Yield the base URL of a token-less JupyterLab from ``bin_dir`` serving ``root_dir``.

    Its runtime and user configuration live in ``work``, so nothing of the tester's
    own Jupyter set-up leaks in; the log is ``work/jupyterlab.log``.
    """
    runtime, config = work / "runtime", work / "config"
    runtime.mkdir(parents=True, exist_ok=True)
    config.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(env or os.environ, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(config),
               JUPYTER_PLATFORM_DIRS="1")
    command = [
        str(bin_dir / "jupyter-lab"), "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.open_browser=False",
        "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={root_dir}", *extra_args,
    ] + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])
    log = open(work / "jupyterlab.log", "w")
    server = subprocess.Popen(command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
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


def start_kernel(base: str, path: str, timeout_s: float = 180) -> str:
    """Start the notebook's session (a python3 kernel) through the server's REST API; its kernel id.

    JupyterLab then joins this session when it opens the notebook and starts no kernel of its
    own: on a loaded machine its own start sometimes failed over to a "Select Kernel" dialog, and
    accepting it could swap the kernel under a Run All already queued. ``path`` is relative to the
    server's root, as in the ``lab/tree/`` URL. (The server reports the new kernel as "starting"
    until a client connects; :func:`run_all_cells` waits for the page to read it idle.)
    """
    body = json.dumps({"path": path, "name": Path(path).name, "type": "notebook",
                       "kernel": {"name": "python3"}}).encode()
    request = urllib.request.Request(f"{base}/api/sessions", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return json.loads(response.read())["kernel"]["id"]


def run_all_cells(page, kernel_timeout_ms: int = 180_000) -> None:
    """Start the notebook's kernel if JupyterLab asks, then Run ▸ Run All Cells."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    # JupyterLab may ask which kernel to start, and on a cold machine it asks late: accept its
    # (python3) proposal whenever the dialog appears, until the kernel reports idle.
    idle = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
    dialog = ".jp-Dialog .jp-mod-accept"
    deadline = time.monotonic() + kernel_timeout_ms / 1000
    while True:
        try:
            page.wait_for_selector(f"{idle}, {dialog}", timeout=max(1, (deadline - time.monotonic()) * 1000))
        except PlaywrightTimeout:
            raise PlaywrightTimeout(f"the kernel was not idle within {kernel_timeout_ms} ms") from None
        if page.locator(dialog).count():
            page.locator(dialog).first.click()
            page.wait_for_selector(".jp-Dialog", state="detached", timeout=30_000)
            continue
        break
    # The kernel dialog can also come after the indicator first read idle (a loaded machine): then
    # it covers the Run menu. Playwright accepts it whenever it blocks one of the clicks below.
    late_dialog = page.locator(".jp-Dialog").filter(has=page.locator(".jp-mod-accept"))
    page.add_locator_handler(late_dialog, lambda found: found.locator(".jp-mod-accept").first.click())
    try:
        # On the first notebook a fresh server opens, Run All can come before the session is wired
        # to its kernel and then runs nothing: repeat it until some cell is queued or run.
        started = ("() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]"
                   ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))")
        for _ in range(3):
            page.locator(".lm-MenuBar-item", has_text="Run").first.click()
            page.locator(".lm-Menu-item[data-command='runmenu:run-all'], "
                         ".lm-Menu-item[data-command='notebook:run-all-cells']").first.click()
            try:
                page.wait_for_function(started, timeout=20_000, polling=500)
                return
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
        raise PlaywrightTimeout("Run ▸ Run All Cells ran no cell, three times")
    finally:
        page.remove_locator_handler(late_dialog)


def notebook_state(page) -> str:
    """What a failed wait should report: the kernel's status, the code cells' prompts, any dialog."""
    return page.evaluate("""() => {
        const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
        const counts = {};
        for (const p of document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')) {
            const text = p.textContent;
            const kind = text.includes('*') ? 'queued or running' : /\\d/.test(text) ? 'run' : 'not run';
            counts[kind] = (counts[kind] || 0) + 1;
        }
        const dialog = document.querySelector('.jp-Dialog');
        const errors = document.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]').length;
        const status = indicator ? indicator.dataset.status : 'unknown';
        const asked = dialog ? JSON.stringify(dialog.innerText.slice(0, 120)) : 'none';
        const cells = JSON.stringify(counts);
        return `kernel ${status}, code cells ${cells}, ${errors} error outputs, dialog: ${asked}`;
    }""")


# Run All has finished when every code cell shows an execution count, or stopped at an error.
DONE_OR_FAILED_JS = """() => {
    const notebook = document.querySelector('.jp-Notebook');
    const prompts = [...notebook.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
    const failed = notebook.querySelector(
        '[data-mime-type="application/vnd.jupyter.stderr"] .ansi-red-fg, '
        + '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]');
    return Boolean(failed) || (prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)));
}"""
KERNEL_IDLE_JS = """() => document.querySelector(
    ".jp-Notebook-ExecutionIndicator[data-status='idle']") !== null"""


def run_all_to_the_end(page, timeout_ms: int = 600_000, kernel_timeout_ms: int = 180_000) -> int:
    """:func:`run_all_cells`, then :func:`wait_for_run_all`; the number of re-runs."""
    run_all_cells(page, kernel_timeout_ms)
    return wait_for_run_all(page, timeout_ms, kernel_timeout_ms)


def wait_for_run_all(page, timeout_ms: int, kernel_timeout_ms: int = 180_000, stalled_s: float = 20,
                     reruns: int = 2) -> int:
    """Wait until every code cell has run or one has failed, after Run All; the number of re-runs.

    On the first notebook a fresh server opens, JupyterLab sometimes swaps the session's kernel
    just after Run All (seen in its log: a second kernel started, the first shut down), and the
    queued cells are lost. A kernel idle for ``stalled_s`` seconds with the run unfinished is
    that case: Run All is given again, at most ``reruns`` times.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + timeout_ms / 1000
    done, idle_since = 0, None
    while not page.evaluate(DONE_OR_FAILED_JS):
        now = time.monotonic()
        if now > deadline:
            raise PlaywrightTimeout(f"Run All did not finish within {timeout_ms} ms; the notebook: "
                                    f"{notebook_state(page)}")
        if page.evaluate(KERNEL_IDLE_JS):
            idle_since = idle_since or now
            if now - idle_since > stalled_s:
                if done == reruns:
                    raise PlaywrightTimeout(f"Run All stalled {reruns + 1} times (the kernel idle, the "
                                            f"run unfinished); the notebook: {notebook_state(page)}")
                print(f"Run All stalled (the notebook: {notebook_state(page)}): running it again")
                run_all_cells(page, kernel_timeout_ms)
                done, idle_since = done + 1, None
        else:
            idle_since = None
        page.wait_for_timeout(1000)
    return done
