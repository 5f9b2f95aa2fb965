"""lib.calculus.minimize: the reference minimum E* by L-BFGS, against closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib.calculus import minimize
from lib.models import regression


def test_least_squares_minimum_is_the_normal_equations_solution():
    rng = np.random.default_rng(0)
    X = regression.add_bias(rng.normal(size=(60, 4)) * [1.0, 3.0, 0.2, 10.0])  # badly scaled on purpose
    t = X @ np.array([1.0, -2.0, 0.5, 0.1, 3.0]) + 0.1 * rng.normal(size=60)
    w_star = regression.least_squares_solution(X, t)
    best = minimize.lbfgs_minimum(regression.least_squares, np.zeros(5), X, t)
    assert best.converged and best.gradient_norm < 1e-9
    assert best.loss == pytest.approx(float(regression.least_squares(w_star, X, t)), rel=1e-12)
    np.testing.assert_allclose(best.x, w_star, rtol=1e-6, atol=1e-8)


def test_pytree_start_gives_a_pytree_minimizer_of_a_regularized_classifier():
    """Softmax regression with weight decay (as in the SGD chapter): at E* the gradient vanishes."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 5)), np.arange(40) % 3
    decay = 0.1

    def loss(params, x, y):
        logits = x @ params["w"] + params["b"]
        nll = -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(len(y)), y])
        return nll + 0.5 * decay * jnp.sum(params["w"] ** 2)

    start = {"w": np.zeros((5, 3)), "b": np.zeros(3)}
    best = minimize.lbfgs_minimum(loss, start, x, y)
    assert jax.tree_util.tree_structure(best.x) == jax.tree_util.tree_structure(start)
    assert best.x["w"].shape == (5, 3)
    grad = jax.grad(loss)(best.x, x, y)
    assert best.converged
    assert max(float(jnp.abs(g).max()) for g in jax.tree_util.tree_leaves(grad)) < 1e-8
    assert best.loss == pytest.approx(float(loss(best.x, x, y)), rel=1e-14)
    assert best.loss < float(loss(start, x, y))


def test_stopping_early_is_reported():
    best = minimize.lbfgs_minimum(lambda w: jnp.sum((w - jnp.arange(6.0)) ** 4), np.zeros(6), max_iter=2)
    assert not best.converged and best.iterations <= 2 and best.gradient_norm > 1e-3


@pytest.mark.parametrize("call, error, name", [
    (lambda: minimize.lbfgs_minimum("loss", np.zeros(2)), TypeError, "f"),
    (lambda: minimize.lbfgs_minimum(lambda w: w @ w, np.array([np.nan, 1.0])), ValueError, "x0"),
    (lambda: minimize.lbfgs_minimum(lambda w, c: w @ c, np.zeros(2), np.array([1.0, np.inf])),
     ValueError, "args"),
    (lambda: minimize.lbfgs_minimum(lambda w: w, np.zeros(2)), ValueError, "scalar"),
    (lambda: minimize.lbfgs_minimum(lambda w: w @ w, np.zeros(2), gtol=0.0), ValueError, "gtol"),
    (lambda: minimize.lbfgs_minimum(lambda w: w @ w, np.zeros(2), max_iter=10**9), ValueError, "max_iter"),
    (lambda: minimize.lbfgs_minimum(lambda w: w @ w, np.zeros(2), max_iter=2.5), TypeError, "max_iter"),
])
def test_bad_arguments_are_named(call, error, name):
    with pytest.raises(error, match=name):
        call()
