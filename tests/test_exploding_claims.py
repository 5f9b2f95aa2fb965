"""The computable claims of the chapter "Exploding and vanishing gradients", through lib."""

import numpy as np
import pytest
from jax.scipy.special import digamma

import lib
from lib import clipping, deep_chains


# --------------------------------------------------------------------- the product of Jacobians

def test_repeated_orthogonal_layer_gives_exact_powers():
    """W = sQ repeated: eigenvalue moduli s, singular values s, gradient norm s^(L - l)."""
    n, L = 20, 100
    x = np.random.default_rng(1).standard_normal(n)
    for s in (0.9, 1.0, 1.1):
        W = deep_chains.orthogonal_weights(0, n, L, scale=s, tied=True)
        np.testing.assert_allclose(np.abs(np.linalg.eigvals(W[0])), s, rtol=1e-10)
        grads = deep_chains.layer_gradient_norms(W, x, "linear")
        np.testing.assert_allclose(grads.hidden, s ** (L - np.arange(L + 1)), rtol=1e-10)
        # weight gradients all equal s^(L-1) ||x||: they explode or vanish together
        np.testing.assert_allclose(grads.weights, s ** (L - 1) * np.linalg.norm(x), rtol=1e-10)


@pytest.mark.parametrize("gain, low, high", [(2.0, 1.35, 1.48), (np.sqrt(2.0), 0.95, 1.03),
                                             (1.0, 0.67, 0.74)])
def test_relu_network_per_layer_factor_is_about_gain_over_root_two(gain, low, high):
    n, L = 100, 100
    x = np.random.default_rng(1).standard_normal(n)
    W = deep_chains.gaussian_weights(0, n, L, gain=gain)
    grads = deep_chains.layer_gradient_norms(W, x, "relu")
    factor = np.exp(-np.polyfit(np.arange(L + 1), np.log(grads.hidden), 1)[0])
    assert low < factor < high
    # the weight gradients of the 100 layers stay within a factor 20 of each other
    assert grads.weights.max() / grads.weights.min() < 20


def test_he_scale_keeps_the_input_gradient_order_one_while_others_explode_or_vanish():
    n, L = 100, 100
    x = np.random.default_rng(1).standard_normal(n)
    ratios = {}
    for gain in (1.0, np.sqrt(2.0), 2.0):
        grads = deep_chains.layer_gradient_norms(deep_chains.gaussian_weights(0, n, L, gain=gain), x, "relu")
        ratios[gain] = grads.hidden[0] / grads.hidden[-1]
    assert ratios[1.0] < 1e-12 and ratios[2.0] > 1e12 and 0.1 < ratios[np.sqrt(2.0)] < 10


def test_nonnormal_matrix_grows_before_it_decays():
    W = np.array([[0.9, 2.0], [0.0, 0.9]])
    norms = np.array([np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in range(101)])
    assert np.all(np.abs(np.linalg.eigvals(W)) < 1)
    assert norms.max() > 5 and norms[100] < 0.1
    # closed form of the off-diagonal entry: 2 k 0.9^(k-1)
    k = np.arange(1, 101)
    np.testing.assert_allclose([np.linalg.matrix_power(W, i)[0, 1] for i in k], 2 * k * 0.9 ** (k - 1),
                               rtol=1e-12)


def test_lyapunov_exponent_of_gaussian_products():
    """Averaged over chains, the growth rate matches ½(ψ(n/2) + log(2/n)) and not the spectra."""
    n, L = 2, 300
    rates, radii, sigmas = [], [], []
    for seed in range(8):
        W = deep_chains.gaussian_weights(seed, n, L, gain=1.0)
        rates.append(np.log(deep_chains.layer_gradient_norms(W, np.ones(n), "linear").hidden[0]) / L)
        radii.append(np.mean([np.abs(np.linalg.eigvals(w)).max() for w in W]))
        sigmas.append(np.mean([np.linalg.norm(w, 2) for w in W]))
    theory = 0.5 * (float(digamma(n / 2)) + np.log(2 / n))
    # sd of one chain's rate ≈ 0.64 / sqrt(300) ≈ 0.037; of the mean of 8 ≈ 0.013
    assert abs(np.mean(rates) - theory) < 0.05
    assert np.exp(np.mean(rates)) < np.mean(radii) - 0.05 < np.mean(sigmas)
    # mean-square norm preserved: E||W v||^2 = ||v||^2 for N(0, 1/n) entries
    W = deep_chains.gaussian_weights(99, n, 20000, gain=1.0)
    v = np.array([0.6, 0.8])
    np.testing.assert_allclose(np.mean(np.sum((W @ v) ** 2, axis=1)), 1.0, atol=0.03)


def test_positive_homogeneity_of_the_relu_chain():
    """Scaling every layer by a: hidden gradients times a^(L - l), every weight gradient times a^(L - 1)."""
    n, L = 100, 100
    x = np.random.default_rng(1).standard_normal(n)
    he = deep_chains.layer_gradient_norms(deep_chains.gaussian_weights(0, n, L, gain=np.sqrt(2)), x, "relu")
    big = deep_chains.layer_gradient_norms(deep_chains.gaussian_weights(0, n, L, gain=2.0), x, "relu")
    a = np.sqrt(2.0)
    np.testing.assert_allclose(big.hidden / he.hidden, a ** (L - np.arange(L + 1)), rtol=1e-8)
    np.testing.assert_allclose(big.weights / he.weights, a ** (L - 1), rtol=1e-8)


def test_largest_scale_for_a_50_layer_gradient_below_10():
    def input_gradient(s):
        W = deep_chains.orthogonal_weights(0, 10, 50, scale=s, tied=True)
        return deep_chains.layer_gradient_norms(W, np.ones(10), "linear").hidden[0]

    s_star = 10 ** (1 / 50)
    np.testing.assert_allclose(input_gradient(s_star), 10.0, rtol=1e-10)
    assert input_gradient(0.999 * s_star) < 10 < input_gradient(1.001 * s_star)


# ----------------------------------------------------------------------------------- the cliff

START = np.array([-4.0, 2.0])


def test_gradient_descent_jumps_off_the_cliff():
    gd = lib.descend(clipping.cliff_loss, START, lr=1.0, steps=60)
    steps = np.linalg.norm(np.diff(gd.points, axis=0), axis=1)
    jump = steps.argmax()
    assert not gd.diverged
    assert steps[jump] > 10 and np.sort(steps)[-2] < 0.15 * steps[jump]
    assert abs(gd.points[jump, 0]) < 0.2
    assert gd.losses[jump + 1] > gd.losses[0] > gd.losses[jump]
    # the wall's steepest gradient is H k / 4
    w = np.array([0.0, 0.0])
    np.testing.assert_allclose(lib.gradient(clipping.cliff_loss, w)[0],
                               0.1 * (0 - 2) - clipping.CLIFF_HEIGHT * clipping.CLIFF_STEEPNESS / 4,
                               rtol=1e-12)


@pytest.mark.parametrize("clip, bound", [("norm", 1.0), ("value", np.sqrt(2.0))])
def test_clipped_descent_goes_down_the_cliff_without_a_spike(clip, bound):
    run = clipping.descend_clipped(clipping.cliff_loss, START, lr=1.0, steps=60, clip=clip, threshold=1.0)
    steps = np.linalg.norm(np.diff(run.points, axis=0), axis=1)
    assert steps.max() <= bound * (1 + 1e-12)
    assert np.all(np.diff(run.losses) < 0)
    assert run.losses[-1] < 1e-4
    gd = lib.descend(clipping.cliff_loss, START, lr=1.0, steps=60)
    assert gd.losses[-1] > 10 * run.losses[-1]


def test_value_clipping_turns_the_gradient_on_the_cliff_face():
    g = lib.gradient(clipping.cliff_loss, np.array([0.05, 1.5]))
    assert clipping.angle_degrees(g, clipping.clip_by_value(g, 1.0)) > 20
    assert clipping.angle_degrees(g, clipping.clip_by_norm(g, 1.0)) < 1e-6


def test_value_clipping_turns_a_deep_network_gradient():
    W = deep_chains.gaussian_weights(0, 100, 100, gain=2.0)
    x = np.random.default_rng(1).standard_normal(100)
    g = deep_chains.chain_gradients(W, x, "relu").weights
    c = np.median(np.abs(g[g != 0]))
    by_value = np.asarray(clipping.clip_by_value(g, c))
    assert clipping.angle_degrees(g, by_value) > 20
    assert np.sum(g * by_value) > 0  # still a descent direction
    assert clipping.angle_degrees(g, clipping.clip_by_norm(g, c)) < 1e-5
