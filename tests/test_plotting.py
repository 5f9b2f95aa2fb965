"""lib.plotting.panels: panels wrap into rows instead of widening the figure."""

from __future__ import annotations

import base64

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lib import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(("count", "columns", "rows", "per_row"),
                         [(1, 2, 1, 1), (2, 2, 1, 2), (3, 2, 2, 2), (4, 2, 2, 2), (3, 3, 1, 3),
                          (5, 3, 2, 3)])
def test_panels_wrap_into_rows_of_the_figure_width(count, columns, rows, per_row):
    fig, axes = plotting.panels(count, height=2.0, columns=columns)
    assert len(axes) == count and len(fig.axes) == count
    assert tuple(fig.get_size_inches()) == pytest.approx((plotting.FIGURE_WIDTH, 2.0 * rows))
    geometry = {ax.get_subplotspec().get_geometry()[:2] for ax in axes}
    assert geometry == {(rows, per_row)}
    # Row by row: the first panels sit in the top row, left to right.
    lefts = [ax.get_position().x0 for ax in axes[:per_row]]
    assert lefts == sorted(lefts)
    assert all(ax.get_position().y0 > axes[-1].get_position().y0 for ax in axes[:per_row]) \
        or rows == 1


def test_panels_pass_subplot_options_on():
    fig, axes = plotting.panels(2, height=3.0, width=5.0, sharey=True,
                                gridspec_kw={"width_ratios": [2, 1]})
    assert tuple(fig.get_size_inches()) == pytest.approx((5.0, 3.0))
    assert axes[1].get_shared_y_axes().joined(axes[0], axes[1])
    assert axes[0].get_position().width > 1.5 * axes[1].get_position().width


@pytest.mark.parametrize(("kwargs", "error"),
                         [({"count": 0}, ValueError), ({"count": 2.5}, TypeError),
                          ({"columns": 0}, ValueError), ({"height": -1.0}, ValueError),
                          ({"width": 0.0}, ValueError)])
def test_panels_check_their_arguments(kwargs, error):
    arguments = {"count": 2, "height": 2.0, **kwargs}
    count = arguments.pop("count")
    with pytest.raises(error):
        plotting.panels(count, **arguments)


def _png_size(png) -> tuple[int, int]:
    """Width and height in pixels from a PNG's header (its IHDR chunk); base64 text accepted."""
    if isinstance(png, str):
        png = base64.b64decode(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_figures_in_a_kernel_are_retina_pngs_shown_at_their_css_size():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        with matplotlib.rc_context():
            plotting.use_book_style()
            fig, ax = plt.subplots(figsize=(4.0, 2.5))
            ax.plot([0, 1], [0, 1])
            data, metadata = shell.display_formatter.format(fig)
            dpi = matplotlib.rcParams["figure.dpi"]
        width, height = _png_size(data["image/png"])
        shown = metadata["image/png"]
        # The image has PIXEL_RATIO pixels per CSS pixel; the page shows it at its 1x size.
        assert plotting.PIXEL_RATIO == 2
        assert (width, height) == (2 * shown["width"], 2 * shown["height"])
        # bbox_inches="tight" trims the margins: at most the figure's size at figure.dpi, not far below.
        assert 0.8 * 4.0 * dpi <= shown["width"] <= 4.0 * dpi
        assert 0.8 * 2.5 * dpi <= shown["height"] <= 2.5 * dpi
    finally:
        InteractiveShell.clear_instance()


def test_outside_a_kernel_the_style_starts_no_ipython():
    from IPython.core.interactiveshell import InteractiveShell

    assert not InteractiveShell.initialized()
    with matplotlib.rc_context():
        plotting.use_book_style()
    assert not InteractiveShell.initialized()


# ----------------------------------------------------------------- contours and paths: valid forms, bad input

def _bowl(w, scale=1.0):
    return scale * (w[0] ** 2 + 4.0 * w[1] ** 2)


def test_contours_accept_the_forms_the_chapters_use():
    import jax.numpy as jnp
    import numpy as np

    fig, axes = plotting.panels(2, height=3.0)
    for levels in (20, np.int64(12), np.linspace(0, 16, 33), [0.5, 1.0, 2.0], np.geomspace(0.01, 60, 16)):
        cs = plotting.plot_contours(axes[0], _bowl, (-2, 2), np.array([-1.0, 1.0]), 2.0, n=21,
                                    levels=levels, colorbar=False)
        if not isinstance(levels, (int, np.integer)):
            np.testing.assert_array_equal(cs.levels, np.asarray(levels, dtype=float))
    plotting.plot_contours(axes[1], _bowl, [jnp.float32(-2), 2], (-1, 1), n=11, levels=5, log=True)
    # One row: columns is an upper bound, so a large one is valid.
    fig, axes = plotting.panels(3, height=2.0, columns=10**15)
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in axes} == {(1, 3)}


def test_log_contours_space_the_levels_geometrically_between_the_grids_extremes():
    import numpy as np

    fig, ax = plt.subplots()
    cs = plotting.plot_contours(ax, lambda w: 1.0 + w[0] ** 2 + w[1] ** 2, (-1, 1), (-1, 1), n=11,
                                levels=7, log=True)
    np.testing.assert_allclose(cs.levels, np.geomspace(1.0, 3.0, 7))


def test_an_out_of_range_index_in_the_loss_is_refused_instead_of_clamped():
    import numpy as np

    with pytest.raises(ValueError, match=r"^f reads past the end of an array at the grid points"):
        plotting.evaluate_on_grid(lambda w, d: w[0] * d[7] + w[1], (-1, 1), (-1, 1), np.ones(3), n=5)
    # an index inside the data is fine
    _, _, z = plotting.evaluate_on_grid(lambda w, d: w[0] * d[2] + w[1], (-1, 1), (-1, 1), np.arange(3.0),
                                        n=3)
    np.testing.assert_allclose(z, [[-3, -1, 1], [-2, 0, 2], [-1, 1, 3]])


@pytest.mark.parametrize(("call", "message"), [
    (lambda ax: plotting.plot_contours(ax, _bowl, (-1, 1), (-1, 1), n=5, levels=1, log=True),
     r"^levels must be >= 2 with log=True"),
    (lambda ax: plotting.plot_contours(ax, _bowl, (-1, 1), (-1, 1), n=5, levels=[0.0, 1.0], log=True),
     r"^levels must all be > 0 with log=True"),
    (lambda ax: plotting.plot_contours(ax, lambda w: -_bowl(w), (-1, 1), (-1, 1), n=5, log=True),
     r"^f must take at least two different finite values > 0 on the grid for log=True"),
    (lambda ax: plotting.plot_contours(ax, lambda w: w[0] * float("nan"), (-1, 1), (-1, 1), n=5),
     r"^f is nan or inf at every point of the grid"),
    (lambda ax: plotting.plot_contours(ax, _bowl, (-1, 1), (-1, 1), n=5, levels=[1.0, 3.0, 2.0]),
     r"^levels must be strictly increasing"),
    (lambda ax: plotting.plot_contours(ax, _bowl, (-1, 1), (-1, 1), n=10**15),
     r"^n must be <= 4,096 points per side"),
    (lambda ax: plotting.plot_contours(None, _bowl, (-1, 1), (-1, 1)), r"^ax must be a Matplotlib Axes"),
    (lambda ax: plotting.plot_trajectory(ax, [[float("nan")] * 2] * 3),
     r"^points must hold at least one finite point"),
    (lambda ax: plotting.plot_trajectory(ax, [[1.0, 2.0], [3.0]]), r"^points must be an array of points"),
])
def test_bad_figure_inputs_are_named(call, message):
    fig, ax = plt.subplots()
    with pytest.raises((ValueError, TypeError), match=message):
        call(ax)


def test_a_diverged_path_is_drawn_up_to_its_last_finite_point():
    import numpy as np

    fig, ax = plt.subplots()
    points = np.array([[1.0, 2.0], [np.inf, 3.0], [np.nan, np.nan]])  # diverged at the first step
    line = plotting.plot_trajectory(ax, points, markersize=0)
    np.testing.assert_array_equal(np.column_stack(line.get_data()), [[1.0, 2.0]])
    assert line.get_markersize() == 0
