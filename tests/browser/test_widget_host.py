"""How the static site shows widgets: a small anywidget host, or the full HTML manager.

Chapter pages whose widgets are all anywidgets (the explorers) must not download the
ipywidgets HTML manager (3.6 MB); a page with any other widget must still render it,
from the copy served with the site.
"""

from __future__ import annotations

import json

import pytest

from .conftest import HTML, PageProbe, serve

pytestmark = pytest.mark.browser

PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>widget host test</title>
<script src="_static/vendor/anywidget-static.js"></script></head>
<body><main>
<script type="application/vnd.jupyter.widget-view+json">{view}</script>
<script type="application/vnd.jupyter.widget-state+json">{state}</script>
</main></body></html>
"""


@pytest.fixture
def served(tmp_path):
    """Serve ``tmp_path`` with the built site's ``_static`` linked in; yields its URL."""
    (tmp_path / "_static").symlink_to(HTML / "_static", target_is_directory=True)
    with serve(tmp_path) as url:
        yield tmp_path, url


def test_explorer_pages_load_neither_the_html_manager_nor_fontawesome_js(probe, site_url):
    """The two largest scripts a chapter page used to load (3.6 MB and 1.5 MB) stay away."""
    requested = []
    probe.page.on("request", lambda request: requested.append(request.url))
    probe.page.goto(f"{site_url}/chapters/worked-example.html")
    probe.page.wait_for_selector(".optx .optx-plot[data-drawn]", timeout=30_000)
    heavy = ("html-manager", "require.js", "fontawesome.js")
    assert not [url for url in requested if any(name in url for name in heavy)]
    assert probe.console_errors == [] and probe.external_requests == []


def test_other_widgets_fall_back_to_the_local_html_manager(browser, served):
    ipywidgets = pytest.importorskip("ipywidgets")
    from ipywidgets.embed import embed_data

    slider = ipywidgets.IntSlider(value=7, min=0, max=10, description="answer")
    data = embed_data(views=[slider])
    folder, url = served
    (folder / "page.html").write_text(PAGE_TEMPLATE.format(
        view=json.dumps(data["view_specs"][0]), state=json.dumps(data["manager_state"])))
    context = browser.new_context()
    probe = PageProbe(context.new_page())
    requested = []
    probe.page.on("request", lambda request: requested.append(request.url))
    try:
        probe.page.goto(f"{url}/page.html")
        probe.page.wait_for_selector(".widget-slider", timeout=30_000)
        readout = probe.page.locator(".widget-readout").first
        assert readout.inner_text().strip() == "7"
        assert any("html-manager/embed-amd.js" in u for u in requested)
        assert probe.external_requests == []
        assert probe.console_errors == []
    finally:
        context.close()


def test_a_broken_widget_module_is_reported_on_the_page(browser, served):
    state = {"version_major": 2, "version_minor": 0, "state": {"m1": {
        "model_name": "AnyModel", "model_module": "anywidget", "model_module_version": "~0.11.*",
        "state": {"_esm": "export default { render() { throw new Error('boom'); } };",
                  "_anywidget_id": "broken", "_css": ""}}}}
    view = {"version_major": 2, "version_minor": 0, "model_id": "m1"}
    folder, url = served
    (folder / "broken.html").write_text(PAGE_TEMPLATE.format(view=json.dumps(view),
                                                             state=json.dumps(state)))
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{url}/broken.html")
        alert = page.wait_for_selector(".anywidget-static-error[role=alert]", timeout=10_000)
        assert "boom" in alert.inner_text()
    finally:
        context.close()
