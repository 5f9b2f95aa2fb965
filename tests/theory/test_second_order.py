"""lib.theory.second_order: the Newton, Gauss–Newton and Levenberg–Marquardt methods against closed forms."""

import jax.numpy as jnp
import numpy as np
import pytest

import lib
from lib.theory import quadratic as quad
from lib.theory.second_order import (
    gauss_newton_matrix,
    gauss_newton_product,
    levenberg_marquardt,
    newton_step,
)


def newton(f, x0, *args, steps=10, damping=0.0):
    """Newton's method run by the one driver: ``lib.optimize(lib.newton(), …)``."""
    return lib.optimize(lib.newton(), f, x0, *args, hyper={"damping": damping}, steps=steps)


def two_weight_loss(w):
    return (1.0 - w[0] * w[1]) ** 2


@pytest.mark.parametrize("kappa", [1.0, 1e3, 1e8])
def test_newton_solves_a_quadratic_in_one_step(kappa):
    rng = np.random.default_rng(0)
    q_mat, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    H = (q_mat * np.geomspace(1.0, kappa, 4)) @ q_mat.T
    q = quad.quadratic(H, rng.standard_normal(4))
    x0 = rng.standard_normal(4)
    np.testing.assert_allclose(newton_step(q.f, x0, *q.args), q.minimizer, rtol=1e-6, atol=1e-9)
    run = newton(q.f, x0, *q.args, steps=3)
    np.testing.assert_allclose(run.points[1:], np.tile(q.minimizer, (3, 1)), rtol=1e-6, atol=1e-9)


def test_damped_newton_factor_per_eigendirection():
    q = quad.quadratic(np.diag([1.0, 100.0]))
    delta = 1.0
    run = newton(q.f, np.ones(2), *q.args, steps=4, damping=delta)
    factors = delta / (q.eigenvalues + delta)
    t = np.arange(5)[:, None]
    np.testing.assert_allclose(run.points, factors**t, rtol=1e-12)
    np.testing.assert_allclose(newton_step(q.f, np.ones(2), *q.args, damping=delta), factors, rtol=1e-12)


def test_newton_step_matches_formula_on_nonquadratic():
    w = np.array([1.3, 0.4])
    g = lib.gradient(two_weight_loss, w)
    H = lib.hessian(two_weight_loss, w)
    np.testing.assert_allclose(newton_step(two_weight_loss, w), w - np.linalg.solve(H, g), rtol=1e-12)
    run = newton(two_weight_loss, w, steps=1)
    np.testing.assert_allclose(run.points[1], w - np.linalg.solve(H, g), rtol=1e-12)


def test_newton_is_attracted_to_the_saddle():
    """From near the saddle of (1 - w1 w2)^2, Newton goes to the saddle, GD to a minimum."""
    w0 = np.array([0.3, 0.2])
    first = newton_step(two_weight_loss, w0)
    assert np.linalg.norm(first) < 0.2 * np.linalg.norm(w0)
    run = newton(two_weight_loss, w0, steps=6)
    assert np.linalg.norm(run.points[-1]) < 1e-10
    assert lib.classify_critical_point(two_weight_loss, run.points[-1]).kind == "saddle point"
    gd = lib.descend(two_weight_loss, w0, lr=0.1, steps=60)
    assert gd.losses[-1] < 1e-6


def test_singular_hessian():
    loss = lambda w: (w[0] + w[1]) ** 2  # noqa: E731 - Hessian [[2, 2], [2, 2]] is singular
    with pytest.raises(ValueError, match="singular"):
        newton_step(loss, np.ones(2))
    assert np.all(np.isfinite(newton_step(loss, np.ones(2), damping=0.1)))
    assert newton(loss, np.ones(2), steps=3).diverged


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(damping=-1.0), ValueError, "damping"),
    (dict(damping="x"), TypeError, "damping"),
    (dict(steps=0), ValueError, "steps"),
])
def test_newton_validates(kwargs, error, name):
    with pytest.raises(error, match=name):
        newton(lambda w: w @ w, np.ones(2), **kwargs)


def test_newton_rejects_non_callable_and_non_scalar():
    with pytest.raises(TypeError, match="f"):
        newton(3.0, np.ones(2))
    with pytest.raises(ValueError, match="scalar"):
        newton_step(lambda w: w, np.ones(2))


# ---------------------------------------------------------------- Gauss–Newton, Levenberg–Marquardt



def _linear_problem(seed=0, m=12, n=4):
    rng = np.random.default_rng(seed)
    X, t = rng.standard_normal((m, n)), rng.standard_normal(m)
    return X, t


def _linear_residuals(w, X, t):
    return X @ w - t


def _half_mse(residuals):
    def f(w, *args):
        r = residuals(w, *args)
        return 0.5 * (r @ r) / r.size
    return f


def test_gauss_newton_equals_hessian_for_a_linear_model():
    X, t = _linear_problem()
    w = np.random.default_rng(1).standard_normal(4)
    G = gauss_newton_matrix(_linear_residuals, w, X, t)
    np.testing.assert_allclose(G, X.T @ X / 12, rtol=1e-12)
    np.testing.assert_allclose(G, lib.hessian(_half_mse(_linear_residuals), w, X, t), rtol=1e-12)




def _tanh_fit(w, x, y):
    return w[0] * jnp.tanh(w[1] * x + w[2]) - y


def test_gauss_newton_differs_from_hessian_by_the_residual_term_and_agrees_at_zero_residual():
    x = np.linspace(-2, 2, 9)
    w_true = np.array([1.5, 0.8, -0.3])
    y = np.asarray(_tanh_fit(w_true, x, 0.0))
    f = _half_mse(_tanh_fit)
    w = np.array([1.0, 1.2, 0.1])
    G, H = gauss_newton_matrix(_tanh_fit, w, x, y), lib.hessian(f, w, x, y)
    assert np.abs(G - H).max() > 1e-3            # residuals are not zero: a real difference
    assert np.linalg.eigvalsh(G).min() >= -1e-12        # G is positive semi-definite
    np.testing.assert_allclose(gauss_newton_matrix(_tanh_fit, w_true, x, y), lib.hessian(f, w_true, x, y),
                               rtol=1e-9, atol=1e-12)


def test_gauss_newton_product_matches_the_matrix():
    x = np.linspace(-2, 2, 9)
    y = np.sin(x)
    w = np.array([1.0, 1.2, 0.1])
    v = np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(gauss_newton_product(_tanh_fit, w, v, x, y),
                               gauss_newton_matrix(_tanh_fit, w, x, y) @ v, rtol=1e-12)


def test_damping_limits():
    X, t = _linear_problem(2)
    w0 = np.zeros(4)
    g = lib.gradient(_half_mse(_linear_residuals), w0, X, t)
    # lambda -> 0: the Gauss–Newton step, which solves linear least squares in one step
    tiny = levenberg_marquardt(_linear_residuals, w0, X, t, steps=1, damping=1e-12, adapt=False)
    np.testing.assert_allclose(tiny.points[1], np.linalg.lstsq(X, t, rcond=None)[0], rtol=1e-8)
    # lambda -> infinity: a gradient step of length 1/lambda
    lam = 1e8
    huge = levenberg_marquardt(_linear_residuals, w0, X, t, steps=1, damping=lam, adapt=False)
    np.testing.assert_allclose(huge.points[1] * lam, -g, rtol=1e-6)


def test_marquardt_rule_never_raises_the_loss_and_converges():
    def rosenbrock(w):
        return jnp.stack([10.0 * (w[1] - w[0] ** 2), 1.0 - w[0]])

    run = levenberg_marquardt(rosenbrock, np.array([-1.2, 1.0]), steps=60, damping=1.0)
    assert np.all(np.diff(run.losses) <= 0)
    np.testing.assert_allclose(run.points[-1], [1.0, 1.0], atol=1e-8)
    refused, dampings = ~run.records["accepted"], run.records["dampings"]
    np.testing.assert_allclose(dampings[1:][refused[:-1]], 2.0 * dampings[:-1][refused[:-1]])
    np.testing.assert_array_equal(run.points[1:][refused], run.points[:-1][refused])


@pytest.mark.parametrize("kwargs, name, error", [
    (dict(damping=0.0), "damping", ValueError),
    (dict(damping=-1.0), "damping", ValueError),
    (dict(steps=0), "steps", ValueError),
    (dict(decrease=1.5), "decrease", ValueError),
    (dict(increase=1.0), "increase", ValueError),
    (dict(adapt="yes"), "adapt", TypeError),
])
def test_levenberg_marquardt_names_bad_arguments(kwargs, name, error):
    X, t = _linear_problem()
    with pytest.raises(error, match=name):
        levenberg_marquardt(_linear_residuals, np.zeros(4), X, t, **kwargs)


def test_gauss_newton_rejects_nonfinite_residuals():
    with pytest.raises(ValueError, match="residuals"):
        gauss_newton_matrix(lambda w: w / 0.0, np.ones(2))
    with pytest.raises(ValueError, match="v must have shape"):
        gauss_newton_product(lambda w: w, np.ones(2), np.ones(3))
