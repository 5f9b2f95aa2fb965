"""Figures in the book's style: colour-blind-safe colours, contours computed by JAX.

Every figure uses the Okabe–Ito palette for lines and markers and a
perceptually uniform colour map (``cividis``) for surfaces, so that readers
with any form of colour vision deficiency can tell the curves apart.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import matplotlib as mpl
import numpy as np

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
    ``height`` inches tall; an unused cell of the last row is removed. ``subplots_kw`` goes to
    :func:`matplotlib.pyplot.subplots` (``sharex``, ``sharey``, ``gridspec_kw``, ...).

    Returns ``(fig, axes)`` with ``axes`` a list of ``count`` axes, row by row.

    >>> fig, axes = panels(3, height=2.5)
    >>> len(axes), [round(float(v), 2) for v in fig.get_size_inches()]
    (3, [5.8, 5.0])
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    count = _validate.positive_int("count", count)
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


@partial(jax.jit, static_argnums=0)
def _grid_values(f, ws, args):
    return jax.vmap(lambda w: f(w, *args))(ws)


def evaluate_on_grid(f, xlim, ylim, *args, n=201):
    """Brute force: ``f`` on an ``n × n`` grid over ``xlim × ylim`` in one vmapped call.

    Returns ``(W1, W2, Z)`` shaped ``(n, n)`` like :func:`numpy.meshgrid`, with
    ``Z[i, j] = f([W1[i, j], W2[i, j]])``.
    """
    _validate.callable_("f", f)
    n = _validate.positive_int("n", n)
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    bounds = []
    for name, lim in (("xlim", xlim), ("ylim", ylim)):
        if np.shape(lim) != (2,):
            raise ValueError(f"{name} must be a pair (low, high), got {lim!r}")
        low, high = (_validate.real_scalar(name, v) for v in lim)
        if not low < high:
            raise ValueError(f"{name} must satisfy low < high, got {lim!r}")
        bounds.append((low, high))
    w1, w2 = np.meshgrid(np.linspace(*bounds[0], n), np.linspace(*bounds[1], n))
    ws = jnp.stack([w1.ravel(), w2.ravel()], axis=1)
    _validate.scalar_loss(f, ws[0], args, name="a grid point", evaluate=False)
    z = np.asarray(_grid_values(f, ws, tuple(args))).reshape(n, n)
    return w1, w2, z


def plot_contours(ax, f, xlim, ylim, *args, n=201, levels=20, log=False, colorbar=True):
    """Filled contours of a 2-parameter loss on ``ax``; ``log=True`` spaces levels geometrically."""
    w1, w2, z = evaluate_on_grid(f, xlim, ylim, *args, n=n)
    if log:
        positive = z[z > 0]
        lo = positive.min() if positive.size else 1e-3
        level_values = np.geomspace(max(lo, z.max() * 1e-6), z.max(), levels)
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
    """Draw an optimizer path (``(steps + 1, 2)`` points) with its start marked by a square."""
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (steps + 1, 2), got {points.shape}")
    finite = points[np.all(np.isfinite(points), axis=1)]
    (line,) = ax.plot(finite[:, 0], finite[:, 1], marker=marker, markersize=markersize,
                      label=label, color=color, linewidth=1.5, **kwargs)
    ax.plot(*finite[0], marker="s", markersize=7, color=line.get_color(),
            markeredgecolor="white")
    return line
