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
