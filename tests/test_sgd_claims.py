"""Claims of the chapter "Stochastic gradient descent", checked through lib."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from jax.flatten_util import ravel_pytree

import lib
from lib import datasets, networks, schedules, stochastic

WEIGHT_DECAY = 1e-2


def loss(params, x, y):
    return networks.cross_entropy_loss(params, x, y) + 0.5 * WEIGHT_DECAY * jnp.sum(params[0]["w"] ** 2)


PARAMS0 = [{"w": np.zeros((64, 10)), "b": np.zeros(10)}]


@pytest.fixture(scope="module")
def data():
    digits = datasets.digits()
    x, y = digits.train
    flat0, unravel = ravel_pytree(PARAMS0)
    value_and_grad = jax.jit(jax.value_and_grad(lambda v: loss(unravel(v), x, y)))
    best = scipy.optimize.minimize(lambda v: tuple(np.asarray(a, dtype=float) for a in value_and_grad(v)),
                                   np.zeros(flat0.size), jac=True, method="L-BFGS-B",
                                   options=dict(maxiter=5000, gtol=1e-10, ftol=1e-15))
    return digits, x, y, float(best.fun)


def test_mean_of_per_example_gradients_is_the_full_gradient(data):
    _, x, y, _ = data
    theta = [{"w": np.full((64, 10), 0.01), "b": np.linspace(-1, 1, 10)}]
    per_example = stochastic.per_example_gradients(loss, theta, x, y)
    np.testing.assert_allclose(per_example.mean(axis=0), lib.gradient(loss, theta, x, y), atol=1e-15)


def test_variance_falls_as_one_over_s_with_the_finite_population_correction(data):
    _, x, y, _ = data
    per_example = stochastic.per_example_gradients(loss, PARAMS0, x, y)
    n, sizes = len(y), 2 ** np.arange(11)
    sigma2 = stochastic.minibatch_variance(per_example, 1, replace=True)
    measured = stochastic.measured_minibatch_variance(per_example, sizes, sequences=64, key=3)
    np.testing.assert_allclose(measured, sigma2 / sizes * (n - sizes) / (n - 1), rtol=0.05)
    assert measured[-1] < 0.3 * sigma2 / 1024  # far below the uncorrected 1/S law at S = 1024
    # (sampling with replacement, which follows sigma2 / S, is tested in test_stochastic.py)


def test_small_batches_make_more_progress_per_example(data):
    _, x, y, loss_star = data
    # (configurations shared with the tests below, so that they compile once)
    full = stochastic.sgd(loss, PARAMS0, x, y, lr=1.0, batch_size=len(y), epochs=5, shuffle=False)
    mini = stochastic.sgd(loss, PARAMS0, x, y, lr=0.3, batch_size=32, epochs=10, key=0, eval_every=43)
    assert full.examples[1] == mini.examples[1] == len(y)
    assert mini.losses[1] - loss_star < 0.2 * (full.losses[1] - loss_star)


def test_full_batch_does_not_care_about_order(data):
    digits, x, y, _ = data
    ordered = datasets.sort_by_label(digits)
    a = stochastic.sgd(loss, PARAMS0, x, y, lr=0.5, batch_size=len(y), epochs=5, shuffle=False)
    b = stochastic.sgd(loss, PARAMS0, *ordered.train, lr=0.5, batch_size=len(y), epochs=5, shuffle=False)
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-12)


def test_sorted_data_without_shuffling_ends_worse(data):
    digits, x, y, loss_star = data
    ordered = datasets.sort_by_label(digits)
    kwargs = dict(lr=0.3, batch_size=32, epochs=10, eval_every=43)
    shuffled = stochastic.sgd(loss, PARAMS0, x, y, key=0, **kwargs)
    unshuffled = stochastic.sgd(loss, PARAMS0, *ordered.train, shuffle=False, **kwargs)
    assert unshuffled.losses[-1] - loss_star > 3 * (shuffled.losses[-1] - loss_star)


def test_decaying_early_wins_at_first_and_loses_later(data):
    _, x, y, loss_star = data
    per_epoch = -(-len(y) // 4)
    excess = {}
    for name, epoch in [("early", 2), ("late", 10), ("constant", 21)]:
        schedule = schedules.piecewise_constant(0.1, boundaries=[epoch * per_epoch], factor=0.1)
        run = stochastic.sgd(loss, PARAMS0, x, y, lr=schedule, batch_size=4, epochs=20, key=2,
                             eval_every=per_epoch)
        excess[name] = run.losses - loss_star  # one record per epoch
    assert excess["early"][3] < 0.8 * excess["late"][3]          # lower right after the drop ...
    assert excess["late"][20] < 0.5 * excess["early"][20]        # ... but worse at the end
    assert excess["late"][10] / excess["late"][11] > 2           # the late drop: a sudden fall
    assert excess["late"][11] < excess["constant"][:11].min()    # below anything the constant rate reached
