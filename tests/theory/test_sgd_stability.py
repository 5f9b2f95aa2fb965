"""lib.theory.sgd_stability: mean-square stability of mini-batch SGD, the stable rate with stale gradients."""

from itertools import combinations

import numpy as np
import pytest

from lib.theory import sgd_stability

RNG = np.random.default_rng(5)
X = RNG.normal(size=(6, 2)) * np.array([1.5, 0.5])
HESSIANS = np.einsum("ni,nj->nij", X, X)            # least squares: A_i = x_i x_iᵀ


@pytest.mark.parametrize("batch_size", [1, 2, 3, 6])
def test_operator_is_the_average_over_every_batch(batch_size):
    """Without replacement every set of S distinct examples is equally likely: enumerate them all."""
    lr, eye = 0.3, np.eye(2)
    terms = [np.kron(eye - lr * HESSIANS[list(b)].mean(axis=0), eye - lr * HESSIANS[list(b)].mean(axis=0))
             for b in combinations(range(6), batch_size)]
    np.testing.assert_allclose(sgd_stability.mean_square_operator(HESSIANS, batch_size, lr),
                               np.mean(terms, axis=0), rtol=1e-12, atol=1e-14)


def test_operator_with_replacement_averages_independent_draws():
    lr, eye = 0.3, np.eye(2)
    terms = [np.kron(eye - lr * HESSIANS[[i, j]].mean(axis=0), eye - lr * HESSIANS[[i, j]].mean(axis=0))
             for i in range(6) for j in range(6)]
    np.testing.assert_allclose(sgd_stability.mean_square_operator(HESSIANS, 2, lr, replace=True),
                               np.mean(terms, axis=0), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("lr", [0.3, 0.9])
def test_rate_predicts_monte_carlo_second_moment(lr):
    """E[e_k e_kᵀ] over many runs of e ← (I − α H_B) e with random batches of 2 follows the operator."""
    runs, steps = 40_000, 12
    rng = np.random.default_rng(0)
    e = np.tile([1.0, 1.0], (runs, 1))
    op = sgd_stability.mean_square_operator(HESSIANS, 2, lr)
    moment = np.kron([1.0, 1.0], [1.0, 1.0])
    for _ in range(steps):
        batches = np.argsort(rng.random((runs, 6)), axis=1)[:, :2]      # 2 distinct examples per run
        h_b = HESSIANS[batches].mean(axis=1)
        e = e - lr * np.einsum("rij,rj->ri", h_b, e)
        moment = op @ moment
    measured = np.einsum("ri,rj->ij", e, e).ravel() / runs
    np.testing.assert_allclose(measured, moment, rtol=0.05, atol=0.02 * np.abs(moment).max())


def test_full_batch_limit_and_smaller_batches_lower_it():
    lam_max = np.linalg.eigvalsh(HESSIANS.mean(axis=0)).max()
    full = sgd_stability.mean_square_stable_lr(HESSIANS, 6)
    assert full == pytest.approx(2 / lam_max, rel=1e-8)
    limits = [sgd_stability.mean_square_stable_lr(HESSIANS, s) for s in (1, 2, 3, 6)]
    assert np.all(np.diff(limits) > 0)
    for s, limit in zip((1, 2, 3, 6), limits):
        assert sgd_stability.mean_square_rate(HESSIANS, s, 0.99 * limit) < 1
        assert sgd_stability.mean_square_rate(HESSIANS, s, 1.01 * limit) > 1


@pytest.mark.parametrize("delay", range(0, 12))
def test_delayed_limit_is_where_a_root_reaches_the_unit_circle(delay):
    limit = sgd_stability.delayed_stable_lr(2.0, delay)
    assert sgd_stability.delayed_rate(0.999 * limit, 2.0, delay) < 1 < sgd_stability.delayed_rate(
        1.001 * limit, 2.0, delay)
    assert limit * 2.0 == pytest.approx(2 * np.sin(np.pi / (2 * (2 * delay + 1))), rel=1e-14)


@pytest.mark.parametrize("delay, lr", [(0, 1.5), (3, 0.2), (3, 0.3), (8, 0.09)])
def test_delayed_rate_is_the_decay_of_the_recurrence(delay, lr):
    """e_{k+1} = e_k − αλ e_{k−τ}, iterated: |e_k| grows or shrinks like rate^k."""
    lam, steps = 1.0, 400
    e = [1.0] * (delay + 1)
    for _ in range(steps):
        e.append(e[-1] - lr * lam * e[-1 - delay])
    rate = sgd_stability.delayed_rate(lr, lam, delay)
    tail = np.abs(np.array(e[-(delay + 20):])).max() / np.abs(np.array(e[-(delay + 120):-100])).max()
    assert tail ** (1 / 100) == pytest.approx(rate, rel=0.02)


def test_validation_names_the_argument():
    with pytest.raises(ValueError, match="example_hessians"):
        sgd_stability.mean_square_rate(np.ones((3, 2)), 1, 0.1)
    with pytest.raises(ValueError, match="batch_size"):
        sgd_stability.mean_square_rate(HESSIANS, 7, 0.1)
    with pytest.raises(ValueError, match="delay"):
        sgd_stability.delayed_stable_lr(1.0, -1)
    with pytest.raises(ValueError, match="curvature"):
        sgd_stability.delayed_stable_lr(0.0, 1)


def test_one_step_old_gradient_exercise():
    """The chapter's exercise: with τ = 1 the best rate is 1/2 at αλ = 1/4, and the limit is αλ = 1."""
    assert sgd_stability.delayed_rate(0.25, 1.0, 1) == pytest.approx(0.5, abs=1e-6)
    grid = np.linspace(0.01, 0.99, 981)
    rates = [sgd_stability.delayed_rate(a, 1.0, 1) for a in grid]
    assert grid[int(np.argmin(rates))] == pytest.approx(0.25, abs=0.002)
    assert sgd_stability.delayed_rate(0.99, 1.0, 1) < 1 < sgd_stability.delayed_rate(1.01, 1.0, 1)


def test_a_tolerance_below_float64_resolution_is_refused_not_looped_on():
    # below about 2e-16 relative, bisection's midpoint equals an end and the interval never closes
    a = np.array([[[2.0]], [[0.0]]])
    with pytest.raises(ValueError, match=r"^tol must be >= 1e-15"):
        sgd_stability.mean_square_stable_lr(a, 1, tol=1e-300)
    assert sgd_stability.mean_square_stable_lr(a, 1, tol=1e-15) == pytest.approx(1.0, rel=1e-12)
