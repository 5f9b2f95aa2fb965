"""Classification of critical points and the escape direction."""

import jax.numpy as jnp
import numpy as np
import pytest

import lib


def two_weight_loss(w):
    return (1.0 - w[0] * w[1]) ** 2


def test_origin_of_lecture_example_is_a_saddle():
    result = lib.classify_critical_point(two_weight_loss, np.zeros(2))
    assert result.kind == "saddle point"
    np.testing.assert_allclose(result.eigenvalues, [-2.0, 2.0])
    assert result.gradient_norm == 0.0
    assert result.minimum_ratio == 0.5
    assert (result.n_negative, result.n_zero, result.n_positive) == (1, 0, 1)
    # Eigenvectors are unit columns: H u = lambda u.
    H = lib.hessian(two_weight_loss, np.zeros(2))
    np.testing.assert_allclose(H @ result.eigenvectors, result.eigenvectors * result.eigenvalues,
                               atol=1e-12)


def test_escape_direction_is_unit_multiple_of_ones_and_lowers_the_loss():
    u = lib.escape_direction(two_weight_loss, np.zeros(2))
    np.testing.assert_allclose(u, np.ones(2) / np.sqrt(2), rtol=1e-12)
    for step in (1e-3, 0.1, 0.5, 1.0):
        assert two_weight_loss(step * u) < two_weight_loss(np.zeros(2))
    other = np.array([1.0, -1.0]) / np.sqrt(2)
    assert two_weight_loss(0.5 * other) > two_weight_loss(np.zeros(2))


@pytest.mark.parametrize("w1", [0.5, 1.0, 2.0, -3.0])
def test_valley_is_degenerate_with_eigenvalues_zero_and_two_norm_squared(w1):
    w = np.array([w1, 1.0 / w1])
    result = lib.classify_critical_point(two_weight_loss, w)
    assert result.kind == "degenerate"
    np.testing.assert_allclose(result.eigenvalues, [0.0, 2 * (w @ w)], atol=1e-12)
    assert result.n_zero == 1 and result.minimum_ratio == 0.5
    assert lib.escape_direction(two_weight_loss, w) is None


@pytest.mark.parametrize("loss, n, kind", [
    (lambda x: x[0] ** 2 + 3 * x[1] ** 2, 2, "local minimum"),
    (lambda x: -(x[0] ** 2) - x[1] ** 2 - x[2] ** 2, 3, "local maximum"),
    (lambda x: x[0] ** 2 - x[1] ** 2, 2, "saddle point"),
    (lambda x: x[0] ** 3 + x[1] ** 2, 2, "degenerate"),   # zero eigenvalue, not a minimum
    (lambda x: x[0] ** 4 + x[1] ** 2, 2, "degenerate"),   # zero eigenvalue, a minimum
    (lambda x: -(x[0] ** 4) - x[1] ** 2, 2, "degenerate"),
    (lambda x: x[0] ** 2 - x[1] ** 2 + x[2] ** 4, 3, "saddle point"),  # both signs beat a zero
])
def test_kinds_at_the_origin(loss, n, kind):
    assert lib.classify_critical_point(loss, np.zeros(n)).kind == kind


def test_non_critical_point_is_reported_with_its_gradient_norm():
    result = lib.classify_critical_point(two_weight_loss, np.array([0.5, 0.5]))
    assert result.kind == "not a critical point"
    np.testing.assert_allclose(result.gradient_norm, np.sqrt(2) * 2 * 0.5 * 0.75)


def test_gradient_tolerance_is_respected():
    loss = lambda x: (x[0] - 1e-7) ** 2 + x[1] ** 2  # gradient norm 2e-7 at the origin
    assert lib.classify_critical_point(loss, np.zeros(2)).kind == "local minimum"
    assert lib.classify_critical_point(loss, np.zeros(2), grad_tol=1e-8).kind == "not a critical point"


def test_minimum_ratio_counts_positive_eigenvalues_over_all():
    D = np.array([-3.0, -1.0, 0.5, 2.0, 4.0])
    result = lib.classify_critical_point(lambda x: 0.5 * jnp.sum(D * x**2), np.zeros(5))
    assert result.kind == "saddle point"
    assert result.minimum_ratio == pytest.approx(3 / 5)
    np.testing.assert_allclose(result.eigenvalues, np.sort(D))


def test_escape_direction_picks_the_most_negative_eigenvalue():
    D = np.array([1.0, -0.5, -4.0])
    u = lib.escape_direction(lambda x: 0.5 * jnp.sum(D * x**2), np.zeros(3))
    np.testing.assert_allclose(u, [0.0, 0.0, 1.0], atol=1e-12)
    assert lib.escape_direction(lambda x: jnp.sum(x**2), np.zeros(3)) is None


@pytest.mark.parametrize("kwargs, error", [
    ({"grad_tol": 0.0}, ValueError), ({"grad_tol": "small"}, TypeError),
    ({"rtol": -1.0}, ValueError), ({"atol": float("nan")}, ValueError),
])
def test_bad_tolerances_are_named(kwargs, error):
    name = next(iter(kwargs))
    with pytest.raises(error, match=name):
        lib.classify_critical_point(two_weight_loss, np.zeros(2), **kwargs)
