"""Mini-batch runs of lib.optimize (SGD): equivalences with gradient descent, epochs, gradient statistics."""

import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import lib
from lib.calculus import gradient_noise
from lib.optim import minibatch, schedules

RNG = np.random.default_rng(3)
X = RNG.normal(size=(24, 3))
T = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * RNG.normal(size=24)


def mse(w, x, t):
    """Mean of ½ (x·w − t)² over the examples given: a mean loss, as sgd requires."""
    return 0.5 * jnp.mean((x @ w - t) ** 2)


def logistic(w, x, t):
    z = x @ w
    return jnp.mean(jnp.logaddexp(0.0, z) - (t > 0) * z)


W0 = np.array([0.5, 0.5, -1.0])


def sgd(f, x0, *data, lr, batch_size, momentum=0.0, nesterov=False, **options):
    """Mini-batch SGD with momentum, at a constant rate or on a schedule, as one lib.optimize run."""
    rule = lib.momentum(nesterov)
    if isinstance(lr, schedules.Schedule):
        rule, hyper = lib.scheduled(rule, lr), {"schedule": lr, "momentum": momentum}
    else:
        hyper = {"lr": lr, "momentum": momentum}
    return lib.optimize(rule, f, x0, *data, hyper=hyper, batch_size=batch_size, name="sgd", **options)


@pytest.mark.parametrize("momentum", [0.0, 0.7])
def test_full_batch_without_shuffling_is_gradient_descent(momentum):
    run = sgd(logistic, W0, X, T, lr=0.3, batch_size=len(X), epochs=40, shuffle=False,
                         momentum=momentum, eval_every=1)
    gd = lib.descend(logistic, W0, X, T, lr=0.3, momentum=momentum, steps=40)
    np.testing.assert_allclose(run.points, gd.points, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.losses, gd.losses, rtol=1e-12)
    np.testing.assert_allclose(run.batch_losses, gd.losses[:-1], rtol=1e-12)
    assert run.batches_per_epoch == 1 and run.steps.tolist() == list(range(41))


def test_each_epoch_visits_every_example_exactly_once():
    for n, s in [(24, 5), (24, 1)]:
        index, mask = minibatch.batch_indices(n, s, epochs=3, key=11)
        per_epoch = -(-n // s)
        assert index.shape == (3 * per_epoch, s) and mask.shape == index.shape
        epochs = []
        for e in range(3):
            rows, weights = index[e * per_epoch:(e + 1) * per_epoch], mask[e * per_epoch:(e + 1) * per_epoch]
            visited = rows[weights > 0]
            np.testing.assert_array_equal(np.sort(visited), np.arange(n))
            assert weights.sum() == n
            epochs.append(visited)
        assert not np.array_equal(epochs[0], epochs[1])  # a fresh order every epoch
    unshuffled, mask = minibatch.batch_indices(24, 5, epochs=3, shuffle=False)
    np.testing.assert_array_equal(unshuffled[:5][mask[:5] > 0], np.arange(24))
    np.testing.assert_array_equal(unshuffled[5:10], unshuffled[:5])


# Runs below share two compiled configurations (S = 5, 4 epochs, a record every 3 steps): one with
# a constant rate, one with a step-decay schedule, so the whole file compiles few times.
SHARED = dict(batch_size=5, epochs=4, eval_every=3)


def test_sgd_matches_a_plain_loop_over_its_batches():
    """Step for step against numpy updates on the same batches (S = 5 does not divide N = 24)."""
    lr = schedules.step_decay(0.2, every=7, factor=0.5)
    run = sgd(mse, W0, X, T, lr=lr, key=4, momentum=0.5, **SHARED)
    index, mask = minibatch.batch_indices(24, 5, epochs=4, key=4)
    w, p = W0.copy(), np.zeros(3)
    for k, (rows, weights) in enumerate(zip(index, mask)):
        rows = rows[weights > 0]
        xb, tb = X[rows], T[rows]
        assert run.batch_losses[k] == pytest.approx(0.5 * np.mean((xb @ w - tb) ** 2), rel=1e-12)
        grad = xb.T @ (xb @ w - tb) / len(rows)
        p = 0.5 * p - 0.2 * 0.5 ** (k // 7) * grad
        w = w + p
        if (k + 1) in run.steps:
            r = int(np.flatnonzero(run.steps == k + 1)[0])
            assert run.losses[r] == pytest.approx(0.5 * np.mean((X @ w - T) ** 2), rel=1e-12)
    np.testing.assert_allclose(run.params, w, rtol=1e-12)
    assert run.examples[-1] == 4 * 24 and run.steps[-1] == len(index) == 20


def test_records_and_examples_processed():
    run = sgd(mse, W0, X, T, lr=0.05, **SHARED)
    assert run.batches_per_epoch == 5
    assert run.steps.tolist() == [0, 3, 6, 9, 12, 15, 18, 20]
    assert run.examples.tolist() == [0, 15, 24 + 5, 24 + 20, 48 + 10, 72, 72 + 15, 96]
    np.testing.assert_array_equal(minibatch.examples_processed(run.steps, 24, 5), run.examples)
    assert run.losses[0] == pytest.approx(float(mse(W0, X, T)))
    assert run.grad_norms[0] == pytest.approx(np.linalg.norm(lib.gradient(mse, W0, X, T)))
    assert run.batch_losses.shape == (20,) and run.points.shape == (8, 3)
    assert isinstance(run, lib.MinibatchTrajectory) and run.records is None
    np.testing.assert_array_equal(run.points[-1], run.params)
    assert run.losses[-1] < run.losses[0]


def test_new_values_do_not_recompile():
    sgd(mse, W0, X, T, lr=0.1, **SHARED)
    sgd(mse, W0, X, T, lr=schedules.step_decay(0.1, 3), **SHARED)
    before = lib.trace_count("sgd")
    sgd(mse, -W0, X[::-1], T[::-1], lr=0.3, momentum=0.9, key=5, shuffle=False, **SHARED)
    sgd(mse, W0, X, T, lr=schedules.step_decay(0.4, 5, 0.2), **SHARED)
    assert lib.trace_count("sgd") == before


def test_divergence_is_flagged_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = sgd(mse, W0, X * 10, T, lr=5.0, **SHARED)
    assert run.diverged and run.diverged_at is not None
    dead_record = np.searchsorted(run.steps, run.diverged_at)
    assert np.all(np.isnan(run.losses[dead_record:])) and np.isfinite(run.losses[0])
    assert np.all(np.isnan(run.batch_losses[run.diverged_at:]))
    assert np.all(np.isfinite(run.params))  # frozen at the last healthy iterate


def test_mean_of_per_example_gradients_is_the_full_gradient():
    g = gradient_noise.per_example_gradients(logistic, W0, X, T)
    assert g.shape == (24, 3)
    np.testing.assert_allclose(g.mean(axis=0), lib.gradient(logistic, W0, X, T), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(g[7], lib.gradient(logistic, W0, X[7:8], T[7:8]), rtol=1e-13)


def test_pytree_parameters_and_per_example_gradients():
    params = {"w": jnp.asarray(W0), "b": jnp.array(0.1)}
    f = lambda p, x, t: mse(p["w"], x, t - p["b"])  # noqa: E731
    g = gradient_noise.per_example_gradients(f, params, X, T)
    assert g.shape == (24, 4)
    run = sgd(f, params, X, T, lr=0.1, batch_size=8, epochs=3)
    assert set(run.params) == {"w", "b"} and run.params["w"].shape == (3,)


def test_minibatch_mean_is_unbiased():
    g = gradient_noise.per_example_gradients(logistic, W0, X, T)
    full = g.mean(axis=0)
    samples = gradient_noise.minibatch_gradients(g, 4, samples=20000, key=2)
    spread = np.sqrt(gradient_noise.minibatch_variance(g, 4) / 20000)
    assert np.linalg.norm(samples.mean(axis=0) - full) < 5 * spread
    # each sample is the mean of 4 distinct rows of g: 4·ĝ is a sum of 4 rows
    assert np.all(np.abs(samples).max(axis=1) <= np.abs(g).max() + 1e-12)


@pytest.mark.parametrize("replace", [False, True])
def test_variance_falls_as_one_over_s_with_the_finite_population_correction(replace):
    g = gradient_noise.per_example_gradients(logistic, W0, X, T)
    n = len(g)
    sigma2 = np.mean(np.sum((g - g.mean(axis=0)) ** 2, axis=1))
    for s in (1, 3, 8, 16, 20, 24):
        exact = gradient_noise.minibatch_variance(g, s, replace=replace)
        assert exact == pytest.approx(sigma2 / s * (1.0 if replace else (n - s) / (n - 1)), rel=1e-12)
        samples = gradient_noise.minibatch_gradients(g, s, samples=20000, key=s, replace=replace)
        measured = np.mean(np.sum((samples - g.mean(axis=0)) ** 2, axis=1))
        if not replace and s == n:
            assert measured < 1e-25 and exact == 0.0
        else:
            assert measured == pytest.approx(exact, rel=0.06)
    # At S = 20 of 24 the correction is 4/23: far from plain σ²/S, and the measurement sees it.
    if not replace:
        samples = gradient_noise.minibatch_gradients(g, 20, samples=20000, key=0)
        measured = np.mean(np.sum((samples - g.mean(axis=0)) ** 2, axis=1))
        assert measured < 0.3 * sigma2 / 20


@pytest.mark.parametrize("replace", [False, True])
def test_measured_variance_by_sequences_matches_the_formulas(replace):
    g = gradient_noise.per_example_gradients(logistic, W0, X, T)
    sizes = [1, 2, 4, 8, 16]
    measured = gradient_noise.measured_minibatch_variance(g, sizes, sequences=4000, key=7, replace=replace)
    exact = [gradient_noise.minibatch_variance(g, s, replace=replace) for s in sizes]
    np.testing.assert_allclose(measured, exact, rtol=0.06)
    # the order of batch_sizes is kept
    again = gradient_noise.measured_minibatch_variance(g, sizes[::-1], sequences=4000, key=7, replace=replace)
    np.testing.assert_allclose(again, measured[::-1], rtol=1e-12)


@pytest.mark.parametrize("call, match, error", [
    (lambda: sgd(mse, W0, X, T, lr=0.1, batch_size=25), "batch_size", ValueError),
    (lambda: sgd(mse, W0, X, T, lr=0.1, batch_size=0), "batch_size", ValueError),
    (lambda: sgd(mse, W0, X, T, lr=0.1, batch_size=2.0), "batch_size", TypeError),
    (lambda: sgd(mse, W0, X, T[:5], lr=0.1, batch_size=2), "same number", ValueError),
    (lambda: sgd(mse, W0, lr=0.1, batch_size=2), "args must contain at least one array", ValueError),
    (lambda: sgd(mse, W0, X, T, lr=-0.1, batch_size=2), "lr", ValueError),
    (lambda: sgd(mse, W0, X, T, lr=lambda k: 0.1, batch_size=2), "lr", TypeError),
    (lambda: sgd(mse, W0, X, T, lr=0.1, batch_size=2, epochs=0), "epochs", ValueError),
    (lambda: sgd(mse, W0, X, T, lr=0.1, batch_size=2, momentum=1.5), "momentum", ValueError),
    (lambda: sgd(mse, W0, X, T, lr=0.1, batch_size=2, shuffle=1), "shuffle", TypeError),
    (lambda: sgd(mse, W0, X, T, lr=0.1, batch_size=2, key=1.5), "key", TypeError),
    (lambda: sgd(mse, W0, X, T, lr=0.1, batch_size=2, eval_every=0), "eval_every", ValueError),
    (lambda: sgd(lambda w, x, t: x @ w, W0, X, T, lr=0.1, batch_size=2), "scalar", ValueError),
    (lambda: sgd(mse, np.ones(2), X, T, lr=0.1, batch_size=2), "x0", ValueError),
    (lambda: sgd(mse, W0, np.where(X > 1, np.nan, X), T, lr=0.1, batch_size=2), r"args\[0\] contains",
     ValueError),
    (lambda: gradient_noise.minibatch_variance(np.ones(3), 1), "per_example", ValueError),
    (lambda: gradient_noise.minibatch_variance(np.ones((4, 2)), 5), "batch_size", ValueError),
    (lambda: gradient_noise.minibatch_gradients(np.ones((4, 2)), 2, samples=0), "samples", ValueError),
    (lambda: minibatch.batch_indices(5, 6), "batch_size", ValueError),
    (lambda: gradient_noise.measured_minibatch_variance(np.ones((8, 2)), [2, 3]), "divide", ValueError),
    (lambda: gradient_noise.measured_minibatch_variance(np.ones((8, 2)), []), "batch_sizes", ValueError),
    (lambda: gradient_noise.measured_minibatch_variance(np.ones((8, 2)), 4), "batch_sizes", TypeError),
    (lambda: gradient_noise.measured_minibatch_variance(np.ones((8, 2)), [9]), "batch_size", ValueError),
])
def test_validation(call, match, error):
    with pytest.raises(error, match=match):
        call()
