"""The claims of the chapter 'Plateaux', checked with lib."""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings, strategies as st
from jax.flatten_util import ravel_pytree

import lib
from lib import activations, surfaces

XOR_INPUTS = jnp.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = jnp.array([0.0, 1.0, 1.0, 0.0])


def xor_loss(w, x, t):
    hidden = jnp.tanh(x @ w[:4].reshape(2, 2) + w[4:6])
    return jnp.mean((jax.nn.sigmoid(hidden @ w[6:8] + w[8]) - t) ** 2)


def test_xor_training_curve_has_a_long_plateau_then_a_drop():
    start = np.random.default_rng(0).normal(size=(3, 9))[1]
    run = lib.descend(xor_loss, start, XOR_INPUTS, XOR_TARGETS, lr=2.0, steps=3000)
    on_plateau = np.flatnonzero(np.abs(run.losses - 0.1255) < 0.002)
    assert on_plateau[-1] - on_plateau[0] > 1000
    middle = (on_plateau[0] + on_plateau[-1]) // 2
    g = np.linalg.norm(lib.gradient(xor_loss, run.points[middle], XOR_INPUTS, XOR_TARGETS))
    assert g < 2e-3
    assert run.losses[-1] < 0.01


# ------------------------------------------------------------------------ 0-1 loss, thresholds

def clouds():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal([1.0, 1.0], 1.0, size=(50, 2)),
                        rng.normal([-1.0, -1.0], 1.0, size=(50, 2))])
    return x, np.concatenate([np.ones(50), np.zeros(50)])


def zero_one(w, x, t):
    return activations.zero_one_loss(x @ w[:2] + w[2], t)


def test_zero_one_loss_gradient_is_exactly_zero_at_random_points():
    x, t = clouds()
    rng = np.random.default_rng(1)
    for w in rng.normal(scale=2.0, size=(20, 3)):
        assert np.all(lib.gradient(zero_one, w, x, t) == 0.0)
        # and the loss really is locally constant: a small random step does not change it
        step = 1e-7 * rng.normal(size=3)
        assert float(zero_one(w + step, x, t)) == float(zero_one(w, x, t))


def test_zero_one_loss_is_not_constant_globally():
    x, t = clouds()
    assert float(zero_one(np.array([1.0, 1.0, 0.0]), x, t)) < 0.2
    assert float(zero_one(np.array([-1.0, -1.0, 0.0]), x, t)) > 0.8


def test_hard_threshold_unit_blocks_gradient_to_its_incoming_weights():
    x, t = clouds()

    def net(w, x, t):
        hidden = activations.hard_threshold(x @ w[:4].reshape(2, 2) + w[4:6])
        return jnp.mean((hidden @ w[6:8] - t) ** 2)

    g = lib.gradient(net, np.random.default_rng(2).normal(size=8), x, t)
    assert np.all(g[:6] == 0.0) and np.all(g[6:] != 0.0)


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


def test_saturated_unit_gradient_shrinks_like_phi_prime():
    x, w = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -0.2])

    def loss(wb):
        return 0.5 * (jnp.tanh(wb[:3] @ x + wb[3]) + 1.0) ** 2

    g0 = np.linalg.norm(lib.gradient(loss, np.append(w, -w @ x))[:3])       # z = 0
    g8 = np.linalg.norm(lib.gradient(loss, np.append(w, 8.0 - w @ x))[:3])  # z = 8
    assert g8 / g0 < 1e-5  # tanh'(8) = 4.5e-7, while the error grows from 1 to ~2


def test_large_initialisation_saturates_units_and_shrinks_first_layer_gradient():
    from lib import networks
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x, y = jnp.asarray(x[:500] / 16.0), jnp.asarray(y[:500])
    base = networks.init_mlp(0, [64, 32, 10])
    _, unravel = ravel_pytree(base)
    result = {}
    for s in (1.0, 30.0):
        params = [{"w": s * base[0]["w"], "b": base[0]["b"]}, base[1]]
        z = x @ params[0]["w"]
        grads = unravel(lib.gradient(networks.cross_entropy_loss, params, x, y))
        result[s] = (float(jnp.mean(activations.tanh_derivative(z) < 0.01)),
                     float(jnp.linalg.norm(grads[0]["w"])))
    assert result[1.0][0] < 0.05 and result[30.0][0] > 0.8
    assert result[30.0][1] < 0.25 * result[1.0][1]


# ------------------------------------------------------------------------ dead units

def relu_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    t = np.sin(2 * x[:, 0]) + 0.5 * x[:, 1]
    init = np.random.default_rng(1)
    params = {"W": init.normal(size=(2, 8)) / np.sqrt(2), "b": np.full(8, 0.1),
              "v": init.normal(size=8) / np.sqrt(8), "c": np.zeros(())}
    params["b"][2] = -6.0
    return jnp.asarray(x), jnp.asarray(t), params


def relu_loss(p, x, t, slope=0.0):
    hidden = activations.leaky_relu(x @ p["W"] + p["b"], slope)
    return 0.5 * jnp.mean((hidden @ p["v"] + p["c"] - t) ** 2)


def test_dead_unit_has_exactly_zero_gradient_and_stays_dead():
    x, t, params = relu_problem()
    _, unravel = ravel_pytree(jax.tree_util.tree_map(jnp.asarray, params))
    assert list(np.flatnonzero(activations.dead_units(x @ params["W"] + params["b"]))) == [2]
    g = unravel(lib.gradient(relu_loss, params, x, t))
    assert np.all(np.asarray(g["W"][:, 2]) == 0.0) and float(g["b"][2]) == 0.0
    assert float(g["v"][2]) == 0.0
    assert np.all(np.abs(np.asarray(g["W"][:, [0, 1, 3]])) > 0.0)
    run = lib.descend(relu_loss, params, x, t, lr=0.1, steps=2000)
    trained = unravel(run.points[-1])
    assert run.losses[-1] < 0.1 * run.losses[0]
    np.testing.assert_array_equal(np.asarray(trained["W"][:, 2]), params["W"][:, 2])
    assert float(trained["b"][2]) == -6.0 and float(trained["v"][2]) == params["v"][2]
    assert activations.dead_units(x @ trained["W"] + trained["b"])[2]


def test_leaky_relu_gives_the_dead_unit_a_gradient():
    x, t, params = relu_problem()
    _, unravel = ravel_pytree(jax.tree_util.tree_map(jnp.asarray, params))
    g = unravel(lib.gradient(lambda p, x, t: relu_loss(p, x, t, 0.05), params, x, t))
    assert np.all(np.abs(np.asarray(g["W"][:, 2])) > 0.0) and float(g["b"][2]) != 0.0


# ------------------------------------------------------------------------ logistic + least squares

def cross_entropy(w):
    z = w[0] * surfaces.PLATEAU_INPUTS + w[1]
    t = surfaces.PLATEAU_TARGETS
    return jnp.sum(-t * jax.nn.log_sigmoid(z) - (1 - t) * jax.nn.log_sigmoid(-z))


def test_plateau_start_is_flat_and_bad_but_cross_entropy_is_steep():
    plateau = surfaces.plateau()
    start = np.array(plateau.x0)
    ls = np.linalg.norm(lib.gradient(plateau.f, start))
    ce = np.linalg.norm(lib.gradient(cross_entropy, start))
    assert float(plateau.f(start)) > 1.0 and ls < 0.05
    assert ce > 50 * ls
    assert lib.classify_critical_point(plateau.f, np.array([1.0, 0.0])).kind == "local minimum"


def test_cross_entropy_crosses_the_plateau_much_faster():
    plateau = surfaces.plateau()
    start = np.array(plateau.x0)
    ls_run = lib.descend(plateau.f, start, lr=2.0, steps=300)
    ce_run = lib.descend(cross_entropy, start, lr=0.5, steps=300)
    target = 0.5 * float(plateau.f(start))
    ls_half = np.flatnonzero(ls_run.losses < target)[0]
    ce_half = np.flatnonzero(np.asarray(jax.vmap(plateau.f)(ce_run.points)) < target)[0]
    assert ls_half > 50 and ce_half < ls_half / 5
    np.testing.assert_allclose(ce_run.points[-1], [1.0, 0.0], atol=1e-5)
    assert ls_run.losses[-1] < 1e-6


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
