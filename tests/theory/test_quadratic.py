"""lib.theory.quadratic against closed forms, eigenvalue solvers and optax."""

import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lib
from lib.theory import quadratic as quad


def random_spd(n, kappa, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eigenvalues = np.geomspace(1.0, kappa, n)
    return (q * eigenvalues) @ q.T, eigenvalues


# ------------------------------------------------------------------------------ the model

def test_quadratic_minimizer_minimum_and_gradient():
    H, eigenvalues = random_spd(5, 50.0)
    b = np.arange(1.0, 6.0)
    q = quad.quadratic(H, b)
    np.testing.assert_allclose(H @ q.minimizer, b, rtol=1e-10)
    np.testing.assert_allclose(q.eigenvalues, eigenvalues, rtol=1e-10)
    assert np.isclose(q.condition_number, 50.0)
    assert np.isclose(float(q.f(q.minimizer, *q.args)), q.minimum)
    x = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(lib.gradient(q.f, x, *q.args), H @ x - b, rtol=1e-12)
    np.testing.assert_allclose(lib.hessian(q.f, x, *q.args), H, rtol=1e-12, atol=1e-12)


def test_condition_number_matches_numpy():
    H, _ = random_spd(6, 1e4, seed=3)
    assert np.isclose(quad.condition_number(H), np.linalg.cond(H), rtol=1e-8)
    assert quad.condition_number(np.diag([1.0, 0.0])) == float("inf")


@pytest.mark.parametrize("H, error", [
    ([[1.0, 2.0], [0.0, 1.0]], ValueError),           # not symmetric
    ([[1.0, 0.0], [0.0, -1.0]], ValueError),          # not positive definite
    (np.ones(3), ValueError),                         # not a matrix
    ([[np.nan, 0.0], [0.0, 1.0]], ValueError),
    ("H", TypeError),
])
def test_quadratic_rejects_bad_hessians(H, error):
    with pytest.raises(error, match="H"):
        quad.quadratic(H)


def test_quadratic_rejects_bad_b():
    with pytest.raises(ValueError, match="b"):
        quad.quadratic(np.eye(2), [1.0, 2.0, 3.0])


# ----------------------------------------------------------------------- gradient descent

def test_gd_matches_closed_form_per_eigendirection():
    H, _ = random_spd(4, 20.0, seed=1)
    q = quad.quadratic(H, np.ones(4))
    x0 = np.array([3.0, -1.0, 2.0, 0.5])
    lr, steps = 0.09, 60
    run = lib.descend(q.f, x0, *q.args, lr=lr, steps=steps)
    np.testing.assert_allclose(run.points, quad.gd_closed_form(q, x0, lr, steps), atol=1e-12)
    # and coordinate by coordinate in the eigenbasis: c_i(t) = (1 - lr lambda_i)^t c_i(0)
    coords = (run.points - q.minimizer) @ q.eigenvectors
    t = np.arange(steps + 1)[:, None]
    np.testing.assert_allclose(coords, (1 - lr * q.eigenvalues) ** t * coords[0], atol=1e-12)


def test_gd_optimal_rate_is_measured():
    spectrum = np.geomspace(1.0, 30.0, 8)
    q = quad.quadratic(np.diag(spectrum), spectrum)  # minimizer (1, ..., 1)
    best = quad.gd_optimal(spectrum)
    assert np.isclose(best.rate, 29.0 / 31.0)
    run = lib.descend(q.f, np.zeros(8), *q.args, lr=best.lr, steps=300)
    measured = quad.empirical_rate(np.linalg.norm(run.points - q.minimizer, axis=1), start=10)
    assert abs(measured - best.rate) < 1e-3
    # any other step size is slower
    assert np.all(quad.gd_rate(best.lr * np.array([0.9, 1.1]), spectrum) > best.rate)


def test_gd_diverges_above_two_over_lambda_max():
    q = quad.quadratic(np.diag([1.0, 10.0]))
    assert quad.gd_rate(0.21, q.eigenvalues) > 1
    assert lib.descend(q.f, np.ones(2), *q.args, lr=0.21, steps=400).diverged
    assert not lib.descend(q.f, np.ones(2), *q.args, lr=0.19, steps=400).diverged


# ------------------------------------------------------------------------ momentum, rates

@settings(max_examples=60, deadline=None)
@given(lr=st.floats(1e-3, 1.0), mu=st.floats(0.0, 1.0), lam=st.floats(1e-2, 10.0))
def test_momentum_rate_is_spectral_radius_of_iteration_matrix(lr, mu, lam):
    T = quad.momentum_matrix(lr, mu, lam)
    expected = max(abs(np.linalg.eigvals(T)))
    assert np.isclose(float(quad.momentum_rate(lr, mu, [lam])), expected, rtol=1e-6, atol=1e-7)


def test_momentum_matrix_advances_error_and_velocity():
    lam, lr, mu = 4.0, 0.1, 0.7
    q = quad.quadratic(np.array([[lam]]))
    run = heavy_ball(q.f, np.array([1.0]), *q.args, lr=lr, momentum=mu, steps=20)
    state = np.array([1.0, 0.0])
    T = quad.momentum_matrix(lr, mu, lam)
    for k in range(21):
        np.testing.assert_allclose([run.points[k, 0], run.records["velocities"][k, 0]], state, atol=1e-13)
        state = T @ state


def test_momentum_rate_broadcasts_and_reduces_to_gd():
    spectrum = [1.0, 5.0, 20.0]
    lrs = np.linspace(0.01, 0.09, 7)
    np.testing.assert_allclose(quad.momentum_rate(lrs, 0.0, spectrum), quad.gd_rate(lrs, spectrum))
    grid = quad.momentum_rate(lrs[None, :], np.array([0.0, 0.5, 0.9])[:, None], spectrum)
    assert grid.shape == (3, 7)


def test_heavy_ball_optimal_closed_form_and_optimality():
    spectrum = np.geomspace(1.0, 100.0, 12)
    best = quad.heavy_ball_optimal(spectrum)
    assert np.isclose(best.rate, 9.0 / 11.0) and np.isclose(best.momentum, (9.0 / 11.0) ** 2)
    assert np.isclose(best.lr, (2.0 / 11.0) ** 2)
    assert np.isclose(float(quad.momentum_rate(best.lr, best.momentum, spectrum)), best.rate, atol=1e-6)
    lrs, mus = np.meshgrid(np.linspace(0.005, 0.04, 80), np.linspace(0, 0.99, 80))
    assert quad.momentum_rate(lrs, mus, spectrum).min() >= best.rate - 1e-6


def test_optimal_momentum_rate_is_measured():
    """The measured linear rate at Polyak's parameters is (sqrt(kappa) - 1)/(sqrt(kappa) + 1)."""
    spectrum = np.geomspace(1.0, 100.0, 20)
    q = quad.quadratic(np.diag(spectrum), spectrum)
    best = quad.heavy_ball_optimal(spectrum)
    run = lib.descend(q.f, np.zeros(20), *q.args, lr=best.lr, momentum=best.momentum, steps=400)
    distance = np.linalg.norm(run.points - q.minimizer, axis=1)
    measured = quad.empirical_rate(distance, start=20)
    # within 2 %: the double roots at the optimum add a factor t to rho^t
    assert abs(measured - 9.0 / 11.0) < 0.02
    # and far better than the best plain gradient descent
    gd = quad.gd_optimal(spectrum)
    gd_run = lib.descend(q.f, np.zeros(20), *q.args, lr=gd.lr, steps=400)
    assert distance[150] < 1e-8 * np.linalg.norm(gd_run.points[150] - q.minimizer)


def test_empirical_rate_recovers_geometric_sequences_and_rejects_bad_input():
    d = 2.0 * 0.93 ** np.arange(200)
    assert np.isclose(quad.empirical_rate(d), 0.93)
    d_floor = np.concatenate([d[:100], np.zeros(50)])
    assert np.isclose(quad.empirical_rate(d_floor), 0.93)
    with pytest.raises(ValueError, match="start"):
        quad.empirical_rate(d, start=500)
    with pytest.raises(ValueError, match="usable"):
        quad.empirical_rate(np.array([1.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="distances"):
        quad.empirical_rate(np.ones((2, 2)))
    with pytest.raises(ValueError, match="^stop must be at least start \\+ 2 = 12"):  # one distance: no rate
        quad.empirical_rate(d, start=10, stop=11)
    assert np.isclose(quad.empirical_rate(d, start=10, stop=12), 0.93)  # two are enough


# ---------------------------------------------------------------------------- heavy_ball

def record_velocity(grads, state, params, hyper):
    return {"velocities": state.velocity}


def heavy_ball(f, x0, *args, lr, momentum, steps=100, nesterov=False, max_norm=1e8):
    """lib's momentum rule (μ = 1 allowed), recording the velocity p_k at every row (p_0 = 0)."""
    return lib.optimize(lib.momentum(nesterov), f, x0, *args, hyper={"lr": lr, "momentum": momentum},
                        steps=steps, max_norm=max_norm, record=record_velocity)


def test_heavy_ball_matches_descend_and_optax_sgd():
    H, _ = random_spd(3, 10.0, seed=2)
    q = quad.quadratic(H, np.ones(3))
    x0 = np.array([1.0, -2.0, 0.5])
    lr, mu, steps = 0.05, 0.8, 40
    for nesterov in (False, True):
        ours = heavy_ball(q.f, x0, *q.args, lr=lr, momentum=mu, steps=steps, nesterov=nesterov)
        np.testing.assert_allclose(
            ours.points, lib.descend(q.f, x0, *q.args, lr=lr, momentum=mu, steps=steps,
                                     nesterov=nesterov).points, rtol=1e-13)
        opt = optax.sgd(lr, momentum=mu, nesterov=nesterov)
        x = jnp.asarray(x0)
        state = opt.init(x)
        for k in range(steps):
            np.testing.assert_allclose(ours.points[k], x, rtol=1e-10, atol=1e-12)
            updates, state = opt.update(jnp.asarray(H) @ x - 1.0, state)
            x = optax.apply_updates(x, updates)
        np.testing.assert_allclose(ours.points[steps], x, rtol=1e-10, atol=1e-12)


def test_terminal_velocity_on_a_plane():
    c = np.array([1.0, -2.0, 0.5])
    lr, mu = 0.1, 0.9
    run = heavy_ball(lambda th: th @ c, np.zeros(3), lr=lr, momentum=mu, steps=200)
    np.testing.assert_allclose(run.records["velocities"][-1], -lr / (1 - mu) * c, rtol=1e-8)
    k = np.arange(201)[:, None]
    np.testing.assert_allclose(run.records["velocities"], -lr * c * (1 - mu**k) / (1 - mu), atol=1e-14)


def test_frictionless_momentum_never_settles_and_conserves_modified_energy():
    H = np.diag([1.0, 10.0])
    q = quad.quadratic(H)
    lr = 0.05
    run = heavy_ball(q.f, np.ones(2), *q.args, lr=lr, momentum=1.0, steps=400)
    assert not run.diverged
    assert run.losses[200:].max() > 0.3 * run.losses[0]
    grads = run.points @ H
    modified = (0.5 * np.sum(run.records["velocities"]**2, axis=1) + lr * run.losses
                - 0.5 * lr * np.sum(grads * run.records["velocities"], axis=1))
    np.testing.assert_allclose(modified, modified[0], rtol=1e-12)


def test_heavy_ball_reports_divergence():
    q = quad.quadratic(np.diag([1.0, 10.0]))
    run = heavy_ball(q.f, np.ones(2), *q.args, lr=0.5, momentum=0.5, steps=200)
    assert run.diverged and np.all(np.isnan(run.points[run.diverged_at:]))


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(lr=0.1, momentum=1.5), ValueError, "momentum"),
    (dict(lr=-0.1, momentum=0.5), ValueError, "lr"),
    (dict(lr=0.1, momentum=0.5, steps=0), ValueError, "steps"),
    (dict(lr=0.1, momentum=0.5, nesterov="yes"), TypeError, "nesterov"),
])
def test_heavy_ball_validates(kwargs, error, name):
    with pytest.raises(error, match=name):
        heavy_ball(lambda x: x @ x, np.ones(2), **kwargs)


def test_rate_functions_validate():
    with pytest.raises(ValueError, match="eigenvalues"):
        quad.gd_optimal([1.0, -1.0])
    with pytest.raises(ValueError, match="lr"):
        quad.gd_rate(0.0, [1.0])
    with pytest.raises(ValueError, match="momentum"):
        quad.momentum_rate(0.1, 1.2, [1.0])
    with pytest.raises(ValueError, match="momentum"):
        quad.momentum_matrix(0.1, -0.1, 1.0)
    with pytest.raises(TypeError, match="q"):
        quad.gd_closed_form(np.eye(2), np.ones(2), 0.1, 3)
