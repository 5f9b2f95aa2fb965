"""Claims of the chapter "Learning rates", checked through lib."""

import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import lib
from lib import datasets, networks, surfaces
from lib import adaptive


@pytest.fixture(scope="module")
def digits():
    data = datasets.digits()
    x, y = data.train
    return x, y, np.eye(10)[y], [{"w": np.zeros((64, 10)), "b": np.zeros(10)}]


def test_three_regimes_and_the_threshold_two_over_lambda_max():
    ravine = surfaces.ravine(kappa=10)
    start = np.array(ravine.x0)
    lam = np.linalg.eigvalsh(lib.hessian(ravine.f, start))
    threshold = 2 / lam[-1]
    assert threshold == pytest.approx(0.2)
    small = lib.descend(ravine.f, start, lr=0.4 / lam[-1], steps=60)      # < 1/λmax: no sign change
    large = lib.descend(ravine.f, start, lr=0.95 * threshold, steps=60)   # oscillates, converges
    huge = lib.descend(ravine.f, start, lr=1.05 * threshold, steps=60)    # grows
    assert np.all(small.points[:, 1] > 0) and small.losses[-1] < small.losses[0]
    assert np.all(large.points[1:, 1] * large.points[:-1, 1] < 0) and large.losses[-1] < 1e-2 * large.losses[0]
    assert huge.losses[-1] > huge.losses[0]
    # exactly the factor 1 - α λmax per step along the steep axis
    np.testing.assert_allclose(huge.points[60, 1], start[1] * (1 - 1.05 * threshold * lam[-1]) ** 60, rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1])
def test_threshold_on_a_random_rotated_quadratic(seed):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    h = q @ np.diag(rng.uniform(0.5, 20.0, size=4)) @ q.T
    f = lambda w: 0.5 * w @ h @ w  # noqa: E731
    threshold = 2 / np.linalg.eigvalsh(lib.hessian(f, np.ones(4)))[-1]
    grid = lib.descend_grid(f, np.ones(4), lrs=[0.98 * threshold, 1.02 * threshold], steps=3000)
    assert grid.losses[0, 0, -1] < grid.losses[0, 0, 0] and np.isnan(grid.losses[1, 0, -1])


def test_grid_search_on_digits_reproduces_the_threshold(digits):
    x, _, targets, params0 = digits
    lam = np.linalg.eigvalsh(lib.hessian(networks.squared_loss, params0, x, targets))
    x1 = np.hstack([x, np.ones((len(x), 1))])
    np.testing.assert_allclose(lam[-1], np.linalg.eigvalsh(x1.T @ x1 / len(x1))[-1], rtol=1e-10)
    alphas = np.array([1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001])
    grid = lib.descend_grid(networks.squared_loss, params0, x, targets, lrs=alphas, steps=200)
    final = grid.losses[:, 0, -1]
    np.testing.assert_array_equal(np.isnan(final), alphas > 2 / lam[-1])
    assert alphas[np.nanargmin(final)] == 0.1


def test_cross_entropy_on_separable_digits_keeps_falling(digits):
    x, y, _, params0 = digits
    run = lib.descend(networks.cross_entropy_loss, params0, x, y, lr=1.0, steps=1000)
    assert np.all(np.diff(run.losses) < 0)
    norms = np.linalg.norm(run.points, axis=1)
    assert np.all(np.diff(norms) > 0)                  # the weights keep growing: no minimum
    assert run.losses[1000] < 0.6 * run.losses[500]    # still falling fast, from step 500 to 1000
    _, unravel = ravel_pytree(params0)
    grad_norms = [np.linalg.norm(lib.gradient(networks.cross_entropy_loss, unravel(run.points[k]), x, y))
                  for k in (250, 500, 1000)]
    assert grad_norms[2] < 0.7 * grad_norms[1] < 0.7 * 0.7 * grad_norms[0]
    w, b = unravel(run.points[1000])[0]["w"], unravel(run.points[1000])[0]["b"]
    assert np.mean(np.argmax(x @ w + b, axis=1) == y) > 0.99
    # The Hessian at 0 is the least-squares Hessian scaled by the softmax factor 1/10.
    lam_ce = np.linalg.eigvalsh(lib.hessian(networks.cross_entropy_loss, params0, x, y))[-1]
    x1 = np.hstack([x, np.ones((len(x), 1))])
    assert lam_ce == pytest.approx(0.1 * np.linalg.eigvalsh(x1.T @ x1 / len(x1))[-1], rel=1e-8)


def test_adam_equalizes_axis_aligned_progress_only():
    kappa = 50.0
    rotated = np.array([[1.0, -1.0], [1.0, 1.0]]) / np.sqrt(2)

    def quadratic(w, q):
        z = q.T @ w
        return 0.5 * (z[0] ** 2 + kappa * z[1] ** 2)

    z0, left = np.array([2.0, 1.0]), {}
    for name, q in [("aligned", np.eye(2)), ("rotated", rotated)]:
        adam_run = adaptive.adam(quadratic, q @ z0, q, lr=0.05, steps=150)
        gd_run = lib.descend(quadratic, q @ z0, q, lr=2 / (1 + kappa), steps=150)
        left[name] = np.abs((adam_run.points @ q)[60:, 0]).max() / z0[0]
        left["gd " + name] = np.abs((gd_run.points @ q)[60:, 0]).max() / z0[0]
    assert left["aligned"] < 0.05 < left["gd aligned"] < 0.5 < left["rotated"]
    assert left["gd aligned"] == pytest.approx(left["gd rotated"], rel=1e-9)
