"""Theme-template overrides stay in step with the installed theme."""

from pathlib import Path

import pydata_sphinx_theme

ROOT = Path(__file__).resolve().parents[1]
THEME_MACROS = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
                / "static" / "webpack-macros.html")
OUR_MACROS = ROOT / "tools" / "templates" / "static" / "webpack-macros.html"


def _macro_lines(text):
    """Template lines outside comments, without blank ones."""
    lines, in_comment = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("<!--", "{#")):
            in_comment = True
        if not in_comment and stripped:
            lines.append(stripped)
        if in_comment and (stripped.endswith("-->") or stripped.endswith("#}")):
            in_comment = False
    return lines


def test_macros_override_differs_from_the_theme_only_by_fontawesome_js():
    theirs = _macro_lines(THEME_MACROS.read_text())
    ours = _macro_lines(OUR_MACROS.read_text())
    dropped = [line for line in theirs if "fontawesome.js" in line]
    assert len(dropped) == 1, "the theme no longer loads fontawesome.js this way: revisit the override"
    assert ours == [line for line in theirs if line not in dropped]

