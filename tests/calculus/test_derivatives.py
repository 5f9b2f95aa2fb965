"""lib.gradient and lib.hessian against closed forms and finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from jax.flatten_util import ravel_pytree

import lib


def two_weight_loss(w):
    return (1.0 - w[0] * w[1]) ** 2


def test_lecture_example_hessian_at_origin_is_exact():
    np.testing.assert_array_equal(lib.hessian(two_weight_loss, np.zeros(2)), [[0, -2], [-2, 0]])


@pytest.mark.parametrize("w", [(0.3, -1.2), (2.0, 0.5), (-1.5, 0.25)])
def test_lecture_example_gradient_and_hessian_closed_form(w):
    w1, w2 = w
    r = 1 - w1 * w2
    np.testing.assert_allclose(lib.gradient(two_weight_loss, np.array(w)),
                               [-2 * w2 * r, -2 * w1 * r], rtol=1e-14)
    np.testing.assert_allclose(lib.hessian(two_weight_loss, np.array(w)),
                               [[2 * w2**2, 4 * w1 * w2 - 2], [4 * w1 * w2 - 2, 2 * w1**2]],
                               rtol=1e-14, atol=1e-14)


def test_results_are_float64_numpy():
    g = lib.gradient(two_weight_loss, np.array([0.1, 0.2], dtype=np.float32))
    H = lib.hessian(two_weight_loss, [0.1, 0.2])
    assert isinstance(g, np.ndarray) and g.dtype == np.float64 and g.shape == (2,)
    assert isinstance(H, np.ndarray) and H.dtype == np.float64 and H.shape == (2, 2)


# Random smooth functions f(x) = sum_k c_k tanh(a_k . x + b_k) + x^T Q x / 2 + sin(x_0) x_{n-1}^2.
# The coefficients travel as traced arguments, so hypothesis examples reuse one compilation.
seeds = st.integers(min_value=0, max_value=2**31 - 1)


def smooth(x, A, b, c, Q):
    return jnp.sum(c * jnp.tanh(A @ x + b)) + 0.5 * x @ Q @ x + jnp.sin(x[0]) * x[-1] ** 2


def random_coefficients(seed, n):
    rng = np.random.default_rng(seed)
    Q = rng.normal(size=(n, n))
    return rng.normal(size=(5, n)), rng.normal(size=5), rng.normal(size=5), Q @ Q.T / n


def central_difference_hessian(f, x, *args, h=1e-5):
    """Columns are central differences of the exact gradient (second-order accurate)."""
    columns = [(lib.gradient(f, x + h * e, *args) - lib.gradient(f, x - h * e, *args)) / (2 * h)
               for e in np.eye(x.size)]
    return np.stack(columns, axis=1)


@given(seed=seeds, n=st.integers(2, 5))
def test_hessian_symmetric_and_matches_finite_differences(seed, n):
    coefficients = random_coefficients(seed, n)
    x = np.random.default_rng(seed + 1).normal(size=n)
    H = lib.hessian(smooth, x, *coefficients)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    np.testing.assert_allclose(H, central_difference_hessian(smooth, x, *coefficients),
                               rtol=1e-6, atol=1e-7)


@given(seed=seeds, n=st.integers(2, 5))
def test_gradient_matches_finite_differences(seed, n):
    coefficients = random_coefficients(seed, n)
    x = np.random.default_rng(seed).normal(size=n)
    h = 1e-6
    fd = [(smooth(x + h * e, *coefficients) - smooth(x - h * e, *coefficients)) / (2 * h)
          for e in np.eye(n)]
    np.testing.assert_allclose(lib.gradient(smooth, x, *coefficients), fd, rtol=1e-6, atol=1e-8)


def mlp_loss(params, data):
    X, y = data
    hidden = jnp.tanh(X @ params["W1"] + params["b1"])
    prediction = hidden @ params["w2"] + params["b2"]
    return jnp.mean((prediction - y) ** 2)


def small_mlp(seed, n_in=3, n_hidden=4, n_data=7):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(n_in, n_hidden)), "b1": rng.normal(size=n_hidden),
              "w2": rng.normal(size=n_hidden), "b2": np.array(rng.normal())}
    data = (rng.normal(size=(n_data, n_in)), rng.normal(size=n_data))
    return params, data


_, UNRAVEL = ravel_pytree(jax.tree_util.tree_map(jnp.asarray, small_mlp(0)[0]))


def flat_mlp_loss(v, data):
    return mlp_loss(UNRAVEL(v), data)


@given(seed=seeds)
def test_mlp_hessian_matches_finite_differences_and_pytree_equals_flat(seed):
    params, data = small_mlp(seed)
    flat = np.asarray(ravel_pytree(params)[0])
    H_tree = lib.hessian(mlp_loss, params, data)
    np.testing.assert_allclose(H_tree, lib.hessian(flat_mlp_loss, flat, data), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lib.gradient(mlp_loss, params, data),
                               lib.gradient(flat_mlp_loss, flat, data), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(H_tree, central_difference_hessian(flat_mlp_loss, flat, data),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H_tree, H_tree.T, atol=1e-12)


def test_flatten_follows_ravel_pytree_order():
    params, _ = small_mlp(0)
    np.testing.assert_array_equal(lib.flatten(params), ravel_pytree(params)[0])


def test_new_data_does_not_recompile():
    params, data = small_mlp(1)
    lib.hessian(mlp_loss, params, data)
    before = lib.calculus.derivatives._flat_hessian._cache_size()
    for seed in range(2, 5):
        lib.hessian(mlp_loss, params, small_mlp(seed)[1])
    assert lib.calculus.derivatives._flat_hessian._cache_size() == before


@given(x=arrays(np.float64, st.integers(1, 5), elements=st.floats(-10, 10)))
def test_quadratic_hessian_is_its_matrix(x):
    Q = np.diag(np.arange(1.0, x.size + 1))
    np.testing.assert_allclose(lib.hessian(lambda v: 0.5 * v @ Q @ v, x), Q, atol=1e-12)
