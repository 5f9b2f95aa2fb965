"""Live explorers: the anywidget ``Explorer`` (``widget``) with its page code (``explorer.js``,
``explorer-helpers.js``, ``explorer.css``, shipped as package data).

Top layer beside ``lib.teaching`` (neither imports the other); the only part of ``lib`` that
imports anywidget, so ``import lib`` never does: use ``from lib.explorer import Explorer, Run``.
"""

from .widget import MOMENTUM_MAX, Explorer, ExplorerTimings, Run

__all__ = ["MOMENTUM_MAX", "Explorer", "ExplorerTimings", "Run"]
