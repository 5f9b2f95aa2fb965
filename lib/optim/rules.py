r"""The optimizers of the book, each one :class:`Rule`: a pair of pure functions, as in optax.

* ``init(params) -> state`` — the rule's state :math:`\sigma_0` for flat parameters :math:`\theta_0`;
* ``update(grads, state, params, hyper, loss) -> (step, new_state)`` — the step :math:`s_k`
  (applied as :math:`\theta_{k+1} = \theta_k + s_k`) from the gradient
  :math:`g_k = \nabla f(\theta_k)` of the step's loss, the state, the parameters
  :math:`\theta_k`, the hyper-parameters ``hyper`` (a dict of traced numbers) and ``loss``,
  the flat loss of the step (a mini-batch's in a mini-batch run), so that a rule that needs
  more than the gradient — Newton's method needs the Hessian — can differentiate it again.

The constructors, each cached (the same arguments give the same rule, so the driver
:func:`lib.optim.optimize` compiles once per rule):

* :func:`sgd` — :math:`s = -\alpha g`; hyper ``lr``;
* :func:`momentum` — :math:`p \leftarrow \mu p - \alpha g`, :math:`s = p` (Nesterov:
  :math:`s = \mu p_{\text{new}} - \alpha g`); hyper ``lr``, ``momentum``;
* :func:`adam` — :math:`s = -\alpha \hat m / (\sqrt{\hat v} + \epsilon)`; hyper ``lr``,
  ``b1`` (0.9), ``b2`` (0.999), ``eps`` (1e-8);
* :func:`rmsprop` — :math:`s = -\alpha g / \sqrt{v + \epsilon}`; hyper ``lr``, ``decay`` (0.9),
  ``eps`` (1e-8);
* :func:`adagrad` — :math:`s = -\alpha g / \sqrt{G + \epsilon}`; hyper ``lr``, ``eps`` (1e-7),
  ``initial_accumulator`` (0.1);
* :func:`newton` — :math:`s = -(H + \delta I)^{-1} g`; hyper ``damping`` (0),

(defaults in parentheses; products and quotients elementwise) and two wrappers that make a new
rule from one: :func:`lib.optim.clipped` (the rule sees the clipped gradient; optax's
``chain(clip, rule)``) and :func:`scheduled` (the learning rate
follows a :class:`lib.optim.Schedule`). A hyper-parameter with a default may be left out of
``hyper``; every hyper-parameter is traced, so a new value never recompiles.

Adam (Kingma & Ba, 2015; the arithmetic of ``optax.adam``), with :math:`t = k + 1`:

.. math::

    m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
    v \leftarrow \beta_2 v + (1 - \beta_2)\, g \odot g, \\
    \hat m &= m / (1 - \beta_1^t), \qquad \hat v = v / (1 - \beta_2^t), \qquad
    \theta \leftarrow \theta - \alpha\, \hat m / (\sqrt{\hat v} + \epsilon).

Dividing by :math:`\sqrt{\hat v}` rescales each coordinate by an estimate of its typical
gradient size: "a little curvature information", but only along the coordinate axes. Adam's
two ancestors: AdaGrad divides by the root of the *sum* of all squared gradients so far
(Duchi, Hazan & Singer, 2011), RMSprop by the root of their exponential moving *average*
(Tieleman & Hinton, 2012) — Adam without momentum and without bias correction. Both put ε
inside the square root, :math:`g / \sqrt{v + \epsilon}`, as optax does.

A rule's ``update`` can be called by hand, one step at a time:

>>> import jax.numpy as jnp
>>> rule = adam()
>>> g = jnp.array([100.0, 0.01])
>>> step, state = rule.update(g, rule.init(g), g, {"lr": 0.1, "b1": 0.9, "b2": 0.999, "eps": 1e-8}, None)
>>> [round(float(s), 6) for s in step]
[-0.1, -0.1]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .. import _validate

__all__ = ["Rule", "check_rule", "sgd", "momentum", "adam", "rmsprop", "adagrad", "newton", "scheduled",
           "MomentumState", "AdamState", "RMSpropState", "AdaGradState", "ScheduledState"]


class Rule(NamedTuple):
    """An optimizer: ``init(params) -> state`` and ``update(grads, state, params, hyper, loss)``.

    ``update`` returns ``(step, new_state)``; the driver applies ``θ ← θ + step``.
    ``params`` and ``grads`` are flat float64 vectors; ``hyper`` is a dict of traced
    numbers; ``loss`` is the flat loss function of the current step. ``hyper_names``
    lists the hyper-parameters ``update`` reads and ``defaults`` the ``(name, value)``
    pairs used when ``hyper`` leaves one out; ``schedule_fn`` is the schedule a
    :func:`scheduled` rule follows (``None`` otherwise). A rule is a static argument of the
    jitted driver, so build it once (the constructors are cached): a new rule object
    compiles anew.
    """

    init: Callable
    update: Callable
    name: str = "rule"
    hyper_names: tuple = ()
    defaults: tuple = ()
    schedule_fn: Callable | None = None


def check_rule(name: str, rule) -> Rule:
    """``rule`` if it is a :class:`Rule` whose fields have the documented kinds; else an error
    naming ``name`` (a hand-made or ``_replace``-d rule must fail here, not inside ``jit``)."""
    if not isinstance(rule, Rule):
        raise TypeError(f"{name} must be a lib.optim.Rule, got {type(rule).__name__}")
    _validate.callable_(f"{name}.init", rule.init, "a function")
    _validate.callable_(f"{name}.update", rule.update, "a function")
    if rule.schedule_fn is not None:
        _validate.callable_(f"{name}.schedule_fn", rule.schedule_fn, "a function")
    if not isinstance(rule.name, str):
        raise TypeError(f"{name}.name must be a string, got {type(rule.name).__name__}")
    if not (isinstance(rule.hyper_names, tuple) and all(isinstance(h, str) for h in rule.hyper_names)):
        raise TypeError(f"{name}.hyper_names must be a tuple of strings, got {rule.hyper_names!r}")
    if not (isinstance(rule.defaults, tuple)
            and all(isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)
                    for pair in rule.defaults)):
        raise TypeError(f"{name}.defaults must be a tuple of (name, value) pairs, got {rule.defaults!r}")
    return rule


def _tree_zeros(params):
    return jax.tree_util.tree_map(jnp.zeros_like, params)


# ------------------------------------------------------------------------------- sgd, momentum

@functools.cache
def sgd() -> Rule:
    r"""Plain gradient descent, :math:`\theta \leftarrow \theta - \alpha g`; hyper ``{"lr": α}``, no state.

    With mini-batches (``batch_size=`` in :func:`lib.optim.optimize`) :math:`g` is the
    gradient of the step's mini-batch loss: stochastic gradient descent.
    """
    def update(grads, state, params, hyper, loss):
        return jax.tree_util.tree_map(lambda g: -hyper["lr"] * g, grads), state

    return Rule(lambda params: (), update, "sgd", ("lr",))


class MomentumState(NamedTuple):
    """State of :func:`momentum`: the velocity :math:`p`."""

    velocity: jax.Array


def momentum(nesterov: bool = False) -> Rule:
    r"""Gradient descent with heavy-ball (or Nesterov) momentum; hyper ``{"lr": α, "momentum": μ}``.

    .. math::

        p \leftarrow \mu p - \alpha \nabla f(\theta), \qquad \theta \leftarrow \theta + p,
        \qquad p_0 = 0 .

    With μ = 0 this is :func:`sgd`. With ``nesterov=True`` the step is
    :math:`\mu p_{\text{new}} - \alpha \nabla f(\theta)` (Bengio et al.'s rewriting of
    Nesterov's method, the form optax uses): the iterate then tracks the look-ahead point
    :math:`\theta + \mu p` of Sutskever's form :math:`p \leftarrow \mu p - \alpha \nabla
    f(\theta + \mu p)`. μ may be 1 here (no friction); :func:`lib.descend` refuses it.
    The velocity of step k is the step itself, :math:`p_k = \theta_k - \theta_{k-1}`.
    """
    return _momentum(_validate.boolean("nesterov", nesterov))


@functools.cache
def _momentum(nesterov: bool) -> Rule:
    def update(grads, state, params, hyper, loss):
        lr, mu = hyper["lr"], hyper["momentum"]
        velocity = jax.tree_util.tree_map(lambda p, g: mu * p - lr * g, state.velocity, grads)
        if nesterov:
            step = jax.tree_util.tree_map(lambda p, g: mu * p - lr * g, velocity, grads)
        else:
            step = velocity
        return step, MomentumState(velocity)

    return Rule(lambda params: MomentumState(_tree_zeros(params)), update,
                "nesterov" if nesterov else "momentum", ("lr", "momentum"))


# -------------------------------------------------------------------------------------- Adam

class AdamState(NamedTuple):
    """Adam's state: step count ``count`` (t), first moment ``mu`` (m), second moment ``nu`` (v)."""

    count: jax.Array
    mu: object
    nu: object


@functools.cache
def adam() -> Rule:
    r"""Adam (see the module docstring); hyper ``{"lr", "b1": 0.9, "b2": 0.999, "eps": 1e-8}``.

    Early in a run :math:`\hat m / \sqrt{\hat v} \approx \operatorname{sign}(g)`, so every
    coordinate moves by about α per step whatever its gradient's size.
    """
    def init(params):
        zeros = _tree_zeros(params)
        return AdamState(jnp.zeros((), dtype=jnp.int32), zeros, zeros)

    def update(grads, state, params, hyper, loss):
        lr, b1, b2, eps = hyper["lr"], hyper["b1"], hyper["b2"], hyper["eps"]
        count = state.count + 1
        mu = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
        nu = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state.nu, grads)
        t = count.astype(jnp.float64)
        mu_hat_scale = 1.0 / (1.0 - b1 ** t)
        nu_hat_scale = 1.0 / (1.0 - b2 ** t)
        step = jax.tree_util.tree_map(
            lambda m, v: -lr * (m * mu_hat_scale) / (jnp.sqrt(v * nu_hat_scale) + eps), mu, nu)
        return step, AdamState(count, mu, nu)

    return Rule(init, update, "adam", ("lr", "b1", "b2", "eps"),
                (("b1", 0.9), ("b2", 0.999), ("eps", 1e-8)))


# ----------------------------------------------------------------------------------- RMSprop

class RMSpropState(NamedTuple):
    """RMSprop's state: the moving average ``nu`` (v) of the squared gradients."""

    nu: object


@functools.cache
def rmsprop() -> Rule:
    r"""RMSprop; hyper ``{"lr", "decay": 0.9, "eps": 1e-8}``.

    .. math::

        v \leftarrow \rho v + (1 - \rho)\, g \odot g, \qquad
        \theta \leftarrow \theta - \alpha\, g / \sqrt{v + \epsilon}, \qquad v_0 = 0,

    elementwise, with ρ = ``decay``. ε sits *inside* the square root, and there is no
    bias correction: ``optax.rmsprop(lr, decay, eps)`` with its defaults. Since
    :math:`v_1 = (1 - \rho) g^2`, the first step is :math:`\alpha / \sqrt{1 - \rho}` per
    coordinate (about 3.16 α for ρ = 0.9), not α as with Adam.
    """
    def update(grads, state, params, hyper, loss):
        lr, decay, eps = hyper["lr"], hyper["decay"], hyper["eps"]
        nu = jax.tree_util.tree_map(lambda v, g: decay * v + (1 - decay) * g * g, state.nu, grads)
        step = jax.tree_util.tree_map(lambda v, g: -lr * (g * jax.lax.rsqrt(v + eps)), nu, grads)
        return step, RMSpropState(nu)

    return Rule(lambda params: RMSpropState(_tree_zeros(params)), update, "rmsprop",
                ("lr", "decay", "eps"), (("decay", 0.9), ("eps", 1e-8)))


# ----------------------------------------------------------------------------------- AdaGrad

class AdaGradState(NamedTuple):
    r"""AdaGrad's state: ``sum_of_squares``, :math:`\sum_{j \le k} g_j \odot g_j` (from zero).

    The initial accumulator :math:`G_0` is a hyper-parameter, added when the step is
    computed, so that changing it does not recompile.
    """

    sum_of_squares: object


@functools.cache
def adagrad() -> Rule:
    r"""AdaGrad; hyper ``{"lr", "eps": 1e-7, "initial_accumulator": 0.1}``.

    .. math::

        G \leftarrow G + g \odot g, \qquad \theta \leftarrow \theta - \alpha\, g / \sqrt{G + \epsilon},
        \qquad G_0 = \texttt{initial\_accumulator},

    elementwise (a coordinate with :math:`G = 0` does not move): exactly
    ``optax.adagrad(lr)`` with its defaults. The effective rate :math:`\alpha / \sqrt{G}`
    only shrinks: for gradients of constant size by :math:`1/\sqrt{k}`.
    """
    def update(grads, state, params, hyper, loss):
        lr, eps, initial = hyper["lr"], hyper["eps"], hyper["initial_accumulator"]
        total = jax.tree_util.tree_map(lambda s, g: s + g * g, state.sum_of_squares, grads)

        def one(s, g):
            accumulator = initial + s
            scale = jnp.where(accumulator > 0, jax.lax.rsqrt(accumulator + eps), 0.0)
            return -lr * (scale * g)

        return jax.tree_util.tree_map(one, total, grads), AdaGradState(total)

    return Rule(lambda params: AdaGradState(_tree_zeros(params)), update, "adagrad",
                ("lr", "eps", "initial_accumulator"), (("eps", 1e-7), ("initial_accumulator", 0.1)))


# ------------------------------------------------------------------------------------ Newton

@functools.cache
def newton() -> Rule:
    r"""Newton's method, the step :math:`-(H + \delta I)^{-1} g`; hyper ``{"damping": δ = 0}``.

    .. math:: \theta_{k+1} = \theta_k - (H(\theta_k) + \delta I)^{-1} \nabla f(\theta_k).

    Stateless; it differentiates the step's ``loss`` twice at the parameters (the
    symmetrised Hessian). A singular (damped) Hessian gives a non-finite step, which the
    driver flags as a divergence.
    """
    def update(grads, state, params, hyper, loss):
        h = jax.jacfwd(jax.grad(loss))(params)
        eye = jnp.eye(params.size)
        return -jnp.linalg.solve((h + h.T) / 2 + hyper["damping"] * eye, grads), state

    def init(params):  # the shape is known even while tracing: refuse a Hessian that cannot fit
        _validate.memory("x0 (its Hessian)", params.size ** 2)
        return ()

    return Rule(init, update, "newton", ("damping",), (("damping", 0.0),))


# ------------------------------------------------------------------------------ the schedule

class ScheduledState(NamedTuple):
    """State of :func:`scheduled`: the step count and the inner rule's state."""

    count: jax.Array
    inner: object


def scheduled(rule: Rule, schedule) -> Rule:
    """``rule`` with its learning rate ``hyper["lr"] = schedule.fn(k, *hyper["schedule"])`` at step ``k``.

    ``schedule`` is a :class:`lib.optim.Schedule` (or its ``fn``); only its *kind*
    (the function) is part of the rule. Its numbers are the hyper-parameter
    ``"schedule"``, traced: pass the schedule itself, ``hyper={"schedule": s}``, or the
    tuple ``s.params``. Cached: the same pair gives the same rule.
    """
    check_rule("rule", rule)
    fn = getattr(schedule, "fn", schedule)
    if not callable(fn) or isinstance(fn, type):
        got = f"the class {fn.__name__}" if isinstance(fn, type) else type(schedule).__name__
        raise TypeError(f"schedule must be a lib.optim.Schedule, got {got}")
    return _scheduled(rule, fn)


@functools.cache
def _scheduled(rule: Rule, schedule_fn: Callable) -> Rule:
    def init(params):
        return ScheduledState(jnp.asarray(0), rule.init(params))

    def update(grads, state, params, hyper, loss):
        lr = schedule_fn(state.count, *hyper["schedule"])
        step, inner = rule.update(grads, state.inner, params, dict(hyper, lr=lr), loss)
        return step, ScheduledState(state.count + 1, inner)

    names = tuple(name for name in rule.hyper_names if name != "lr") + ("schedule",)
    return Rule(init, update, f"scheduled {rule.name}", names, rule.defaults, schedule_fn)
