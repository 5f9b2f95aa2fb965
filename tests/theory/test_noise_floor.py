"""lib.theory.noise_floor: the stationary loss of heavy-ball SGD, against closed forms and a simulation."""

import numpy as np
import pytest

from lib.theory import noise_floor

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("lr, momentum", [(0.1, 0.0), (0.01, 0.9), (0.5, 0.5), (1.5, 0.0)])
def test_one_direction_matches_the_closed_form(lr, momentum):
    lam, var = 1.2, 0.7
    matrix = noise_floor.stationary_excess_loss([[lam]], [[var]], lr, momentum)
    assert matrix == pytest.approx(noise_floor.scalar_excess_loss(lam, var, lr, momentum), rel=1e-10)


def test_plain_sgd_closed_form_of_the_variance():
    # θ ← (1 − αλ)θ − αξ: Var θ = α σ² / (λ (2 − αλ)).
    lam, var, lr = 2.0, 3.0, 0.3
    sigma = noise_floor.stationary_covariance([[lam]], [[var]], lr)
    assert sigma[0, 0] == pytest.approx(lr * var / (lam * (2 - lr * lam)), rel=1e-12)


def test_independent_directions_add_up():
    lams, variances, lr, mu = np.array([0.5, 1.0, 3.0]), np.array([1.0, 0.2, 2.0]), 0.05, 0.8
    total = noise_floor.stationary_excess_loss(np.diag(lams), np.diag(variances), lr, mu)
    parts = [noise_floor.scalar_excess_loss(a, b, lr, mu) for a, b in zip(lams, variances)]
    assert total == pytest.approx(sum(parts), rel=1e-10)


def test_rotation_invariance():
    q, _ = np.linalg.qr(RNG.normal(size=(3, 3)))
    H, C = np.diag([0.5, 1.0, 2.0]), np.diag([1.0, 0.3, 0.2])
    a = noise_floor.stationary_excess_loss(H, C, 0.1, 0.5)
    b = noise_floor.stationary_excess_loss(q @ H @ q.T, q @ C @ q.T, 0.1, 0.5)
    assert a == pytest.approx(b, rel=1e-9)


def test_small_steps_depend_on_the_effective_rate_only():
    H = np.diag([0.5, 1.0, 2.0])
    C = np.array([[1.0, 0.2, 0.0], [0.2, 0.5, 0.1], [0.0, 0.1, 0.3]])
    effective = 1e-4
    floors = [noise_floor.stationary_excess_loss(H, C, effective * (1 - mu), mu) for mu in (0.0, 0.5, 0.9)]
    np.testing.assert_allclose(floors, effective * np.trace(C) / 4, rtol=1e-3)


def test_simulation_of_many_chains_agrees():
    lam, var, lr, mu = 1.0, 1.0, 0.1, 0.6
    chains, steps = 4000, 1500
    rng = np.random.default_rng(1)
    theta, p = np.zeros(chains), np.zeros(chains)
    for _ in range(steps):
        p = mu * p - lr * (lam * theta + rng.normal(scale=np.sqrt(var), size=chains))
        theta = theta + p
    measured = 0.5 * lam * np.mean(theta ** 2)
    assert measured == pytest.approx(noise_floor.scalar_excess_loss(lam, var, lr, mu), rel=0.06)


@pytest.mark.parametrize("function", [noise_floor.stationary_covariance, noise_floor.stationary_excess_loss])
def test_a_covariance_is_semidefinite_and_the_hessian_positive_definite(function):
    # along a direction of zero or negative curvature the iterates drift without bound, whatever lr is
    for C in (-np.eye(2), np.diag([1.0, -1e-3])):
        with pytest.raises(ValueError, match="^C must be positive semi-definite"):
            function(np.eye(2), C, 0.1)
    for H in (np.diag([1.0, -1.0]), np.diag([1.0, 0.0])):
        with pytest.raises(ValueError, match="^H must be positive definite"):
            function(H, np.eye(2), 0.1)


def test_no_noise_and_a_rank_deficient_noise_are_valid_covariances():
    assert noise_floor.stationary_excess_loss(np.eye(2), np.zeros((2, 2)), 0.1) == 0.0
    v = np.array([[1.0], [2.0]])
    sigma = noise_floor.stationary_covariance(np.eye(2), v @ v.T, 0.1)  # eigenvalues 5 and -1e-16 or so
    np.testing.assert_allclose(sigma, 0.1 / (2 - 0.1) * v @ v.T, rtol=1e-10)


def test_iteration_matrix_blocks():
    A = noise_floor.iteration_matrix(np.diag([1.0, 2.0]), 0.1, 0.5)
    np.testing.assert_allclose(A[:2, :2], np.diag([0.9, 0.8]))
    np.testing.assert_allclose(A[2:, 2:], 0.5 * np.eye(2))


@pytest.mark.parametrize("call, error, name", [
    (lambda: noise_floor.stationary_covariance([[1.0]], [[1.0]], 2.5), ValueError, "lr"),
    (lambda: noise_floor.stationary_covariance([[1.0]], [[1.0]], 0.1, 1.0), ValueError, "momentum"),
    (lambda: noise_floor.stationary_covariance([[1.0, 2.0], [0.0, 1.0]], np.eye(2), 0.1), ValueError, "H"),
    (lambda: noise_floor.stationary_covariance(np.eye(2), np.eye(3), 0.1), ValueError, "C"),
    (lambda: noise_floor.scalar_excess_loss(1.0, -1.0, 0.1), ValueError, "noise_variance"),
    (lambda: noise_floor.scalar_excess_loss(1.0, 1.0, 4.0, 0.5), ValueError, "lr"),
    (lambda: noise_floor.scalar_excess_loss("1", 1.0, 0.1), TypeError, "curvature"),
])
def test_bad_arguments_are_named(call, error, name):
    with pytest.raises(error, match=name):
        call()
