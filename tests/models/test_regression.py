"""lib.models.regression against numpy's least squares and closed forms."""

import numpy as np
import pytest

import lib
from lib.models import regression


def test_loss_gradient_and_hessian():
    X, t = regression.synthetic_linear_data(30, means=[1.0, -2.0], stds=[1.0, 3.0],
                                            weights=[0.5, 0.2], bias=1.0, noise=0.1, seed=4)
    Xb = regression.add_bias(X)
    w = np.array([0.1, -0.3, 0.7])
    residual = Xb @ w - t
    assert np.isclose(float(regression.least_squares(w, Xb, t)), 0.5 * np.mean(residual**2))
    np.testing.assert_allclose(lib.gradient(regression.least_squares, w, Xb, t),
                               Xb.T @ residual / 30, rtol=1e-12)
    np.testing.assert_allclose(lib.hessian(regression.least_squares, w, Xb, t),
                               regression.least_squares_hessian(Xb), rtol=1e-12, atol=1e-14)


def test_solution_matches_lstsq_and_recovers_weights():
    X, t = regression.synthetic_linear_data(400, means=[0.0, 0.0], stds=[1.0, 1.0],
                                            weights=[2.0, -1.0], bias=0.5, noise=0.01, seed=1)
    w = regression.least_squares_solution(regression.add_bias(X), t)
    np.testing.assert_allclose(w, [2.0, -1.0, 0.5], atol=0.01)
    g = lib.gradient(regression.least_squares, w, regression.add_bias(X), t)
    assert np.linalg.norm(g) < 1e-10


def test_standardize():
    X, _ = regression.synthetic_linear_data(50, means=[1003.0, 1005.0], stds=[2.0, 2.0],
                                            weights=[0.5, 0.3], seed=0)
    Z = regression.standardize(X)
    np.testing.assert_allclose(Z.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.X.std(axis=0), 1.0, rtol=1e-12)
    again = regression.standardize(X[:5], Z.mean, Z.std)
    np.testing.assert_allclose(again.X, Z.X[:5])
    with pytest.raises(ValueError, match="std"):
        regression.standardize(np.ones((4, 2)))


def test_data_is_reproducible_and_validated():
    a = regression.synthetic_linear_data(10, means=[1.0], stds=[1.0], weights=[1.0], seed=7)
    b = regression.synthetic_linear_data(10, means=[1.0], stds=[1.0], weights=[1.0], seed=7)
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="means"):
        regression.synthetic_linear_data(10, means=[1.0, 2.0], stds=[1.0], weights=[1.0])
    with pytest.raises(ValueError, match="noise"):
        regression.synthetic_linear_data(10, means=[1.0], stds=[1.0], weights=[1.0], noise=-1)
    with pytest.raises(ValueError, match="X"):
        regression.least_squares_hessian(np.ones(3))
    with pytest.raises(TypeError, match="X"):
        regression.add_bias("X")
    with pytest.raises(ValueError, match="t"):
        regression.least_squares_solution(np.ones((3, 2)), np.ones(4))
