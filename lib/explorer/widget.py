r"""Live explorers: learning-rate and momentum sliders that redraw optimizer trajectories.

Design
------
An :class:`Explorer` is an `anywidget <https://anywidget.dev>`_ widget that draws the runs of
:func:`lib.descend` over a two-parameter loss, with sliders for each run's α and μ.

*One formula, two programs.* Every surface of :mod:`lib.models.surfaces` (and the cliff) is a SymPy
expression (:mod:`lib.models.symbolic_surfaces`): ``lib`` evaluates it, and its SymPy gradient, through
``sympy.lambdify(..., "jax")``; the page gets the same loss and gradient printed as JavaScript
(``view["engine"]``) and runs :func:`lib.descend`'s rule itself in float64
(``descend`` in ``explorer-helpers.js``: heavy ball or Nesterov, the same divergence test).
``tests/explorer/test_symbolic_surfaces.py`` runs that JavaScript in node against JAX: points, steps,
whole trajectories.

*At construction* (in the kernel, or while the book is built):

1. the loss is evaluated on a grid over the plot window (:func:`lib.models.surfaces.loss_grid`,
   one vmapped jitted call) and turned into filled contour paths (contourpy), sent
   as SVG path strings in plot pixels;
2. :func:`lib.descend` runs each run's initial settings (``trajectories`` trait: one float64
   list per run), which compiles the run once;
3. only for a loss without a SymPy expression (a reader's own ``Surface``), which the page
   cannot compute: :func:`lib.descend_grid` runs a grid of (α, μ) — by default 25 × 11 —
   sent as base64 float32 (``grid`` trait), and the static page draws the nearest cell.

*Runs* are a list of run configurations, :class:`Run` (α, μ, Nesterov): the ``runs`` trait
holds one dict per run, and everything per run (sliders, colour, dash pattern, marker,
readout, exact trajectory) is indexed by the run's position in it — run A, B, C.

*Sliders* (computed surface): each position is one value, and the value is the one shown and
computed — α = low·(high/low)^(p/N) and 1 − μ = 0.01^(p/60), rounded to three significant
digits; each run's start value sits at its own position (``view["anchors"]``), so moving away
and back returns to it exactly. A move changes only the moved value. An arrow key moves one
position (α ×1.05, 1 − μ ×0.93), Page Up/Down and Shift+arrows six, Home/End to the ends.

*In the browser*, ``explorer.js`` draws everything as SVG (no library, no CDN):

- On the static site every slider value is computed by the page at once (``make bench``
  measures key press → drawn); the mode line says so.
- On render it sends a ``{"type": "ping"}`` custom message; a kernel answers ``{"type":
  "pong"}`` (:meth:`Explorer._on_custom_message`) and the widget goes *live* (JupyterLab,
  Binder, Colab): a move still draws the page's run at once, and saves ``runs``; Python checks
  the values (:meth:`Explorer.set_state`: a bad value is refused and shown, never stored), runs
  :func:`lib.descend` at exactly those values (no recompilation) and sets ``trajectories``. The
  page checks the kernel's run step by step against its own rule (``stepwiseDifference``: from
  each θ_k of the kernel's run, the page's step must land on θ_{k+1} to 1e-9 of the run's
  size) and then draws it; a disagreement is shown in the widget's alert box.

*The rate map* (``rate_map=True``, for a quadratic loss): :func:`lib.theory.quadratic.momentum_regimes`
computes the convergence rate and the regime of heavy-ball momentum on a grid of cells over
(α, μ) — the same axes as the sliders — sent as the ``rate_map`` trait (rates as base64
float32, regimes as a string of digits), with the two critical-damping curves
:math:`\alpha\lambda = (1 \mp \sqrt\mu)^2` and the stability limit as polylines. The browser
paints the cells; a click, a drag or an arrow key on the map sets run A's α and μ (the
sliders' ladders), and the readout gives the rate and regime of exactly that setting
(``momentumRegime`` in ``explorer-helpers.js``, tested against Python).

The ``steps`` slider shows a prefix of the run: every run is computed for the
full ``steps`` (so its length never triggers a compilation) and the first
``shown_steps`` steps are drawn. Errors raised while recomputing are put in the
``error`` trait, which the widget shows in an alert box.
"""

from __future__ import annotations

import base64
import math
import pathlib
import time
from typing import NamedTuple

import anywidget
import numpy as np
import traitlets

from .. import _validate
from ..models import symbolic_surfaces as symbolic
from ..models.surfaces import Surface, check_surface, loss_grid, point
from ..optim import Trajectory, descend, descend_grid, rules
from ..optim.driver import check_run, run_checked
from ..theory import quadratic as _quadratic

__all__ = ["Explorer", "Run", "MOMENTUM_MAX", "ExplorerTimings"]

_HERE = pathlib.Path(__file__).parent

#: Top of the momentum slider. μ → 1 is a run that never forgets; 0.99 already
#: averages over ~100 steps, as long as the default runs.
MOMENTUM_MAX = 0.99

# Slider positions per grid cell, for a loss the page cannot compute. On the static page a
# slider snaps to whole cells and a key press moves one; in a kernel the mouse reaches every
# position (1/40 of a cell, ≈0.5 % in α) and a key press moves half a cell.
_LR_POSITIONS_PER_CELL = 40
_MOMENTUM_POSITIONS_PER_CELL = 20

# Slider ladders of a surface the page computes (explorer-helpers.js, ladderLr/ladderMomentum):
# an arrow key multiplies α by about _LR_KEY_RATIO and 1 − μ by (1 − MOMENTUM_MAX)^(1/60) ≈ 0.93;
# Page Up/Down moves _COARSE_POSITIONS positions (α ×1.34).
_LR_KEY_RATIO = 1.05
_MOMENTUM_LADDER_POSITIONS = 60
_COARSE_POSITIONS = 6

# lib.descend's default bound on ‖θ‖, past which a run counts as diverged.
_DESCEND_MAX_NORM = 1e8

# Cells of the rate map (α, μ) by default: 60 × 40 float32 rates ≈ 13 kB of base64.
_RATE_MAP_SIZE = (60, 40)
# Largest side of grid_size: 100 × 100 runs of 1000 steps are already 320 MB of page.
_MAX_GRID_SIDE = 100
# Points per critical-damping / stability curve of the rate map.
_CURVE_POINTS = 81
# Height of the rate map's plot box (the width is _PLOT_WIDTH).
_MAP_HEIGHT = 260.0

# Plot box in SVG user units; margins hold the axis labels.
_PLOT_WIDTH, _PLOT_HEIGHT = 440.0, 360.0
_CONTOUR_LEVELS = 14


class ExplorerTimings(NamedTuple):
    """Seconds spent in the constructor (``first_trajectory`` includes compilation)."""

    contours: float
    first_trajectory: float
    grid: float


# ----------------------------------------------------------------------------------------------
# Pure helpers: arrays in, JSON-ready data out.


def _encode_float32(array) -> str:
    """Little-endian float32 bytes of ``array`` (C order), base64 encoded."""
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def _nice_ticks(low: float, high: float, count: int = 5) -> list:
    """Round tick values (1, 2 or 5 × 10ᵏ apart) inside [low, high]."""
    raw_step = (high - low) / max(count - 1, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw_step))
    step = min((m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step),
               default=10 * magnitude)
    first = math.ceil(low / step - 1e-9)
    ticks = [round(k * step, 10) for k in range(first, int(math.floor(high / step + 1e-9)) + 1)]
    return [0.0 if t == 0 else t for t in ticks]


def _contour_levels(values: np.ndarray, count: int = _CONTOUR_LEVELS) -> np.ndarray:
    """Levels at quantiles of the values, denser near the minimum (quadratic spacing in p)."""
    finite = values[np.isfinite(values)]
    probabilities = np.linspace(0.0, 1.0, count + 2)[1:-1] ** 2
    return np.unique(np.quantile(finite, probabilities))


def _svg_path(rings) -> str:
    """SVG path data for closed rings of pixel coordinates, 0.1 px precision."""
    parts = []
    for ring in rings:
        rounded = np.round(ring, 1)
        keep = np.ones(len(rounded), dtype=bool)
        keep[1:] = np.any(np.diff(rounded, axis=0) != 0, axis=1)  # drop repeated vertices
        rounded = rounded[keep]
        if len(rounded) < 3:
            continue
        coords = " ".join(f"{x:g},{y:g}" for x, y in rounded)
        parts.append(f"M{coords}Z")
    return "".join(parts)


def _contour_paths(surface: Surface, resolution: int) -> list:
    """Filled sublevel sets {f ≤ level}, highest level first, as SVG paths in plot pixels."""
    import contourpy  # ships with matplotlib

    grid = loss_grid(surface, resolution)
    (x_low, x_high), (y_low, y_high) = surface.xlim, surface.ylim
    px = (grid.xs - x_low) / (x_high - x_low) * _PLOT_WIDTH
    py = (y_high - grid.ys) / (y_high - y_low) * _PLOT_HEIGHT  # SVG y grows downwards
    values = np.where(np.isfinite(grid.values), grid.values, np.nanmax(grid.values))
    generator = contourpy.contour_generator(px, py, values,
                                            fill_type=contourpy.FillType.OuterOffset)
    levels = _contour_levels(values)
    paths = []
    for level in levels[::-1]:
        polygons, offsets = generator.filled(-np.inf, float(level))
        rings = [points[start:stop] for points, cuts in zip(polygons, offsets)
                 for start, stop in zip(cuts[:-1], cuts[1:])]
        path = _svg_path(rings)
        if path:
            paths.append({"level": float(level), "d": path})
    return paths


def _ladder_state(lr_range) -> dict:
    """Positions of the α and μ sliders when the page computes the runs (one value per position)."""
    low, high = lr_range
    return {"lr_positions": max(2, math.ceil(math.log(high / low) / math.log(_LR_KEY_RATIO))),
            "momentum_positions": _MOMENTUM_LADDER_POSITIONS, "coarse_positions": _COARSE_POSITIONS}


def _lr_grid(lr_range, count: int) -> np.ndarray:
    return np.geomspace(lr_range[0], lr_range[1], count)


def _momentum_grid(count: int) -> np.ndarray:
    """0 … MOMENTUM_MAX, evenly spaced in log(1 − μ): 0, 0.37, 0.60, 0.75, 0.84, 0.9, …, 0.99."""
    momentums = 1.0 - np.geomspace(1.0, 1.0 - MOMENTUM_MAX, count)
    momentums[0], momentums[-1] = 0.0, MOMENTUM_MAX
    return momentums


def _momentum_axis(fractions) -> np.ndarray:
    """μ at fractions 0 … 1 of the momentum slider (evenly spaced in log(1 − μ), 0 … MOMENTUM_MAX)."""
    return 1.0 - (1.0 - MOMENTUM_MAX) ** np.asarray(fractions, dtype=float)


def _log_ticks(low: float, high: float) -> list:
    """1 and 5 × 10ᵏ inside [low, high] (the α axis of the rate map); also 2 × 10ᵏ on a short range."""
    def inside(mantissas):
        return [value for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
                for value in (float(f"{m}e{exponent}") for m in mantissas)
                if low * (1 - 1e-9) <= value <= high * (1 + 1e-9)]

    ticks = inside((1, 5))  # uncrowded on a phone
    return ticks if len(ticks) >= 3 else inside((1, 2, 5))


def _quadratic_spectrum(surface: Surface, x0: np.ndarray, rate_map) -> np.ndarray | None:
    """The Hessian eigenvalues behind ``rate_map``: None (no map), given, or measured.

    ``rate_map=True`` measures the Hessian of ``surface.f`` with :func:`lib.hessian` at ``x0``
    and at a second point of the window and requires both to agree (a quadratic has one
    Hessian everywhere) and to be positive definite.
    """
    if rate_map is None or rate_map is False or (isinstance(rate_map, np.bool_) and not rate_map):
        return None
    if rate_map is True or isinstance(rate_map, np.bool_):
        from ..calculus.derivatives import hessian

        (x_low, x_high), (y_low, y_high) = surface.xlim, surface.ylim
        other = np.array([x_low + 0.31 * (x_high - x_low), y_low + 0.77 * (y_high - y_low)])
        if np.allclose(other, x0):
            other = other + np.array([0.1 * (x_high - x_low), -0.1 * (y_high - y_low)])
        first, second = hessian(surface.f, x0), hessian(surface.f, other)
        scale = max(float(np.max(np.abs(first))), 1e-300)
        if not (np.all(np.isfinite(first)) and np.allclose(first, second, rtol=1e-9, atol=1e-12 * scale)):
            raise ValueError(
                f"rate_map=True needs a quadratic loss (one Hessian everywhere), but the Hessian of "
                f"{surface.name!r} at x0 = {x0.tolist()} differs from the one at {other.tolist()}; "
                "pass the eigenvalues of a quadratic model instead, rate_map=[λ₁, λ₂, …]")
        eigenvalues = np.linalg.eigvalsh((first + first.T) / 2)
        if eigenvalues.min() <= 0:
            raise ValueError(f"rate_map=True needs a positive definite Hessian, but {surface.name!r} "
                             f"has eigenvalues {eigenvalues.tolist()}")
        return eigenvalues
    if isinstance(rate_map, (str, bytes, dict)):
        raise TypeError(f"rate_map must be True, False or an array of Hessian eigenvalues, "
                        f"got {type(rate_map).__name__}")
    try:
        return np.sort(_validate.positive_spectrum("rate_map", rate_map))
    except TypeError as err:
        raise TypeError(f"rate_map must be True, False or an array of Hessian eigenvalues: {err}") from err


def _rate_map_state(eigenvalues: np.ndarray, lr_range, size, run_lrs, run_momentums) -> dict:
    """The ``rate_map`` trait: cells over (α, μ), curves, the optimum and the run grid's rates.

    Cell (i, j) — row i from μ = 0 upwards, column j from the smallest α — is the rate at
    its centre. Axis fractions are those of the sliders: α = low·(high/low)^u,
    μ = 1 − (1 − MOMENTUM_MAX)^v.
    """
    n_lr, n_momentum = size
    (low, high), names = lr_range, _quadratic.MOMENTUM_REGIMES
    lrs = low * (high / low) ** ((np.arange(n_lr) + 0.5) / n_lr)
    momentums = _momentum_axis((np.arange(n_momentum) + 0.5) / n_momentum)
    cells = _quadratic.momentum_regimes(lrs[None, :], momentums[:, None], eigenvalues)
    curve_mus = _momentum_axis(np.linspace(0.0, 1.0, _CURVE_POINTS))
    smallest, largest = float(eigenvalues.min()), float(eigenvalues.max())
    candidates = [("critical", lam, side, lr_values) for lam in sorted({smallest, largest})
                  for side, lr_values in zip(("low", "high"), _quadratic.critical_damping_lr(curve_mus, lam))]
    candidates.append(("stability", largest, "", 2 * (1 + curve_mus) / largest))
    curves = []
    for kind, lam, side, lr_values in candidates:
        if np.all(lr_values < low) or np.all(lr_values > high):
            continue  # never on the map
        points = [[float(f"{lr:.6g}"), float(f"{mu:.8g}")] for lr, mu in zip(lr_values, curve_mus)]
        curves.append({"kind": kind, "curvature": lam, "side": side, "points": points})
    optimum = _quadratic.heavy_ball_optimal(eigenvalues)
    converging = cells.rate[cells.rate < 1]
    return {
        "eigenvalues": eigenvalues.tolist(), "regimes": list(names),
        "n_lr": n_lr, "n_momentum": n_momentum, "lrs": lrs.tolist(), "momentums": momentums.tolist(),
        # (n_momentum, n_lr), row 0 at μ = 0.
        "rate": _encode_float32(cells.rate),
        "regime": "".join(str(int(code)) for code in cells.regime.ravel()),
        "color_range": [float(converging.min()) if converging.size else 0.0,
                        float(converging.max()) if converging.size else 1.0],
        "curves": curves,
        "optimum": {"lr": optimum.lr, "momentum": optimum.momentum, "rate": optimum.rate},
        "lr_ticks": _log_ticks(low, high),
        "momentum_ticks": [m for m in (0.0, 0.5, 0.8, 0.9, 0.95, 0.99) if m <= MOMENTUM_MAX],
        "width": _PLOT_WIDTH, "height": _MAP_HEIGHT,
    } | ({} if run_lrs is None else _grid_rates(eigenvalues, run_lrs, run_momentums))


def _grid_rates(eigenvalues, run_lrs, run_momentums) -> dict:
    """Rate and regime at the run grid's (α, μ): what the static page draws without a computed surface."""
    runs = _quadratic.momentum_regimes(np.asarray(run_lrs)[:, None], np.asarray(run_momentums)[None, :],
                                       eigenvalues)
    return {"grid_rate": runs.rate.tolist(), "grid_regime": runs.regime.tolist()}


def _trajectory_state(run: Trajectory, settings: dict, spectrum: np.ndarray | None = None) -> dict:
    """The exact run for ``settings`` ({"lr", "momentum", "nesterov"}) as JSON-safe data: only the
    finite rows (JSON has no NaN); with a rate map, also the rate and regime of heavy-ball
    momentum at (lr, momentum)."""
    finite = run.points.shape[0] if run.diverged_at is None else run.diverged_at
    state = {
        **settings,
        "points": run.points[:finite].tolist(),
        "losses": run.losses[:finite].tolist(),
        "diverged_at": run.diverged_at,
    }
    if spectrum is not None:
        at = _quadratic.momentum_regimes(settings["lr"], settings["momentum"], spectrum)
        state["rate"], state["regime"] = float(at.rate), int(at.regime)
    return state


def _status(run: Trajectory, shown_steps: int) -> str:
    """The readout's verdict on the first ``shown_steps`` steps of ``run``."""
    if run.diverged_at is not None and run.diverged_at <= shown_steps:
        return f"diverged at step {run.diverged_at}"
    return f"loss {run.losses[shown_steps]:.4g} at step {shown_steps}"


def _front_end_module() -> str:
    """``explorer.js`` with its import of ``explorer-helpers.js`` replaced by that file.

    An anywidget module reaches the browser as one string (loaded from a blob: URL,
    in JupyterLab and on the static site alike), where a relative import cannot be
    resolved; the helpers are kept in their own file so that ``node --test`` can
    test them (``tests/js/``).
    """
    source = (_HERE / "explorer.js").read_text(encoding="utf-8")
    helpers = (_HERE / "explorer-helpers.js").read_text(encoding="utf-8")
    start = source.find("import {")
    end = source.find('from "./explorer-helpers.js";', start)
    if start < 0 or end < 0:
        raise RuntimeError("lib/explorer/explorer.js must import its helpers from ./explorer-helpers.js")
    end += len('from "./explorer-helpers.js";')
    return source[:start] + helpers + source[end:]


class Run(NamedTuple):
    """The settings of one run of an :class:`Explorer`: one trajectory, one set of sliders.

    ``lr=None`` means the surface's default learning rate (``surface.lr``).
    """

    lr: float | None = None
    momentum: float = 0.0
    nesterov: bool = False


_RUN_KEYS = frozenset(Run._fields)
_RUN_NAMES = "ABC"
# How the widget's error line starts when the kernel refuses a value sent by the browser.
_REFUSED = "a value from the browser was refused: "


# ----------------------------------------------------------------------------------------------


class Explorer(anywidget.AnyWidget):
    r"""Sliders for learning rate α and momentum μ over a 2-D loss surface.

    Draws the contours of ``surface.f``, the start point and, for each run, the trajectory of
    gradient descent with heavy-ball momentum (:func:`lib.descend`),

    .. math:: p_{k+1} = \mu p_k - \alpha \nabla f(w_k), \qquad w_{k+1} = w_k + p_{k+1},

    with a readout of the loss at the shown step, or "diverged at step k".
    See the module docstring for how it works with and without a kernel.

    Parameters
    ----------
    surface : lib.models.surfaces.Surface
        The loss and its plot window, e.g. ``surfaces.ravine(kappa=50)``.
    runs : sequence of :class:`Run` (or of dicts with keys ``lr``, ``momentum``, ``nesterov``)
        The runs to draw, each with its own sliders, colour, line style and marker: run A,
        B, C. At most three. Default: one run, ``[Run()]`` — plain gradient descent at
        ``surface.lr``. To compare two settings on the same contours, pass two, e.g.
        ``runs=[Run(), Run(momentum=0.9)]``. Each ``lr`` must lie in ``lr_range``; each
        momentum in [0, 0.99].
    steps : int, optional
        Length of every run (default ``surface.steps``); the steps slider shows
        a prefix of it. At most 1000.
    x0 : array-like of shape (2,), optional
        Start point; default ``surface.x0``.
    lr_range : (float, float), optional
        Ends of the log-scale learning-rate slider; default ``surface.lr_range``.
    nesterov_toggle : bool
        Show a Nesterov checkbox per run (for a loss without a SymPy expression it doubles
        the precomputed grid).
    steps_slider : bool
        Show the steps slider.
    grid_size : (int, int)
        Only for a surface without a SymPy expression (which the page cannot compute):
        number of precomputed learning rates and momenta for the static website,
        default (25, 11), each side in [2, 100]. Page weight ≈ 16 bytes × n_lr × n_μ ×
        (steps + 1) per Nesterov setting.
    resolution : int
        Contour grid is ``resolution × resolution``.
    title : str, optional
        Heading shown above the plot; default ``surface.name``.
    rate_map : bool or array-like
        Add a map of heavy-ball momentum's convergence rate and regime over (α, μ)
        (:func:`lib.theory.quadratic.momentum_regimes`) beside the plot, for a quadratic loss:
        ``True`` measures the Hessian with :func:`lib.hessian` (it must be the same at
        ``x0`` and at a second point, and positive definite); an array gives the Hessian's
        eigenvalues. Choosing a point on the map sets run A's α and μ. Not with Nesterov.
    rate_map_size : (int, int)
        Cells of the map along α and μ, default (60, 40): 16 bytes of page weight per cell
        (rate and regime), about 13 kB in all.

    The current settings are the traits ``runs`` (a list of dicts ``{"lr", "momentum",
    "nesterov"}``, one per run) and ``shown_steps``. :meth:`set_run` changes one run, as a
    slider move does; assigning ``runs`` a whole new list works too, and either recomputes
    the runs that changed. :attr:`results` holds the exact :class:`lib.Trajectory` of each
    run and :meth:`status` the readout's verdict. Values sent by the browser are checked
    like values from Python; a bad one is refused, shown in the widget, and the sliders
    go back (see :meth:`set_state`).

    >>> from lib.models import surfaces
    >>> explorer = Explorer(surfaces.ravine(kappa=10), runs=[Run(lr=0.3)], grid_size=(3, 2), steps=40)
    >>> explorer.status()  # α = 0.3 > 2/κ
    'diverged at step 26'
    >>> explorer.set_run(0, lr=0.1)
    >>> explorer.status()
    'loss 0.006991 at step 40'
    """

    _esm = _front_end_module()
    _css = _HERE / "explorer.css"

    #: The most runs one explorer draws (each has a name, a colour, a dash pattern and a marker shape).
    MAX_RUNS = len(_RUN_NAMES)

    title = traitlets.Unicode("").tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    #: Static geometry: window, pixel box, contour paths, ticks, start point, slider layout.
    view = traitlets.Dict().tag(sync=True)
    #: Precomputed runs over the (nesterov, lr, momentum) grid, base64 float32.
    grid = traitlets.Dict().tag(sync=True)

    # The slider settings, one dict per run. A slider move sends the list; the kernel does not
    # echo it back (echo_update=False: one message fewer before the new trajectory, on every
    # move). A value the kernel changes (a validator clipping α, or Python code) is still sent.
    # ``Any``, not ``List``: the validator below answers every bad value with a ValueError or
    # TypeError naming the run and the setting.
    runs = traitlets.Any([]).tag(sync=True, echo_update=False)
    steps = traitlets.Int(100, read_only=True).tag(sync=True)
    shown_steps = traitlets.Int(100).tag(sync=True, echo_update=False)

    #: Exact run for each entry of ``runs`` (finite rows, float64), in the same order.
    trajectories = traitlets.List().tag(sync=True)
    #: The rate map over (α, μ) (empty without ``rate_map``): see the module docstring.
    rate_map = traitlets.Dict().tag(sync=True)
    #: Message of the last error raised while recomputing ('' when fine), shown in the widget.
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, surface: Surface, runs=None, *, steps=None, x0=None, lr_range=None,
                 nesterov_toggle=False, steps_slider=True, grid_size=(25, 11), resolution=100,
                 title=None, rate_map=False, rate_map_size=_RATE_MAP_SIZE):
        surface = check_surface("surface", surface)
        nesterov_toggle = _validate.boolean("nesterov_toggle", nesterov_toggle)
        steps_slider = _validate.boolean("steps_slider", steps_slider)
        self._lr_range = _validate.interval("lr_range", surface.lr_range if lr_range is None else lr_range,
                                            positive=True)
        self._default_lr = surface.lr
        self._ready = False  # until the end of __init__: the checks that need the widget wait
        settings = self._checked_runs([Run()] if runs is None else runs)
        steps = _validate.count("steps", surface.steps if steps is None else steps, 1000,
                                "(the grid is embedded in the page)")
        x0 = np.array(surface.x0 if x0 is None else point("x0", x0))
        # A surface without a SymPy expression embeds its grid of runs in the page: bounded.
        grid_size = self._checked_size("grid_size", grid_size, maximum=_MAX_GRID_SIDE)
        resolution = _validate.positive_int("resolution", resolution)
        if resolution < 10:
            raise ValueError(f"resolution must be >= 10, got {resolution}")
        if title is not None and not isinstance(title, str):
            raise TypeError(f"title must be a string, got {type(title).__name__}")
        spectrum = _quadratic_spectrum(surface, x0, rate_map)
        if spectrum is not None:
            rate_map_size = self._checked_size("rate_map_size", rate_map_size, maximum=400)
            if nesterov_toggle or any(run["nesterov"] for run in settings):
                raise ValueError("rate_map shows heavy-ball momentum: it cannot be combined with "
                                 "a Nesterov run or nesterov_toggle=True")

        # Plain attributes first: the observers below need them.
        self._surface, self._x0, self._steps = surface, x0, steps
        self._spectrum = spectrum
        self._nesterov_options = ((False, True) if nesterov_toggle
                                  else tuple(sorted({run["nesterov"] for run in settings})))
        self._checked_run = None  # a CheckedRun once lib.descend has checked f, x0, steps
        self.results: list[Trajectory] = []
        self.last_exception: BaseException | None = None

        clock = time.perf_counter()
        contours = _contour_paths(surface, resolution)
        clock, contour_seconds = time.perf_counter(), time.perf_counter() - clock
        self.results = [self._descend(**settings[0])]
        first_seconds = time.perf_counter() - clock
        self.results += [self._descend(**run) for run in settings[1:]]
        clock = time.perf_counter()
        # A surface written in SymPy is computed by the page itself; any other needs the grid.
        grid = {} if surface.expression is not None else self._grid_state(grid_size)
        if nesterov_toggle:  # compile the other variant now, not on the first click
            self._descend(settings[0]["lr"], settings[0]["momentum"], not settings[0]["nesterov"])
        self.timings = ExplorerTimings(contour_seconds, first_seconds, time.perf_counter() - clock)

        super().__init__(
            title=surface.name if title is None else title,
            description=surface.description,
            view=self._view_state(contours, grid_size, nesterov_toggle, steps_slider, settings),
            grid=grid,
            runs=settings,
            shown_steps=steps,
            trajectories=[self._trajectory_state(index, settings[index], run)
                          for index, run in enumerate(self.results)],
            rate_map=({} if spectrum is None else
                      _rate_map_state(spectrum, self._lr_range, rate_map_size, grid.get("lrs"),
                                      grid.get("momentums"))),
        )
        self.set_trait("steps", steps)
        self._ready = True
        self.on_msg(self._on_custom_message)

    # -- argument checks ---------------------------------------------------------------------

    def _checked_lr(self, name, value) -> float:
        value = _validate.positive(name, value)
        low, high = self._lr_range
        # The browser computes α = low·(high/low)^t, which can miss the ends by an ulp.
        if low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
            return min(max(value, low), high)
        raise ValueError(f"{name} must lie in lr_range [{low:g}, {high:g}], got {value:g}")

    @staticmethod
    def _checked_momentum(name, value) -> float:
        value = _validate.real_scalar(name, value)
        if not 0.0 <= value <= MOMENTUM_MAX:
            raise ValueError(f"{name} must lie in [0, {MOMENTUM_MAX}], got {value}")
        return value

    def _checked_runs(self, runs) -> list[dict]:
        """``runs`` as a list of plain dicts ``{"lr", "momentum", "nesterov"}`` (JSON-ready).

        A :class:`Run` or a mapping with some of its keys; missing keys take :class:`Run`'s
        defaults. Once the widget exists, the number of runs is fixed and a Nesterov
        setting must be one the precomputed grid holds.
        """
        if isinstance(runs, Run):
            raise TypeError("runs must be a list of Run(lr=…, momentum=…, nesterov=…), got one Run: "
                            "put it in a list, runs=[Run(…)]")
        if not isinstance(runs, (list, tuple)):
            raise TypeError(f"runs must be a list of Run(lr=…, momentum=…, nesterov=…), "
                            f"got {type(runs).__name__}")
        count = len(runs)
        if not 1 <= count <= self.MAX_RUNS:
            raise ValueError(f"runs must hold 1 to {self.MAX_RUNS} runs, got {count}")
        if self._ready and count != len(self.results):
            raise ValueError(f"runs must hold {len(self.results)} runs, as when the explorer was "
                             f"made, got {count}")
        checked = []
        for index, run in enumerate(runs):
            name = f"runs[{index}]"
            if isinstance(run, Run):
                run = run._asdict()
            if not isinstance(run, dict):
                raise TypeError(f"{name} must be a Run(lr=…, momentum=…, nesterov=…) or a dict, "
                                f"got {type(run).__name__}")
            unknown = sorted(str(key) for key in set(run) - _RUN_KEYS)
            if unknown:
                raise TypeError(f"{name} has unknown settings {unknown}: a run has lr, momentum "
                                "and nesterov")
            settings = {**Run()._asdict(), **run}
            lr = self._default_lr if settings["lr"] is None else settings["lr"]
            nesterov = _validate.boolean(f"{name}.nesterov", settings["nesterov"])
            if self._ready and nesterov not in self._nesterov_options:
                raise ValueError(f"{name}.nesterov={nesterov} needs Explorer(..., nesterov_toggle=True)")
            checked.append({"lr": self._checked_lr(f"{name}.lr", lr),
                            "momentum": self._checked_momentum(f"{name}.momentum", settings["momentum"]),
                            "nesterov": nesterov})
        return checked

    @staticmethod
    def _checked_size(name, size, maximum=None):
        """A pair (n_lr, n_momentum) of ints >= 2 (and <= ``maximum``): a grid's size."""
        try:
            n_lr, n_momentum = size
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be a pair (n_lr, n_momentum), got {size!r}") from err
        n_lr, n_momentum = _validate.positive_int(name, n_lr), _validate.positive_int(name, n_momentum)
        if min(n_lr, n_momentum) < 2 or (maximum is not None and max(n_lr, n_momentum) > maximum):
            bounds = ">= 2" if maximum is None else f"in [2, {maximum}]"
            raise ValueError(f"{name} entries must be {bounds}, got ({n_lr}, {n_momentum})")
        return n_lr, n_momentum

    # -- the mathematics: arrays in, arrays out --------------------------------------------

    def _descend(self, lr, momentum, nesterov) -> Trajectory:
        """``lib.descend(surface.f, x0, lr=lr, momentum=momentum, steps=steps, nesterov=nesterov)``.

        The first call is ``lib.descend`` itself: it checks ``f`` and ``x0`` (tracing ``f``
        once more with ``jax.eval_shape``) and compiles. A slider move changes only α, μ
        and the Nesterov flag, which the traits have checked, so later calls go straight
        to the jitted driver ``lib.descend`` uses (``lib.optim.driver.run_checked``): the
        same compiled program, the same numbers bit for bit (tests/explorer/test_explorers.py),
        without the checks of ``f`` and ``x0`` per move (more than the run itself).
        """
        if self._checked_run is None:
            run = descend(self._surface.f, self._x0, lr=lr, momentum=momentum, steps=self._steps,
                          nesterov=nesterov)
            self._checked_run = check_run(self._surface.f, self._x0, steps=self._steps,
                                          max_norm=_DESCEND_MAX_NORM)
            return run
        hyper = {"lr": np.asarray(lr, dtype=np.float64), "momentum": np.asarray(momentum, dtype=np.float64)}
        return run_checked(rules.momentum(nesterov), self._checked_run, hyper, check_state=False,
                           name="descend")

    def _trajectory_state(self, index: int, settings: dict, run: Trajectory) -> dict:
        """Run ``index``'s state; run A's carries the rate map's readout."""
        return _trajectory_state(run, settings, self._spectrum if index == 0 else None)

    def _grid_state(self, grid_size) -> dict:
        n_lr, n_momentum = grid_size
        lrs, momentums = _lr_grid(self._lr_range, n_lr), _momentum_grid(n_momentum)
        options = sorted(set(self._nesterov_options))
        runs = [descend_grid(self._surface.f, self._x0, lrs=lrs, momentums=momentums,
                             steps=self._steps, nesterov=option) for option in options]
        return {
            "lrs": lrs.tolist(), "momentums": momentums.tolist(), "nesterov": options,
            "steps": self._steps,
            # (n_nesterov, n_lr, n_momentum, steps + 1, 2) and (…, steps + 1)
            "points": _encode_float32(np.stack([run.points for run in runs])),
            "losses": _encode_float32(np.stack([run.losses for run in runs])),
            "diverged_at": np.stack([run.diverged_at for run in runs]).tolist(),
        }

    def _view_state(self, contours, grid_size, nesterov_toggle, steps_slider, settings) -> dict:
        surface = self._surface
        if surface.expression is not None:
            return {**self._view_geometry(contours, nesterov_toggle, steps_slider),
                    **_ladder_state(self._lr_range),
                    # The start values of the runs: each sits exactly at its slider position.
                    "anchors": [{"lr": run["lr"], "momentum": run["momentum"]} for run in settings],
                    "engine": {**symbolic.javascript(surface.expression), "max_norm": _DESCEND_MAX_NORM}}
        return {
            **self._view_geometry(contours, nesterov_toggle, steps_slider),
            "lr_positions": (grid_size[0] - 1) * _LR_POSITIONS_PER_CELL,
            "lr_cell": _LR_POSITIONS_PER_CELL,
            "momentum_positions": (grid_size[1] - 1) * _MOMENTUM_POSITIONS_PER_CELL,
            "momentum_cell": _MOMENTUM_POSITIONS_PER_CELL,
        }

    def _view_geometry(self, contours, nesterov_toggle, steps_slider) -> dict:
        surface = self._surface
        return {
            "xlim": list(surface.xlim), "ylim": list(surface.ylim),
            "width": _PLOT_WIDTH, "height": _PLOT_HEIGHT,
            "contours": contours,
            "xticks": _nice_ticks(*surface.xlim), "yticks": _nice_ticks(*surface.ylim),
            "x0": self._x0.tolist(),
            "lr_range": list(self._lr_range), "momentum_max": MOMENTUM_MAX,
            "nesterov_toggle": nesterov_toggle, "steps_slider": steps_slider,
        }

    # -- reacting to slider moves ----------------------------------------------------------

    @traitlets.validate("runs")
    def _validate_runs(self, proposal):
        return self._checked_runs(proposal["value"])

    @traitlets.validate("shown_steps")
    def _validate_shown_steps(self, proposal):
        return self._checked_shown_steps(proposal["value"])

    def _checked_shown_steps(self, value) -> int:
        value = _validate.positive_int("shown_steps", value)
        if self._ready and value > self.steps:
            raise ValueError(f"shown_steps must lie in [1, {self.steps}], got {value}")
        return value

    @traitlets.observe("runs")
    def _rerun(self, change):
        """Recompute the runs whose settings changed; set ``trajectories`` once for all of them."""
        if not self._ready:
            return
        results, states = list(self.results), list(self.trajectories)
        for index, settings in enumerate(change["new"]):
            if all(states[index].get(key) == settings[key] for key in _RUN_KEYS):
                continue  # this run's trajectory is already for these settings
            try:
                results[index] = self._descend(**settings)
            except Exception as err:  # shown in the widget, kept for inspection, not swallowed
                self.last_exception = err
                self.error = (f"run {_RUN_NAMES[index]} at α = {settings['lr']:g}, "
                              f"μ = {settings['momentum']:g}: {type(err).__name__}: {err}")
                return
            states[index] = self._trajectory_state(index, settings, results[index])
        self.results = results
        with self.hold_sync():
            self.trajectories = states
            self.error = ""

    def set_run(self, index: int, **settings) -> None:
        """Change some settings of run ``index`` (0 is run A), e.g. ``set_run(1, momentum=0.9)``,
        and recompute it: what a slider move does in a kernel."""
        index = _validate.nonnegative_int("index", index)
        if index >= len(self.runs):
            raise ValueError(f"index must be < {len(self.runs)} (the number of runs), got {index}")
        unknown = sorted(set(settings) - _RUN_KEYS)
        if unknown:
            raise TypeError(f"set_run got unknown settings {unknown}: a run has lr, momentum and nesterov")
        self.runs = [{**run, **settings} if i == index else run for i, run in enumerate(self.runs)]

    def set_state(self, sync_data):
        """Apply the values the browser sends, checked like values from Python.

        The browser may set only the sliders' traits, ``runs`` and ``shown_steps``. A bad value
        is refused as it would be from Python, but a refusal here cannot reach a caller: it is
        put in ``error`` (which the widget shows) and ``last_exception``, and the current values
        are sent back, so the sliders return to them. The values are checked *before* they
        are applied: while a state is applied, traitlets stores a value even if its validator
        raises anything but a ``TraitError``, and runs the observers with it.
        """
        checks = {"runs": self._checked_runs, "shown_steps": self._checked_shown_steps}
        try:
            others = sorted(set(sync_data) - set(checks))
            if others:
                raise ValueError(f"the browser may set only {sorted(checks)}, not {others}")
            for name, value in sync_data.items():
                checks[name](value)
        except Exception as err:
            self.last_exception = err
            self.error = f"{_REFUSED}{type(err).__name__}: {err}"
            self.send_state(sorted(checks))
            return
        super().set_state(sync_data)
        if self.error.startswith(_REFUSED):  # the sliders are back in range: the message has served
            self.error = ""

    def _on_custom_message(self, widget, content, buffers):
        """Answer the front end's ping, which tells it a kernel is there (live mode)."""
        if isinstance(content, dict) and content.get("type") == "ping":
            self.send({"type": "pong", "id": content.get("id")})

    # -- readout -------------------------------------------------------------------------------

    def rate_readout(self) -> str:
        """The rate map's readout for run A, e.g. ``'rate 0.667 per step, ripples'`` (as the
        widget shows it; needs ``rate_map``)."""
        if self._spectrum is None:
            raise ValueError("rate_readout needs Explorer(..., rate_map=True)")
        run = self.runs[0]
        at = _quadratic.momentum_regimes(run["lr"], run["momentum"], self._spectrum)
        return f"rate {float(at.rate):.3g} per step, {_quadratic.MOMENTUM_REGIMES[int(at.regime)]}"

    def status(self, index: int = 0) -> str:
        """The readout's verdict for run ``index`` (0 is run A): loss at the shown step, or
        ``"diverged at step k"`` if the run blew up within the shown steps."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or \
                not 0 <= index < len(self.results):
            raise ValueError(f"index must be an int in [0, {len(self.results) - 1}], got {index!r}")
        return _status(self.results[index], self.shown_steps)
