"""The dense route: chunked exact Hessians and all eigenvalues by the two-stage solver."""

import numpy as np
import pytest

import lib
from lib.calculus import dense
from lib.models import networks


@pytest.mark.parametrize("two_stage", [True, None])
@pytest.mark.parametrize("n", [1, 2, 7, 64, 301])
def test_eigenvalues_match_numpy(n, two_stage):
    rng = np.random.default_rng(n)
    a = rng.normal(size=(n, n))
    h = a + a.T
    expected = np.linalg.eigvalsh(h)
    got = dense.eigenvalues(h, two_stage=two_stage)
    assert got.shape == (n,)
    assert np.all(np.diff(got) >= 0)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_only_the_lower_triangle_is_read_like_numpy():
    rng = np.random.default_rng(0)
    lower = np.tril(rng.normal(size=(50, 50)))
    junk_above = lower + np.triu(rng.normal(size=(50, 50)) * 1e3, k=1)
    symmetric = lower + np.tril(lower, -1).T
    for two_stage in (True, False):
        np.testing.assert_allclose(dense.eigenvalues(junk_above, two_stage=two_stage),
                                   np.linalg.eigvalsh(symmetric), atol=1e-10)


def test_closed_form_spectrum():
    # tridiag(-1, 2, -1) of size m has eigenvalues 2 - 2 cos(k pi / (m + 1)).
    m = 400
    h = 2 * np.eye(m) - np.eye(m, k=1) - np.eye(m, k=-1)
    k = np.arange(1, m + 1)
    np.testing.assert_allclose(dense.eigenvalues(h, two_stage=True),
                               np.sort(2 - 2 * np.cos(k * np.pi / (m + 1))), atol=1e-12)


def test_two_stage_route_is_available_with_the_pinned_numpy():
    # The pinned NumPy wheel bundles OpenBLAS with LAPACK's dsyevd_2stage; if a
    # NumPy upgrade drops it, the fallback still works but is slower: say so here.
    assert dense.TWO_STAGE
    h = np.diag([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(dense.eigenvalues(h, two_stage=True), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(dense.eigenvalues(h, two_stage=False), [1.0, 2.0, 3.0])


def test_hessian_eigenvalues_of_a_network_match_the_dense_hessian():
    params = networks.init_mlp(0, [6, 9, 3])
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(20, 6)), rng.integers(0, 3, size=20)
    h = lib.hessian(networks.cross_entropy_loss, params, x, y)
    np.testing.assert_allclose(lib.hessian_eigenvalues(networks.cross_entropy_loss, params, x, y),
                               np.linalg.eigvalsh(h), atol=1e-12)


def test_hessian_in_column_batches_equals_one_batch(monkeypatch):
    """The batching of columns changes memory and speed, never the numbers."""
    params = networks.init_mlp(3, [5, 11, 4])
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 5)), rng.integers(0, 4, size=30)
    n = networks.count_parameters(params)
    results = []
    for batch in (1, 7, n, 10 * n):
        monkeypatch.setattr(lib.calculus.derivatives, "HESSIAN_COLUMN_BATCH", batch)
        results.append(lib.hessian(networks.cross_entropy_loss, params, x, y))
    for h in results[1:]:
        np.testing.assert_allclose(h, results[0], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("bad, error, match", [
    ("abc", TypeError, "H must be a square matrix of real numbers"),
    (np.ones((2, 3)), ValueError, "H must be a square"),
    (np.array([[1.0, np.nan], [np.nan, 1.0]]), ValueError, "H contains non-finite"),
    (np.ones((2, 2), dtype=complex), TypeError, "H must be a square matrix of real numbers"),
    (np.zeros((0, 0)), ValueError, "H must be a square"),
])
def test_bad_matrices_are_named(bad, error, match):
    with pytest.raises(error, match=match):
        dense.eigenvalues(bad)


def test_bad_two_stage_flag():
    with pytest.raises(TypeError, match="two_stage"):
        dense.eigenvalues(np.eye(2), two_stage="yes")


@pytest.mark.parametrize("order", ["C", "F"])
def test_two_stage_leaves_the_callers_matrix_alone(order):
    """LAPACK overwrites its work array; that must never be the caller's matrix."""
    rng = np.random.default_rng(4)
    a = rng.normal(size=(40, 40))
    h = np.array(a + a.T, order=order)
    before = h.copy()
    dense.eigenvalues(h, two_stage=True)
    np.testing.assert_array_equal(h, before)


def test_an_accelerator_backend_solves_on_the_device(monkeypatch):
    """With a GPU or TPU as JAX's default backend the eigenvalues are computed by JAX there;
    here the device route runs on the CPU and must agree with LAPACK's."""
    rng = np.random.default_rng(7)
    a = rng.standard_normal((60, 60))
    h = a + a.T
    h_upper_noise = h + np.triu(rng.standard_normal((60, 60)), 1)  # only the lower triangle counts
    host = np.linalg.eigvalsh(h)
    calls = []
    real = dense.jnp.linalg.eigvalsh
    monkeypatch.setattr(dense.jnp.linalg, "eigvalsh", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(dense.jax, "default_backend", lambda: "gpu")
    np.testing.assert_allclose(dense.eigenvalues(h_upper_noise), host, rtol=1e-12, atol=1e-12)
    assert calls == [1]
    dense.eigenvalues(h, on_device=False)
    assert calls == [1], "on_device=False stays on the host"
    monkeypatch.setattr(dense.jax, "default_backend", lambda: "cpu")
    dense.eigenvalues(h)
    assert calls == [1], "the CPU backend keeps the host route"
    np.testing.assert_allclose(dense.eigenvalues(h_upper_noise, on_device=True), host, rtol=1e-12, atol=1e-12)
    with pytest.raises(TypeError, match="on_device"):
        dense.eigenvalues(h, on_device="gpu")
    with pytest.raises(ValueError, match="two_stage"):
        dense.eigenvalues(h, on_device=True, two_stage=True)
