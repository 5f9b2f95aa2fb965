"""A small Sphinx extension with fixes the book needs on every page.

* Binder opens a chapter as the live notebook its ``postBuild`` writes
  (``notebooks/<chapter>.ipynb``, see ``tools/portable_notebook.py``), not as the
  MyST source, whose roles and directives JupyterLab cannot render. Pages whose
  code needs the repository (the instructors' catalogue) offer neither a launch
  button nor a notebook download.
* Jupyter Book 1 registers sphinx-thebe's inline configuration script twice,
  which throws "Identifier 'THEBE_JS_URL' has already been declared" in every
  page's console; keep the first copy of each identical inline script.
"""

from __future__ import annotations

import re

from portable_notebook import LIVE_FOLDER, REPOSITORY_ONLY


def _dedupe_inline_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body") if not isinstance(script, str) else None
        key = ("body", body) if body else ("src", str(script))
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept


def _launch_live_notebooks(app, pagename, templatename, context, doctree):
    name = pagename.rsplit("/", 1)[-1]
    buttons = context.get("header_buttons") or []
    if name in REPOSITORY_ONLY:
        buttons[:] = [b for b in buttons if b.get("label") != "launch-buttons"]
        for group in buttons:
            if "buttons" in group:  # a dropdown; other entries are single buttons
                group["buttons"] = [b for b in group["buttons"]
                                    if b.get("label") != "download-notebook-button"]
        return
    for group in buttons:
        for button in group.get("buttons", []):
            url = button.get("url", "")
            if "urlpath=" in url:
                button["url"] = re.sub(r"urlpath=([^/]+)/tree/.*$",
                                       rf"urlpath=\1/tree/{LIVE_FOLDER}/{name}.ipynb", url)


def setup(app):
    # After the theme has added its buttons (priority 501).
    app.connect("html-page-context", _launch_live_notebooks, priority=502)
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
