"""Fixtures for checking the built site in headless Chromium (Playwright).

The site is served from a thread on 127.0.0.1; every request that would leave
localhost is aborted and recorded, so a test can assert the site is
self-contained. Set ``BOOK_HTML`` to test another build folder and
``SCREENSHOT_DIR`` to choose where screenshots go.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tools.local_server import serve

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "_build" / "screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


#: The modules that execute every chapter (in a Binder-like JupyterLab, in a Colab-like kernel):
#: the longest by far, so with several workers (``make test`` runs pytest-xdist) they start first,
#: on different workers, while the others share what is left.
LONGEST = ("test_binder", "test_colab_notebooks")


# tryfirst: the browser mark must be there before ``-m browser`` selects by it. A module's tests
# stay on one worker through the Makefile's ``--dist loadfile`` (pytest-xdist's xdist_group
# marks, read by ``--dist loadgroup``, have no effect with pytest 9.2: tests/test_test_stages.py).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: Path(str(item.fspath)).stem not in LONGEST)  # stable: order otherwise kept


REDIRECT = re.compile(r'<meta http-equiv="Refresh" content="0; url=([^"]+)"', re.I)


def redirect_target(page_path: str) -> str | None:
    """Where a page that only redirects (a meta refresh, as index.html) sends the reader, else None."""
    match = REDIRECT.search((HTML / page_path).read_text(errors="replace")[:2000])
    return match[1] if match else None


def book_pages() -> list[str]:
    """Every page of the built site, relative to it; a page that only redirects is checked by its
    redirect test (test_site.py), not loaded as a page: it leaves while a check would run on it."""
    pages = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
                   if "_static" not in p.parts and "_sources" not in p.parts)
    return [page for page in pages if redirect_target(page) is None] or ["intro.html"]


@pytest.fixture(scope="session")
def site_url():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built site at {HTML}: run `make book` first (or set BOOK_HTML)")
    with serve(HTML) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class PageProbe:
    """A page plus what went wrong while it loaded: console errors, failed and external requests."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.external_requests: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda err: self.console_errors.append(f"pageerror: {err}"))
        page.on("requestfailed", lambda req: self.failed_requests.append(
            f"{req.url} ({req.failure})"))
        page.on("response", self._on_response)
        page.route("**/*", self._route)

    def _on_console(self, msg):
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def _on_response(self, response):
        if response.status >= 400:
            self.failed_requests.append(f"{response.url} (HTTP {response.status})")

    def _route(self, route):
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.external_requests.append(route.request.url)
            route.abort()


def settle(page, timeout_ms=20000):
    """Wait until the page has loaded and MathJax has finished typesetting, if it runs."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => !window.MathJax || !window.MathJax.startup || !!window.MathJax.startup.promise",
        timeout=timeout_ms)
    page.evaluate("async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise)"
                  " await MathJax.startup.promise; }")
    page.wait_for_timeout(250)


@contextlib.contextmanager
def explorer_page(browser, url, ready=".optx .optx-plot[data-drawn]", viewport=(1280, 1000)):
    """A desktop page of the site at ``url``, probed (:class:`PageProbe`), once ``ready`` is drawn."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    try:
        probe = PageProbe(context.new_page())
        probe.page.goto(url)
        probe.page.wait_for_selector(ready, timeout=30_000)
        yield probe
    finally:
        context.close()


#: The narrowest common phone screen, in CSS pixels.
PHONE_WIDTH, PHONE_HEIGHT = 360, 800


@contextlib.contextmanager
def phone_page(browser):
    """A probed page (:class:`PageProbe`) on a phone: 360 × 800 CSS px, touch, twice the pixel density."""
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": PHONE_HEIGHT}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    try:
        yield PageProbe(context.new_page())
    finally:
        context.close()


@pytest.fixture(scope="module")
def phone(browser):
    """A page on a phone (:func:`phone_page`), shared by a module's tests."""
    with phone_page(browser) as probe:
        yield probe.page


@pytest.fixture
def probe(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield PageProbe(page)
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
