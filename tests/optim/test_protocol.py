"""The optimizer protocol: every optimizer is a Rule run by the one driver, returning a Trajectory.

Contract tests over ONE table of all rules and wrappers (:data:`RULES`): each runs on the one
driver full-batch and on mini-batches, new hyper-parameter values do not recompile, a divergence
is flagged, and each agrees step by step with its optax peer — full-batch, and fed the same
mini-batches.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lib
from lib.optim import minibatch, schedules
from lib.theory.quadratic import quadratic_loss

X = np.linspace(-1.0, 1.0, 8)[:, None]
T = 3.0 * X[:, 0] + 0.5


def bowl(w):
    return 0.5 * (w[0] ** 2 + 10.0 * w[1] ** 2) + 0.1 * jnp.sin(w[0] * w[1])


def regression(w, x, t):
    return 0.5 * jnp.mean((x @ w[:1] + w[1] - t) ** 2)


def away(w):
    return -jnp.sum(w)  # no minimum: every optimizer runs off, Newton's Hessian is singular


def away_on_data(w, x, t):
    return -jnp.sum(w) * (1.0 + 0.0 * jnp.mean(x))


def float64_schedule(peer):
    """optax evaluates a schedule at an int32 count, which makes the rate float32: feed it float64."""
    return lambda count: peer(jnp.asarray(count, jnp.float64))


WARMUP = schedules.warmup_constant(0.15, warmup_steps=4, init_lr=0.01)
WARMUP_COSINE = schedules.warmup_cosine(0.3, warmup_steps=3, total_steps=6, final_lr=0.02)
STEP_DECAY = schedules.step_decay(0.1, every=5, factor=0.5)

#: name: (rule, hyper, its optax peer given hyper — None where optax has none)
RULES = {
    "sgd": (lib.sgd(), {"lr": 0.05}, lambda h: optax.sgd(h["lr"])),
    "momentum": (lib.momentum(), {"lr": 0.05, "momentum": 0.9},
                 lambda h: optax.sgd(h["lr"], momentum=h["momentum"])),
    "nesterov": (lib.momentum(nesterov=True), {"lr": 0.03, "momentum": 0.8},
                 lambda h: optax.sgd(h["lr"], momentum=h["momentum"], nesterov=True)),
    "adam": (lib.adam(), {"lr": 0.1, "b1": 0.8, "b2": 0.99, "eps": 1e-6},
             lambda h: optax.adam(h["lr"], b1=h["b1"], b2=h["b2"], eps=h["eps"])),
    "adam, defaults": (lib.adam(), {"lr": 0.1}, lambda h: optax.adam(h["lr"])),
    "rmsprop": (lib.rmsprop(), {"lr": 0.05, "decay": 0.5, "eps": 1e-3},
                lambda h: optax.rmsprop(h["lr"], decay=h["decay"], eps=h["eps"])),
    "rmsprop, defaults": (lib.rmsprop(), {"lr": 0.01}, lambda h: optax.rmsprop(h["lr"])),
    "adagrad": (lib.adagrad(), {"lr": 0.5, "eps": 1e-3, "initial_accumulator": 2.0},
                lambda h: optax.adagrad(h["lr"], initial_accumulator_value=h["initial_accumulator"],
                                        eps=h["eps"])),
    "adagrad, defaults": (lib.adagrad(), {"lr": 0.1}, lambda h: optax.adagrad(h["lr"])),
    "newton": (lib.newton(), {"damping": 0.5}, None),
    "clipped momentum (norm)": (
        lib.clipped(lib.momentum()), {"lr": 0.05, "momentum": 0.5, "threshold": 1.0},
        lambda h: optax.chain(optax.clip_by_global_norm(h["threshold"]),
                              optax.sgd(h["lr"], momentum=h["momentum"]))),
    "clipped sgd (value)": (
        lib.clipped(lib.sgd(), clip="value"), {"lr": 0.05, "threshold": 0.5},
        lambda h: optax.chain(optax.clip(h["threshold"]), optax.sgd(h["lr"]))),
    "clipped adam (norm)": (
        lib.clipped(lib.adam()), {"lr": 0.1, "threshold": 0.5},
        lambda h: optax.chain(optax.clip_by_global_norm(h["threshold"]), optax.adam(h["lr"]))),
    "scheduled sgd (warm-up)": (
        lib.scheduled(lib.sgd(), WARMUP), {"schedule": WARMUP},
        lambda h: optax.sgd(float64_schedule(optax.warmup_constant_schedule(0.01, 0.15, 4)))),
    "scheduled sgd (warm-up, cosine)": (
        lib.scheduled(lib.sgd(), WARMUP_COSINE), {"schedule": WARMUP_COSINE},
        lambda h: optax.sgd(float64_schedule(optax.warmup_cosine_decay_schedule(0.0, 0.3, 3, 6, 0.02)))),
    "scheduled adam (step decay)": (
        lib.scheduled(lib.adam(), STEP_DECAY), {"schedule": STEP_DECAY},
        lambda h: optax.adam(float64_schedule(optax.exponential_decay(0.1, 5, 0.5, staircase=True)))),
}
WITH_PEER = sorted(name for name, (_, _, peer) in RULES.items() if peer is not None)


def other_values(hyper):
    """The same hyper-parameters with new values (a larger rate, threshold, damping or schedule)."""
    out = {}
    for key, value in hyper.items():
        if key == "schedule":
            out[key] = tuple(1.5 * np.asarray(p) for p in value.params)
        elif key in ("lr", "threshold"):
            out[key] = 1.5 * value
        elif key == "damping":
            out[key] = value + 0.5
        else:
            out[key] = value
    return out


MINIBATCH = dict(batch_size=4, epochs=3, key=3, eval_every=1)


# ------------------------------------------------------------------------------ the contract

@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_runs_full_batch_on_the_one_driver_without_recompiling(name):
    rule, hyper, _ = RULES[name]
    x0 = np.array([1.0, -0.5])
    first = lib.optimize(rule, bowl, x0, hyper=hyper, steps=20, name=f"protocol {name}")
    assert type(first) is lib.Trajectory and isinstance(rule, lib.Rule)
    assert first.points.shape == (21, 2) and first.losses.shape == first.grad_norms.shape == (21,)
    assert not first.diverged and first.diverged_at is None
    np.testing.assert_allclose(first.losses, [float(bowl(p)) for p in first.points], rtol=1e-12)
    before = (lib.trace_count("all"), lib.trace_count(f"protocol {name}"))
    second = lib.optimize(rule, bowl, x0 + 0.25, hyper=other_values(hyper), steps=20,
                          name=f"protocol {name}")
    assert (lib.trace_count("all"), lib.trace_count(f"protocol {name}")) == before
    assert not np.allclose(second.points, first.points)


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_runs_on_mini_batches_on_the_one_driver_without_recompiling(name):
    rule, hyper, _ = RULES[name]
    first = lib.optimize(rule, regression, np.zeros(2), X, T, hyper=hyper, name=f"protocol mb {name}",
                         **MINIBATCH)
    assert type(first) is lib.MinibatchTrajectory
    assert first.points.shape == (7, 2) and first.losses.shape == first.steps.shape == (7,)
    assert first.batch_losses.shape == (6,) and not first.diverged
    before = (lib.trace_count("all"), lib.trace_count(f"protocol mb {name}"))
    second = lib.optimize(rule, regression, np.ones(2), X, 2 * T, hyper=other_values(hyper),
                          name=f"protocol mb {name}", **MINIBATCH)
    assert (lib.trace_count("all"), lib.trace_count(f"protocol mb {name}")) == before
    assert not np.allclose(first.losses, second.losses)


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_flags_a_divergence_instead_of_warning(name, recwarn):
    rule, hyper, _ = RULES[name]
    for out in (lib.optimize(rule, away, np.array([1.0, -0.5]), hyper=hyper, steps=20, max_norm=1.2),
                lib.optimize(rule, away_on_data, np.array([1.0, -0.5]), X, T, hyper=hyper, max_norm=1.2,
                             batch_size=4, epochs=10)):
        assert out.diverged and out.diverged_at is not None and out.diverged_at >= 1
        assert np.all(np.isnan(out.losses[-1:]))
        assert np.all(np.isfinite(out.points[0]))
    full = lib.optimize(rule, away, np.array([1.0, -0.5]), hyper=hyper, steps=20, max_norm=1.2)
    at = full.diverged_at
    assert np.all(np.isnan(full.points[at:])) and np.all(np.isnan(full.losses[at:]))
    assert np.all(np.isfinite(full.points[:full.diverged_at]))
    assert not [w for w in recwarn if "diverg" in str(w.message).lower()]


def test_a_new_rule_runs_on_the_driver_without_new_code():
    """The protocol is open: sign descent written in four lines runs on the one driver."""
    rule = lib.Rule(lambda params: (), lambda g, s, p, h, loss: (-h["lr"] * jnp.sign(g), s), "sign descent")
    run = lib.optimize(rule, bowl, np.array([1.0, -0.5]), hyper={"lr": 0.125}, steps=4)
    np.testing.assert_allclose(run.points[1], [0.875, -0.375])


@pytest.mark.parametrize("field, value, error", [
    ("update", "abc", TypeError), ("init", None, TypeError), ("schedule_fn", 3, TypeError),
    ("name", 3, TypeError), ("hyper_names", "lr", TypeError), ("defaults", (("lr",),), TypeError),
])
def test_a_rule_with_a_bad_field_is_refused_by_every_entry_point(field, value, error):
    """A hand-made or _replace-d Rule is checked before it reaches jit, by the driver and the wrappers."""
    bad = lib.sgd()._replace(**{field: value})
    for call in (lambda: lib.optimize(bad, bowl, np.ones(2), hyper={"lr": 0.1}, steps=2),
                 lambda: lib.clipped(bad), lambda: lib.scheduled(bad, schedules.constant(0.1))):
        with pytest.raises(error, match=rf"^rule\.{field} must be"):
            call()


def test_newton_rule_uses_the_parameters_and_the_loss_hessian():
    H = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    run = lib.optimize(lib.newton(), quadratic_loss, np.array([4.0, 4.0]), H, b, hyper={}, steps=1)
    np.testing.assert_allclose(run.points[1], np.linalg.solve(H, b), rtol=1e-13)
    damped = lib.optimize(lib.newton(), quadratic_loss, np.array([4.0, 4.0]), H, b, hyper={"damping": 1.0},
                          steps=1)
    expected = np.array([4.0, 4.0]) - np.linalg.solve(H + np.eye(2), H @ np.array([4.0, 4.0]) - b)
    np.testing.assert_allclose(damped.points[1], expected, rtol=1e-13)


# ------------------------------------------------------------------------------ against optax

def _optax_points(transform, gradient, x0, batches):
    x = jnp.asarray(x0)
    state = transform.init(x)
    points = [np.asarray(x)]
    for batch in batches:
        updates, state = transform.update(gradient(x, *batch), state, x)
        x = optax.apply_updates(x, updates)
        points.append(np.asarray(x))
    return np.array(points)


STEPS = 25
X0 = np.array([1.5, -0.8])


@pytest.mark.parametrize("name", WITH_PEER)
def test_every_rule_matches_its_optax_peer_full_batch(name):
    rule, hyper, peer = RULES[name]
    ours = lib.optimize(rule, bowl, X0, hyper=hyper, steps=STEPS)
    theirs = _optax_points(peer(hyper), jax.grad(bowl), X0, [()] * STEPS)
    np.testing.assert_allclose(ours.points, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", WITH_PEER)
def test_every_rule_matches_its_optax_peer_fed_the_same_mini_batches(name):
    rule, hyper, peer = RULES[name]
    ours = lib.optimize(rule, regression, np.zeros(2), X, T, hyper=hyper, **MINIBATCH)
    index, _ = minibatch.batch_indices(X.shape[0], 4, epochs=3, key=3)
    theirs = _optax_points(peer(hyper), jax.grad(regression), np.zeros(2), [(X[r], T[r]) for r in index])
    np.testing.assert_allclose(ours.points, theirs, rtol=1e-12, atol=1e-14)


def test_the_clip_acts_in_some_steps_of_the_clipped_runs_not_all():
    """So that the clipped rows of the table test the clip and not just the inner rule."""
    for name, threshold in (("clipped momentum (norm)", 1.0), ("clipped adam (norm)", 0.5)):
        rule, hyper, _ = RULES[name]
        norms = lib.optimize(rule, bowl, X0, hyper=hyper, steps=STEPS).grad_norms[:-1]
        assert (norms > threshold).any() and not (norms > threshold).all()
