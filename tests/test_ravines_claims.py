"""The key claims of chapters/ravines.md, recomputed with lib."""

import numpy as np

import lib
from lib import quadratic as quad
from lib import regression, second_order


def grosse_data():
    slopes = np.array([0.5, 0.3])
    return regression.synthetic_linear_data(
        50, means=[1003.0, 1005.0], stds=[2.0, 2.0], weights=slopes,
        bias=4.0 - slopes @ [1003.0, 1005.0], noise=0.3, seed=0)


def test_sloshing_on_the_walls_and_crawling_on_the_floor():
    ravine = quad.quadratic(np.diag([1.0, 25.0]))
    run = lib.descend(ravine.f, np.array([-9.0, 2.0]), *ravine.args, lr=0.07, steps=40)
    # the steep coordinate flips sign every step (1 - 0.07 * 25 < 0) ...
    assert np.all(np.sign(run.points[1:, 1]) == -np.sign(run.points[:-1, 1]))
    # ... and converges long before the floor does
    assert abs(run.points[-1, 1]) / 2.0 < 1e-4 < 0.01 < abs(run.points[-1, 0]) / 9.0
    # GD diverges above 2 / lambda_max
    assert lib.descend(ravine.f, np.array([-9.0, 2.0]), *ravine.args, lr=0.09, steps=400).diverged


def test_uncentred_inputs_make_a_ravine_that_standardizing_removes():
    X, t = grosse_data()
    raw = regression.add_bias(X)
    centred = regression.add_bias(X - X.mean(axis=0))
    scaled = regression.add_bias(regression.standardize(X).X)
    kappas = [quad.condition_number(regression.least_squares_hessian(A)) for A in (raw, centred, scaled)]
    assert kappas[0] > 1e10 and kappas[2] < 2 and kappas[0] > kappas[1] > kappas[2]
    # weights get ~1000x the bias's update although the bias has furthest to go
    g0 = lib.gradient(regression.least_squares, np.zeros(3), raw, t)
    w_fit = regression.least_squares_solution(raw, t)
    assert abs(g0[0]) > 500 * abs(g0[2]) and abs(w_fit[2]) > 100 * abs(w_fit[0])


def test_gradient_descent_stalls_on_raw_inputs_and_converges_after_scaling():
    X, t = grosse_data()
    for inputs, converges in [(regression.add_bias(X), False),
                              (regression.add_bias(regression.standardize(X).X), True)]:
        lam = np.linalg.eigvalsh(regression.least_squares_hessian(inputs))
        w_star = regression.least_squares_solution(inputs, t)
        e_min = float(regression.least_squares(w_star, inputs, t))
        for lr in (quad.gd_optimal(lam).lr, 1 / lam.max()):
            run = lib.descend(regression.least_squares, np.zeros(3), inputs, t, lr=lr, steps=1000)
            excess = run.losses - e_min
            if converges:
                assert excess[40] < 1e-12 * excess[0]
            else:
                assert excess[-1] > 1e-3 * excess[0]


def test_best_step_along_the_gradient():
    ravine = quad.quadratic(np.diag([1.0, 25.0]))
    x = np.array([-9.0, 2.0])
    g = lib.gradient(ravine.f, x, *ravine.args)
    H = ravine.H
    eps_best = g @ g / (g @ H @ g)
    f0 = float(ravine.f(x, *ravine.args))
    along = lambda e: float(ravine.f(x - e * g, *ravine.args))  # noqa: E731
    assert np.isclose(f0 - along(eps_best), (g @ g) ** 2 / (2 * g @ H @ g), rtol=1e-12)
    assert 1 / 25 <= eps_best <= 1 and eps_best < 2 / 25
    # the loss decreases exactly for 0 < eps < 2 eps_best, however small eps is
    for e in (1e-8, 1e-3, 1.99 * eps_best):
        assert along(e) < f0
    assert along(2.01 * eps_best) > f0
    grid = np.linspace(0, 0.1, 2001)
    assert abs(grid[np.argmin([along(e) for e in grid])] - eps_best) < 1e-4


def test_tanh_units_condition_the_next_layer_better_than_logistic():
    rng = np.random.default_rng(1)
    pre = rng.standard_normal((200, 5)) @ rng.standard_normal((5, 10))
    kappa = {}
    for name, h in [("logistic", 1 / (1 + np.exp(-pre))), ("tanh", np.tanh(pre)),
                    ("centred logistic", 1 / (1 + np.exp(-pre)) - 0.5)]:
        F = regression.add_bias(h)
        kappa[name] = quad.condition_number(lib.hessian(regression.least_squares, np.zeros(11), F,
                                                        np.zeros(200)))
    assert kappa["logistic"] > 10 * kappa["tanh"]
    assert kappa["logistic"] > kappa["centred logistic"] > kappa["tanh"]


def test_newton_ignores_conditioning_but_finds_saddles():
    steep = quad.quadratic(np.diag([1.0, 1e6]), b=np.array([1.0, 2.0]))
    np.testing.assert_allclose(second_order.newton_step(steep.f, np.array([5.0, -3.0]), *steep.args),
                               steep.minimizer, rtol=1e-9)
    loss = lambda w: (1.0 - w[0] * w[1]) ** 2  # noqa: E731
    run = second_order.newton(loss, np.array([0.3, 0.2]), steps=6)
    assert np.linalg.norm(run.points[-1]) < 1e-10 and run.losses[-1] == 1.0
