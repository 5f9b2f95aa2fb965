"""lib.models.deep_chains against jax.jacobian, explicit products and closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lib  # noqa: F401
from lib.models import deep_chains as dc

PHI = {"linear": lambda z: z, "relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh}


def chain_by_hand(weights, x, activation):
    hs = [x]
    for w in weights:
        hs.append(PHI[activation](w @ hs[-1]))
    return np.array(hs)


def chain_output(weights, activation):
    phi = dc.ACTIVATIONS[activation][0]

    def out(x):
        h = x
        for w in weights:
            h = phi(w @ h)
        return h

    return out


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31), depth=st.integers(1, 6), activation=st.sampled_from(list(PHI)))
def test_jacobian_product_equals_jax_jacobian(seed, depth, activation):
    width = 4
    weights = dc.gaussian_weights(seed, width, depth, gain=1.5)
    x = np.random.default_rng(seed + 1).standard_normal(width)
    expected = jax.jacobian(chain_output(jnp.asarray(weights), activation))(jnp.asarray(x))
    np.testing.assert_allclose(dc.chain_jacobian(weights, x, activation), expected,
                               rtol=1e-12, atol=1e-14)
    # and it is the product of the per-layer Jacobians, last layer on the left
    product = np.eye(width)
    for j in dc.layer_jacobians(weights, x, activation):
        product = j @ product
    np.testing.assert_allclose(dc.chain_jacobian(weights, x, activation), product, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("activation", list(PHI))
def test_forward_and_layer_jacobians_by_hand(activation):
    weights = dc.gaussian_weights(3, 5, 4, gain=1.2)
    x = np.linspace(-1, 1, 5)
    hs = chain_by_hand(weights, x, activation)
    np.testing.assert_allclose(dc.chain_forward(weights, x, activation), hs, rtol=1e-13)
    z = np.einsum("lij,lj->li", weights, hs[:-1])
    dphi = {"linear": np.ones_like(z), "relu": (z > 0).astype(float), "tanh": 1 - np.tanh(z) ** 2}
    np.testing.assert_allclose(dc.layer_jacobians(weights, x, activation),
                               dphi[activation][:, :, None] * weights, rtol=1e-13)


def test_relu_layer_jacobian_is_a_masked_weight_matrix():
    weights = dc.gaussian_weights(0, 6, 3, gain=np.sqrt(2))
    x = np.random.default_rng(0).standard_normal(6)
    for j, w in zip(dc.layer_jacobians(weights, x, "relu"), weights):
        rows_kept = np.all(j == w, axis=1)
        rows_zero = np.all(j == 0, axis=1)
        assert np.all(rows_kept | rows_zero) and rows_zero.any() and rows_kept.any()


@pytest.mark.parametrize("s", [0.9, 1.0, 1.1])
@pytest.mark.parametrize("kind", ["identity", "orthogonal", "tied"])
def test_linear_chain_gradients_follow_powers_of_s(s, kind):
    width, depth = 6, 40
    if kind == "identity":
        weights = np.stack([s * np.eye(width)] * depth)
    else:
        weights = dc.orthogonal_weights(1, width, depth, scale=s, tied=(kind == "tied"))
    x = np.random.default_rng(2).standard_normal(width)
    grads = dc.layer_gradient_norms(weights, x, "linear")
    layers = np.arange(depth + 1)
    np.testing.assert_allclose(grads.hidden, s ** (depth - layers), rtol=1e-12)
    # weight gradient (s^{L-l} u)(s^{l-1} x)^T: the same norm at every layer
    np.testing.assert_allclose(grads.weights, s ** (depth - 1) * np.linalg.norm(x), rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(dc.chain_jacobian(weights, x, "linear"), 2), s**depth,
                               rtol=1e-12)


@pytest.mark.parametrize("activation", list(PHI))
def test_layer_gradients_are_transposed_partial_products(activation):
    width, depth = 5, 7
    weights = dc.gaussian_weights(4, width, depth, gain=1.3)
    x = np.random.default_rng(5).standard_normal(width)
    u = np.ones(width) / np.sqrt(width)
    js = dc.layer_jacobians(weights, x, activation)
    hs = dc.chain_forward(weights, x, activation)
    grads = dc.layer_gradient_norms(weights, x, activation)
    delta = u
    for layer in range(depth, 0, -1):  # delta = ∂L/∂h_layer
        np.testing.assert_allclose(grads.hidden[layer], np.linalg.norm(delta), rtol=1e-12)
        z = weights[layer - 1] @ hs[layer - 1]
        local = js[layer - 1].T @ delta  # ∂L/∂h_{layer-1}
        # weight gradient is rank one: (φ'(z) ⊙ delta) h_{layer-1}^T
        slope = {"linear": np.ones_like(z), "relu": (z > 0) * 1.0, "tanh": 1 - np.tanh(z) ** 2}[activation]
        np.testing.assert_allclose(grads.weights[layer - 1],
                                   np.linalg.norm(slope * delta) * np.linalg.norm(hs[layer - 1]),
                                   rtol=1e-12)
        delta = local
    np.testing.assert_allclose(grads.hidden[0], np.linalg.norm(delta), rtol=1e-12)
    np.testing.assert_allclose(grads.loss, hs[-1].sum() / np.sqrt(width), rtol=1e-12)


def squared_error(h):
    return 0.5 * jnp.sum((h - 1.0) ** 2)


def test_custom_loss_input_gradient_matches_jax_grad():
    weights = dc.gaussian_weights(7, 4, 5, gain=1.1)
    x = np.array([0.3, -1.0, 2.0, 0.5])
    grads = dc.layer_gradient_norms(weights, x, "tanh", loss=squared_error)
    out = chain_output(jnp.asarray(weights), "tanh")
    g_x = jax.grad(lambda v: squared_error(out(v)))(jnp.asarray(x))
    np.testing.assert_allclose(grads.hidden[0], np.linalg.norm(g_x), rtol=1e-12)
    g_w = jax.grad(lambda w: squared_error(chain_output(w, "tanh")(jnp.asarray(x))))(jnp.asarray(weights))
    np.testing.assert_allclose(grads.weights, np.linalg.norm(g_w, axis=(1, 2)), rtol=1e-12)


def test_weight_factories():
    g = dc.gaussian_weights(0, 200, 5, gain=2.0)
    assert g.shape == (5, 200, 200)
    np.testing.assert_allclose(np.mean(g**2), 4.0 / 200, rtol=0.01)  # 200 000 draws: sd 0.3 %
    np.testing.assert_array_equal(g, dc.gaussian_weights(0, 200, 5, gain=2.0))  # seeded
    q = dc.orthogonal_weights(0, 7, 3, scale=0.5)
    np.testing.assert_allclose(np.einsum("lji,ljk->lik", q, q), 0.25 * np.stack([np.eye(7)] * 3), atol=1e-14)
    assert not np.allclose(q[0], q[1])
    tied = dc.orthogonal_weights(0, 7, 3, scale=0.5, tied=True)
    np.testing.assert_array_equal(tied[0], tied[2])


@pytest.mark.parametrize("call, error, match", [
    (lambda: dc.chain_forward(np.ones((2, 3)), np.ones(3)), ValueError, "weights"),
    (lambda: dc.chain_forward(np.ones((2, 3, 4)), np.ones(3)), ValueError, "weights"),
    (lambda: dc.chain_forward(np.ones((2, 3, 3)), np.ones(4)), ValueError, "x must have shape"),
    (lambda: dc.chain_forward(np.full((1, 2, 2), np.nan), np.ones(2)), ValueError, "weights"),
    (lambda: dc.chain_forward(np.ones((1, 2, 2)), np.array([np.inf, 0])), ValueError, "x"),
    (lambda: dc.chain_forward(np.ones((1, 2, 2)), np.ones(2), "sigmoid"), ValueError, "activation"),
    (lambda: dc.chain_jacobian(np.ones((1, 2, 2)), np.ones(2), None), TypeError, "activation"),
    (lambda: dc.layer_gradient_norms(np.ones((1, 2, 2)), np.ones(2), loss=lambda h: h), ValueError,
     "scalar"),
    (lambda: dc.layer_gradient_norms(np.ones((1, 2, 2)), np.ones(2), loss="mse"), TypeError, "loss"),
    (lambda: dc.gaussian_weights(0, 0, 3), ValueError, "width"),
    (lambda: dc.gaussian_weights(0, 3, 3, gain=-1.0), ValueError, "gain"),
    (lambda: dc.gaussian_weights(1.5, 3, 3), TypeError, "seed"),
    (lambda: dc.orthogonal_weights(0, 3, 0), ValueError, "depth"),
    (lambda: dc.orthogonal_weights(0, 3, 2, tied="yes"), TypeError, "tied"),
])
def test_validation(call, error, match):
    with pytest.raises(error, match=match):
        call()
