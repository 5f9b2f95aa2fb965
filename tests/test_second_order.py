"""lib.second_order: Newton's method against closed forms."""

import numpy as np
import pytest

import lib
from lib import quadratic as quad
from lib.second_order import newton, newton_step


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
