"""The key claims of chapters/momentum.md, recomputed with lib."""

import jax.numpy as jnp
import numpy as np

import lib
from lib import quadratic as quad
from lib import surfaces


def test_momentum_step_is_what_descend_scans():
    bowl = lambda w: 0.5 * (w[0] ** 2 + 10.0 * w[1] ** 2)  # noqa: E731
    theta = jnp.array([1.0, 1.0])
    state = lib.momentum_init(theta)
    for _ in range(5):
        step, state = lib.momentum_step(jnp.asarray(lib.gradient(bowl, theta)), state, 0.05, 0.9)
        theta = theta + step
    np.testing.assert_allclose(theta, lib.descend(bowl, np.ones(2), lr=0.05, momentum=0.9,
                                                  steps=5).points[-1], rtol=1e-14)


def test_mu_one_never_settles_mu_below_one_does():
    q = quad.quadratic(np.diag([1.0, 10.0]))
    free = quad.heavy_ball(q.f, np.ones(2), *q.args, lr=0.05, momentum=1.0, steps=300)
    damped = quad.heavy_ball(q.f, np.ones(2), *q.args, lr=0.05, momentum=0.9, steps=300)
    assert free.losses[150:].max() > 0.3 * free.losses[0] and damped.losses[-1] < 1e-10


def test_terminal_velocity():
    c = np.array([1.0, -2.0])
    run = quad.heavy_ball(lambda th: th @ c, np.zeros(2), lr=0.1, momentum=0.9, steps=100)
    np.testing.assert_allclose(run.velocities[-1], -0.1 / (1 - 0.9) * c, rtol=1e-4)


def test_momentum_speeds_up_the_ravine_at_the_same_learning_rate():
    ravine = quad.quadratic(np.diag([1.0, 25.0]))
    steps = {}
    for mu in (0.0, 0.5):
        run = lib.descend(ravine.f, np.array([-9.0, 2.0]), *ravine.args, lr=0.07, momentum=mu, steps=150)
        distance = np.linalg.norm(run.points, axis=1)
        assert abs(quad.empirical_rate(distance, start=20)
                   - float(quad.momentum_rate(0.07, mu, ravine.eigenvalues))) < 5e-3
        steps[mu] = int(np.flatnonzero(distance < 1e-3)[0])
    assert steps[0.5] < 0.6 * steps[0.0]


def test_momentum_escapes_the_saddle_sooner_but_not_from_the_stable_manifold():
    saddle = surfaces.saddle()
    first = {}
    for mu in (0.0, 0.5, 0.9):
        run = lib.descend(saddle.f, np.array([2.0, 1e-3]), lr=0.05, momentum=mu, steps=150)
        first[mu] = int(np.flatnonzero(run.losses < -0.5)[0])
    assert first[0.9] < first[0.5] < first[0.0]
    growth = [max(abs(np.linalg.eigvals(quad.momentum_matrix(0.05, mu, -2.0)))) for mu in (0.0, 0.9)]
    assert np.isclose(growth[0], 1.1) and growth[1] > 1.3
    exact = lib.descend(saddle.f, np.array([2.0, 0.0]), lr=0.05, momentum=0.9, steps=300)
    assert np.linalg.norm(exact.points[-1]) < 1e-6


def test_momentum_crosses_a_flat_shelf():
    shelf = lambda x: -jnp.tanh(x[0] + 4.0) - jnp.tanh(x[0] - 4.0)  # noqa: E731
    crossed = {}
    for mu in (0.0, 0.9):
        run = lib.descend(shelf, np.array([-7.0]), lr=0.5, momentum=mu, steps=2000)
        crossed[mu] = int(np.flatnonzero(run.points[:, 0] > 4.0)[0])
    assert 10 * crossed[0.9] < crossed[0.0]


def test_optimal_heavy_ball_beats_gradient_descent_by_sqrt_kappa():
    spectrum = np.geomspace(1.0, 100.0, 20)
    H = np.diag(spectrum)
    q = quad.quadratic(H, H @ np.ones(20))
    gd, hb = quad.gd_optimal(spectrum), quad.heavy_ball_optimal(spectrum)
    assert np.isclose(hb.rate, 9 / 11) and np.isclose(gd.rate, 99 / 101)
    for (lr, mu), predicted, tolerance in [((gd.lr, 0.0), gd.rate, 2e-3),
                                           ((hb.lr, hb.momentum), hb.rate, 0.02),
                                           ((0.01, 0.9), np.sqrt(0.9), 2e-3)]:
        run = lib.descend(q.f, np.zeros(20), *q.args, lr=lr, momentum=mu, steps=600)
        measured = quad.empirical_rate(np.linalg.norm(run.points - q.minimizer, axis=1), start=20)
        assert abs(measured - predicted) < tolerance
    # rate map: minimum at Polyak's point, instability beyond alpha = 2 (1 + mu) / lambda_max
    lrs, mus = np.linspace(1e-4, 0.04, 300), np.linspace(0.0, 0.999, 300)
    rate_map = quad.momentum_rate(lrs[None, :], mus[:, None], spectrum)
    i_mu, i_lr = np.unravel_index(np.argmin(rate_map), rate_map.shape)
    assert abs(lrs[i_lr] - hb.lr) < 0.002 and abs(mus[i_mu] - hb.momentum) < 0.02
    unstable = lrs[None, :] > 2 * (1 + mus[:, None]) / 100 + 1e-9
    assert np.all(rate_map[unstable] >= 1) and np.all(rate_map[~unstable & (lrs[None, :] < 0.019)] < 1)


def test_nesterov_damps_more_but_diverges_at_the_heavy_ball_optimum():
    spectrum = np.geomspace(1.0, 100.0, 20)
    H = np.diag(spectrum)
    q = quad.quadratic(H, H @ np.ones(20))
    rates = {}
    for nesterov in (False, True):
        run = lib.descend(q.f, np.zeros(20), *q.args, lr=0.01, momentum=0.9, nesterov=nesterov, steps=600)
        rates[nesterov] = quad.empirical_rate(np.linalg.norm(run.points - q.minimizer, axis=1), start=20)
    assert rates[True] < rates[False]
    hb = quad.heavy_ball_optimal(spectrum)
    assert lib.descend(q.f, np.zeros(20), *q.args, lr=hb.lr, momentum=hb.momentum, nesterov=True,
                       steps=600).diverged
