"""axe-core audit of every page: no serious or critical accessibility violations.

axe-core is an npm dependency (package.json) served with the site from
``_static/vendor/axe.min.js``; it is injected into each page after load.
"""

from __future__ import annotations

import json

import pytest

from .conftest import HTML, book_pages, settle

AXE = HTML / "_static" / "vendor" / "axe.min.js"


@pytest.mark.parametrize("page_path", book_pages())
def test_no_serious_or_critical_violations(probe, site_url, page_path):
    page = probe.page
    page.goto(f"{site_url}/{page_path}", wait_until="load")
    settle(page)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, indent=1)
