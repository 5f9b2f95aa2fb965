"""lib.models.activations against closed forms and finite differences."""

import numpy as np
import pytest

import lib
from lib.models import activations as act


def test_hard_threshold_and_its_zero_derivative():
    z = np.array([-2.0, -1e-12, 0.0, 1e-12, 3.0])
    np.testing.assert_array_equal(act.hard_threshold(z), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(lib.gradient(lambda v: act.hard_threshold(v).sum(), z), np.zeros(5))


def test_zero_one_loss_counts_mistakes_and_has_zero_gradient():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    t = (x[:, 0] > 0).astype(float)
    loss = lambda w: act.zero_one_loss(x @ w, t)
    w = np.array([1.0, 0.0, 0.0])
    assert float(loss(w)) == 0.0
    assert float(loss(-w)) == 1.0
    for _ in range(10):
        w = rng.normal(size=3)
        assert float(loss(w)) == np.mean((x @ w > 0) != t)
        np.testing.assert_array_equal(lib.gradient(loss, w), np.zeros(3))


def test_zero_one_loss_shape_error():
    with pytest.raises(ValueError, match="same shape"):
        act.zero_one_loss(np.zeros(3), np.zeros(4))


Z = np.linspace(-30.0, 30.0, 241)


def test_logistic_derivative_matches_closed_form_autodiff_and_finite_differences():
    exact = np.exp(-np.abs(Z)) / (1 + np.exp(-np.abs(Z))) ** 2  # sigma'(z), symmetric in z
    np.testing.assert_allclose(act.logistic_derivative(Z), exact, rtol=1e-13)
    auto = lib.gradient(lambda v: act.logistic(v).sum(), Z)  # elementwise derivative
    inner = np.abs(Z) < 10  # JAX's sigma (1 - sigma) loses relative precision in the tail z >> 0
    np.testing.assert_allclose(act.logistic_derivative(Z)[inner], auto[inner], rtol=1e-8)
    h = 1e-5
    fd = (np.asarray(act.logistic(Z + h)) - np.asarray(act.logistic(Z - h))) / (2 * h)
    np.testing.assert_allclose(act.logistic_derivative(Z)[inner], fd[inner], rtol=1e-6, atol=1e-10)


def test_tanh_derivative_matches_closed_form_autodiff_and_finite_differences():
    exact = 1 / np.cosh(Z) ** 2
    np.testing.assert_allclose(act.tanh_derivative(Z), exact, rtol=1e-13)
    auto = lib.gradient(lambda v: act.tanh(v).sum(), Z)
    inner = np.abs(Z) < 8  # JAX's 1 - tanh^2 loses relative precision in the tails
    np.testing.assert_allclose(act.tanh_derivative(Z)[inner], auto[inner], rtol=1e-8)
    h = 1e-5
    fd = (np.tanh(Z + h) - np.tanh(Z - h)) / (2 * h)
    np.testing.assert_allclose(act.tanh_derivative(Z)[inner], fd[inner], rtol=1e-6, atol=1e-10)


def test_saturation_closed_forms():
    assert float(act.logistic_derivative(0.0)) == 0.25
    assert float(act.tanh_derivative(0.0)) == 1.0
    # tails: sigma'(z) ~ e^{-|z|}, tanh'(z) ~ 4 e^{-2|z|}
    assert np.isclose(float(act.logistic_derivative(20.0)), np.exp(-20.0), rtol=1e-8)
    assert np.isclose(float(act.tanh_derivative(-10.0)), 4 * np.exp(-20.0), rtol=1e-7)


def test_relu_and_leaky_relu_gradients():
    z = np.array([-3.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(act.relu(z), [0, 0, 0, 0.5, 2.0])
    np.testing.assert_array_equal(lib.gradient(lambda v: act.relu(v).sum(), z), [0, 0, 0, 1, 1])
    np.testing.assert_allclose(act.leaky_relu(z, 0.1), [-0.3, -0.05, 0, 0.5, 2.0])
    np.testing.assert_array_equal(lib.gradient(lambda v: act.leaky_relu(v, 0.1).sum(), z),
                                  [0.1, 0.1, 0.1, 1, 1])


def test_leaky_relu_rejects_bad_slope():
    with pytest.raises(ValueError, match="slope"):
        act.leaky_relu(np.zeros(2), 1.5)
    with pytest.raises(TypeError, match="slope"):
        act.leaky_relu(np.zeros(2), "0.1")


def test_dead_units():
    z = np.array([[1.0, -1.0, 0.0, -2.0], [-1.0, -3.0, 0.0, 0.1]])
    np.testing.assert_array_equal(act.dead_units(z), [False, True, True, False])
    with pytest.raises(ValueError, match="pre_activations must have shape"):
        act.dead_units(np.zeros(3))
    with pytest.raises(TypeError, match="pre_activations"):
        act.dead_units(np.array([["a"]]))
