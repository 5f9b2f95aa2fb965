"""Learning-rate schedules against their closed forms and against optax's schedules."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lib  # noqa: F401  (float64)
from lib.optim import schedules

STEPS = np.arange(0, 300)


def test_constant():
    np.testing.assert_array_equal(schedules.constant(0.3).values(5), [0.3] * 5)


@given(lr=st.floats(1e-4, 10.0), every=st.integers(1, 50), factor=st.floats(0.01, 1.0))
@settings(max_examples=25, deadline=None)
def test_step_decay_closed_form(lr, every, factor):
    got = schedules.step_decay(lr, every, factor).values(200)
    want = np.array([lr * factor ** (k // every) for k in range(200)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)  # XLA flushes denormals


def test_step_decay_matches_optax_staircase():
    ours = schedules.step_decay(0.5, every=7, factor=0.3).values(len(STEPS))
    peer = optax.exponential_decay(0.5, transition_steps=7, decay_rate=0.3, staircase=True)
    np.testing.assert_allclose(ours, [float(peer(k)) for k in STEPS], rtol=1e-6)


def test_piecewise_constant_matches_optax():
    ours = schedules.piecewise_constant(0.2, boundaries=[10, 50, 120], factor=0.1).values(len(STEPS))
    peer = optax.piecewise_constant_schedule(0.2, {10: 0.1, 50: 0.1, 120: 0.1})
    np.testing.assert_allclose(ours, [float(peer(k)) for k in STEPS], rtol=1e-6)
    assert ours[9] == 0.2 and math.isclose(ours[10], 0.02) and math.isclose(ours[-1], 0.2e-3)


def test_exponential_matches_optax():
    ours = schedules.exponential(0.1, rate=0.5, every=20).values(len(STEPS))
    peer = optax.exponential_decay(0.1, transition_steps=20, decay_rate=0.5)
    np.testing.assert_allclose(ours, [float(peer(k)) for k in STEPS], rtol=1e-6)
    np.testing.assert_allclose(ours[40], 0.025, rtol=1e-12)


def test_inverse_time_closed_form_and_robbins_monro():
    s = schedules.inverse_time(0.4, tau=25.0)
    k = np.arange(100000)
    values = s.values(len(k))
    np.testing.assert_allclose(values, 0.4 / (1 + k / 25.0), rtol=1e-12)
    assert values[25] == pytest.approx(0.2)
    # α_k ~ 1/k: the partial sums of α grow like log K (divergent series) ...
    assert values.sum() == pytest.approx(0.4 * 25 * math.log((len(k) + 25) / 25), rel=0.01)
    # ... while those of α² converge: doubling K adds almost nothing.
    assert (values**2).sum() == pytest.approx((values[:50000] ** 2).sum(), rel=1e-3)


def test_cosine_matches_optax():
    ours = schedules.cosine(0.3, total_steps=200, final_lr=0.03).values(len(STEPS))
    peer = optax.cosine_decay_schedule(0.3, decay_steps=200, alpha=0.1)
    np.testing.assert_allclose(ours, [float(peer(k)) for k in STEPS], rtol=1e-6)
    assert ours[0] == pytest.approx(0.3) and ours[100] == pytest.approx(0.165)
    assert np.all(ours[200:] == pytest.approx(0.03))


def test_schedules_trace_under_jit_without_recompiling():
    traces = []

    @jax.jit
    def total(params):
        traces.append(1)
        return jnp.sum(jax.vmap(lambda k: schedules.step_decay(1.0, 1).fn(k, *params))(jnp.arange(10)))

    a = total((jnp.float64(1.0), jnp.float64(3.0), jnp.float64(0.5)))
    b = total((jnp.float64(2.0), jnp.float64(5.0), jnp.float64(0.1)))
    assert len(traces) == 1
    assert float(a) == pytest.approx(3 * 1 + 3 * 0.5 + 3 * 0.25 + 0.125)
    assert float(b) == pytest.approx(5 * 2 + 5 * 0.2)


def line(x):
    return x[0]


@pytest.mark.parametrize("schedule", [schedules.step_decay(0.5, every=3, factor=0.5),
                                      schedules.warmup_cosine(0.4, 3, 9, final_lr=0.01),
                                      schedules.piecewise_constant(0.3, boundaries=[2, 5], factor=0.1)])
def test_a_scheduled_rule_steps_by_the_schedule_and_new_numbers_do_not_recompile(schedule):
    """On the loss θ (gradient 1) the step of scheduled(sgd) at step k is exactly -α_k."""
    rule = lib.scheduled(lib.sgd(), schedule)
    run = lib.optimize(rule, line, np.zeros(1), hyper={"schedule": schedule}, steps=12,
                       name="scheduled sgd test")
    np.testing.assert_allclose(np.diff(run.points[:, 0]), -schedule.values(12), rtol=1e-13, atol=1e-16)
    before = lib.trace_count("scheduled sgd test")
    again = lib.optimize(rule, line, np.zeros(1),
                         hyper={"schedule": tuple(2 * np.asarray(p) for p in schedule.params)}, steps=12,
                         name="scheduled sgd test")
    assert lib.trace_count("scheduled sgd test") == before
    assert lib.scheduled(lib.sgd(), schedule) is rule and not np.allclose(again.points, run.points)


def test_a_schedule_of_another_kind_is_refused_by_name():
    rule = lib.scheduled(lib.sgd(), schedules.cosine(0.1, 10))
    with pytest.raises(ValueError, match=r"hyper\['schedule'\] is a step_decay schedule, .* follows cosine"):
        lib.optimize(rule, line, np.zeros(1), hyper={"schedule": schedules.step_decay(0.1, 5)}, steps=3)
    clipped = lib.clipped(rule)
    assert clipped.schedule_fn is rule.schedule_fn


def test_scheduled_checks_its_arguments():
    with pytest.raises(TypeError, match="rule must be"):
        lib.scheduled("sgd", schedules.constant(0.1))
    with pytest.raises(TypeError, match="schedule must be"):
        lib.scheduled(lib.sgd(), 0.1)


@pytest.mark.parametrize("make, match, error", [
    (lambda: schedules.constant(0.0), "lr", ValueError),
    (lambda: schedules.constant("a"), "lr", TypeError),
    (lambda: schedules.step_decay(0.1, 0), "every", ValueError),
    (lambda: schedules.step_decay(0.1, 2.5), "every", TypeError),
    (lambda: schedules.step_decay(0.1, 5, factor=1.5), "factor", ValueError),
    (lambda: schedules.step_decay(0.1, 5, factor=0.0), "factor", ValueError),
    (lambda: schedules.piecewise_constant(0.1, []), "boundaries", ValueError),
    (lambda: schedules.piecewise_constant(0.1, [5, 5]), "boundaries", ValueError),
    (lambda: schedules.piecewise_constant(0.1, 5), "boundaries", TypeError),
    (lambda: schedules.exponential(0.1, rate=2.0), "rate", ValueError),
    (lambda: schedules.inverse_time(0.1, tau=0.0), "tau", ValueError),
    (lambda: schedules.cosine(0.1, 100, final_lr=0.2), "final_lr", ValueError),
    (lambda: schedules.cosine(0.1, 0), "total_steps", ValueError),
    (lambda: schedules.constant(0.1).values(0), "steps", ValueError),
])
def test_validation(make, match, error):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("lr, warmup, init_lr", [(0.3, 17, 0.0), (0.3, 17, 0.01), (1.0, 1, 0.5)])
def test_warmup_constant_matches_optax_warmup_and_linear_schedules(lr, warmup, init_lr):
    ours = schedules.warmup_constant(lr, warmup_steps=warmup, init_lr=init_lr).values(len(STEPS))
    for peer in (optax.warmup_constant_schedule(init_lr, lr, warmup),
                 optax.linear_schedule(init_lr, lr, warmup)):
        np.testing.assert_allclose(ours, [float(peer(k)) for k in STEPS], rtol=1e-12, atol=1e-15)
    assert ours[0] == init_lr and np.all(ours[warmup:] == lr)
    assert np.all(np.diff(ours[: warmup + 1]) > 0)


@pytest.mark.parametrize("lr, warmup, total, init_lr, final_lr", [(0.3, 17, 200, 0.0, 0.0),
                                                                   (0.3, 17, 200, 0.01, 0.02),
                                                                   (0.1, 1, 2, 0.0, 0.1)])
def test_warmup_cosine_matches_optax_warmup_cosine_decay(lr, warmup, total, init_lr, final_lr):
    ours = schedules.warmup_cosine(lr, warmup, total, init_lr=init_lr, final_lr=final_lr).values(len(STEPS))
    peer = optax.warmup_cosine_decay_schedule(init_lr, lr, warmup, total, final_lr)
    np.testing.assert_allclose(ours, [float(peer(k)) for k in STEPS], rtol=1e-12, atol=1e-15)
    assert ours[warmup] == pytest.approx(lr) and np.all(ours[total:] == pytest.approx(final_lr))
    assert ours.max() == pytest.approx(lr)


def test_warmup_schedules_trace_without_recompiling():
    traces = []

    @jax.jit
    def total(params):
        traces.append(1)
        return jnp.sum(jax.vmap(lambda k: schedules.warmup_cosine(1.0, 1, 2).fn(k, *params))(jnp.arange(10)))

    for s in (schedules.warmup_cosine(1.0, 2, 8), schedules.warmup_cosine(0.5, 4, 9, 0.1, 0.2)):
        got = total(tuple(jnp.float64(p) for p in s.params))
        assert float(got) == pytest.approx(s.values(10).sum(), rel=1e-12)
    assert len(traces) == 1


@pytest.mark.parametrize("make, match, error", [
    (lambda: schedules.warmup_constant(0.0, 5), "lr", ValueError),
    (lambda: schedules.warmup_constant(0.1, 0), "warmup_steps", ValueError),
    (lambda: schedules.warmup_constant(0.1, 2.5), "warmup_steps", TypeError),
    (lambda: schedules.warmup_constant(0.1, 5, init_lr=0.2), "init_lr", ValueError),
    (lambda: schedules.warmup_constant(0.1, 5, init_lr="a"), "init_lr", TypeError),
    (lambda: schedules.warmup_cosine(0.1, 5, 5), "total_steps", ValueError),
    (lambda: schedules.warmup_cosine(0.1, 5, None), "total_steps", TypeError),
    (lambda: schedules.warmup_cosine(0.1, 5, 10, final_lr=-0.1), "final_lr", ValueError),
    (lambda: schedules.warmup_cosine(0.1, 5, 10, init_lr=float("nan")), "init_lr", ValueError),
])
def test_warmup_validation(make, match, error):
    with pytest.raises(error, match=match):
        make()


def test_values_refuses_more_steps_than_a_run_may_take():
    with pytest.raises(ValueError, match="^steps must be <= 1,000,000"):
        schedules.step_decay(0.1, 2, 0.5).values(10**12)
