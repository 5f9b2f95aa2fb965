"""lib.plotting.panels: panels wrap into rows instead of widening the figure."""

from __future__ import annotations

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
