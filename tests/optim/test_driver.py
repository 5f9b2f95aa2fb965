"""The driver: lib.descend and lib.optimize — closed forms, optax as a peer, divergence, no recompiles."""

import dataclasses
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lib


def quadratic(x, D):
    return 0.5 * jnp.sum(D * x**2)


def two_weight_loss(w):
    return (1.0 - w[0] * w[1]) ** 2


@given(lr=st.floats(1e-3, 0.6), x0=st.lists(st.floats(-5, 5), min_size=3, max_size=3))
def test_gradient_descent_on_a_quadratic_is_one_minus_lr_lambda_to_the_t(lr, x0):
    # steps is static (compiled in): one fixed value, so hypothesis does not recompile per example.
    steps = 60
    D = np.array([0.5, 1.0, 3.0])
    run = lib.descend(quadratic, np.array(x0), D, lr=lr, steps=steps)
    t = np.arange(steps + 1)[:, None]
    np.testing.assert_allclose(run.points, np.array(x0) * (1 - lr * D) ** t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(run.losses, [quadratic(p, D) for p in run.points], rtol=1e-10, atol=1e-14)
    assert not run.diverged and run.diverged_at is None


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("lr, momentum", [(0.05, 0.0), (0.01, 0.9), (0.1, 0.5), (0.002, 0.99)])
def test_matches_optax_sgd_step_for_step(lr, momentum, nesterov):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    b = rng.normal(size=4)

    def loss(x):
        return jnp.sum(jnp.tanh(A @ x + b) ** 2) + 0.1 * jnp.sum(x**4)

    x0 = rng.normal(size=4)
    run = lib.descend(loss, x0, lr=lr, momentum=momentum, nesterov=nesterov, steps=50)
    optimizer = optax.sgd(lr, momentum=momentum or None, nesterov=nesterov)
    x, state = jnp.asarray(x0), optimizer.init(jnp.asarray(x0))
    for k in range(50):
        np.testing.assert_allclose(run.points[k], x, rtol=1e-11, atol=1e-13)
        updates, state = optimizer.update(lib.gradient(loss, np.asarray(x)), state)
        x = optax.apply_updates(x, updates)
    np.testing.assert_allclose(run.points[50], x, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("lr, momentum", [(0.1, 0.9), (0.01, 0.5), (1.0, 0.0), (0.3, 0.99)])
def test_terminal_velocity_under_a_constant_gradient(lr, momentum):
    g = np.array([2.0, -1.0, 0.5])
    run = lib.descend(lambda x, g: g @ x, np.zeros(3), g, lr=lr, momentum=momentum,
                      steps=4000, max_norm=1e12)
    velocity = run.points[-1] - run.points[-2]
    np.testing.assert_allclose(velocity, -lr / (1 - momentum) * g, rtol=1e-9)
    # The approach is geometric: after k steps the velocity is -lr g (1 - mu^k) / (1 - mu).
    k = 5
    np.testing.assert_allclose(run.points[k] - run.points[k - 1],
                               -lr * g * (1 - momentum**k) / (1 - momentum), rtol=1e-12)


def test_momentum_zero_is_plain_gradient_descent():
    x0 = np.array([0.3, 0.2])
    run = lib.descend(two_weight_loss, x0, lr=0.1, steps=5)
    x = x0.copy()
    for _ in range(5):
        x = x - 0.1 * lib.gradient(two_weight_loss, x)
    np.testing.assert_allclose(run.points[-1], x, rtol=1e-13)


def test_momentum_update_is_the_lecture_update():
    rule = lib.momentum()
    state = rule.init(jnp.ones(3))
    assert isinstance(state, lib.optim.rules.MomentumState) and np.all(state.velocity == 0)
    grad = jnp.array([0.5, 0.5])
    step, new_state = rule.update(grad, state._replace(velocity=jnp.array([1.0, -2.0])), None,
                                  {"lr": 0.1, "momentum": 0.9}, None)
    np.testing.assert_allclose(step, 0.9 * np.array([1.0, -2.0]) - 0.1 * 0.5)
    np.testing.assert_allclose(new_state.velocity, step)


def test_a_trajectory_has_fixed_fields_and_the_gradient_norms():
    run = lib.descend(two_weight_loss, np.array([0.3, 0.2]), lr=0.1, steps=5)
    assert [f.name for f in dataclasses.fields(run)] == ["points", "losses", "diverged", "diverged_at",
                                                        "grad_norms", "records"]
    with pytest.raises(AttributeError):
        run.velocities  # noqa: B018  (no attribute grows per entry point)
    np.testing.assert_allclose(run.grad_norms, [np.linalg.norm(lib.gradient(two_weight_loss, p))
                                                for p in run.points], rtol=1e-12)
    assert run.records is None


def test_the_velocity_is_the_difference_of_points_and_mu_may_be_one():
    run = lib.optimize(lib.momentum(), lambda x: 2.0 * x.sum(), np.zeros(1),
                       hyper={"lr": 0.5, "momentum": 0.5}, steps=3)
    np.testing.assert_allclose(np.diff(run.points[:, 0]), [-1.0, -1.5, -1.75])
    frictionless = lib.optimize(lib.momentum(), lambda x: 0.5 * x @ x, np.ones(1),
                                hyper={"lr": 0.1, "momentum": 1.0}, steps=400)
    assert not frictionless.diverged and abs(frictionless.points[:, 0]).max() > 0.99


def test_a_rule_default_may_be_left_out_and_a_wrong_name_is_refused():
    run = lib.optimize(lib.adam(), two_weight_loss, np.array([0.3, 0.2]), hyper={"lr": 0.01}, steps=3)
    same = lib.optimize(lib.adam(), two_weight_loss, np.array([0.3, 0.2]),
                        hyper={"lr": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8}, steps=3)
    np.testing.assert_array_equal(run.points, same.points)
    with pytest.raises(ValueError, match=r"hyper lacks \['lr'\]"):
        lib.optimize(lib.adam(), two_weight_loss, np.array([0.3, 0.2]), hyper={}, steps=3)
    with pytest.raises(ValueError, match=r"hyper\['Lr'\] is not read"):
        lib.optimize(lib.sgd(), two_weight_loss, np.array([0.3, 0.2]), hyper={"lr": 0.1, "Lr": 1.0})


def test_a_hyper_parameter_is_one_number_unless_traced():
    # An array of rates would run one rate per coordinate: refused, by name; a grid is descend_grid's.
    with pytest.raises(ValueError, match=r"^hyper\['lr'\] must be a single number, got shape \(2,\)"):
        lib.optimize(lib.sgd(), two_weight_loss, np.array([0.3, 0.2]), hyper={"lr": np.array([0.1, 0.2])})
    with pytest.raises(ValueError, match=r"^hyper\['b1'\] must be a single number"):
        lib.optimize(lib.adam(), two_weight_loss, np.array([0.3, 0.2]), hyper={"lr": 0.1, "b1": ()})
    # a 0-d array is a number; a traced value (a caller's vmap over rates) is not checked
    rule = lib.momentum()
    checked = lib.optim.driver.check_hyper({"lr": np.asarray(0.1), "momentum": 0.0}, rule)
    assert checked["lr"].shape == ()
    lrs = jax.vmap(lambda lr: lib.optim.driver.check_hyper({"lr": lr, "momentum": 0.0}, rule)["lr"])(
        jnp.array([0.1, 0.2]))
    np.testing.assert_array_equal(lrs, [0.1, 0.2])


def test_record_is_a_function_of_g_state_theta_hyper_returning_a_dict():
    start, hyper = np.array([0.3, 0.2]), {"lr": 0.1, "momentum": 0.5}
    run = lib.optimize(lib.momentum(), two_weight_loss, start, hyper=hyper, steps=3,
                       record=lambda g, state, x, h: {"velocity": state.velocity})
    np.testing.assert_allclose(run.records["velocity"][1:], np.diff(run.points, axis=0))
    with pytest.raises(TypeError, match="^record must be a function record"):
        lib.optimize(lib.momentum(), two_weight_loss, start, hyper=hyper, steps=3, record=int)
    with pytest.raises(TypeError, match=r"^record must return a dict of values .* an array of shape \(2,\)"):
        lib.optimize(lib.momentum(), two_weight_loss, start, hyper=hyper, steps=3,
                     record=lambda g, state, x, h: x)
    with pytest.raises(ValueError, match="^record could not be evaluated"):
        lib.optimize(lib.momentum(), two_weight_loss, start, hyper=hyper, steps=3,
                     record=lambda g, state, x, h: {"wrong": x @ np.ones(3)})


def test_full_batch_and_mini_batch_options_do_not_mix():
    x, t = np.ones((4, 1)), np.ones(4)

    def loss(w, x, t):
        return jnp.mean((x @ w - t) ** 2)

    with pytest.raises(ValueError, match="epochs is an option of a mini-batch run"):
        lib.optimize(lib.sgd(), loss, np.zeros(1), x, t, hyper={"lr": 0.1}, epochs=3)
    with pytest.raises(ValueError, match="steps is not an option of a mini-batch run"):
        lib.optimize(lib.sgd(), loss, np.zeros(1), x, t, hyper={"lr": 0.1}, batch_size=2, steps=3)


def test_check_run_then_run_checked_is_optimize():
    from lib.optim.driver import check_run, run_checked

    checked = check_run(two_weight_loss, np.array([0.3, 0.2]), steps=7)
    run = run_checked(lib.momentum(), checked, {"lr": 0.1, "momentum": 0.5})
    same = lib.descend(two_weight_loss, np.array([0.3, 0.2]), lr=0.1, momentum=0.5, steps=7)
    np.testing.assert_array_equal(run.points, same.points)
    with pytest.raises(TypeError, match="run must be a CheckedRun"):
        run_checked(lib.momentum(), (1, 2), {"lr": 0.1, "momentum": 0.5})


def test_descent_starting_exactly_at_the_saddle_never_moves():
    run = lib.descend(two_weight_loss, np.zeros(2), lr=0.1, momentum=0.9, steps=100)
    assert np.all(run.points == 0.0)


def test_escapes_the_saddle_from_a_tiny_offset():
    run = lib.descend(two_weight_loss, np.array([1e-6, 1e-6]), lr=0.1, steps=200)
    assert run.losses[-1] < 1e-6


def test_divergence_is_flagged_with_nan_rows_and_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = lib.descend(two_weight_loss, np.array([1.5, 1.3]), lr=2.0, momentum=0.9, steps=50)
    assert run.diverged
    k = run.diverged_at
    assert 0 < k < 50
    assert np.all(np.isfinite(run.points[:k])) and np.all(np.isfinite(run.losses[:k]))
    assert np.all(np.isnan(run.points[k:])) and np.all(np.isnan(run.losses[k:]))


def test_divergence_on_a_quadratic_happens_beyond_two_over_lambda():
    D = np.array([1.0, 4.0])
    stable = lib.descend(quadratic, np.ones(2), D, lr=0.49, steps=500)
    unstable = lib.descend(quadratic, np.ones(2), D, lr=0.51, steps=500)
    assert not stable.diverged and stable.losses[-1] < 1e-10
    assert unstable.diverged


def test_max_norm_bounds_the_iterates():
    run = lib.descend(lambda x: -x @ x, np.ones(2), lr=0.5, steps=100, max_norm=10.0)
    assert run.diverged
    assert np.all(np.linalg.norm(run.points[: run.diverged_at], axis=1) <= 10.0)


def test_new_hyperparameters_and_starts_never_recompile():
    lib.descend(two_weight_loss, np.array([0.1, 0.2]), lr=0.1, momentum=0.5, steps=77)
    before = lib.trace_count("descend")
    for k in range(20):
        lib.descend(two_weight_loss, np.array([0.1, 0.2 + k]), lr=0.01 + 0.01 * k,
                    momentum=0.04 * k, steps=77)
    assert lib.trace_count("descend") == before


def test_grid_equals_individual_runs():
    grid = lib.descend_grid(two_weight_loss, np.array([0.2, -0.1]), lrs=[0.05, 0.4, 3.0],
                            momentums=[0.0, 0.9], steps=40)
    assert grid.points.shape == (3, 2, 41, 2)
    for i, lr in enumerate(grid.lrs):
        for j, mu in enumerate(grid.momentums):
            run = lib.descend(two_weight_loss, np.array([0.2, -0.1]), lr=lr, momentum=mu, steps=40)
            np.testing.assert_allclose(grid.points[i, j], run.points, rtol=1e-12, equal_nan=True)
            assert grid.diverged_at[i, j] == (-1 if run.diverged_at is None else run.diverged_at)


def test_pytree_start_is_flattened():
    params = {"a": np.array([1.0, 2.0]), "b": np.array(3.0)}
    run = lib.descend(lambda p: jnp.sum(p["a"] ** 2) + p["b"] ** 2, params, lr=0.25, steps=1)
    np.testing.assert_allclose(run.points[1], [0.5, 1.0, 1.5])


@pytest.mark.parametrize("kwargs, error, name", [
    ({"lr": 0.0}, ValueError, "lr"), ({"lr": -0.1}, ValueError, "lr"),
    ({"lr": float("inf")}, ValueError, "lr"), ({"lr": "0.1"}, TypeError, "lr"),
    ({"lr": [0.1, 0.2]}, TypeError, "lr"), ({"lr": True}, TypeError, "lr"),
    ({"lr": 0.1, "momentum": 1.0}, ValueError, "momentum"),
    ({"lr": 0.1, "momentum": -0.1}, ValueError, "momentum"),
    ({"lr": 0.1, "steps": 0}, ValueError, "steps"), ({"lr": 0.1, "steps": 2.5}, TypeError, "steps"),
    ({"lr": 0.1, "nesterov": "yes"}, TypeError, "nesterov"),
    ({"lr": 0.1, "max_norm": 0}, ValueError, "max_norm"),
])
def test_bad_hyperparameters_are_named(kwargs, error, name):
    with pytest.raises(error, match=name):
        lib.descend(two_weight_loss, np.array([0.1, 0.2]), **kwargs)


@pytest.mark.parametrize("x0, error", [
    (np.array([np.nan, 1.0]), ValueError), (np.array([np.inf, 1.0]), ValueError),
    (np.ones((2, 2)), ValueError), (np.array([]), ValueError), ("ab", TypeError),
    (np.array([1 + 1j, 0]), TypeError),
])
def test_bad_starting_points_are_named(x0, error):
    with pytest.raises(error, match="x0"):
        lib.descend(two_weight_loss, x0, lr=0.1)


def test_non_scalar_or_broken_loss_is_reported():
    with pytest.raises(ValueError, match="scalar"):
        lib.descend(lambda x: x * 2, np.ones(2), lr=0.1)
    with pytest.raises(ValueError, match="x0"):
        lib.descend(lambda x: x @ np.ones(3), np.ones(2), lr=0.1)
    with pytest.raises(TypeError, match="f must be a callable"):
        lib.descend("loss", np.ones(2), lr=0.1)
    with pytest.raises(ValueError, match="scalar"):
        lib.hessian(lambda x: x, np.ones(2))
