"""Claims of the chapter "SGD in practice" that hold beyond its examples, tested on lib's functions.

The chapter asserts its measurements where it makes them (the diabetes floors, the digits network,
the escape times, the ravine, the digits all-reduce). Here the general statements behind them are
tested on other data: momentum's floor in the linear theory, which saddles noise can and cannot
leave, the ring all-reduce's traffic bound, and the gradient norm under negative curvature.
"""

import jax.numpy as jnp
import numpy as np
import pytest

import lib
from lib.calculus import gradient_noise
from lib.theory import data_parallel, noise_floor, saddle_escape

RNG = np.random.default_rng(2026)


@pytest.mark.parametrize("seed", range(3))
def test_momentum_floor_never_exceeds_sgd_at_equal_effective_rate(seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(4, 4))
    H = m @ m.T / 4 + 0.1 * np.eye(4)
    c = rng.normal(size=(4, 4))
    C = c @ c.T / 4
    lam_max = np.linalg.eigvalsh(H).max()
    for effective in np.array([0.01, 0.3, 0.9, 1.9]) / lam_max:
        sgd = noise_floor.stationary_excess_loss(H, C, effective, 0.0)
        for mu in (0.5, 0.9):
            assert noise_floor.stationary_excess_loss(H, C, effective * (1 - mu), mu) <= sgd * (1 + 1e-12)


def two_weight_loss(w, x, t):
    return 0.5 * jnp.mean((t - w[0] * w[1] * x) ** 2)


def test_no_noise_at_the_saddle_of_a_product_of_weights():
    x, t = RNG.normal(size=50), RNG.normal(size=50)
    per_example = gradient_noise.per_example_gradients(two_weight_loss, np.zeros(2), x, t)
    assert np.all(per_example == 0.0)
    run = lib.optimize(lib.sgd(), two_weight_loss, np.zeros(2), x, t, hyper={"lr": 0.5}, batch_size=1,
                       epochs=3)
    assert np.all(run.params == 0.0)


def test_noise_along_the_escape_direction_at_the_auto_encoder_saddle():
    x = RNG.normal(size=(100, 3)) * np.array([2.0, 1.0, 0.5])
    saddle, _ = saddle_escape.bottleneck_critical_point(x, rank=2)
    point = lib.classify_critical_point(saddle_escape.bottleneck_loss, saddle, x)
    per_example = gradient_noise.per_example_gradients(saddle_escape.bottleneck_loss, saddle, x)
    assert np.linalg.norm(per_example.mean(axis=0)) < 1e-12          # a critical point …
    assert np.std(per_example @ point.eigenvectors[:, 0]) > 0.1       # … where the examples disagree
    run = lib.optimize(lib.sgd(), saddle_escape.bottleneck_loss, saddle, x, hyper={"lr": 0.05}, batch_size=4,
                       epochs=40, eval_every=1)
    assert int(saddle_escape.escape_steps(run.points, saddle, 0.5)) > 0


@pytest.mark.parametrize("devices", [2, 7, 16])
def test_ring_allreduce_traffic_stays_below_twice_the_vector(devices):
    size = 16 * 7
    _, sent = data_parallel.ring_allreduce(RNG.normal(size=(devices, size)))
    assert np.all(sent < 2 * size)


@pytest.mark.parametrize("seed", range(5))
def test_negative_curvature_along_the_gradient_raises_its_norm_while_the_loss_falls(seed):
    """On an indefinite quadratic, from a point with gᵀHg < 0, one gradient step of any small rate
    lowers the loss and raises the gradient norm (the chapter's first case)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    H = q @ np.diag([2.0, 1.0, 0.5, -0.3, -1.0]) @ q.T
    theta = q @ np.array([0.01, 0.01, 0.01, 1.0, 1.0])         # mostly along the negative curvature
    g = H @ theta
    assert g @ H @ g < 0
    for lr in (1e-4, 1e-2, 0.1):
        new = theta - lr * g
        assert 0.5 * new @ H @ new < 0.5 * theta @ H @ theta
        assert np.linalg.norm(H @ new) > np.linalg.norm(g)
