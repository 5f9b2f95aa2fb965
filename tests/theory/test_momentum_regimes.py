"""lib.theory.quadratic.momentum_regimes and critical_damping_lr against eigenvalues of the 2×2 matrices."""

import numpy as np
import pytest

from lib.theory import quadratic as quad

RAVINE = (1.0, 25.0)  # the ravine's Hessian eigenvalues, κ = 25


def regime_from_eigvals(lr, momentum, eigenvalues):
    """Rate and regime the slow way: np.linalg.eigvals of momentum_matrix for every λ."""
    best = None
    for lam in eigenvalues:
        roots = np.linalg.eigvals(quad.momentum_matrix(lr, momentum, lam))
        radius = np.max(np.abs(roots))
        if best is None or radius > best[0]:
            best = (radius, roots)
    radius, roots = best
    if radius >= 1:
        return radius, 3
    if np.max(np.abs(roots.imag)) > 1e-9 * max(radius, 1e-300):
        return radius, 1
    dominant = roots[np.argmax(np.abs(roots))].real
    return radius, 2 if dominant < 0 else 0


def test_rate_and_regime_match_the_eigenvalues_of_the_iteration_matrix():
    rng = np.random.default_rng(3)
    lrs = np.exp(rng.uniform(np.log(1e-3), np.log(0.2), 400))
    mus = rng.uniform(0.0, 0.99, 400)
    result = quad.momentum_regimes(lrs, mus, RAVINE)
    assert result.rate.shape == result.regime.shape == (400,) and result.regime.dtype == np.int8
    seen = set()
    for lr, mu, rate, regime in zip(lrs, mus, result.rate, result.regime):
        expected_rate, expected_regime = regime_from_eigvals(lr, mu, RAVINE)
        assert rate == pytest.approx(expected_rate, rel=1e-7, abs=1e-12)
        if abs(expected_rate - 1) > 1e-9:  # away from the stability limit
            assert regime == expected_regime, (lr, mu, rate)
        seen.add(int(regime))
    assert seen == {0, 1, 2, 3}, "the sample covers every regime"


def test_rate_is_momentum_rate_and_curvature_is_the_slowest_direction():
    lrs, mus = np.geomspace(1e-3, 0.16, 60), 1 - np.geomspace(1.0, 0.01, 40)
    result = quad.momentum_regimes(lrs[None, :], mus[:, None], RAVINE)
    assert result.rate.shape == (40, 60)
    np.testing.assert_array_equal(result.rate, quad.momentum_rate(lrs[None, :], mus[:, None], RAVINE))
    per_direction = [quad.momentum_rate(lrs[None, :], mus[:, None], [lam]) for lam in RAVINE]
    np.testing.assert_array_equal(result.rate, np.maximum(*per_direction))
    slower = np.where(per_direction[1] > per_direction[0], RAVINE[1], RAVINE[0])
    np.testing.assert_array_equal(result.curvature, slower)


def test_without_momentum_it_is_gradient_descent():
    lrs = np.linspace(1e-3, 0.1, 991)
    result = quad.momentum_regimes(lrs, 0.0, RAVINE)
    np.testing.assert_allclose(result.rate, np.max(np.abs(1 - lrs[:, None] * np.array(RAVINE)), axis=1),
                               rtol=1e-14)
    # Real roots only: monotone while every 1 - αλ > 0 dominates, sign-flipping, then divergent.
    assert set(result.regime[lrs < 2 / 26]) <= {0}  # α < 2/(λ_min + λ_max): the floor is slowest
    assert set(result.regime[(lrs > 2 / 26) & (lrs < 2 / 25)]) == {2}
    assert set(result.regime[lrs > 2 / 25]) == {3}


def test_polyaks_optimum_has_the_smallest_rate_on_a_fine_grid():
    for spectrum in (RAVINE, np.geomspace(1.0, 100.0, 20)):
        best = quad.heavy_ball_optimal(spectrum)
        lrs = np.linspace(0.5, 1.5, 401) * best.lr
        mus = np.clip(np.linspace(-0.2, 0.2, 401) + best.momentum, 0, 0.999)
        rates = quad.momentum_regimes(lrs[None, :], mus[:, None], spectrum).rate
        assert rates.min() >= best.rate - 1e-12
        i, j = np.unravel_index(np.argmin(rates), rates.shape)
        assert abs(lrs[j] / best.lr - 1) < 0.01 and abs(mus[i] - best.momentum) < 0.01
        assert quad.momentum_regimes(best.lr, best.momentum, spectrum).rate == pytest.approx(best.rate)


def test_critical_damping_curves_separate_monotone_from_ripples():
    mus = np.linspace(0.05, 0.95, 19)
    for lam in (1.0, 4.0, 25.0):
        low, high = quad.critical_damping_lr(mus, lam)
        for bound in (low, high):  # a double root: discriminant 0, root ±√μ
            for lr, mu in zip(bound, mus):
                roots = np.roots([1.0, -(1 + mu - lr * lam), mu])
                np.testing.assert_allclose(np.abs(roots), np.sqrt(mu), rtol=1e-6)
        one = [lam]
        assert np.all(quad.momentum_regimes(low * 0.98, mus, one).regime == 0)
        assert np.all(quad.momentum_regimes(low * 1.02, mus, one).regime == 1)
        assert np.all(quad.momentum_regimes(high * 0.98, mus, one).regime == 1)
        expected_past_high = np.where(high * 1.02 * lam >= 2 * (1 + mus), 3, 2)
        np.testing.assert_array_equal(quad.momentum_regimes(high * 1.02, mus, one).regime,
                                      expected_past_high)
    assert quad.critical_damping_lr(0.25, 4.0) == (0.0625, 0.5625)


def test_the_stability_limit_is_two_one_plus_mu_over_lambda_max():
    mus = np.linspace(0.0, 0.99, 34)
    limit = 2 * (1 + mus) / RAVINE[1]
    assert np.all(quad.momentum_regimes(limit * 0.999, mus, RAVINE).rate < 1)
    assert np.all(quad.momentum_regimes(limit * 1.001, mus, RAVINE).regime == 3)


@pytest.mark.parametrize("call, error, name", [
    (lambda: quad.momentum_regimes(-0.1, 0.5, RAVINE), ValueError, "lr"),
    (lambda: quad.momentum_regimes("fast", 0.5, RAVINE), TypeError, "lr"),
    (lambda: quad.momentum_regimes(0.1, 1.5, RAVINE), ValueError, "momentum"),
    (lambda: quad.momentum_regimes(0.1, "heavy", RAVINE), TypeError, "momentum"),
    (lambda: quad.momentum_regimes(0.1, 0.5, [1.0, -2.0]), ValueError, "eigenvalues"),
    (lambda: quad.momentum_regimes(0.1, 0.5, []), ValueError, "eigenvalues"),
    (lambda: quad.critical_damping_lr(-0.5, 1.0), ValueError, "momentum"),
    (lambda: quad.critical_damping_lr([0.5, np.nan], 1.0), ValueError, "momentum"),
    (lambda: quad.critical_damping_lr(0.5, 0.0), ValueError, "curvature"),
    (lambda: quad.critical_damping_lr(0.5, "flat"), TypeError, "curvature"),
])
def test_bad_arguments_raise_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_momentum_never_converges_faster_than_the_square_root_of_mu():
    """The two roots multiply to μ, so the spectral radius is at least √μ for every α and spectrum."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        spectrum = np.sort(rng.uniform(0.1, 100.0, size=rng.integers(1, 6)))
        lrs = np.geomspace(1e-4, 1.0, 40)[None, :]
        mus = np.linspace(0.0, 0.99, 30)[:, None]
        rates = quad.momentum_regimes(lrs, mus, spectrum).rate
        assert np.all(rates >= np.sqrt(mus) - 1e-12)
        # ... with equality in the ripples band, where every direction has complex roots.
        ripples = quad.momentum_regimes(lrs, mus, spectrum).regime == 1
        np.testing.assert_allclose(rates[ripples], np.broadcast_to(np.sqrt(mus), rates.shape)[ripples],
                                   rtol=1e-12)


def test_rates_that_do_not_broadcast_are_named():
    for fn in (quad.momentum_regimes, quad.momentum_rate):
        with pytest.raises(ValueError, match=r"^lr and momentum must broadcast together"):
            fn([0.1, 0.2, 0.3], [0.0, 0.5], [1.0, 10.0])
