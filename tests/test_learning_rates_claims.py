"""A claim of the chapter "Learning rates" beyond the chapter's own examples.

The chapter asserts its claims in hidden cells where it computes them (the three regimes on the
ravine, the grid search on the digits and its threshold 2/lambda_max, cross-entropy that keeps
falling, Adam and rotations). Here the threshold is checked on random rotated quadratics.
"""

import numpy as np
import pytest

import lib


@pytest.mark.parametrize("seed", [0, 1])
def test_threshold_on_a_random_rotated_quadratic(seed):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    h = q @ np.diag(rng.uniform(0.5, 20.0, size=4)) @ q.T
    f = lambda w: 0.5 * w @ h @ w  # noqa: E731
    threshold = 2 / np.linalg.eigvalsh(lib.hessian(f, np.ones(4)))[-1]
    grid = lib.descend_grid(f, np.ones(4), lrs=[0.98 * threshold, 1.02 * threshold], steps=3000)
    assert grid.losses[0, 0, -1] < grid.losses[0, 0, 0] and np.isnan(grid.losses[1, 0, -1])
