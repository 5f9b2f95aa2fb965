"""The MLP helpers against closed forms computed with numpy."""

import jax
import numpy as np
import pytest

import lib
from lib.models import networks


def _data(n=7, d=3, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, classes, size=n)


def test_shapes_and_parameter_count():
    sizes = [3, 5, 2, 4]
    params = networks.init_mlp(1, sizes)
    assert [(p["w"].shape, p["b"].shape) for p in params] == [((3, 5), (5,)), ((5, 2), (2,)),
                                                              ((2, 4), (4,))]
    assert networks.count_parameters(params) == networks.mlp_size(sizes) == 3 * 5 + 5 + 5 * 2 + 2 + 2 * 4 + 4
    assert all(leaf.dtype == np.float64 for leaf in jax.tree_util.tree_leaves(params))


def test_init_scale_is_lecun_normal():
    params = networks.init_mlp(0, [400, 300])
    w = np.asarray(params[0]["w"])
    assert abs(w.std() * np.sqrt(400) - 1) < 0.02
    assert abs(w.mean()) < 0.01 / np.sqrt(400) * 10
    np.testing.assert_array_equal(params[0]["b"], 0.0)


def test_same_seed_same_parameters_and_key_accepted():
    a = lib.flatten(networks.init_mlp(3, [4, 3, 2]))
    b = lib.flatten(networks.init_mlp(jax.random.PRNGKey(3), [4, 3, 2]))
    c = lib.flatten(networks.init_mlp(4, [4, 3, 2]))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_forward_pass_matches_numpy():
    x, _ = _data()
    params = networks.init_mlp(2, [3, 5, 4])
    w1, b1 = np.asarray(params[0]["w"]), np.asarray(params[0]["b"]) + 0.1
    params[0]["b"] = params[0]["b"] + 0.1
    w2, b2 = np.asarray(params[1]["w"]), np.asarray(params[1]["b"])
    expected = np.tanh(x @ w1 + b1) @ w2 + b2
    np.testing.assert_allclose(networks.mlp_apply(params, x), expected, rtol=1e-13)


def test_cross_entropy_matches_log_softmax_and_its_gradient():
    x, y = _data()
    params = networks.init_mlp(5, [3, 6, 4])
    logits = np.asarray(networks.mlp_apply(params, x))
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -log_p[np.arange(len(y)), y].mean()
    assert float(networks.cross_entropy_loss(params, x, y)) == pytest.approx(expected, rel=1e-13)
    # dL/db_last = mean(softmax - onehot): the classic closed form.
    grad = jax.grad(networks.cross_entropy_loss)(params, x, y)
    expected_grad = (np.exp(log_p) - np.eye(4)[y]).mean(axis=0)
    np.testing.assert_allclose(grad[-1]["b"], expected_grad, atol=1e-14)


def test_squared_loss_closed_form_and_hessian_of_linear_model():
    x, _ = _data(n=9, d=3)
    t = np.random.default_rng(1).normal(size=9)
    params = networks.init_mlp(0, [3, 1])  # affine model: the loss is quadratic
    pred = x @ np.asarray(params[0]["w"])[:, 0]
    assert float(networks.squared_loss(params, x, t)) == pytest.approx(0.5 * np.mean((pred - t) ** 2))
    design = np.hstack([np.ones((9, 1)), x])  # ravel order sorts dict keys: b, then w
    np.testing.assert_allclose(lib.hessian(networks.squared_loss, params, x, t),
                               design.T @ design / 9, atol=1e-13)


@pytest.mark.parametrize("sizes, error", [([3], ValueError), ([3, 0], ValueError),
                                          ([3, 2.5], TypeError), (3, TypeError)])
def test_bad_sizes(sizes, error):
    with pytest.raises(error, match="sizes"):
        networks.init_mlp(0, sizes)


@pytest.mark.parametrize("key", ["seed", 1.5, True, np.zeros(3)])
def test_bad_key(key):
    with pytest.raises(TypeError, match="key"):
        networks.init_mlp(key, [2, 2])
