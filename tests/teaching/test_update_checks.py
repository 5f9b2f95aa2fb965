"""The implement-it-yourself self-checks: right code passes, each typical slip fails with its own hint.

The "right" implementations below are written from the formulas, independently of ``lib``; that
they pass also tests the check's reference (``lib``'s steps) against the formulas.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.teaching import update_checks as uc

# ------------------------------------------------------------------ right implementations


def gd(theta, grad, lr):
    return theta - lr * grad


def heavy_ball(theta, velocity, grad, lr, momentum):
    velocity = momentum * velocity - lr * grad
    return theta + velocity, velocity


def nesterov(theta, velocity, grad_fn, lr, momentum):
    velocity = momentum * velocity - lr * grad_fn(theta + momentum * velocity)
    return theta + velocity, velocity


def adagrad(theta, sum_sq, grad, lr, eps):
    sum_sq = sum_sq + grad**2
    return theta - lr * grad / np.sqrt(sum_sq + eps), sum_sq


def rmsprop(theta, avg_sq, grad, lr, decay, eps):
    avg_sq = decay * avg_sq + (1 - decay) * grad**2
    return theta - lr * grad / np.sqrt(avg_sq + eps), avg_sq


def adam(theta, m, v, t, grad, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v


def clip(grad, max_norm):
    norm = np.linalg.norm(grad)
    return grad * max_norm / norm if norm > max_norm else grad


def warmup_cosine(k, peak_lr, warmup_steps, total_steps):
    if k < warmup_steps:
        return peak_lr * k / warmup_steps
    x = min(k - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return peak_lr * 0.5 * (1 + math.cos(math.pi * x))


def sgd(grad_fn, theta, X, y, lr, batch_size, epochs, rng, reshuffle=True, use_order=True):
    iterates, order = [], rng.permutation(len(y))
    for epoch in range(epochs):
        if reshuffle and epoch > 0:
            order = rng.permutation(len(y))
        rows_in = order if use_order else np.arange(len(y))
        for start in range(0, len(y), batch_size):
            rows = rows_in[start:start + batch_size]
            theta = theta - lr * grad_fn(theta, X[rows], y[rows])
            iterates.append(theta)
    return np.array(iterates)


# ------------------------------------------------------------------ typical slips


def adam_without_bias_correction(theta, m, v, t, grad, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def adam_t_from_zero(theta, m, v, t, grad, lr, b1, b2, eps):
    return adam(theta, m, v, t + 1, grad, lr, b1, b2, eps)


def heavy_ball_wrong_order(theta, velocity, grad, lr, momentum):
    return theta + velocity, momentum * velocity - lr * grad


def nesterov_gradient_at_theta(theta, velocity, grad_fn, lr, momentum):
    return heavy_ball(theta, velocity, grad_fn(theta), lr, momentum)


def rmsprop_old_average(theta, avg_sq, grad, lr, decay, eps):
    return theta - lr * grad / np.sqrt(avg_sq + eps), decay * avg_sq + (1 - decay) * grad**2


def adagrad_eps_outside(theta, sum_sq, grad, lr, eps):
    sum_sq = sum_sq + grad**2
    return theta - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq


def clip_always(grad, max_norm):
    norm = np.linalg.norm(grad)
    return grad * max_norm / norm if norm > 0 else grad


def warmup_off_by_one(k, peak_lr, warmup_steps, total_steps):
    return peak_lr * (k + 1) / warmup_steps if k < warmup_steps else warmup_cosine(
        k, peak_lr, warmup_steps, total_steps)


RULES = {
    "gd": (uc.check_gd_step, gd, [
        (lambda th, g, a: th + a * g, "the sign"),
        (lambda th, g, a: th - g, "the learning rate"),
    ]),
    "heavy_ball": (uc.check_heavy_ball, heavy_ball, [
        (heavy_ball_wrong_order, "the order"),
        (lambda th, p, g, a, m: heavy_ball(th, p, -g, a, m), "the sign"),
        (lambda th, p, g, a, m: heavy_ball(th, p / m, g, a, m), "scaled by μ"),
        (lambda th, p, g, a, m: heavy_ball(th, p, (1 - m) * g, a, m), "averaging form"),
    ]),
    "nesterov": (uc.check_nesterov, nesterov, [
        (nesterov_gradient_at_theta, "look-ahead point"),
        (lambda th, p, gf, a, m: nesterov(th, p, lambda x: -gf(x), a, m), "the sign"),
    ]),
    "adagrad": (uc.check_adagrad, adagrad, [
        (adagrad_eps_outside, "inside the square root"),
        (lambda th, s, g, a, e: (th - a * g / (s + g * g + e), s + g * g), "the square root"),
        (lambda th, s, g, a, e: adagrad(th, s, -g, a, e), "the sign"),
    ]),
    "rmsprop": (uc.check_rmsprop, rmsprop, [
        (rmsprop_old_average, "the order"),
        (lambda th, v, g, a, r, e: rmsprop(th, v, g, a, 1 - r, e), "swapped"),
        (lambda th, v, g, a, r, e: (th - a * g / np.sqrt(r * v + g * g + e), r * v + g * g), "(1 − ρ)"),
    ]),
    "adam": (uc.check_adam, adam, [
        (adam_without_bias_correction, "bias correction is missing"),
        (adam_t_from_zero, "off by one"),
        (lambda th, m, v, t, g, a, b1, b2, e: adam(th, m, v, t, -g, a, b1, b2, e), "the sign"),
    ]),
    "clip": (uc.check_clip_by_norm, clip, [
        (lambda g, c: np.clip(g, -c, c), "clipping by value"),
        (clip_always, "left unchanged"),
    ]),
    "warmup": (uc.check_warmup_cosine, warmup_cosine, [
        (warmup_off_by_one, "one step"),
        (lambda k, p, w, t: p * 0.5 * (1 + math.cos(math.pi * min(k, t) / t)), "warm-up is missing"),
    ]),
    "sgd": (uc.check_sgd_loop, sgd, [
        (lambda *a: sgd(*a, reshuffle=False), "reshuffle at the start of every epoch"),
        (lambda *a: sgd(*a, use_order=False), "stored order"),
    ]),
}


@pytest.mark.parametrize("rule", RULES)
def test_right_implementation_passes(rule, capsys):
    check, right, _ = RULES[rule]
    assert check(right) is True
    assert " ".join(capsys.readouterr().out.split()).strip() == "Correct."


@pytest.mark.parametrize("rule, slip, hint", [
    (rule, slip, hint) for rule, (_, _, slips) in RULES.items() for slip, hint in slips])
def test_typical_slip_fails_and_is_named(rule, slip, hint, capsys):
    check = RULES[rule][0]
    assert check(slip) is False
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("Not yet: ") and hint in out, out


@pytest.mark.parametrize("rule", [r for r in RULES if r != "sgd"])
def test_message_names_step_output_and_size_of_the_difference(rule, capsys):
    check, right, _ = RULES[rule]

    def one_percent_off(*args):
        result = right(*args)
        if isinstance(result, tuple):
            return tuple(np.asarray(r) * 1.01 for r in result)
        return result * 1.01 + 1e-3

    check(one_percent_off)
    out = " ".join(capsys.readouterr().out.split())
    assert "Not yet: at " in out and "but should be" in out and "off by" in out, out


@pytest.mark.parametrize("rule", RULES)
def test_unfinished_body_is_reported_not_raised(rule, capsys):
    check = RULES[rule][0]

    def unfinished(*args):
        ...

    assert check(unfinished) is False
    assert "still `...`" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("rule", RULES)
def test_exception_in_readers_code_is_reported_with_its_type(rule, capsys):
    check = RULES[rule][0]

    def broken(*args):
        raise ZeroDivisionError("boom")

    assert check(broken) is False
    out = " ".join(capsys.readouterr().out.split())
    assert "ZeroDivisionError" in out and "boom" in out


def test_wrong_return_shape_and_arity_are_named(capsys):
    assert uc.check_heavy_ball(lambda th, p, g, a, m: th) is False
    assert "(theta, velocity)" in " ".join(capsys.readouterr().out.split())
    assert uc.check_gd_step(lambda th, g, a: np.append(th, 0.0)) is False
    assert "shape (2,)" in " ".join(capsys.readouterr().out.split())
    assert uc.check_gd_step(lambda th, g, a: th * np.nan) is False
    assert "nan" in " ".join(capsys.readouterr().out.split())


def test_readers_in_place_updates_do_not_corrupt_the_reference(capsys):
    def in_place(theta, velocity, grad, lr, momentum):
        velocity *= momentum
        velocity -= lr * grad
        theta += velocity
        return theta, velocity

    assert uc.check_heavy_ball(in_place) is True


def test_sgd_loop_that_drops_the_short_batch_or_steps_per_example(capsys):
    def drop_last(grad_fn, theta, X, y, lr, batch_size, epochs, rng):
        out = sgd(grad_fn, theta, X, y, lr, batch_size, epochs, rng)
        return out.reshape(epochs, -1, out.shape[1])[:, :-1].reshape(-1, out.shape[1])

    assert uc.check_sgd_loop(drop_last) is False
    assert "shorter batch" in " ".join(capsys.readouterr().out.split())

    def never_shuffles(grad_fn, theta, X, y, lr, batch_size, epochs, rng):
        class Identity:
            def permutation(self, n):
                return np.arange(n)
        return sgd(grad_fn, theta, X, y, lr, batch_size, epochs, Identity())

    assert uc.check_sgd_loop(never_shuffles) is False
    assert "stored order" in " ".join(capsys.readouterr().out.split())

    def uses_shuffle(grad_fn, theta, X, y, lr, batch_size, epochs, rng):
        rng.shuffle(np.arange(len(y)))

    assert uc.check_sgd_loop(uses_shuffle) is False
    assert "rng.permutation(n)" in " ".join(capsys.readouterr().out.split())


def test_checks_run_on_a_chapters_own_problem(capsys):
    ravine = lambda w: 0.5 * (w[0] ** 2 + 50.0 * w[1] ** 2)  # noqa: E731
    assert uc.check_heavy_ball(heavy_ball, loss=ravine, theta0=[2.0, 0.5], lr=0.01, momentum=0.8)
    assert uc.check_nesterov(nesterov, loss=ravine, theta0=[2.0, 0.5], lr=0.01, momentum=0.8)


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(fn=3), TypeError, "fn"),
    (dict(fn=gd, lr=0.0), ValueError, "lr"),
    (dict(fn=gd, lr="a"), TypeError, "lr"),
    (dict(fn=gd, theta0=[[1.0]]), ValueError, "theta0"),
    (dict(fn=gd, theta0=[np.nan, 1.0]), ValueError, "theta0"),
    (dict(fn=gd, steps=0), ValueError, "steps"),
    (dict(fn=gd, loss="x"), TypeError, "loss"),
])
def test_bad_arguments_of_a_check_name_the_argument(kwargs, error, name):
    fn = kwargs.pop("fn")
    with pytest.raises(error, match=name):
        uc.check_gd_step(fn, **kwargs)


@pytest.mark.parametrize("call, error, name", [
    (lambda: uc.check_heavy_ball(heavy_ball, momentum=1.0), ValueError, "momentum"),
    (lambda: uc.check_adam(adam, b2=-0.1), ValueError, "b2"),
    (lambda: uc.check_clip_by_norm(clip, max_norm=0), ValueError, "max_norm"),
    (lambda: uc.check_warmup_cosine(warmup_cosine, warmup_steps=5, total_steps=5), ValueError,
     "total_steps"),
    (lambda: uc.check_sgd_loop(sgd, seed=-1), ValueError, "seed"),
    (lambda: uc.check_sgd_loop(sgd, batch_size=0), ValueError, "batch_size"),
])
def test_bad_arguments_of_other_checks_name_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


@settings(max_examples=15, deadline=None)
@given(lr=st.floats(1e-3, 0.08), momentum=st.floats(0.0, 0.95),
       start=st.tuples(st.floats(-2, 2), st.floats(-2, 2)))
def test_heavy_ball_property_right_passes_sign_slip_is_named(lr, momentum, start):
    assert uc.check_heavy_ball(heavy_ball, lr=lr, momentum=momentum, theta0=start)
    flipped = lambda th, p, g, a, m: heavy_ball(th, p, -g, a, m)  # noqa: E731
    if np.any(np.abs(start) > 1e-3):
        assert not uc.check_heavy_ball(flipped, lr=lr, momentum=momentum, theta0=start)


@settings(max_examples=10, deadline=None)
@given(lr=st.floats(1e-3, 0.2), b1=st.floats(0.5, 0.95), b2=st.floats(0.9, 0.9999))
def test_adam_property_right_passes_missing_bias_correction_fails(lr, b1, b2):
    assert uc.check_adam(adam, lr=lr, b1=b1, b2=b2)
    assert not uc.check_adam(adam_without_bias_correction, lr=lr, b1=b1, b2=b2)
