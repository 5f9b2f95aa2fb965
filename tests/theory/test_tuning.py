"""lib.theory.tuning.tune_learning_rate against closed forms on 1-D quadratics and against lib.descend."""

import math

import numpy as np
import pytest

import lib
from lib.theory.tuning import tune_learning_rate

LAMBDA = 4.0


def bowl(w):
    return 0.5 * LAMBDA * w[0] ** 2


def closed_form_steps(lr, tolerance):
    """Gradient descent on ½λw²: the loss is multiplied by (1 - αλ)² per step."""
    factor = (1 - lr * LAMBDA) ** 2
    if factor == 0:
        return 1
    return math.ceil(math.log(tolerance) / math.log(factor))


def test_gradient_descent_steps_match_the_closed_form():
    lrs = [0.01, 0.05, 0.1, 0.2, 0.3, 0.45]
    tuned = tune_learning_rate(bowl, np.array([1.0]), lrs=lrs, momentums=[0.0], steps=2000, tolerance=1e-6)
    expected = [closed_form_steps(a, 1e-6) for a in lrs]
    assert tuned.steps_to_target[:, 0].tolist() == expected
    best = int(np.argmin(expected))
    assert tuned.best_steps[0] == expected[best] and tuned.best_lr[0] == lrs[best]
    assert tuned.target == pytest.approx(1e-6 * bowl(np.array([1.0])))


def test_diverged_and_unreached_runs_count_as_never():
    # α = 0.8 diverges for both μ (it exceeds 2(1 + μ)/λ), α = 1e-4 is too slow for 50 steps.
    tuned = tune_learning_rate(bowl, np.array([1.0]), lrs=[1e-4, 0.8], momentums=[0.0, 0.5], steps=50)
    assert np.all(tuned.steps_to_target == 51) and not tuned.reached.any()
    assert np.all(np.isnan(tuned.best_lr))


def test_momentum_runs_agree_with_descend():
    lrs, mus = np.geomspace(0.01, 0.4, 7), [0.0, 0.5, 0.9]
    tuned = tune_learning_rate(bowl, np.array([1.0]), lrs=lrs, momentums=mus, steps=400, tolerance=1e-8)
    for i, lr in enumerate(lrs):
        for j, mu in enumerate(mus):
            losses = lib.descend(bowl, np.array([1.0]), lr=lr, momentum=mu, steps=400).losses
            below = np.flatnonzero(losses <= 1e-8 * losses[0])
            assert tuned.steps_to_target[i, j] == (below[0] if below.size else 401)


@pytest.mark.parametrize("tolerance", [0.0, 1.0, -1e-3])
def test_tolerance_is_checked(tolerance):
    with pytest.raises(ValueError, match="tolerance"):
        tune_learning_rate(bowl, np.array([1.0]), lrs=[0.1], momentums=[0.0], tolerance=tolerance)


def test_a_start_at_the_minimum_is_refused():
    with pytest.raises(ValueError, match="f\\(x0\\)"):
        tune_learning_rate(bowl, np.array([0.0]), lrs=[0.1], momentums=[0.0])
