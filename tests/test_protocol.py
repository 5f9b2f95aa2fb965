"""The optimizer protocol: every optimizer is a Rule run by the one driver, returning a Trajectory.

Contract tests over a table of all optimizers (same driver, traced hyper-parameters do
not recompile, divergence flagged, one result type), and each rule step by step
against optax where optax has it.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lib
from lib import adaptive, clipping, optimizers, schedules, stochastic
from lib.theory import quadratic, second_order

X = np.linspace(-1.0, 1.0, 8)[:, None]
T = 3.0 * X[:, 0] + 0.5


def bowl(w):
    return 0.5 * (w[0] ** 2 + 10.0 * w[1] ** 2) + 0.1 * jnp.sin(w[0] * w[1])


def regression(w, x, t):
    return 0.5 * jnp.mean((x @ w[:1] + w[1] - t) ** 2)


def away(w):
    return -jnp.sum(w)  # no minimum: every optimizer runs off, Newton's Hessian is singular


# name: (run(f, x0, hyper-scale, **kw), trace name, kwargs that make it diverge, loss for divergence)
OPTIMIZERS = {
    "descend": (lambda f, x0, s, **kw: lib.descend(f, x0, lr=0.05 * s, momentum=0.5, **kw),
                "descend", dict(steps=20)),
    "nesterov": (lambda f, x0, s, **kw: lib.descend(f, x0, lr=0.05 * s, momentum=0.5, nesterov=True,
                                                    **kw), "descend", dict(steps=20)),
    "adam": (lambda f, x0, s, **kw: adaptive.adam(f, x0, lr=0.05 * s, **kw), "adam", dict(steps=20)),
    "rmsprop": (lambda f, x0, s, **kw: adaptive.rmsprop(f, x0, lr=0.02 * s, decay=0.8 + 0.1 * s, **kw),
                "rmsprop", dict(steps=20)),
    "adagrad": (lambda f, x0, s, **kw: adaptive.adagrad(f, x0, lr=0.1 * s, initial_accumulator=0.1 * s, **kw),
                "adagrad", dict(steps=20)),
    "clipped": (lambda f, x0, s, **kw: clipping.descend_clipped(f, x0, lr=0.05 * s, threshold=s, **kw),
                "descend_clipped", dict(steps=20)),
    "newton": (lambda f, x0, s, **kw: second_order.newton(f, x0, damping=s - 1.0, **kw), "newton",
               dict(steps=5)),
    "heavy_ball": (lambda f, x0, s, **kw: quadratic.heavy_ball(f, x0, lr=0.05 * s, momentum=0.9, **kw),
                   "heavy_ball", dict(steps=20)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_runs_on_the_one_driver_and_returns_a_trajectory(name):
    run, trace_name, kw = OPTIMIZERS[name]
    x0 = np.array([1.0, -0.5])
    driver_before = lib.trace_count("optimize")
    first = run(bowl, x0, 1.0, **kw)
    assert isinstance(first, lib.Trajectory)
    assert first.points.shape == (kw["steps"] + 1, 2) and first.losses.shape == (kw["steps"] + 1,)
    assert not first.diverged and first.diverged_at is None
    np.testing.assert_allclose(first.losses, [float(bowl(p)) for p in first.points], rtol=1e-12)
    # compiled by the driver; a new hyper-parameter value and a new start do not recompile
    assert lib.trace_count("optimize") >= driver_before
    before = (lib.trace_count("optimize"), lib.trace_count(trace_name))
    second = run(bowl, x0 + 0.25, 1.5, **kw)
    assert (lib.trace_count("optimize"), lib.trace_count(trace_name)) == before
    assert not np.allclose(second.points, first.points)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_flags_a_divergence_instead_of_warning(name, recwarn):
    run, _, kw = OPTIMIZERS[name]
    out = run(away, np.array([1.0, -0.5]), 1.0, max_norm=1.5, **kw)
    assert out.diverged and out.diverged_at is not None and out.diverged_at >= 1
    assert np.all(np.isnan(out.points[out.diverged_at:])) and np.all(np.isnan(out.losses[out.diverged_at:]))
    assert np.all(np.isfinite(out.points[:out.diverged_at]))
    assert not [w for w in recwarn if "diverg" in str(w.message).lower()]


def test_sgd_feeds_its_batches_to_the_same_driver_and_returns_a_trajectory():
    kw = dict(batch_size=4, epochs=3, key=1)
    first = stochastic.sgd(regression, np.zeros(2), X, T, lr=0.1, **kw)
    assert isinstance(first, lib.Trajectory) and first.points is None
    assert first.losses.shape == first.steps.shape == first.grad_norms.shape
    before = (lib.trace_count("optimize"), lib.trace_count("sgd"))
    second = stochastic.sgd(regression, np.ones(2), X, T * 2, lr=0.3, momentum=0.5, **kw)
    assert (lib.trace_count("optimize"), lib.trace_count("sgd")) == before
    assert not np.allclose(first.losses, second.losses)
    diverged = stochastic.sgd(regression, np.zeros(2), X, T, lr=50.0, **kw)
    assert diverged.diverged and np.all(np.isnan(diverged.losses[-1:]))


def test_a_new_rule_runs_on_the_driver_without_new_code():
    """The protocol is open: sign descent written in four lines runs on the one driver."""
    rule = optimizers.Rule(lambda params: (), lambda g, s, p, h, loss: (-h["lr"] * jnp.sign(g), s),
                           "sign descent")
    run = lib.optimize(rule, bowl, np.array([1.0, -0.5]), hyper={"lr": 0.125}, steps=4)
    np.testing.assert_allclose(run.points[1], [0.875, -0.375])


def test_newton_rule_uses_the_parameters_and_the_loss_hessian():
    H = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    run = second_order.newton(quadratic.quadratic_loss, np.array([4.0, 4.0]), H, b, steps=1)
    np.testing.assert_allclose(run.points[1], np.linalg.solve(H, b), rtol=1e-13)


# ------------------------------------------------------------------------------ against optax

def _optax_points(transform, f, x0, steps, *args):
    x = jnp.asarray(x0)
    state = transform.init(x)
    points = [np.asarray(x)]
    for _ in range(steps):
        updates, state = transform.update(jax.grad(f)(x, *args), state, x)
        x = optax.apply_updates(x, updates)
        points.append(np.asarray(x))
    return np.array(points)


STEPS = 25
X0 = np.array([1.5, -0.8])


@pytest.mark.parametrize("lr, momentum, nesterov", [(0.05, 0.0, False), (0.05, 0.9, False),
                                                    (0.03, 0.8, True)])
def test_momentum_rule_matches_optax_sgd_step_by_step(lr, momentum, nesterov):
    ours = lib.descend(bowl, X0, lr=lr, momentum=momentum, nesterov=nesterov, steps=STEPS).points
    peer = _optax_points(optax.sgd(lr, momentum=momentum or None, nesterov=nesterov), bowl, X0, STEPS)
    np.testing.assert_allclose(ours, peer, rtol=1e-12, atol=1e-14)


def test_adam_rule_matches_optax_adam_step_by_step():
    ours = adaptive.adam(bowl, X0, lr=0.1, b1=0.8, b2=0.99, eps=1e-6, steps=STEPS).points
    peer = _optax_points(optax.adam(0.1, b1=0.8, b2=0.99, eps=1e-6), bowl, X0, STEPS)
    np.testing.assert_allclose(ours, peer, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("lr, decay, eps", [(0.01, 0.9, 1e-8), (0.05, 0.5, 1e-3), (0.002, 0.0, 1e-6)])
def test_rmsprop_rule_matches_optax_rmsprop_step_by_step(lr, decay, eps):
    """optax.rmsprop's defaults: ε inside the root, ν₀ = 0, no bias correction, no momentum."""
    ours = adaptive.rmsprop(bowl, X0, lr=lr, decay=decay, eps=eps, steps=STEPS).points
    peer = _optax_points(optax.rmsprop(lr, decay=decay, eps=eps), bowl, X0, STEPS)
    np.testing.assert_allclose(ours, peer, rtol=1e-12, atol=1e-14)
    defaults = adaptive.rmsprop(bowl, X0, lr=lr, steps=STEPS).points
    np.testing.assert_allclose(defaults, _optax_points(optax.rmsprop(lr), bowl, X0, STEPS),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("lr, eps, initial", [(0.1, 1e-7, 0.1), (0.5, 1e-3, 2.0), (0.05, 1e-10, 0.0)])
def test_adagrad_rule_matches_optax_adagrad_step_by_step(lr, eps, initial):
    """optax.adagrad's defaults: ε inside the root, accumulator starting at 0.1."""
    ours = adaptive.adagrad(bowl, X0, lr=lr, eps=eps, initial_accumulator=initial, steps=STEPS).points
    peer = _optax_points(optax.adagrad(lr, initial_accumulator_value=initial, eps=eps), bowl, X0, STEPS)
    np.testing.assert_allclose(ours, peer, rtol=1e-12, atol=1e-14)
    defaults = adaptive.adagrad(bowl, X0, lr=lr, steps=STEPS).points
    np.testing.assert_allclose(defaults, _optax_points(optax.adagrad(lr), bowl, X0, STEPS),
                               rtol=1e-12, atol=1e-14)


def test_clipped_wrapper_matches_optax_chain_clip_by_global_norm_step_by_step():
    ours = clipping.descend_clipped(bowl, X0, lr=0.05, momentum=0.5, clip="norm", threshold=1.0,
                                    steps=60)
    assert ours.clipped.any() and not ours.clipped.all()
    peer = _optax_points(optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(0.05, momentum=0.5)),
                         bowl, X0, 60)
    np.testing.assert_allclose(ours.points, peer, rtol=1e-12, atol=1e-14)


def test_clipped_by_value_matches_optax_clip_step_by_step():
    ours = clipping.descend_clipped(bowl, X0, lr=0.05, clip="value", threshold=0.5, steps=STEPS).points
    peer = _optax_points(optax.chain(optax.clip(0.5), optax.sgd(0.05)), bowl, X0, STEPS)
    np.testing.assert_allclose(ours, peer, rtol=1e-12, atol=1e-14)


def test_sgd_batches_match_optax_sgd_fed_the_same_batches():
    epochs, size = 3, 4
    run = stochastic.sgd(regression, np.zeros(2), X, T, lr=0.2, momentum=0.5, batch_size=size,
                         epochs=epochs, key=3, eval_every=1, keep_points=True)
    index, _ = stochastic.batch_indices(X.shape[0], size, epochs=epochs, key=3)
    transform = optax.sgd(0.2, momentum=0.5)
    x = jnp.zeros(2)
    state = transform.init(x)
    points = [np.asarray(x)]
    for rows in index:
        updates, state = transform.update(jax.grad(regression)(x, X[rows], T[rows]), state, x)
        x = optax.apply_updates(x, updates)
        points.append(np.asarray(x))
    np.testing.assert_allclose(run.points, np.array(points), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("schedule, peer", [
    (lambda: schedules.warmup_constant(0.3, warmup_steps=4, init_lr=0.01),
     lambda: optax.warmup_constant_schedule(0.01, 0.3, 4)),
    (lambda: schedules.warmup_cosine(0.3, warmup_steps=3, total_steps=6, final_lr=0.02),
     lambda: optax.warmup_cosine_decay_schedule(0.0, 0.3, 3, 6, 0.02)),
])
def test_sgd_with_a_warmup_schedule_matches_optax_sgd_with_optax_schedule(schedule, peer):
    """Plain SGD: with momentum and a varying rate the two differ by design (ours scales each
    gradient by its own α_k, p ← μp − α_k g; optax scales the whole velocity, −α_k (μv + g))."""
    epochs, size = 3, 4
    run = stochastic.sgd(regression, np.zeros(2), X, T, lr=schedule(), batch_size=size,
                         epochs=epochs, key=3, eval_every=1, keep_points=True)
    np.testing.assert_allclose(run.lrs, [float(peer()(k)) for k in range(run.lrs.size)], rtol=1e-12)
    index, _ = stochastic.batch_indices(X.shape[0], size, epochs=epochs, key=3)
    # optax evaluates its schedule at an int32 count, which makes the rate float32: feed it float64
    transform = optax.sgd(lambda count: peer()(jnp.asarray(count, jnp.float64)))
    x = jnp.zeros(2)
    state = transform.init(x)
    points = [np.asarray(x)]
    for rows in index:
        updates, state = transform.update(jax.grad(regression)(x, X[rows], T[rows]), state, x)
        x = optax.apply_updates(x, updates)
        points.append(np.asarray(x))
    np.testing.assert_allclose(run.points, np.array(points), rtol=1e-12, atol=1e-14)
    # a new warm-up length or peak is traced, not compiled in
    before = lib.trace_count("sgd")
    again = schedules.warmup_constant(0.2, warmup_steps=5) if schedule().name == "warmup_constant" \
        else schedules.warmup_cosine(0.2, warmup_steps=2, total_steps=9, init_lr=0.05)
    stochastic.sgd(regression, np.zeros(2), X, T, lr=again, batch_size=size, epochs=epochs, key=3,
                   eval_every=1, keep_points=True)
    assert lib.trace_count("sgd") == before
