"""Values a chapter computes and its prose quotes.

A chapter computes a number in a code cell and names it with ``glue(name, value)``;
its prose refers to the name instead of typing the number. Where the text is read
decides how the number gets there:

* on the website, MyST-NB stores the value with the cell's outputs and the role
  ``{glue:text}`name:spec``` prints it (``glue`` forwards to ``myst_nb.glue`` when
  MyST-NB is installed);
* in a live notebook (JupyterLab on Binder or a hub) the prose asks the kernel with
  ``{eval}`lib.teaching.glue.text("name", "spec")```, which jupyterlab-myst evaluates once the
  cells above have run;
* in a downloaded notebook (Colab, VS Code) the numbers are written into the text
  when the book is built.

``spec`` is a Python format specification, exactly as in ``{glue:text}``.
"""

from __future__ import annotations

import re
from ast import literal_eval

from .. import _validate

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_values: dict[str, object] = {}


def glue(name: str, value, display: bool = False) -> None:
    """Record ``value`` under ``name`` for the prose (and for MyST-NB when it runs the chapter)."""
    _check_name(name)
    _validate.boolean("display", display)
    _values[name] = value
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # a reader's kernel: no MyST-NB, the value is kept here only
        return
    myst_glue(name, value, display=display)


def text(name: str, spec: str = "") -> str:
    """The value glued under ``name``, formatted with the format specification ``spec``."""
    _check_name(name)
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a format specification string, got {type(spec).__name__}")
    if name not in _values:
        raise ValueError(f"name {name!r} has no glued value yet: run the code cells above this text first")
    try:
        return format_plain(repr(_values[name]), spec)
    except (ValueError, TypeError) as err:
        raise ValueError(f"spec {spec!r} cannot format the value glued under {name!r}: {err}") from None


def format_plain(plain: str, spec: str = "") -> str:
    """Format a value's ``text/plain`` form as ``{glue:text}`name:spec``` does on the website.

    The text is read back as a Python literal where it is one; the last character of
    ``spec`` picks the type (``d``: int, ``e``/``f``/``g``/``%``: float, ``s``: str),
    so a number reads the same on the website, in a live kernel and in a download.

    >>> format_plain("1347", ","), format_plain("0.000123", ".1e"), format_plain("'SGD'")
    ('1,347', '1.2e-04', 'SGD')
    """
    if not isinstance(plain, str):
        raise TypeError(f"plain must be a string, got {type(plain).__name__}")
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a format specification string, got {type(spec).__name__}")
    try:
        value = literal_eval(plain)
    except (SyntaxError, ValueError):
        value = plain
    if spec == "":
        return str(value)
    kind = spec[-1]
    try:
        if kind == "s":
            value = str(value)
        elif kind in "bcdoxX":
            value = int(value)
        elif kind in "eEfFgGn%":
            value = float(value)
        return format(value, spec)
    except (ValueError, TypeError) as err:  # an unknown code, or a spec that does not suit the value
        raise ValueError(f"spec {spec!r} cannot format {plain!r}: {err}") from None


def _check_name(name) -> None:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if not _NAME.match(name):
        raise ValueError("name must be letters, digits, '_', '.' or '-' and start with a letter, "
                         f"got {name!r}")
