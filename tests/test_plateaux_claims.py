"""The chapter 'Plateaux': its two gradient formulas, for every input (the chapter checks its examples).

The chapter asserts its claims in hidden cells where it computes them (the XOR plateau, the 0-1 loss
and hard thresholds, saturation, dead and leaky ReLU units, cross-entropy against least squares on
the plateau surface). Here hypothesis checks the formulas behind them over random inputs.
"""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import lib
from lib.models import activations

# ------------------------------------------------------------------------ saturation

def tanh_unit_loss(wb, x, v, t):
    """Squared error of y = v tanh(w.x + b) on one example; data are traced arguments."""
    return 0.5 * (v * jnp.tanh(wb[:3] @ x + wb[3]) - t) ** 2


@settings(max_examples=30, deadline=None)
@given(b=st.floats(-10, 10), seed=st.integers(0, 1000))
def test_weight_gradient_is_error_signal_times_phi_prime_times_input(b, seed):
    rng = np.random.default_rng(seed)
    x, w, v, t = rng.normal(size=3), rng.normal(size=3), rng.normal(), rng.normal()
    z = float(w @ x + b)
    grad = lib.gradient(tanh_unit_loss, np.append(w, b), x, v, t)
    expected = (v * np.tanh(z) - t) * v * float(activations.tanh_derivative(z)) * x
    np.testing.assert_allclose(grad[:3], expected, rtol=1e-7, atol=1e-14)


# ------------------------------------------------------------------------ logistic + least squares

def unit_cross_entropy(v, t):
    return -t * jax.nn.log_sigmoid(v[0]) - (1 - t) * jax.nn.log_sigmoid(-v[0])


def unit_squared_error(v, t):
    return (jax.nn.sigmoid(v[0]) - t) ** 2


@settings(max_examples=30, deadline=None)
@given(z=st.floats(-20, 20), t=st.floats(0, 1))
def test_cross_entropy_gradient_in_z_is_sigma_minus_t(z, t):
    sigma = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(lib.gradient(unit_cross_entropy, np.array([z]), t)[0], sigma - t,
                               atol=1e-12)
    np.testing.assert_allclose(lib.gradient(unit_squared_error, np.array([z]), t)[0],
                               2 * (sigma - t) * float(activations.logistic_derivative(z)),
                               atol=1e-12)
