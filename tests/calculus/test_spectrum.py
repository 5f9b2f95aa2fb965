"""Matrix-free Hessian spectra against dense Hessians and closed forms."""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import lib
from lib.calculus import spectrum
from lib.models import networks


def quadratic(x, a):
    """0.5 xᵀ A x: Hessian (A + Aᵀ)/2 everywhere."""
    return 0.5 * x @ (a @ x)


def diagonal(x, d):
    return 0.5 * jnp.sum(d * x * x)


@pytest.fixture(scope="module")
def net():
    """A tanh MLP small enough for its dense Hessian (n = 75), at a random point."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 6)), rng.integers(0, 3, size=40)
    params = networks.init_mlp(0, [6, 7, 3])
    h = lib.hessian(networks.cross_entropy_loss, params, x, y)
    return params, (x, y), h, np.linalg.eigvalsh(h)


def test_hvp_equals_dense_hessian_times_v(net):
    params, data, h, _ = net
    v = np.random.default_rng(1).normal(size=h.shape[0])
    np.testing.assert_allclose(spectrum.hvp(networks.cross_entropy_loss, params, v, *data), h @ v,
                               rtol=1e-12, atol=1e-13)


def test_hvp_accepts_a_pytree_direction(net):
    params, data, h, _ = net
    v_tree = networks.init_mlp(7, [6, 7, 3])
    v = lib.flatten(v_tree)
    np.testing.assert_allclose(spectrum.hvp(networks.cross_entropy_loss, params, v_tree, *data),
                               h @ v, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("which", ["largest", "smallest", "magnitude"])
def test_lanczos_matches_dense_eigenvalues(net, which):
    params, data, h, exact = net
    pairs = spectrum.top_eigenvalues(networks.cross_entropy_loss, params, *data, k=3,
                                     iterations=50, which=which)
    expected = {"largest": exact[::-1][:3], "smallest": exact[:3],
                "magnitude": exact[np.argsort(-np.abs(exact))][:3]}[which]
    assert pairs.n_hvp == 50 < h.shape[0]
    np.testing.assert_allclose(pairs.eigenvalues, expected, rtol=1e-6)
    # Ritz vectors are unit eigenvectors, and the reported residuals are the true ones.
    u = pairs.eigenvectors
    np.testing.assert_allclose(np.linalg.norm(u, axis=0), 1.0, rtol=1e-12)
    true_residuals = np.linalg.norm(h @ u - u * pairs.eigenvalues, axis=0)
    np.testing.assert_allclose(pairs.residuals, true_residuals, atol=1e-8 * np.abs(exact).max())


def test_as_many_steps_as_parameters_is_exact(net):
    params, data, h, exact = net
    n = h.shape[0]
    pairs = spectrum.top_eigenvalues(networks.cross_entropy_loss, params, *data, k=n,
                                     iterations=10 * n)
    assert pairs.n_hvp == n
    np.testing.assert_allclose(pairs.eigenvalues[::-1], exact, atol=1e-10 * np.abs(exact).max())


def test_repeated_eigenvalues_are_all_found_after_breakdown():
    # Three distinct eigenvalues: the Krylov space is exhausted after 3 steps, and the
    # restart from a fresh orthogonal vector must recover the multiplicities.
    d = np.array([1.0, 1.0, 1.0, 2.0, 2.0, 3.0])
    pairs = spectrum.top_eigenvalues(diagonal, np.ones(6), d, k=6, iterations=6)
    np.testing.assert_allclose(pairs.eigenvalues, [3, 2, 2, 1, 1, 1], atol=1e-12)
    assert np.all(np.isfinite(pairs.eigenvectors))


def test_zero_hessian_gives_zero_eigenvalues_without_nan():
    pairs = spectrum.top_eigenvalues(lambda x: jnp.sum(x), np.ones(5), k=2, iterations=5)
    np.testing.assert_array_equal(pairs.eigenvalues, 0.0)
    assert np.all(np.isfinite(pairs.eigenvectors))


@settings(max_examples=25)
@given(arrays(np.float64, (6, 6), elements=st.floats(-10, 10)), st.integers(0, 2**31 - 1))
def test_lanczos_on_random_symmetric_matrices(a, seed):
    a = (a + a.T) / 2
    exact = np.linalg.eigvalsh(a)
    scale = max(np.abs(exact).max(), 1.0)
    top = spectrum.top_eigenvalues(quadratic, np.zeros(6), a, k=2, iterations=6, seed=seed)
    low = spectrum.top_eigenvalues(quadratic, np.zeros(6), a, k=2, iterations=6, seed=seed,
                                   which="smallest")
    np.testing.assert_allclose(top.eigenvalues, exact[::-1][:2], atol=1e-9 * scale)
    np.testing.assert_allclose(low.eigenvalues, exact[:2], atol=1e-9 * scale)
    v = np.random.default_rng(seed).normal(size=6)
    np.testing.assert_allclose(spectrum.hvp(quadratic, np.zeros(6), v, a), a @ v,
                               atol=1e-12 * scale * np.abs(v).max())


@settings(max_examples=20)
@given(arrays(np.float64, 9, elements=st.floats(-5, 5)), st.integers(0, 2**31 - 1))
def test_quadrature_moments_of_a_diagonal_hessian(d, seed):
    # For H = diag(d) and a Rademacher start, vᵀ H^p v = mean(d^p) exactly, and the
    # m-point Gauss rule reproduces moments up to degree 2m - 1.
    quad = spectrum.lanczos_quadrature(diagonal, np.zeros(9), d, runs=3, iterations=3, seed=seed)
    assert quad.nodes.shape == quad.weights.shape == (3, 3) and quad.n_hvp == 9
    scale = max(np.abs(d).max(), 1.0)
    for p in range(6):
        np.testing.assert_allclose((quad.weights * quad.nodes ** p).sum(axis=1),
                                   np.mean(d ** p), atol=1e-9 * scale ** p)


def test_density_integrates_to_one_and_matches_exact_spectrum(net):
    params, data, h, exact = net
    sigma = 0.02 * (exact[-1] - exact[0])
    grid = np.linspace(exact[0] - 6 * sigma, exact[-1] + 6 * sigma, 2001)
    result = spectrum.spectral_density(networks.cross_entropy_loss, params, *data, grid=grid,
                                       sigma=sigma, runs=30, iterations=40)
    assert np.trapezoid(result.density, result.grid) == pytest.approx(1.0, abs=1e-6)
    reference = spectrum.smoothed_density(exact, np.full(exact.size, 1 / exact.size), grid, sigma)
    l1 = np.trapezoid(np.abs(result.density - reference), grid)
    assert l1 < 0.15
    # A density from a different operator is far away: the test can fail.
    shifted = spectrum.smoothed_density(exact + 10 * sigma, np.full(exact.size, 1 / exact.size),
                                        grid, sigma)
    assert np.trapezoid(np.abs(shifted - reference), grid) > 5 * l1


def test_default_grid_covers_the_spectrum(net):
    params, data, _, exact = net
    result = spectrum.spectral_density(networks.cross_entropy_loss, params, *data, runs=4)
    assert result.grid[0] < exact[0] and result.grid[-1] > exact[-1]
    assert np.trapezoid(result.density, result.grid) == pytest.approx(1.0, abs=1e-4)
    assert np.all(result.density >= 0)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"k": 0}, ValueError, "k"), ({"k": 7}, ValueError, "k"), ({"k": 1.0}, TypeError, "k"),
    ({"iterations": 0}, ValueError, "iterations"), ({"iterations": 2.5}, TypeError, "iterations"),
    ({"which": "biggest"}, ValueError, "which"), ({"which": 1}, TypeError, "which"),
    ({"seed": 1.5}, TypeError, "seed"), ({"start": "uniform"}, ValueError, "start"),
])
def test_top_eigenvalues_rejects_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        spectrum.top_eigenvalues(diagonal, np.zeros(6), np.ones(6), **kwargs)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"runs": 0}, ValueError, "runs"), ({"sigma": 0.0}, ValueError, "sigma"),
    ({"sigma": "wide"}, TypeError, "sigma"), ({"grid": [1.0, 0.0]}, ValueError, "grid"),
    ({"grid": [[0.0, 1.0]]}, ValueError, "grid"), ({"grid": [0.0, np.nan]}, ValueError, "grid"),
    ({"points": 1}, ValueError, "points"),
])
def test_spectral_density_rejects_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        spectrum.spectral_density(diagonal, np.zeros(6), np.ones(6), **kwargs)


def test_bad_functions_points_and_directions():
    d = np.ones(3)
    with pytest.raises(TypeError, match="f"):
        spectrum.hvp("loss", np.zeros(3), np.ones(3), d)
    with pytest.raises(ValueError, match="scalar"):
        spectrum.top_eigenvalues(lambda x, d: d * x, np.zeros(3), d)
    with pytest.raises(ValueError, match="x"):
        spectrum.top_eigenvalues(diagonal, np.zeros((3, 1)), d)
    with pytest.raises(ValueError, match="v"):
        spectrum.hvp(diagonal, np.zeros(3), np.ones(4), d)
    with pytest.raises(ValueError, match="v"):
        spectrum.hvp(diagonal, np.zeros(3), np.array([1.0, np.inf, 0.0]), d)
    with pytest.raises(TypeError, match="v"):
        spectrum.hvp(diagonal, np.zeros(3), "abc", d)
    with pytest.raises(ValueError, match="weights"):
        spectrum.smoothed_density(np.zeros((2, 3)), np.zeros((2, 2)), np.linspace(0, 1, 5), 0.1)
