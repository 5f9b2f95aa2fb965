"""lib.models.normalization: batch norm's forward pass and its hand-derived gradient."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lib  # noqa: F401  (float64)
from lib.models import networks, normalization


def _batch(seed=0, n=7, d=3):
    rng = np.random.default_rng(seed)
    z = rng.normal(2.0, 3.0, size=(n, d))
    gamma = rng.uniform(0.5, 2.0, d)
    beta = rng.normal(size=d)
    return z, gamma, beta


def test_forward_has_mean_beta_and_std_gamma():
    z, gamma, beta = _batch()
    y = normalization.batch_norm(z, gamma, beta, eps=1e-12)
    np.testing.assert_allclose(y.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), gamma, rtol=1e-9)
    # invariant to shifting and rescaling a unit's pre-activations
    shifted = normalization.batch_norm(5.0 * z - 3.0, gamma, beta, eps=1e-12)
    np.testing.assert_allclose(shifted, y, atol=1e-9)


def test_hand_gradient_matches_autodiff():
    z, gamma, beta = _batch(1)
    upstream = np.random.default_rng(2).normal(size=z.shape)
    eps = 1e-3
    _, vjp = jax.vjp(lambda a, b, c: normalization._batch_norm(a, b, c, eps),
                     jnp.asarray(z), jnp.asarray(gamma), jnp.asarray(beta))
    expected = vjp(jnp.asarray(upstream))
    for by_hand, by_jax in zip(normalization.batch_norm_backward(z, gamma, upstream, eps=eps), expected):
        np.testing.assert_allclose(by_hand, by_jax, rtol=1e-11, atol=1e-13)


def test_hand_gradient_matches_finite_differences():
    z, gamma, beta = _batch(3, n=5, d=2)
    upstream = np.random.default_rng(4).normal(size=z.shape)
    dz, dgamma, dbeta = normalization.batch_norm_backward(z, gamma, upstream)

    def scalar(zz, gg, bb):
        return float(np.sum(upstream * normalization.batch_norm(zz, gg, bb)))

    h = 1e-6
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            e = np.zeros_like(z)
            e[i, j] = h
            fd = (scalar(z + e, gamma, beta) - scalar(z - e, gamma, beta)) / (2 * h)
            assert abs(fd - dz[i, j]) < 1e-7
    for j in range(z.shape[1]):
        e = np.zeros_like(gamma)
        e[j] = h
        assert abs((scalar(z, gamma + e, beta) - scalar(z, gamma - e, beta)) / (2 * h) - dgamma[j]) < 1e-7
        assert abs((scalar(z, gamma, beta + e) - scalar(z, gamma, beta - e)) / (2 * h) - dbeta[j]) < 1e-7


def test_gradient_is_orthogonal_to_shift_and_scale():
    z, gamma, _ = _batch(5)
    upstream = np.random.default_rng(6).normal(size=z.shape)
    dz, _, _ = normalization.batch_norm_backward(z, gamma, upstream, eps=1e-12)
    z_hat = (z - z.mean(axis=0)) / z.std(axis=0)
    np.testing.assert_allclose(dz.sum(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose((dz * z_hat).sum(axis=0), 0.0, atol=1e-10)


def test_network_with_identity_statistics_matches_plain_network():
    """With gamma, beta set to undo the normalization, the BN network equals the plain MLP."""
    x = np.random.default_rng(7).normal(size=(20, 4))
    sizes = [4, 5, 3]
    plain = networks.init_mlp(0, sizes)
    bn = normalization.init_mlp_bn(0, sizes)
    z = x @ np.asarray(plain[0]["w"]) + np.asarray(plain[0]["b"])
    eps = 1e-5
    bn[0]["gamma"] = jnp.sqrt(jnp.asarray(z.var(axis=0)) + eps)
    bn[0]["beta"] = jnp.asarray(z.mean(axis=0))
    np.testing.assert_allclose(normalization.mlp_bn_apply(bn, x), networks.mlp_apply(plain, x), rtol=1e-10)
    y = np.arange(20) % 3
    np.testing.assert_allclose(normalization.cross_entropy_loss_bn(bn, x, y),
                               networks.cross_entropy_loss(plain, x, y), rtol=1e-10)
    # the hidden bias is removed by the mean subtraction: its gradient is zero
    g = jax.grad(normalization.cross_entropy_loss_bn)(bn, x, y)
    np.testing.assert_allclose(g[0]["b"], 0.0, atol=1e-12)


@pytest.mark.parametrize("kwargs, error", [
    (dict(z=np.ones(3)), ValueError),
    (dict(z=np.ones((1, 3))), ValueError),
    (dict(gamma=np.ones(2)), ValueError),
    (dict(eps=0.0), ValueError),
    (dict(z=np.full((3, 3), np.nan)), ValueError),
    (dict(beta="x"), TypeError),
])
def test_bad_input_is_named(kwargs, error):
    args = dict(z=np.ones((4, 3)) * np.arange(4)[:, None], gamma=np.ones(3), beta=np.zeros(3), eps=1e-5)
    args.update(kwargs)
    name = next(iter(kwargs))
    with pytest.raises(error, match=name):
        normalization.batch_norm(**args)
