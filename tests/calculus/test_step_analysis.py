"""lib.calculus.step_analysis: a gradient step's change of the loss and of the gradient norm."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lib
from lib.calculus import step_analysis

RNG = np.random.default_rng(5)


def test_exact_on_a_quadratic():
    m = RNG.normal(size=(4, 4))
    H = m @ m.T + np.eye(4)
    theta = RNG.normal(size=4)
    g = H @ theta
    lr = 0.07
    new = theta - lr * g
    d_loss, d_norm2 = step_analysis.gd_step_changes(g, H @ g, lr)
    assert d_loss == pytest.approx(0.5 * new @ H @ new - 0.5 * theta @ H @ theta, rel=1e-12)
    assert d_norm2 == pytest.approx(np.sum((H @ new) ** 2) - g @ g, rel=1e-12)


def test_orders_of_accuracy_on_a_smooth_loss():
    """ΔL is right to O(α³), Δ‖g‖² to O(α²): halving α divides the errors by about 8 and 4."""
    def loss(w):
        return jnp.sum(jnp.log(jnp.cosh(w))) + 0.25 * jnp.sum(w ** 4)

    w = np.array([0.3, -0.7, 0.5])
    g = np.asarray(jax.grad(loss)(w))
    hg = lib.hvp(loss, w, g)
    errors = []
    for lr in (1e-2, 5e-3):
        d_loss, d_norm2 = step_analysis.gd_step_changes(g, hg, lr)
        new = w - lr * g
        true_loss = float(loss(new) - loss(w))
        true_norm2 = float(np.sum(np.asarray(jax.grad(loss)(new)) ** 2) - g @ g)
        errors.append((abs(d_loss - true_loss), abs(d_norm2 - true_norm2)))
    (loss_1, norm_1), (loss_2, norm_2) = errors
    assert 7 < loss_1 / loss_2 < 9 and 3.5 < norm_1 / norm_2 < 4.5


def test_quotients_decide_the_signs():
    H = np.diag([1.0, 0.01])
    g = np.array([1.0, 1.0])
    q1, q2 = step_analysis.curvature_quotients(g, H @ g)
    assert q1 == pytest.approx(1.01 / 2)
    assert q2 == pytest.approx(1.0001 / 1.01)
    lr = 2.05                                # q1 < 2/α < q2: the loss falls, ‖g‖ rises
    d_loss, d_norm2 = step_analysis.gd_step_changes(g, H @ g, lr)
    assert q1 < 2 / lr < q2 and d_loss < 0 and d_norm2 > 0


@pytest.mark.parametrize("call, error, name", [
    (lambda: step_analysis.gd_step_changes([1.0, 2.0], [1.0], 0.1), ValueError, "g and hg"),
    (lambda: step_analysis.gd_step_changes([1.0], [1.0], 0.0), ValueError, "lr"),
    (lambda: step_analysis.gd_step_changes(["a"], [1.0], 0.1), TypeError, "g"),
    (lambda: step_analysis.curvature_quotients([0.0], [0.0]), ValueError, "g"),
    (lambda: step_analysis.curvature_quotients([1.0], [-1.0]), ValueError, "gᵀHg"),
])
def test_bad_arguments_are_named(call, error, name):
    with pytest.raises(error, match=name):
        call()
