"""The adaptive rules (lib.adam, lib.rmsprop, lib.adagrad) against optax, closed-form steps, divergence."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lib

from .runs import run_rule, update

A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 0.1]])


def quadratic(x):
    return 0.5 * x @ A @ x + jnp.sum(jnp.sin(x))


def pytree_loss(p):
    return jnp.sum((p["w"] - 1.0) ** 2 * jnp.arange(1.0, 5.0).reshape(2, 2)) + jnp.cos(p["b"]) ** 2


@pytest.mark.parametrize("b1, b2, eps", [(0.9, 0.999, 1e-8), (0.5, 0.9, 1e-3), (0.0, 0.99, 1e-8)])
def test_step_rule_matches_optax_adam_step_for_step(b1, b2, eps):
    params = {"w": jnp.array([[0.3, -1.0], [2.0, 0.5]]), "b": jnp.array(0.7)}
    ours_params, ours_state = params, lib.adam().init(params)
    peer = optax.adam(0.05, b1=b1, b2=b2, eps=eps)
    peer_params, peer_state = params, peer.init(params)
    for _ in range(60):
        g = jax.grad(pytree_loss)(ours_params)
        step, ours_state = update(lib.adam(), g, ours_state, lr=0.05, b1=b1, b2=b2, eps=eps)
        ours_params = jax.tree_util.tree_map(lambda p, s: p + s, ours_params, step)
        g_peer = jax.grad(pytree_loss)(peer_params)
        updates, peer_state = peer.update(g_peer, peer_state)
        peer_params = optax.apply_updates(peer_params, updates)
        for a, b in zip(jax.tree_util.tree_leaves(ours_params), jax.tree_util.tree_leaves(peer_params)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert int(ours_state.count) == 60


def test_runner_matches_optax_loop():
    x0 = np.array([1.0, -2.0, 0.5])
    run = run_rule(lib.adam(), quadratic, x0, lr=0.1, steps=80, b1=0.8, b2=0.99, eps=1e-6)
    opt = optax.adam(0.1, b1=0.8, b2=0.99, eps=1e-6)
    x, state = jnp.asarray(x0), opt.init(jnp.asarray(x0))
    for k in range(80):
        np.testing.assert_allclose(run.points[k], x, rtol=1e-10, atol=1e-12)
        assert run.losses[k] == pytest.approx(float(quadratic(x)), rel=1e-10)
        updates, state = opt.update(jax.grad(quadratic)(x), state)
        x = optax.apply_updates(x, updates)
    np.testing.assert_allclose(run.points[80], x, rtol=1e-10)
    assert not run.diverged and run.diverged_at is None
    assert run.points.shape == (81, 3) and run.losses.shape == (81,)


def test_first_step_is_lr_times_sign():
    """m̂/√v̂ = g/|g| at t = 1 (up to ε): every coordinate moves by α, whatever the gradient's size."""
    run = run_rule(lib.adam(), lambda x: 0.5 * (x[0] ** 2 + 1e4 * x[1] ** 2), np.array([1.0, -1.0]),
                        lr=0.01, steps=1)
    np.testing.assert_allclose(run.points[1], [0.99, -0.99], rtol=1e-9)


def test_axis_aligned_progress_is_equalized_but_rotated_is_not():
    """The chapter's claim: on diag(1, κ) Adam moves both coordinates alike; rotated by 45° it does not."""
    kappa = 50.0
    rotation = np.array([[1.0, -1.0], [1.0, 1.0]]) / np.sqrt(2)

    def loss(w, q):
        z = q.T @ w  # coordinates in the eigenbasis: z[0] shallow (λ = 1), z[1] steep (λ = κ)
        return 0.5 * (z[0] ** 2 + kappa * z[1] ** 2)

    z0 = np.array([2.0, 1.0])
    remaining = {}
    for name, q in [("aligned", np.eye(2)), ("rotated", rotation)]:
        run = run_rule(lib.adam(), loss, q @ z0, q, lr=0.05, steps=60)
        z = run.points @ q  # eigen-coordinates along the run
        moved = np.abs(z0 - z[10])
        if name == "aligned":  # ten steps of ≈ α each, in both coordinates
            np.testing.assert_allclose(moved, [0.5, 0.5], rtol=0.05)
        else:  # the steep direction takes all the progress
            assert moved[0] < 0.05 * moved[1]
        remaining[name] = abs(z[60, 0]) / z0[0]
        gd = lib.descend(loss, q @ z0, q, lr=1.8 / kappa, steps=60)
        remaining["gd " + name] = abs((gd.points[60] @ q)[0]) / z0[0]
    assert remaining["aligned"] < 0.05 < remaining["gd aligned"] < 0.5 < remaining["rotated"]
    assert remaining["gd aligned"] == pytest.approx(remaining["gd rotated"], rel=1e-9)


def test_divergence_is_flagged_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = run_rule(lib.adam(), lambda x: jnp.sum(x**2), np.array([1.0, 1.0]), lr=1e9, steps=10)
        bad = run_rule(lib.adam(), lambda x: jnp.sqrt(x[0]) + x[1] ** 2, np.array([0.5, 1.0]), lr=1.0,
                       steps=10)
    assert run.diverged and run.diverged_at == 1
    assert np.all(np.isnan(run.points[1:])) and np.isfinite(run.losses[0])
    assert bad.diverged and np.isnan(bad.losses[bad.diverged_at])
    assert np.all(np.isfinite(bad.losses[: bad.diverged_at]))


def test_new_hyperparameters_do_not_recompile():
    f = lambda x: jnp.sum((x - 1.0) ** 2)  # noqa: E731
    run_rule(lib.adam(), f, np.zeros(2), lr=0.1, steps=7)
    before = lib.trace_count("adam")
    run_rule(lib.adam(), f, np.ones(2), lr=0.3, steps=7, b1=0.5, b2=0.9, eps=1e-5)
    assert lib.trace_count("adam") == before


@pytest.mark.parametrize("kwargs, match, error", [
    (dict(lr=0.0), "lr", ValueError),
    (dict(lr=0.1, b1=1.0), "b1", ValueError),
    (dict(lr=0.1, b2=-0.1), "b2", ValueError),
    (dict(lr=0.1, eps=0.0), "eps", ValueError),
    (dict(lr=0.1, steps=0), "steps", ValueError),
    (dict(lr="big"), "lr", TypeError),
])
def test_validation(kwargs, match, error):
    with pytest.raises(error, match=match):
        run_rule(lib.adam(), lambda x: jnp.sum(x**2), np.ones(2), **kwargs)


def test_validation_of_function_and_start():
    with pytest.raises(ValueError, match="scalar"):
        run_rule(lib.adam(), lambda x: x**2, np.ones(2), lr=0.1)
    with pytest.raises(TypeError, match="f"):
        run_rule(lib.adam(), "loss", np.ones(2), lr=0.1)
    with pytest.raises(ValueError, match="x0"):
        run_rule(lib.adam(), lambda x: jnp.sum(x**2), np.array([np.nan, 1.0]), lr=0.1)


# ------------------------------------------------------------------------------ RMSprop, AdaGrad

STEP_RULES = {"rmsprop": lib.rmsprop, "adagrad": lib.adagrad}


@pytest.mark.parametrize("name, hyper, peer", [
    ("rmsprop", dict(decay=0.9, eps=1e-8), lambda lr: optax.rmsprop(lr)),
    ("rmsprop", dict(decay=0.5, eps=1e-3), lambda lr: optax.rmsprop(lr, decay=0.5, eps=1e-3)),
    ("adagrad", dict(eps=1e-7, initial_accumulator=0.1), lambda lr: optax.adagrad(lr)),
    ("adagrad", dict(eps=1e-4, initial_accumulator=0.0),
     lambda lr: optax.adagrad(lr, initial_accumulator_value=0.0, eps=1e-4)),
])
def test_rmsprop_and_adagrad_steps_match_optax_on_a_pytree(name, hyper, peer):
    rule = STEP_RULES[name]()
    params = {"w": jnp.array([[0.3, -1.0], [2.0, 0.5]]), "b": jnp.array(0.7)}
    ours_params, ours_state = params, rule.init(params)
    transform = peer(0.05)
    peer_params, peer_state = params, transform.init(params)
    for _ in range(60):
        step, ours_state = update(rule, jax.grad(pytree_loss)(ours_params), ours_state, lr=0.05, **hyper)
        ours_params = jax.tree_util.tree_map(lambda p, s: p + s, ours_params, step)
        updates, peer_state = transform.update(jax.grad(pytree_loss)(peer_params), peer_state)
        peer_params = optax.apply_updates(peer_params, updates)
        for a, b in zip(jax.tree_util.tree_leaves(ours_params), jax.tree_util.tree_leaves(peer_params)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_rmsprop_first_step_and_adagrad_shrinking_steps():
    """RMSprop's first step is α/√(1−ρ) per coordinate; AdaGrad's steps on a constant gradient are α/√k."""
    run = run_rule(lib.rmsprop(), lambda x: 0.5 * (x[0] ** 2 + 1e4 * x[1] ** 2), np.array([1.0, -1.0]),
                           lr=0.01, decay=0.99, eps=1e-16, steps=1)
    np.testing.assert_allclose(run.points[1], [0.9, -0.9], rtol=1e-9)
    line = run_rule(lib.adagrad(), lambda x: 3.0 * x[0] - 4.0 * x[1], np.zeros(2), lr=0.5, eps=1e-16,
                            initial_accumulator=0.0, steps=50)
    k = np.arange(1, 51)
    steps = 0.5 * np.array([-1.0, 1.0]) / np.sqrt(k)[:, None]
    np.testing.assert_allclose(np.diff(line.points, axis=0), steps, rtol=1e-12)


def test_adagrad_with_a_zero_accumulator_does_not_move_a_coordinate_with_zero_gradient():
    step, state = update(lib.adagrad(), jnp.array([0.0, 2.0]), lib.adagrad().init(jnp.zeros(2)), lr=1.0,
                         eps=1e-7, initial_accumulator=0.0)
    assert float(step[0]) == 0.0 and float(step[1]) == pytest.approx(-1.0, rel=1e-7)


@pytest.mark.parametrize("name, kwargs", [("rmsprop", dict(decay=0.5, eps=1e-5)),
                                          ("adagrad", dict(eps=1e-5, initial_accumulator=3.0))])
def test_rmsprop_and_adagrad_new_hyperparameters_do_not_recompile(name, kwargs):
    rule = STEP_RULES[name]()
    f = lambda x: jnp.sum((x - 1.0) ** 2)  # noqa: E731
    first = run_rule(rule, f, np.zeros(2), lr=0.1, steps=7)
    before = (lib.trace_count(name), lib.trace_count("all"))
    second = run_rule(rule, f, np.ones(2) * 3, lr=0.3, steps=7, **kwargs)
    assert (lib.trace_count(name), lib.trace_count("all")) == before
    assert not np.allclose(first.points, second.points)


@pytest.mark.parametrize("name", sorted(STEP_RULES))
def test_rmsprop_and_adagrad_divergence_is_flagged_without_warnings(name):
    rule = STEP_RULES[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = run_rule(rule, lambda x: jnp.sum(x**2), np.array([1.0, 1.0]), lr=1e9, steps=10)
        bad = run_rule(rule, lambda x: jnp.sqrt(x[0]) + x[1] ** 2, np.array([0.5, 1.0]), lr=1.0, steps=10)
    assert big.diverged and big.diverged_at == 1 and np.all(np.isnan(big.points[1:]))
    assert bad.diverged and np.all(np.isfinite(bad.losses[: bad.diverged_at]))


@pytest.mark.parametrize("name, kwargs, match, error", [
    ("rmsprop", dict(lr=0.0), "lr", ValueError),
    ("rmsprop", dict(lr=0.1, decay=1.0), "decay", ValueError),
    ("rmsprop", dict(lr=0.1, decay="a"), "decay", TypeError),
    ("rmsprop", dict(lr=0.1, eps=0.0), "eps", ValueError),
    ("rmsprop", dict(lr=0.1, steps=0), "steps", ValueError),
    ("adagrad", dict(lr=-1.0), "lr", ValueError),
    ("adagrad", dict(lr=0.1, eps=-1e-7), "eps", ValueError),
    ("adagrad", dict(lr=0.1, initial_accumulator=-0.1), "initial_accumulator", ValueError),
    ("adagrad", dict(lr=0.1, initial_accumulator=None), "initial_accumulator", TypeError),
    ("adagrad", dict(lr=0.1, max_norm=0.0), "max_norm", ValueError),
])
def test_rmsprop_and_adagrad_validation(name, kwargs, match, error):
    with pytest.raises(error, match=match):
        run_rule(STEP_RULES[name](), lambda x: jnp.sum(x**2), np.ones(2), **kwargs)


def test_newton_refuses_parameters_whose_hessian_cannot_fit_in_memory():
    with pytest.raises(ValueError, match=r"x0 \(its Hessian\) is too large"):
        lib.optimize(lib.newton(), lambda x: x @ x, np.zeros(100_000), hyper={}, steps=1)
