"""A claim of the chapter "Exploding and vanishing gradients" that needs more than the chapter computes.

The chapter asserts its claims in hidden cells where it computes them (powers of a repeated layer,
the ReLU chain's per-layer factor and positive homogeneity, the non-normal matrix, the cliff and
clipping); lib's functions are unit-tested in test_deep_chains.py and test_clipping.py. The chapter
estimates the Lyapunov exponent from one chain; here it is averaged over eight, and the mean-square
norm preservation behind it is measured.
"""

import numpy as np
from jax.scipy.special import digamma

from lib.models import deep_chains


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
