"""Values a chapter computes and its prose quotes.

A chapter computes a number in a code cell and names it with ``glue(name, value)``;
its prose refers to the name instead of typing the number. Where the text is read
decides how the number gets there:

* on the website, MyST-NB stores the value with the cell's outputs and the role
  ``{glue:text}`name:spec``` prints it (``glue`` forwards to ``myst_nb.glue`` when
  MyST-NB is installed);
* in a live notebook (JupyterLab on Binder or a hub) the prose asks the kernel with
  ``{eval}`lib.glue.text("name", "spec")```, which jupyterlab-myst evaluates once the
  cells above have run;
* in a downloaded notebook (Colab, VS Code) the numbers are written into the text
  when the book is built.

``spec`` is a Python format specification, exactly as in ``{glue:text}``.
"""

from __future__ import annotations

import re

from . import _validate

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
        return format(_values[name], spec)
    except (ValueError, TypeError) as err:
        raise ValueError(f"spec {spec!r} cannot format the value glued under {name!r}: {err}") from None


def _check_name(name) -> None:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if not _NAME.match(name):
        raise ValueError(f"name must be letters, digits, '_', '.' or '-' and start with a letter, got {name!r}")
