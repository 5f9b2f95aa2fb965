r"""Self-checks for update rules the reader writes: step by step against ``lib``.

Each ``check_*`` function takes the reader's function, runs it on a small
problem next to the book's own implementation, prints one line and returns
``True`` or ``False`` (as :mod:`lib.teaching.checks` does):

- ``Correct.`` when every output agrees with ``lib`` at every step;
- otherwise ``Not yet:`` and where the two first part — the step, the output
  (``theta``, ``velocity``, …) and the entry — with both values and the
  difference, followed by the likely slip when the reader's numbers match a
  known mistake (a flipped sign, momentum applied in the wrong order, Adam
  without bias correction, clipping by value, no reshuffle, …).

The message never shows the reference code. Each step is checked *open loop*:
the reader's function receives the reference state of that step, so a mistake
is reported at the step where it happens instead of being carried along.

A body left as ``...`` returns ``None``; the check says so instead of failing
obscurely. Exceptions raised by the reader's code are reported with the step
at which they happened. Arguments of the checks themselves are validated like
every ``lib`` function (``TypeError``/``ValueError`` naming the argument).

Rules covered (the reader's signatures; arrays are 1-D float64):

==================  =======================================================
check               reader's function
==================  =======================================================
check_gd_step       ``gd_step(theta, grad, lr) -> theta``
check_heavy_ball    ``heavy_ball_step(theta, velocity, grad, lr, momentum)``
check_nesterov      ``nesterov_step(theta, velocity, grad_fn, lr, momentum)``
check_adagrad       ``adagrad_step(theta, sum_sq, grad, lr, eps)``
check_rmsprop       ``rmsprop_step(theta, avg_sq, grad, lr, decay, eps)``
check_adam          ``adam_step(theta, m, v, t, grad, lr, b1, b2, eps)``
check_clip_by_norm  ``clip_by_norm(grad, max_norm) -> grad``
check_warmup_cosine ``warmup_cosine(k, peak_lr, warmup_steps, total_steps)``
check_sgd_loop      ``sgd(grad_fn, theta, X, y, lr, batch_size, epochs, rng)``
==================  =======================================================
"""

from __future__ import annotations

import signal
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate
from ..optim import rules
from ..optim.clipping import clip_by_norm
from ..optim.rules import AdaGradState, AdamState, MomentumState, RMSpropState
from ..optim.schedules import warmup_cosine

__all__ = ["check_gd_step", "check_heavy_ball", "check_nesterov", "check_adagrad", "check_rmsprop",
           "check_adam", "check_clip_by_norm", "check_warmup_cosine", "check_sgd_loop",
           "default_loss", "RecordingRNG"]

CORRECT = "Correct."
NOT_YET = "Not yet: "
#: Agreement wanted between the reader's numbers and ``lib``'s (float64 arithmetic in another order).
RTOL = 1e-9
ATOL = 1e-12
#: Seconds one call of the reader's function may take before the check gives up on it
#: (an endless loop would otherwise hang the notebook and the autograder).
TIME_LIMIT = 10.0
#: The most steps a check compares (a schedule is checked at every step up to ``total_steps``).
MAX_CHECKED_STEPS = 100_000


def default_loss(theta):
    r"""The problem the checks use unless told otherwise: an ill-conditioned, not quite quadratic bowl.

    :math:`f(\theta) = \tfrac12(\theta_0^2 + 10\,\theta_1^2) + \tfrac12\theta_0\theta_1
    + \tfrac1{10}(\theta_0\theta_1)^2`, minimum at the origin. The quartic term makes the
    gradient non-linear, so that a gradient taken at the wrong point shows.
    """
    a, b = theta[0], theta[1]
    return 0.5 * (a**2 + 10.0 * b**2) + 0.5 * a * b + 0.1 * (a * b) ** 2


_DEFAULT_START = (1.5, -1.0)


# ------------------------------------------------------------------------------ reporting

def _report(ok: bool, message: str) -> bool:
    # Wrapped: a notebook output and the website's output box do not wrap long lines.
    print(CORRECT if ok else textwrap.fill(NOT_YET + message, width=88, break_long_words=False,
                                           break_on_hyphens=False))
    return ok


class _Mistake(Exception):
    """The reader's function did something the check can name (returned None, raised, wrong shape)."""


def _close(a, b) -> np.ndarray:
    return np.abs(a - b) <= ATOL + RTOL * np.abs(b)


def _as_outputs(value, names: tuple[str, ...], shapes: tuple, where: str) -> tuple[np.ndarray, ...]:
    """The reader's return value as a tuple of float arrays shaped like ``shapes``, or a _Mistake."""
    if value is None or value is Ellipsis:
        raise _Mistake(f"your function returned {value!r} {where}: its body is probably still `...`; "
                       f"write the update and return {_returned(names)}.")
    if len(names) == 1:
        value = (value,)
    elif not isinstance(value, (tuple, list)) or len(value) != len(names):
        got = f"a {type(value).__name__} of {len(value)}" if isinstance(value, (tuple, list)) \
            else f"a {type(value).__name__}"
        raise _Mistake(f"your function should return {_returned(names)}, got {got} {where}.")
    outputs = []
    for name, shape, item in zip(names, shapes, value):
        if np.iscomplexobj(item) or isinstance(item, complex):
            raise _Mistake(f"{name} must be real, got complex numbers {where}.")
        try:
            array = np.asarray(item, dtype=np.float64)
        except (TypeError, ValueError):
            got = type(item).__name__
            raise _Mistake(f"{name} must be an array of numbers, got {got} {where}.") from None
        if array.shape != shape:
            raise _Mistake(f"{name} should have shape {shape}, got {array.shape} {where}.")
        if not np.all(np.isfinite(array)):
            raise _Mistake(f"{name} contains nan or inf {where}.")
        outputs.append(array)
    return tuple(outputs)


def _returned(names) -> str:
    return names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"


class _TimeUp(BaseException):
    """Raised in the reader's function by the alarm (a BaseException: ``except Exception`` in
    the reader's code does not swallow it)."""


def _bounded(fn, *args):
    """``fn(*args)``, stopped after :data:`TIME_LIMIT` seconds with :class:`_TimeUp`.

    The bound uses ``SIGALRM``, which only the main thread of a POSIX process receives
    (a notebook kernel runs cells there); elsewhere the call is unbounded.
    """
    if (threading.current_thread() is not threading.main_thread()
            or not hasattr(signal, "setitimer")):
        return fn(*args)

    def alarm(signum, frame):
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _guarded(fn, args, where):
    """The reader's ``fn(*args)``; every way it can fail becomes a :class:`_Mistake` saying how."""
    try:
        with np.errstate(all="ignore"):  # nan or inf in the result is reported by name later
            return _bounded(fn, *args)
    except _TimeUp:
        raise _Mistake(f"your function did not return within {TIME_LIMIT:g} s {where} "
                       f"(an endless loop?).") from None
    except SystemExit as err:
        raise _Mistake(f"your function called exit() or raised SystemExit {where} ({err}); "
                       f"return a value instead.") from None
    except Exception as err:  # the reader's code: report it, do not crash the check
        raise _Mistake(f"your function raised {type(err).__name__} {where}: {err}") from None


def _call(fn, args, names, shapes, where):
    return _as_outputs(_guarded(fn, args, where), names, shapes, where)


def _entry(name: str, array: np.ndarray, index: tuple) -> str:
    return name if array.ndim == 0 else f"{name}[{', '.join(str(i) for i in index)}]"


def _first_difference(yours, expected, names) -> str | None:
    """'velocity[1] is 0.12, lib gives 0.1 (off by 0.02, 20 %)' for the first output that differs."""
    for name, mine, theirs in zip(names, yours, expected):
        bad = ~_close(mine, theirs)
        if np.any(bad):
            index = tuple(int(i) for i in np.argwhere(bad)[0]) if mine.ndim else ()
            a, b = float(mine[index]), float(theirs[index])
            relative = f", {abs(a - b) / abs(b):.2g} relative" if b != 0 else ""
            return (f"{_entry(name, mine, index)} is {a:.10g} but should be {b:.10g} "
                    f"(off by {abs(a - b):.3g}{relative})")
    return None


@dataclass(frozen=True)
class _Slip:
    """A typical mistake: the numbers it produces and what to say when the reader's match them."""

    outputs: Callable  # same arguments as the reader's function → tuple of arrays
    hint: str


def _matching_slip(yours_by_step, inputs_by_step, slips, names, shapes) -> str | None:
    for slip in slips:
        try:
            with np.errstate(all="ignore"):  # a slip may well take the root of a negative number
                matches = all(all(np.all(_close(m, s)) for m, s in
                                  zip(mine, _as_outputs(slip.outputs(*args), names, shapes, "")))
                              for mine, args in zip(yours_by_step, inputs_by_step))
            if matches:
                return slip.hint
        except _Mistake:  # the slip itself leaves the finite range on this problem
            continue
    return None


def _compare_steps(fn, inputs_by_step, expected_by_step, names, shapes, slips, step_word="step",
                   first_index=1):
    """Run ``fn`` on every step's inputs (copies), compare with ``expected``; print; return bool.

    Steps are numbered from ``first_index`` in the messages ("at step 1", "at k = 0").
    """
    yours_by_step = []
    first = None
    for k, (args, expected) in enumerate(zip(inputs_by_step, expected_by_step), start=first_index):
        where = f"at {step_word} {k}"
        try:
            yours = _call(fn, [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args],
                          names, shapes, where)
        except _Mistake as mistake:
            return _report(False, str(mistake))
        yours_by_step.append(yours)
        difference = _first_difference(yours, expected, names)
        if difference is not None and first is None:
            first = (k, difference)
    if first is None:
        return _report(True, "")
    k, difference = first
    total = f" of {len(inputs_by_step)}" if first_index == 1 else ""
    message = f"at {step_word} {k}{total}, {difference}."
    # Judge the slip where the mistake first shows: later steps start from the reference
    # state, where a reader's slip and the named slip need not agree (e.g. a negated gradient
    # and a negated step coincide at step 1 only).
    index = k - first_index
    hint = _matching_slip(yours_by_step[index:index + 1], inputs_by_step[index:index + 1], slips,
                          names, shapes)
    if hint is None and k > first_index and step_word == "step":
        hint = ("step 1 is right and a later one is not: check how the state you return is "
                "updated (it is fed back in at the next step).")
    return _report(False, message + (" Likely slip: " + hint if hint else ""))


# ------------------------------------------------------------------------------ problems

def _problem(loss, theta0, steps):
    loss = _validate.callable_("loss", loss)
    theta0 = _validate.real_array("theta0", theta0, "a vector")
    if theta0.ndim != 1 or theta0.size == 0:
        raise ValueError(f"theta0 must be a non-empty 1-D vector, got shape {theta0.shape}")
    steps = _validate.count("steps", steps, 1000)
    _validate.scalar_loss(loss, theta0, (), name="theta0", f_name="loss")
    gradient = jax.jit(jax.grad(loss))

    def grad_fn(theta):
        return np.asarray(gradient(jnp.asarray(theta, dtype=jnp.float64)))

    return grad_fn, theta0, steps


def _momentum_arguments(fn, lr, momentum, loss, theta0, steps):
    """The checked arguments of a momentum check: ``fn``, α, μ and the problem (:func:`_problem`)."""
    return (_check_fn(fn), _validate.positive("lr", lr), _validate.in_unit_interval("momentum", momentum),
            _problem(loss, theta0, steps))


def _check_fn(fn, name="fn"):
    if not callable(fn):
        raise TypeError(f"{name} must be your function (a callable), got {type(fn).__name__}")
    return fn


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _step(rule, grad, state, **hyper):
    """One step of lib's ``rule`` from ``state``: ``(step, new_state)``."""
    return rule.update(jnp.asarray(grad), state, None, hyper, None)


def _run_rule(fn, grad_fn, theta0, steps, state0, reference, names, slips, make_args):
    """Closed-loop reference trajectory; the reader's function is fed each step's reference state.

    ``reference(state) -> next state`` (a tuple whose first entry is θ; entries after the
    reader's outputs ``names``, such as Adam's step count, are bookkeeping the reader does not
    return); ``make_args(state)`` builds the reader's arguments from a state.
    """
    state = (theta0,) + state0
    inputs, expected = [], []
    for _ in range(steps):
        inputs.append(make_args(state))
        state = tuple(_arr(s) for s in reference(state))
        expected.append(state[:len(names)])
    shapes = tuple(np.shape(s) for s in expected[0])
    return _compare_steps(fn, inputs, expected, names, shapes, slips)


# ------------------------------------------------------------------------------ the rules

def check_gd_step(fn, *, lr=0.05, loss=default_loss, theta0=_DEFAULT_START, steps=5) -> bool:
    r"""Check ``fn(theta, grad, lr) -> theta`` against :math:`\theta - \alpha\nabla f(\theta)`.

    >>> check_gd_step(lambda theta, grad, lr: theta - lr * grad)
    Correct.
    True
    >>> check_gd_step(lambda theta, grad, lr: theta + lr * grad)  # doctest: +ELLIPSIS
    Not yet: at step 1 of 5, theta[0] is ... Likely slip: the sign...
    False
    """
    fn = _check_fn(fn)
    lr = _validate.positive("lr", lr)
    grad_fn, theta0, steps = _problem(loss, theta0, steps)

    def reference(state):
        step, _ = _step(rules.momentum(), grad_fn(state[0]), MomentumState(jnp.zeros_like(state[0])),
                        lr=lr, momentum=0.0)
        return (state[0] + _arr(step),)

    slips = [
        _Slip(lambda th, g, a: th + a * g, "the sign: gradient descent moves against the gradient, "
              "θ − α∇f, not θ + α∇f."),
        _Slip(lambda th, g, a: th - g, "the learning rate: the step is the gradient scaled by α."),
    ]
    return _run_rule(fn, grad_fn, theta0, steps, (), reference, ("theta",), slips,
                     lambda s: (s[0], grad_fn(s[0]), lr))


def check_heavy_ball(fn, *, lr=0.05, momentum=0.9, loss=default_loss, theta0=_DEFAULT_START,
                     steps=6) -> bool:
    r"""Check ``fn(theta, velocity, grad, lr, momentum) -> (theta, velocity)``.

    The heavy ball of :func:`lib.descend`: :math:`p \leftarrow \mu p - \alpha\nabla f(\theta)`,
    then :math:`\theta \leftarrow \theta + p`, from :math:`p_0 = 0`.

    >>> def heavy_ball_step(theta, velocity, grad, lr, momentum):
    ...     velocity = momentum * velocity - lr * grad
    ...     return theta + velocity, velocity
    >>> check_heavy_ball(heavy_ball_step)
    Correct.
    True
    """
    fn, lr, momentum, (grad_fn, theta0, steps) = _momentum_arguments(fn, lr, momentum, loss, theta0, steps)

    def reference(state):
        theta, velocity = state
        step, new = _step(rules.momentum(), grad_fn(theta), MomentumState(jnp.asarray(velocity)), lr=lr,
                          momentum=momentum)
        return theta + _arr(step), new.velocity

    slips = [
        _Slip(lambda th, p, g, a, m: (th + (m * p + a * g), m * p + a * g),
              "the sign: the velocity collects −α∇f (p ← μp − α∇f), not +α∇f."),
        _Slip(lambda th, p, g, a, m: (th + p, m * p - a * g),
              "the order: θ moved with the old velocity. Update p first, then θ ← θ + p with the new p."),
        _Slip(lambda th, p, g, a, m: (th + (p - a * g), p - a * g),
              "the friction: the old velocity must be scaled by μ (p ← μp − α∇f)."),
        _Slip(lambda th, p, g, a, m: (th + (m * p - (1 - m) * a * g), m * p - (1 - m) * a * g),
              "the gradient is scaled by (1 − μ): that is the averaging form of momentum; "
              "here p ← μp − α∇f."),
        _Slip(lambda th, p, g, a, m: (th - a * g, m * p - a * g),
              "θ moved by −α∇f alone: it must move by the new velocity, θ ← θ + p."),
    ]
    return _run_rule(fn, grad_fn, theta0, steps, (np.zeros_like(theta0),), reference,
                     ("theta", "velocity"), slips,
                     lambda s: (s[0], s[1], grad_fn(s[0]), lr, momentum))


def check_nesterov(fn, *, lr=0.05, momentum=0.9, loss=default_loss, theta0=_DEFAULT_START,
                   steps=6) -> bool:
    r"""Check ``fn(theta, velocity, grad_fn, lr, momentum) -> (theta, velocity)``.

    Sutskever's form of Nesterov's method: :math:`p \leftarrow \mu p - \alpha\nabla
    f(\theta + \mu p)`, then :math:`\theta \leftarrow \theta + p`. The reference is
    ``lib``'s Nesterov step (which tracks the look-ahead point :math:`\theta + \mu p`),
    translated back to :math:`\theta`.
    """
    fn, lr, momentum, (grad_fn, theta0, steps) = _momentum_arguments(fn, lr, momentum, loss, theta0, steps)

    def reference(state):
        theta, velocity = state
        ahead = theta + momentum * velocity  # lib's iterate is the look-ahead point
        step, new = _step(rules.momentum(nesterov=True), grad_fn(ahead), MomentumState(jnp.asarray(velocity)),
                          lr=lr, momentum=momentum)
        new_velocity = _arr(new.velocity)
        return ahead + _arr(step) - momentum * new_velocity, new_velocity

    def heavy(th, p, gf, a, m):
        p = m * p - a * gf(th)
        return th + p, p

    def ahead_with_new(th, p, gf, a, m):
        p = m * p - a * gf(th)
        return th + p, m * p - a * gf(th + m * p)

    slips = [
        _Slip(heavy, "the gradient is taken at θ: that is the heavy ball. Nesterov takes it at the "
              "look-ahead point θ + μp."),
        _Slip(lambda th, p, gf, a, m: (th + (m * p + a * gf(th + m * p)), m * p + a * gf(th + m * p)),
              "the sign: the velocity collects −α∇f, not +α∇f."),
        _Slip(lambda th, p, gf, a, m: (th + p, m * p - a * gf(th + m * p)),
              "the order: θ moved with the old velocity; update p first, then θ ← θ + p."),
        _Slip(ahead_with_new, "the look-ahead point must use the old velocity: ∇f(θ + μp) before p changes."),
    ]
    return _run_rule(fn, grad_fn, theta0, steps, (np.zeros_like(theta0),), reference,
                     ("theta", "velocity"), slips,
                     lambda s: (s[0], s[1], grad_fn, lr, momentum))


def check_adagrad(fn, *, lr=0.5, eps=1e-7, loss=default_loss, theta0=_DEFAULT_START, steps=6) -> bool:
    r"""Check ``fn(theta, sum_sq, grad, lr, eps) -> (theta, sum_sq)``.

    :math:`G \leftarrow G + g \odot g`, then :math:`\theta \leftarrow \theta - \alpha\, g /
    \sqrt{G + \epsilon}` elementwise, from :math:`G_0 = 0` (``lib.adagrad``
    with ``initial_accumulator=0``; ε inside the root, as optax).
    """
    fn = _check_fn(fn)
    lr = _validate.positive("lr", lr)
    eps = _validate.positive("eps", eps)
    grad_fn, theta0, steps = _problem(loss, theta0, steps)

    def reference(state):
        theta, total = state
        step, new = _step(rules.adagrad(), grad_fn(theta), AdaGradState(jnp.asarray(total)), lr=lr, eps=eps,
                          initial_accumulator=0.0)
        return theta + _arr(step), new.sum_of_squares

    def old_sum(th, s, g, a, e):
        step = np.where(s > 0, -a * g / np.sqrt(s + e), -a * g / np.sqrt(e))
        return th + step, s + g * g

    slips = [
        _Slip(lambda th, s, g, a, e: (th + a * g / np.sqrt(s + g * g + e), s + g * g),
              "the sign: the step is −α g/√(G + ε)."),
        _Slip(old_sum, "the order: add g ⊙ g to G before dividing by √(G + ε)."),
        _Slip(lambda th, s, g, a, e: (th - a * g / (s + g * g + e), s + g * g),
              "the square root: divide by √(G + ε), not by G + ε."),
        _Slip(lambda th, s, g, a, e: (th - a * g / (np.sqrt(s + g * g) + e), s + g * g),
              "ε goes inside the square root here: √(G + ε) (as optax), not √G + ε."),
        _Slip(lambda th, s, g, a, e: (th - a * g / np.sqrt(s + g + e), s + g),
              "G accumulates the squares g ⊙ g, not g."),
    ]
    return _run_rule(fn, grad_fn, theta0, steps, (np.zeros_like(theta0),), reference,
                     ("theta", "sum_sq"), slips,
                     lambda s: (s[0], s[1], grad_fn(s[0]), lr, eps))


def check_rmsprop(fn, *, lr=0.05, decay=0.9, eps=1e-8, loss=default_loss, theta0=_DEFAULT_START,
                  steps=6) -> bool:
    r"""Check ``fn(theta, avg_sq, grad, lr, decay, eps) -> (theta, avg_sq)``.

    :math:`v \leftarrow \rho v + (1 - \rho)\, g \odot g`, then :math:`\theta \leftarrow
    \theta - \alpha\, g / \sqrt{v + \epsilon}`, from :math:`v_0 = 0` (``lib.rmsprop``;
    ρ = ``decay``).
    """
    fn = _check_fn(fn)
    lr = _validate.positive("lr", lr)
    decay = _validate.in_unit_interval("decay", decay)
    eps = _validate.positive("eps", eps)
    grad_fn, theta0, steps = _problem(loss, theta0, steps)

    def reference(state):
        theta, average = state
        step, new = _step(rules.rmsprop(), grad_fn(theta), RMSpropState(jnp.asarray(average)), lr=lr,
                          decay=decay, eps=eps)
        return theta + _arr(step), new.nu

    def new_v(v, g, r):
        return r * v + (1 - r) * g * g

    slips = [
        _Slip(lambda th, v, g, a, r, e: (th + a * g / np.sqrt(new_v(v, g, r) + e), new_v(v, g, r)),
              "the sign: the step is −α g/√(v + ε)."),
        _Slip(lambda th, v, g, a, r, e: (th - a * g / np.sqrt(v + e), new_v(v, g, r)),
              "the order: update the average v first, then divide by √(v + ε) with the new v."),
        _Slip(lambda th, v, g, a, r, e: (th - a * g / np.sqrt(r * v + g * g + e), r * v + g * g),
              "the average: weight the new square by (1 − ρ), v ← ρv + (1 − ρ) g ⊙ g."),
        _Slip(lambda th, v, g, a, r, e: (th - a * g / np.sqrt((1 - r) * v + r * g * g + e),
                                         (1 - r) * v + r * g * g),
              "ρ and 1 − ρ are swapped: the old average keeps weight ρ."),
        _Slip(lambda th, v, g, a, r, e: (th - a * g / (new_v(v, g, r) + e), new_v(v, g, r)),
              "the square root: divide by √(v + ε), not by v + ε."),
        _Slip(lambda th, v, g, a, r, e: (th - a * g / (np.sqrt(new_v(v, g, r)) + e), new_v(v, g, r)),
              "ε goes inside the square root here: √(v + ε) (as optax), not √v + ε."),
    ]
    return _run_rule(fn, grad_fn, theta0, steps, (np.zeros_like(theta0),), reference,
                     ("theta", "avg_sq"), slips,
                     lambda s: (s[0], s[1], grad_fn(s[0]), lr, decay, eps))


def check_adam(fn, *, lr=0.05, b1=0.9, b2=0.999, eps=1e-8, loss=default_loss, theta0=_DEFAULT_START,
               steps=6) -> bool:
    r"""Check ``fn(theta, m, v, t, grad, lr, b1, b2, eps) -> (theta, m, v)``.

    ``t`` is the number of this step, 1 for the first. :math:`m \leftarrow \beta_1 m + (1 -
    \beta_1) g`, :math:`v \leftarrow \beta_2 v + (1 - \beta_2) g \odot g`, :math:`\hat m = m/(1 -
    \beta_1^t)`, :math:`\hat v = v/(1 - \beta_2^t)`, :math:`\theta \leftarrow \theta - \alpha\,\hat m
    / (\sqrt{\hat v} + \epsilon)` (``lib.adam``).
    """
    fn = _check_fn(fn)
    lr = _validate.positive("lr", lr)
    b1 = _validate.in_unit_interval("b1", b1)
    b2 = _validate.in_unit_interval("b2", b2)
    eps = _validate.positive("eps", eps)
    grad_fn, theta0, steps = _problem(loss, theta0, steps)

    def reference(state):
        theta, m, v, taken = state  # taken: the number of steps before this one
        step, new = _step(rules.adam(), grad_fn(theta), AdamState(jnp.asarray(taken, dtype=jnp.int32),
                                                            jnp.asarray(m), jnp.asarray(v)),
                          lr=lr, b1=b1, b2=b2, eps=eps)
        return theta + _arr(step), new.mu, new.nu, new.count

    def adam_like(correct_t, eps_inside=False, sign=-1.0, square=True, swap=False):
        def step(th, m, v, t, g, a, c1, c2, e):
            if swap:
                m, v = (1 - c1) * m + c1 * g, (1 - c2) * v + c2 * g * g
            elif square:
                m, v = c1 * m + (1 - c1) * g, c2 * v + (1 - c2) * g * g
            else:
                m, v = c1 * m + (1 - c1) * g, c2 * v + (1 - c2) * g
            tc = correct_t(t)
            m_hat = m / (1 - c1**tc) if tc is not None else m
            v_hat = v / (1 - c2**tc) if tc is not None else v
            denominator = np.sqrt(v_hat + e) if eps_inside else np.sqrt(v_hat) + e
            return th + sign * a * m_hat / denominator, m, v
        return step

    slips = [
        _Slip(adam_like(lambda t: None), "bias correction is missing: divide m by 1 − β₁ᵗ and v by "
              "1 − β₂ᵗ before the step (both averages start at zero)."),
        _Slip(adam_like(lambda t: t + 1), "the step count is off by one: t is 1 at the first step."),
        _Slip(adam_like(lambda t: t - 1 if t > 1 else None),
              "the step count is off by one: t is 1 at the first step, so 1 − β₁ᵗ = 1 − β₁ there."),
        _Slip(adam_like(lambda t: t, sign=1.0), "the sign: the step is −α m̂/(√v̂ + ε)."),
        _Slip(lambda th, m, v, t, g, *rest: adam_like(lambda t: t)(th, m, v, t, -g, *rest),
              "the sign: m averages the gradient g itself, and the step is −α m̂/(√v̂ + ε)."),
        _Slip(adam_like(lambda t: t, eps_inside=True), "ε goes outside the root here: √v̂ + ε."),
        _Slip(adam_like(lambda t: t, square=False), "v averages the squared gradient g ⊙ g, not g."),
        _Slip(adam_like(lambda t: t, swap=True), "β and 1 − β are swapped: the old average keeps weight β."),
    ]
    zeros = np.zeros_like(theta0)
    return _run_rule(fn, grad_fn, theta0, steps, (zeros, zeros, 0), reference, ("theta", "m", "v"), slips,
                     lambda s: (s[0], s[1], s[2], int(s[3]) + 1, grad_fn(s[0]), lr, b1, b2, eps))


def check_clip_by_norm(fn, *, max_norm=1.0) -> bool:
    r"""Check ``fn(grad, max_norm) -> grad`` against :func:`lib.optim.clipping.clip_by_norm`.

    Tried on gradients shorter and longer than ``max_norm``, in several directions:
    a longer gradient keeps its direction and gets length ``max_norm``; a shorter one
    is returned unchanged.
    """
    fn = _check_fn(fn)
    max_norm = _validate.positive("max_norm", max_norm)
    gradients = [np.array([3.0, 4.0]), np.array([0.3, -0.4]), np.array([-10.0, 0.5]),
                 np.array([0.0, 0.0]), np.array([2.0, -2.0]), np.array([0.05, 0.9])]
    gradients = [g * max_norm for g in gradients]
    inputs = [(g, max_norm) for g in gradients]
    expected = [(_arr(clip_by_norm(g, max_norm)),) for g in gradients]

    def scaled_always(g, c):
        n = np.linalg.norm(g)
        return g * c / n if n > 0 else g

    slips = [
        _Slip(lambda g, c: np.clip(g, -c, c), "you clipped each component to [−c, c]: that is clipping "
              "by value. Clipping by norm rescales the whole vector, g · c/‖g‖, keeping its direction."),
        _Slip(scaled_always, "a gradient already shorter than max_norm must be left unchanged: "
              "rescale only when ‖g‖ > max_norm."),
        _Slip(lambda g, c: g * min(1.0, c / np.sum(np.abs(g))) if np.any(g) else g,
              "the norm is the Euclidean length √(Σ gᵢ²), not the sum of |gᵢ|."),
        _Slip(lambda g, c: g * min(1.0, c / np.sum(g * g)) if np.any(g) else g,
              "divide by the norm ‖g‖ = √(Σ gᵢ²), not by its square."),
    ]
    return _compare_steps(fn, inputs, expected, ("grad",), ((2,),) * len(gradients), slips,
                          step_word="test gradient")


def check_warmup_cosine(fn, *, peak_lr=0.1, warmup_steps=5, total_steps=20) -> bool:
    r"""Check ``fn(k, peak_lr, warmup_steps, total_steps) -> learning rate at step k``.

    Linear warm-up from 0 at step 0 to ``peak_lr`` at step W, then half a cosine down
    to 0 at step K = ``total_steps``, constant after: :func:`lib.optim.schedules.warmup_cosine`
    with ``init_lr = final_lr = 0``. Checked at the steps ``0 … K + 2``.
    """
    fn = _check_fn(fn)
    peak_lr = _validate.positive("peak_lr", peak_lr)
    warmup_steps = _validate.count("warmup_steps", warmup_steps, MAX_CHECKED_STEPS)
    total_steps = _validate.count("total_steps", total_steps, MAX_CHECKED_STEPS)
    if total_steps <= warmup_steps:
        raise ValueError(f"total_steps must be > warmup_steps ({warmup_steps}), got {total_steps}")
    span = total_steps + 3
    rates = warmup_cosine(peak_lr, warmup_steps, total_steps).values(span)
    inputs = [(k, peak_lr, warmup_steps, total_steps) for k in range(span)]
    expected = [(np.float64(r),) for r in rates]

    def cosine(k, p, w, t, start=None, full=False):
        start = w if start is None else start
        x = min(k - start, t - start) / (t - start)
        return p * (0.5 * (1 + np.cos((2 if full else 1) * np.pi * x)))

    slips = [
        _Slip(lambda k, p, w, t: p * (k + 1) / w if k < w else cosine(k, p, w, t),
              "the warm-up starts one step late or early: the rate is 0 at step 0 and reaches the peak "
              "exactly at step W (α_k = α₀ k/W for k < W)."),
        _Slip(lambda k, p, w, t: p * k / w if k < w else cosine(k, p, w, t, full=True),
              "the decay is a full cosine period: use half a period, ½(1 + cos(π x)) with x from 0 to 1."),
        _Slip(lambda k, p, w, t: p * k / w if k < w else cosine(k, p, w, t, start=0),
              "the cosine should start at step W, after the warm-up: x = (k − W)/(K − W)."),
        _Slip(lambda k, p, w, t: p * k / w if k < w else p * 0.5 * (1 + np.cos(np.pi * (k - w) / (t - w))),
              "after step K the rate stays at its final value: clip x = min(k − W, K − W)/(K − W)."),
        _Slip(lambda k, p, w, t: cosine(k, p, 0, t, start=0), "the warm-up is missing: the rate "
              "grows linearly from 0 over the first W steps."),
    ]
    return _compare_steps(fn, inputs, expected, ("rate",), ((),) * span, slips, step_word="k =",
                          first_index=0)


# ------------------------------------------------------------------------------ the SGD loop

class RecordingRNG:
    """A ``numpy.random.Generator`` stand-in that records the orders it hands out.

    Only :meth:`permutation` is offered, the one call the SGD loop needs; anything else
    raises an ``AttributeError`` that says so. ``seed`` is an integer in [0, 2**63) (no
    default, and ``None`` is refused: a check's orders must be the same on every run).
    """

    def __init__(self, seed: int):
        self._rng = np.random.default_rng(_validate.seed("seed", seed))
        self.orders: list[np.ndarray] = []

    def permutation(self, n):
        order = self._rng.permutation(n)
        if np.ndim(order) == 1:
            self.orders.append(np.array(order))
        return order

    def __getattr__(self, name):
        raise AttributeError(f"this check's rng offers only rng.permutation(n) (one call per epoch), "
                             f"not rng.{name}")


def _sgd_reference(grad_fn, theta0, X, y, lr, batch_size, orders):
    theta, iterates = theta0, []
    n = len(y)
    for order in orders:
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            theta = theta - lr * grad_fn(theta, X[rows], y[rows])
            iterates.append(theta)
    return np.array(iterates)


def _least_squares_gradient(theta, X, y):
    """Gradient of the mean of ½(xᵀθ − y)² over the rows given (the chapter's linear model)."""
    return X.T @ (X @ theta - y) / len(y)


def check_sgd_loop(fn, *, lr=0.05, batch_size=8, epochs=3, seed=0) -> bool:
    r"""Check ``fn(grad_fn, theta, X, y, lr, batch_size, epochs, rng) -> iterates``.

    The loop must, in each epoch, draw a new order with ``rng.permutation(n)``, cut it
    into consecutive batches of ``batch_size`` (the last may be shorter), and take one
    step :math:`\theta \leftarrow \theta - \alpha\, \text{grad\_fn}(\theta, X_B, y_B)` per
    batch; it returns the iterates after every step as an array ``(steps, d)``. The data:
    50 examples of a linear least-squares problem, so an epoch has ⌈50/S⌉ steps.
    """
    fn = _check_fn(fn)
    lr = _validate.positive("lr", lr)
    epochs = _validate.count("epochs", epochs, 100)
    seed = _validate.seed("seed", seed)
    data_rng = np.random.default_rng(12345)
    n, d = 50, 3
    X = data_rng.normal(size=(n, d))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * data_rng.normal(size=n)
    batch_size = _validate.batch_size("batch_size", batch_size, n)
    theta0 = np.zeros(d)
    rng = RecordingRNG(seed)
    calls = []

    def grad_fn(theta, Xb, yb):
        calls.append(len(yb))
        return _least_squares_gradient(np.asarray(theta, dtype=np.float64), np.asarray(Xb), np.asarray(yb))

    try:
        iterates = _guarded(fn, (grad_fn, theta0.copy(), X.copy(), y.copy(), lr, batch_size, epochs, rng),
                            "")
    except _Mistake as mistake:
        text = str(mistake).replace(" :", ":").replace(" .", ".")
        if "this check's rng offers only" in text:  # the message of RecordingRNG, as it was raised
            return _report(False, text[text.index("this check's rng"):].rstrip(".") + ".")
        return _report(False, text)
    if iterates is None:
        return _report(False, "your function returned None: its body is probably still `...`; "
                       "return the iterates after every step as an array (steps, d).")
    try:
        if np.iscomplexobj(iterates):
            return _report(False, "the iterates must be real, got complex numbers.")
        iterates = np.asarray(iterates, dtype=np.float64)
    except (TypeError, ValueError):
        return _report(False, "return the iterates as an array of shape (steps, d) (or a list of vectors).")
    per_epoch = -(-n // batch_size)
    steps = epochs * per_epoch
    if iterates.ndim != 2 or iterates.shape[1] != d:
        return _report(False, f"return the iterates as an array of shape (steps, {d}), one row per "
                       f"step; got shape {iterates.shape}.")
    in_stored_order = _sgd_reference(_least_squares_gradient, theta0, X, y, lr, batch_size,
                                     [np.arange(n)] * epochs)
    if not rng.orders:
        if iterates.shape == in_stored_order.shape and np.all(_close(iterates, in_stored_order)):
            return _report(False, "the examples are visited in their stored order: draw a new order "
                           "with rng.permutation(n) at the start of every epoch.")
        return _report(False, "rng.permutation(n) was never called: each epoch's order must come from it.")
    if len(rng.orders) < epochs:
        return _report(False, f"rng.permutation was called {len(rng.orders)} time(s) for {epochs} epochs: "
                       "reshuffle at the start of every epoch, not once.")
    if len(rng.orders) > epochs:
        return _report(False, f"rng.permutation was called {len(rng.orders)} times for {epochs} epochs: "
                       "draw one order per epoch, not per batch.")
    if iterates.shape[0] != steps:
        if iterates.shape[0] == epochs * (n // batch_size):
            return _report(False, f"{iterates.shape[0]} steps instead of {steps}: keep the last, shorter "
                           f"batch ({n} examples are not a multiple of {batch_size}).")
        if iterates.shape[0] == epochs * n:
            return _report(False, "one step per example: take one step per batch of batch_size examples.")
        return _report(False, f"{iterates.shape[0]} iterates; expected one per step: "
                       f"{epochs} epochs × {per_epoch} batches = {steps}.")
    expected = _sgd_reference(_least_squares_gradient, theta0, X, y, lr, batch_size, rng.orders)
    bad = ~_close(iterates, expected)
    if not np.any(bad):
        return _report(True, "")
    k, i = (int(v) for v in np.argwhere(bad)[0])
    message = (f"at step {k + 1} of {steps} (epoch {k // per_epoch + 1}), theta[{i}] is "
               f"{iterates[k, i]:.10g} but should be {expected[k, i]:.10g}.")
    if np.all(_close(iterates, in_stored_order)):
        hint = ("you drew an order but took the batches in the stored order: use the rows "
                "order[start:start + batch_size].")
    elif np.all(_close(iterates, _sgd_reference(_least_squares_gradient, theta0, X, y, lr, batch_size,
                                                [rng.orders[0]] * epochs))):
        hint = "every epoch reuses the first order: use the order drawn for that epoch."
    elif np.all(_close(iterates, _sgd_reference(lambda t, a, b: -_least_squares_gradient(t, a, b),
                                                theta0, X, y, lr, batch_size, rng.orders))):
        hint = "the sign: step against the gradient, θ ← θ − α g."
    else:
        hint = None
    return _report(False, message + (" Likely slip: " + hint if hint else ""))
