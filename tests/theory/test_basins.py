"""lib.theory.basins.basin_map against closed forms, a numpy loop of the heavy-ball update and lib.descend."""

import numpy as np
import pytest

import lib
from lib.models import surfaces
from lib.theory import basins

MINIMA = np.array([[-1.0, 0.0], [1.0, 0.0]])


def double_well(w):
    """Separable double well: minima (±1, 0), a saddle at the origin."""
    return 0.25 * (w[0] ** 2 - 1.0) ** 2 + 0.5 * w[1] ** 2


def numpy_heavy_ball(x0, lr, momentum, steps):
    """The update p <- mu p - lr grad, w <- w + p, written out in numpy for the double well."""
    w, p = np.array(x0, dtype=float), np.zeros(2)
    for _ in range(steps):
        grad = np.array([w[0] * (w[0] ** 2 - 1.0), w[1]])
        p = momentum * p - lr * grad
        w = w + p
    return w


def test_small_step_basins_are_the_half_planes():
    # Along w1 one step maps w1 to w1 (1 - lr (w1^2 - 1)): the sign is kept iff
    # w1^2 < 1 + 1/lr, so every start with 0 < |w1| < sqrt(1 + 1/lr) ends at sign(w1).
    lr = 0.1
    edge = np.sqrt(1 + 1 / lr)
    w1 = np.concatenate([np.linspace(-0.98 * edge, -0.01, 40), np.linspace(0.01, 0.98 * edge, 40)])
    w2 = np.random.default_rng(0).uniform(-3, 3, size=w1.size)
    result = basins.basin_map(double_well, MINIMA, np.stack([w1, w2], 1), lr=lr, steps=600)
    np.testing.assert_array_equal(result.labels, (w1 > 0).astype(int))
    np.testing.assert_allclose(result.fractions, [0.5, 0.5])


def test_a_long_first_step_crosses_to_the_other_minimum():
    # From w1 = 3.5 with lr = 0.1 the first step lands at 3.5 (1 - 0.1 * 11.25) = -0.4375,
    # inside the left half-plane's small-step basin: the start ends at (-1, 0).
    lr, w1 = 0.1, 3.5
    first = w1 * (1 - lr * (w1 ** 2 - 1))
    assert first == pytest.approx(-0.4375) and first ** 2 < 1 + 1 / lr
    result = basins.basin_map(double_well, MINIMA, [[w1, 0.5]], lr=lr, steps=600)
    assert result.labels[0] == 0


@pytest.mark.parametrize("lr, momentum", [(0.1, 0.0), (0.05, 0.9), (0.3, 0.6)])
def test_each_start_follows_its_own_heavy_ball_run(lr, momentum):
    starts = np.random.default_rng(1).uniform(-2, 2, size=(30, 2))
    steps = 400
    result = basins.basin_map(double_well, MINIMA, starts, lr=lr, momentum=momentum, steps=steps)
    for start, final, label in zip(starts, result.final_points, result.labels):
        expected = numpy_heavy_ball(start, lr, momentum, steps)
        np.testing.assert_allclose(final, expected, rtol=1e-9, atol=1e-12)
        alone = lib.descend(double_well, start, lr=lr, momentum=momentum, steps=steps)
        np.testing.assert_allclose(final, alone.points[-1], rtol=1e-12, atol=1e-14)
        nearest = np.argmin(np.linalg.norm(MINIMA - expected, axis=1))
        assert label == (nearest if np.linalg.norm(MINIMA[nearest] - expected) <= 1e-3
                         else basins.UNDECIDED)


def test_diverging_and_undecided_starts_are_labelled_and_do_not_stop_the_others():
    # (100, 0): the first step goes far outside the ball; (1e-3, 0) with 5 steps has not arrived;
    # (0.5, 0.5) converges to (1, 0).
    starts = [[100.0, 0.0], [1e-3, 0.0], [0.5, 0.5]]
    result = basins.basin_map(double_well, MINIMA, starts, lr=0.1, steps=5, tol=1e-3)
    assert result.labels[0] == basins.DIVERGED and result.labels[1] == basins.UNDECIDED
    result = basins.basin_map(double_well, MINIMA, starts, lr=0.1, steps=400)
    assert list(result.labels) == [basins.DIVERGED, 1, 1]
    np.testing.assert_allclose(result.fractions, [0.0, 2 / 3])


def test_the_stable_manifold_of_a_saddle_reaches_no_minimum():
    # On the saddle surface w1^2 - w2^2 + w2^4/4 the line w2 = 0 flows into the saddle.
    surface = surfaces.saddle()
    minima = [[0.0, -np.sqrt(2)], [0.0, np.sqrt(2)]]
    result = basins.basin_map(surface.f, minima, [[1.5, 0.0], [1.5, 1e-6], [1.5, -1e-6]],
                              lr=0.05, steps=1000)
    assert list(result.labels) == [basins.UNDECIDED, 1, 0]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"starts": [1.0, 2.0]}, ValueError, "starts must have shape"),
    ({"minima": [[1.0, 0.0, 0.0]]}, ValueError, "minima must have shape"),
    ({"lr": -0.1}, ValueError, "lr"),
    ({"momentum": 1.0}, ValueError, "momentum"),
    ({"tol": 0.0}, ValueError, "tol"),
    ({"starts": [[2e3, 0.0]]}, ValueError, "escape_norm"),
    ({"starts": [[np.nan, 0.0]]}, ValueError, "starts"),
    ({"starts": "ab"}, TypeError, "starts"),
    ({"f": 3}, TypeError, "f"),
    ({"f": lambda w: w}, ValueError, "scalar"),
    ({"steps": 0}, ValueError, "steps"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    arguments = {"f": double_well, "minima": MINIMA, "starts": [[0.5, 0.5]], "lr": 0.1}
    arguments.update(kwargs)
    f = arguments.pop("f")
    minima, starts = arguments.pop("minima"), arguments.pop("starts")
    with pytest.raises(error, match=match):
        basins.basin_map(f, minima, starts, **arguments)
