"""Mini-batch runs of any rule (lib.optimize with batch_size=) against full-batch runs and by hand."""

from functools import partial

import jax.numpy as jnp
import numpy as np
import pytest

import lib
from lib.models import networks
from lib.optim import minibatch

RNG = np.random.default_rng(3)
X = RNG.normal(size=(30, 3))
T = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * RNG.normal(size=30)
ADAM = {"lr": 0.05, "b1": 0.9, "b2": 0.999, "eps": 1e-8}


def least_squares(w, x, t):
    return 0.5 * jnp.mean((x @ w - t) ** 2)


@pytest.mark.parametrize("batch_size", [5, 7])   # 7 does not divide 30: a padded last batch
def test_momentum_on_minibatches_steps_by_the_mean_gradient_of_each_batch(batch_size):
    run = lib.optimize(lib.momentum(), least_squares, np.zeros(3), X, T, hyper={"lr": 0.05, "momentum": 0.5},
                       batch_size=batch_size, epochs=4, key=2, eval_every=1)
    index, mask = minibatch.batch_indices(30, batch_size, epochs=4, key=2)
    w, p = np.zeros(3), np.zeros(3)
    for k, (rows, weights) in enumerate(zip(index, mask)):
        xb, tb = X[rows[weights > 0]], T[rows[weights > 0]]
        assert run.batch_losses[k] == pytest.approx(float(least_squares(w, xb, tb)), rel=1e-12)
        p = 0.5 * p - 0.05 * xb.T @ (xb @ w - tb) / len(tb)
        w = w + p
        np.testing.assert_allclose(run.points[k + 1], w, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(run.steps, np.arange(len(index) + 1))


def test_full_batch_adam_matches_the_full_batch_driver():
    steps = 6
    ours = lib.optimize(lib.adam(), least_squares, np.zeros(3), X, T, hyper=ADAM, batch_size=30,
                        epochs=steps, shuffle=False, eval_every=1)
    full = lib.optimize(lib.adam(), least_squares, np.zeros(3), X, T, hyper=ADAM, steps=steps)
    np.testing.assert_allclose(ours.points, full.points, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.losses, full.losses, rtol=1e-12)


def test_records_and_final_parameters_have_the_shape_of_x0():
    params = networks.init_mlp(0, [3, 4, 2])
    labels = (X[:, 0] > 0).astype(np.int32)
    run = lib.optimize(lib.adam(), networks.cross_entropy_loss, params, X, labels, hyper=ADAM,
                       batch_size=10, epochs=3)
    assert run.points.shape == (4, networks.count_parameters(params))
    assert run.params[0]["w"].shape == (3, 4) and run.losses[-1] < run.losses[0]
    assert not run.diverged and run.batches_per_epoch == 3


def test_a_blow_up_is_flagged():
    run = lib.optimize(lib.momentum(), least_squares, np.zeros(3), X, T, hyper={"lr": 50.0, "momentum": 0.0},
                       batch_size=5, epochs=20)
    assert run.diverged and np.isnan(run.losses[-1])


def test_evaluate_points_is_the_loss_at_every_row():
    points = RNG.normal(size=(4, 3))
    values = minibatch.evaluate_points(least_squares, points, np.zeros(3), X, T)
    np.testing.assert_allclose(values, [least_squares(p, X, T) for p in points], rtol=1e-13)


def test_accuracy_counts_argmax_hits():
    logits = lambda params, x: x * params  # noqa: E731
    x = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert float(minibatch.accuracy(logits, 1.0, x, np.array([1, 0, 0]))) == pytest.approx(2 / 3)
    fn = partial(minibatch.accuracy, networks.mlp_apply)
    params = networks.init_mlp(1, [3, 2])
    flat = np.concatenate([np.ravel(params[0]["b"]), np.ravel(params[0]["w"])])
    expected = np.mean(np.argmax(X @ params[0]["w"] + params[0]["b"], axis=1) == (X[:, 0] > 0))
    value = minibatch.evaluate_points(fn, flat[None], params, X, (X[:, 0] > 0).astype(int))
    assert value[0] == pytest.approx(expected)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"rule": "adam"}, TypeError, "rule"),
    ({"hyper": {"lr": 0.1, "decay": 0.9}}, ValueError, "hyper"),
    ({"hyper": {"b1": 0.9}}, ValueError, "hyper"),
    ({"batch_size": 31}, ValueError, "batch_size"),
    ({"epochs": 0}, ValueError, "epochs"),
    ({"shuffle": 1}, TypeError, "shuffle"),
    ({"eval_every": 0}, ValueError, "eval_every"),
])
def test_bad_arguments_are_named(kwargs, error, name):
    arguments = dict(rule=lib.adam(), hyper=ADAM, batch_size=5, epochs=1)
    arguments.update(kwargs)
    rule = arguments.pop("rule")
    with pytest.raises(error, match=name):
        lib.optimize(rule, least_squares, np.zeros(3), X, T, **arguments)


def test_evaluate_points_checks_the_shape():
    with pytest.raises(ValueError, match="points"):
        minibatch.evaluate_points(least_squares, np.zeros((2, 4)), np.zeros(3), X, T)
    with pytest.raises(TypeError, match="fn"):
        minibatch.evaluate_points("loss", np.zeros((2, 3)), np.zeros(3), X, T)
