"""Figures in the book's style: colour-blind-safe colours, contours computed by JAX.

Every figure uses the Okabe–Ito palette for lines and markers and a
perceptually uniform colour map (``cividis``) for surfaces, so that readers
with any form of colour vision deficiency can tell the curves apart.
"""

from __future__ import annotations

import numbers
from functools import partial

import jax
import jax.numpy as jnp
import matplotlib as mpl
import matplotlib.axes
import numpy as np
from jax.experimental import checkify

from . import _validate

__all__ = ["OKABE_ITO", "PALETTE", "SURFACE_CMAP", "FIGURE_WIDTH", "PIXEL_RATIO", "use_book_style", "panels",
           "evaluate_on_grid", "plot_contours", "plot_trajectory"]

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under all common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7",
}
#: The order in which curves take colours (yellow, weak on white, comes last).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
SURFACE_CMAP = "cividis"
#: Figures carry this many image pixels per CSS pixel they take on the page (a "retina" PNG: twice
#: the pixels, shown at the size of a 1x image), so that phones, high-density screens and the PDF
#: edition show sharp lines and labels. ``use_book_style`` sets the inline backend to it.
PIXEL_RATIO = 2
#: The widest figure, in inches, whose text stays legible on a phone. A 360 CSS px screen shows
#: the book's text column 312 px wide; a figure of this width (638 px at 110 dpi) shrinks to it by
#: 312 / 638, and its 11 pt labels (16.8 px) to 8.2 CSS px. ``tests/browser/test_phone_figures.py``
#: measures every figure of the book.
FIGURE_WIDTH = 5.8
#: The most panels one figure may have, the most grid points per side of a contour plot (a grid of
#: 4096 × 4096 points already holds 16.8 million losses), and the most contour levels: beyond them
#: a figure takes minutes to draw or exhausts memory, and no page could show the difference.
MAX_PANELS = 100
MAX_GRID_SIDE = 4096
MAX_LEVELS = 1000


def use_book_style() -> None:
    """Set matplotlib defaults used by every chapter (palette, sizes, grid).

    In a Jupyter kernel (the book's build, JupyterLab, Binder, Colab) it also makes the inline
    backend send each figure as a PNG of ``PIXEL_RATIO`` image pixels per CSS pixel, with its
    display size (``figure.dpi`` px per inch) in the output's metadata, which the website, the
    notebook front ends and the printed PDF honour. Outside a kernel it changes no backend.
    """
    mpl.rcParams.update({
        "axes.prop_cycle": mpl.cycler(color=PALETTE),
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 11,
        "legend.frameon": False,
        "image.cmap": SURFACE_CMAP,
    })
    _sharp_inline_figures()


def _sharp_inline_figures() -> None:
    """Inline figures as retina PNGs (``PIXEL_RATIO`` = 2) when running in an IPython kernel."""
    try:
        from IPython import get_ipython
    except ImportError:  # matplotlib without IPython: no inline backend to configure
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("retina")


def panels(count, *, height, columns=2, width=FIGURE_WIDTH, **subplots_kw):
    """A figure of ``count`` panels laid out in rows of at most ``columns``, ``width`` inches wide.

    Panels that do not fit in a row wrap to the next one instead of making the figure wider, so
    that a figure of three panels stays as legible on a phone as a figure of one. Each row is
    ``height`` inches tall; an unused cell of the last row is removed. ``columns`` is an upper
    bound: any ``columns >= count`` puts every panel in one row. ``count`` is at most
    :data:`MAX_PANELS`. ``subplots_kw`` goes to :func:`matplotlib.pyplot.subplots` (``sharex``,
    ``sharey``, ``gridspec_kw``, ...).

    Returns ``(fig, axes)`` with ``axes`` a list of ``count`` axes, row by row.

    >>> fig, axes = panels(3, height=2.5)
    >>> len(axes), [round(float(v), 2) for v in fig.get_size_inches()]
    (3, [5.8, 5.0])
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    count = _validate.count("count", count, MAX_PANELS, "panels")
    columns = min(_validate.positive_int("columns", columns), count)
    height = _validate.positive("height", height)
    width = _validate.positive("width", width)
    rows = -(-count // columns)
    fig, grid = plt.subplots(rows, columns, figsize=(width, height * rows), squeeze=False,
                             **subplots_kw)
    axes = list(grid.ravel())
    for spare in axes[count:]:
        spare.remove()
    return fig, axes[:count]


def _on_rows(f, ws, args):
    return jax.vmap(lambda w: f(w, *args))(ws)


_grid_values = partial(jax.jit, static_argnums=0)(_on_rows)


@partial(jax.jit, static_argnums=0)
def _checked_grid_values(f, ws, args):
    """``f`` at every row of ``ws`` under JAX's index checks: ``(error, values)`` in one compilation
    (the values are those of :func:`_grid_values`, bit for bit)."""
    return checkify.checkify(partial(_on_rows, f), errors=checkify.index_checks)(ws, args)


def evaluate_on_grid(f, xlim, ylim, *args, n=201):
    """Brute force: ``f`` on an ``n × n`` grid over ``xlim × ylim`` in one vmapped call.

    Returns ``(W1, W2, Z)`` shaped ``(n, n)`` like :func:`numpy.meshgrid`, with
    ``Z[i, j] = f([W1[i, j], W2[i, j]])``. ``xlim`` and ``ylim`` are pairs ``(low, high)`` of
    finite numbers with ``low < high``; ``2 <= n <=`` :data:`MAX_GRID_SIDE`. ``f`` must return a
    real scalar, and is evaluated on the grid with JAX's index checks, since JAX would clamp an
    index past the end of an array and plot a wrong surface without a word. The
    loss may be nan or inf at some grid points (the contours leave them blank), not at all of them.
    """
    _validate.callable_("f", f)
    n = _validate.count("n", n, MAX_GRID_SIDE, "points per side")
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    bounds = [_validate.interval("xlim", xlim), _validate.interval("ylim", ylim)]
    w1, w2 = np.meshgrid(np.linspace(*bounds[0], n), np.linspace(*bounds[1], n))
    ws = jnp.stack([w1.ravel(), w2.ravel()], axis=1)
    args = _validate.data("args", args)
    _validate.scalar_loss(f, ws[0], args, name="a grid point", evaluate=False)
    try:
        error, values = _checked_grid_values(f, ws, args)
    except Exception:  # noqa: BLE001 - run plainly: an error of f's own is then raised
        # as f raises it; a construct checkify could not instrument runs unchecked (none known)
        error, values = None, _grid_values(f, ws, args)
    message = None if error is None else error.get()
    if message:
        raise ValueError(f"f reads past the end of an array at the grid points ("
                         f"{message.strip().splitlines()[0]}); JAX would silently clamp the index to "
                         f"the last entry and draw a wrong surface. Check the indices in f against "
                         f"the shapes of its argument (2 numbers) and of args.")
    z = np.asarray(values).reshape(n, n)
    if not np.any(np.isfinite(z)):
        raise ValueError(f"f is nan or inf at every point of the grid over xlim {bounds[0]} and "
                         f"ylim {bounds[1]}: there is no surface to draw")
    return w1, w2, z


def _axes(ax):
    """``ax`` if it is a Matplotlib ``Axes`` (2-D or 3-D), else a ``TypeError`` naming it."""
    if not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(f"ax must be a Matplotlib Axes (from plt.subplots or plotting.panels), "
                        f"got {type(ax).__name__}")
    return ax


def _levels(levels, log: bool):
    """``levels`` as an int count (``1 <= levels <=`` :data:`MAX_LEVELS`, ``>= 2`` with ``log``)
    or a 1-D float array of at least two increasing, finite levels (all ``> 0`` with ``log``)."""
    if _validate.is_integer(levels):
        levels = _validate.count("levels", levels, MAX_LEVELS, "levels")
        if log and levels < 2:
            raise ValueError(f"levels must be >= 2 with log=True (a geometric spacing needs a lowest "
                             f"and a highest level), got {levels}")
        return levels
    what = "a number of levels (an integer) or an increasing array"
    if levels is None or isinstance(levels, (numbers.Number, np.generic)):
        raise TypeError(f"levels must be {what}, got {type(levels).__name__}")
    values = _validate.real_array("levels", levels, what)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"levels must be an array of at least two levels, shape (k,) with k >= 2, "
                         f"got shape {values.shape}")
    if values.size > MAX_LEVELS:
        raise ValueError(f"levels must hold at most {MAX_LEVELS:,} levels, got {values.size:,}")
    if not np.all(np.diff(values) > 0):
        raise ValueError(f"levels must be strictly increasing, got {values.tolist()[:6]}")
    if log and values[0] <= 0:
        raise ValueError(f"levels must all be > 0 with log=True (a logarithmic colour scale), "
                         f"got {values[0]:g}")
    return levels


def plot_contours(ax, f, xlim, ylim, *args, n=201, levels=20, log=False, colorbar=True):
    """Filled contours of a 2-parameter loss on ``ax``; ``log=True`` spaces levels geometrically.

    ``ax`` is a Matplotlib ``Axes``; ``f``, ``xlim``, ``ylim``, ``args`` and ``n`` are those of
    :func:`evaluate_on_grid`. ``levels`` is either a number of levels (an integer ``>= 1``, at most
    :data:`MAX_LEVELS`: Matplotlib picks that many round values, or with ``log`` that many
    geometrically spaced ones between the grid's positive minimum and its maximum) or an array of
    at least two strictly increasing levels (all ``> 0`` with ``log``). ``log`` and ``colorbar``
    are ``True`` or ``False``. Returns the filled contour set.
    """
    _axes(ax)
    log = _validate.boolean("log", log)
    colorbar = _validate.boolean("colorbar", colorbar)
    levels = _levels(levels, log)
    w1, w2, z = evaluate_on_grid(f, xlim, ylim, *args, n=n)
    if log:
        if isinstance(levels, int):
            positive = z[np.isfinite(z) & (z > 0)]
            if positive.size == 0 or positive.min() == positive.max():
                raise ValueError("f must take at least two different finite values > 0 on the grid "
                                 "for log=True (a logarithmic colour scale between them)")
            lo, top = positive.min(), positive.max()
            level_values = np.geomspace(max(lo, top * 1e-6), top, levels)
        else:
            level_values = np.asarray(levels, dtype=np.float64)
        cs = ax.contourf(w1, w2, np.maximum(z, level_values[0]), levels=level_values,
                         norm=mpl.colors.LogNorm(), cmap=SURFACE_CMAP)
    else:
        cs = ax.contourf(w1, w2, z, levels=levels, cmap=SURFACE_CMAP)
    ax.contour(w1, w2, z, levels=cs.levels, colors="white", linewidths=0.3, alpha=0.5)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(False)
    if colorbar:
        ax.figure.colorbar(cs, ax=ax, label="loss", shrink=0.85)
    return cs


def plot_trajectory(ax, points, *, label=None, color=None, marker="o", markersize=3, **kwargs):
    """Draw an optimizer path (``(steps + 1, 2)`` points) with its start marked by a square.

    Rows holding nan or inf (a run that diverged) are left out, so the path stops where the run
    left the numbers; at least one row must be finite (every run of ``lib`` starts at a finite
    point, so a path with none is the wrong array). ``ax`` is a Matplotlib ``Axes``;
    ``markersize`` is a number ``>= 0`` (0 hides the markers). ``label``, ``color``, ``marker``
    and ``kwargs`` go to :meth:`matplotlib.axes.Axes.plot`. Returns the path's line.
    """
    _axes(ax)
    markersize = _validate.nonnegative("markersize", markersize)
    points = _validate.real_array("points", points, "an array of points", finite=False)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (steps + 1, 2), got {points.shape}")
    if points.shape[0] == 0:
        raise ValueError("points must hold at least one point, got shape (0, 2)")
    finite = points[np.all(np.isfinite(points), axis=1)]
    if not finite.size:
        raise ValueError(f"points must hold at least one finite point: all {points.shape[0]} rows "
                         f"hold nan or inf")
    (line,) = ax.plot(finite[:, 0], finite[:, 1], marker=marker, markersize=markersize,
                      label=label, color=color, linewidth=1.5, **kwargs)
    ax.plot(*finite[0], marker="s", markersize=7, color=line.get_color(),
            markeredgecolor="white")
    return line
