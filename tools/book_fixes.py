"""A small Sphinx extension with fixes the book needs on every page.

* Binder opens a chapter as the live notebook its ``postBuild`` writes
  (``notebooks/<chapter>.ipynb``, see ``tools/portable_notebook.py``), not as the
  MyST source, whose roles and directives JupyterLab cannot render. Pages whose
  code needs the repository (the instructors' catalogue) offer neither a launch
  button nor a notebook download.
* The Binder button names the commit the site is built from (``git rev-parse
  HEAD``), not the branch, so that it runs the code the pages were computed with;
  outside a git checkout it keeps ``repository.branch``.
* Search results show section titles as text: the index Sphinx writes holds the
  TeX of math in titles (``Training, and the stability limit 2/\\alpha``); it is
  rewritten with the symbols (``2/α``). ``tools/book.js`` does the same for the
  snippets the search page cuts from the pages, with the table handed to that page.
* Jupyter Book 1 registers sphinx-thebe's inline configuration script twice,
  which throws "Identifier 'THEBE_JS_URL' has already been declared" in every
  page's console; keep the first copy of each identical inline script.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from portable_notebook import LIVE_FOLDER, REPOSITORY_ONLY, build_ref

#: TeX commands of the book's formulas, as the characters a reader types into search or sees in a title.
TEX_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "rho": "ρ",
    "sigma": "σ", "tau": "τ", "phi": "φ", "psi": "ψ", "omega": "ω", "Delta": "Δ", "Sigma": "Σ",
    "nabla": "∇", "partial": "∂", "sqrt": "√", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥",
    "approx": "≈", "ne": "≠", "neq": "≠", "to": "→", "infty": "∞", "cdot": "·", "times": "×",
    "in": "∈", "sum": "∑", "top": "ᵀ", "ldots": "…", "dots": "…", "max": "max", "min": "min",
    "log": "log", "exp": "exp",
}


def tex_to_text(text: str) -> str:
    """Plain text for TeX in a title: ``2/\\alpha`` → ``2/α``, ``\\sqrt\\mu`` → ``√μ``, ``k^2`` → ``k^2``.

    Math delimiters and braces go, known commands become their symbols, spacing commands a space
    and any other command its name; text without a backslash is returned unchanged.
    """
    if "\\" not in text and "$" not in text:
        return text
    text = re.sub(r"\\[()\[\]]|\$", "", text)
    text = re.sub(r"\\[,;:! ]|~", " ", text)
    text = re.sub(r"\\(?:mathrm|mathbf|mathit|operatorname|text|boldsymbol)\s*", "", text)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: TEX_SYMBOLS.get(m[1], m[1]), text)
    return re.sub(r"[{}]", "", text)


def _plain_search_titles(app, exception):
    """Rewrite the TeX in the titles of ``searchindex.js`` (see the module's docstring)."""
    if exception is not None or app.builder.format != "html":
        return
    path = Path(app.outdir) / "searchindex.js"
    if not path.exists():
        return
    source = path.read_text(encoding="utf-8")
    start, end = source.index("(") + 1, source.rindex(")")
    index = json.loads(source[start:end])
    index["titles"] = [tex_to_text(title) for title in index["titles"]]
    titles = {}
    for title, places in index.get("alltitles", {}).items():
        titles.setdefault(tex_to_text(title), []).extend(places)
    index["alltitles"] = titles
    path.write_text(source[:start] + json.dumps(index, ensure_ascii=False, separators=(",", ":"))
                    + source[end:], encoding="utf-8")


def _symbols_for_search_snippets(app, pagename, templatename, context, doctree):
    """The search page's snippets use the same table (``tools/book.js``, ``texToText``)."""
    if pagename == "search":
        symbols = json.dumps(TEX_SYMBOLS, ensure_ascii=False)
        app.add_js_file(None, body=f"window.BOOK_TEX_SYMBOLS = {symbols};")


def _pin_launch_to_the_build_commit(app, config):
    options = config.html_theme_options
    if options.get("repository_url"):
        options["repository_branch"] = build_ref(Path(app.srcdir), options.get("repository_branch") or "main")


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
    app.connect("config-inited", _pin_launch_to_the_build_commit)
    app.connect("build-finished", _plain_search_titles)
    app.connect("html-page-context", _symbols_for_search_snippets)
    # After the theme has added its buttons (priority 501).
    app.connect("html-page-context", _launch_live_notebooks, priority=502)
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
