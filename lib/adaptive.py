r"""Adam: gradient descent with a per-parameter step size from running gradient moments.

Like :func:`lib.momentum_step`, the update is a composable step with a
NamedTuple state (:func:`adam_init`, :func:`adam_step`); :func:`adam_rule` makes
it a :class:`lib.optimizers.Rule`, and :func:`adam` runs that rule with the one
driver :func:`lib.optimizers.optimize`. With :math:`g_k = \nabla f(\theta_k)`
and :math:`t = k + 1`,

.. math::

    m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
    v \leftarrow \beta_2 v + (1 - \beta_2)\, g \odot g, \\
    \hat m &= m / (1 - \beta_1^t), \qquad \hat v = v / (1 - \beta_2^t), \qquad
    \theta \leftarrow \theta - \alpha\, \hat m / (\sqrt{\hat v} + \epsilon),

all operations elementwise (Kingma & Ba, 2015; the same arithmetic as ``optax.adam``).
Dividing by :math:`\sqrt{\hat v}` rescales each coordinate by an estimate of
its typical gradient size: "a little curvature information", but only along
the coordinate axes.

Adam's two ancestors are rules of the same protocol: :func:`adagrad` divides by
the root of the *sum* of all squared gradients so far (Duchi, Hazan & Singer,
2011), :func:`rmsprop` by the root of their exponential moving *average*
(Tieleman & Hinton, 2012) — Adam without momentum and without bias correction.
Both put ε inside the square root, :math:`g / \sqrt{v + \epsilon}`, as optax does
(Adam puts it outside, :math:`\hat m / (\sqrt{\hat v} + \epsilon)`).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from . import _validate
from .optimizers import Rule, Trajectory, optimize

__all__ = ["AdamState", "adam_init", "adam_step", "adam_rule", "adam",
           "RMSpropState", "rmsprop_init", "rmsprop_step", "rmsprop_rule", "rmsprop",
           "AdaGradState", "adagrad_init", "adagrad_step", "adagrad_rule", "adagrad"]


def _step_arguments(grad, state, state_type, init_name, moment, **hyper):
    """The checks of a public step function, outside ``jax.jit``: ``(grad, hyper values)``.

    ``state`` must be a ``state_type`` (made by ``init_name``) whose field ``moment`` is
    shaped like ``grad``; each ``hyper`` entry is ``name=(check, value)``, a check of
    :mod:`lib._validate`. Traced arguments (inside ``jit``) are returned as they are.
    """
    if not isinstance(state, state_type):
        raise TypeError(f"state must be an {state_type.__name__} (from {init_name}), "
                        f"got {type(state).__name__}")
    values = [value for _, value in hyper.values()]
    if _validate.is_traced((grad, state, *values)):
        return grad, values
    grad = _validate.parameters("grad", grad, any_shape=True)
    _validate.same_structure("state", getattr(state, moment), "grad", grad)
    return grad, [check(name, value) for name, (check, value) in hyper.items()]


class AdamState(NamedTuple):
    """Adam's state: step count ``count`` (t), first moment ``mu`` (m), second moment ``nu`` (v)."""

    count: jax.Array
    mu: object
    nu: object


def _adam_init(params) -> AdamState:
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    return AdamState(jnp.zeros((), dtype=jnp.int32), zeros, zeros)


def adam_init(params) -> AdamState:
    """Zero moments shaped like the parameters (an array or pytree of finite real numbers), count 0."""
    if not _validate.is_traced(params):
        params = _validate.parameters("params", params, any_shape=True)
    return _adam_init(params)


def _adam_step(grad, state, lr, b1, b2, eps):
    count = state.count + 1
    mu = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grad)
    nu = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state.nu, grad)
    t = count.astype(jnp.float64)
    mu_hat_scale = 1.0 / (1.0 - b1 ** t)
    nu_hat_scale = 1.0 / (1.0 - b2 ** t)
    step = jax.tree_util.tree_map(
        lambda m, v: -lr * (m * mu_hat_scale) / (jnp.sqrt(v * nu_hat_scale) + eps), mu, nu)
    return step, AdamState(count, mu, nu)


def adam_step(grad, state: AdamState, lr, b1=0.9, b2=0.999, eps=1e-8):
    r"""One Adam update; returns ``(step, new_state)``; apply as ``θ ← θ + step``.

    ``step`` is :math:`-\alpha\, \hat m / (\sqrt{\hat v} + \epsilon)` (see the module
    docstring). Early in a run :math:`\hat m / \sqrt{\hat v} \approx \operatorname{sign}(g)`,
    so every coordinate moves by about α per step whatever its gradient's size.
    Outside ``jax.jit`` the arguments are checked.

    >>> import jax.numpy as jnp
    >>> g = jnp.array([100.0, 0.01])
    >>> step, state = adam_step(g, adam_init(g), lr=0.1)
    >>> [round(float(s), 6) for s in step]
    [-0.1, -0.1]
    """
    grad, (lr, b1, b2, eps) = _step_arguments(
        grad, state, AdamState, "adam_init", "mu", lr=(_validate.positive, lr),
        b1=(_validate.in_unit_interval, b1), b2=(_validate.in_unit_interval, b2),
        eps=(_validate.positive, eps))
    return _adam_step(grad, state, lr, b1, b2, eps)


def _adam_update(grads, state, params, hyper, loss):
    return _adam_step(grads, state, hyper["lr"], hyper["b1"], hyper["b2"], hyper["eps"])


@functools.cache
def adam_rule() -> Rule:
    """Adam as a :class:`lib.optimizers.Rule`; hyper ``{"lr", "b1", "b2", "eps"}``."""
    return Rule(_adam_init, _adam_update, "adam", ("lr", "b1", "b2", "eps"))


def adam(f, x0, *args, lr, steps=100, b1=0.9, b2=0.999, eps=1e-8, max_norm=1e8) -> Trajectory:
    r"""Run Adam on ``f(x, *args)`` from ``x0`` for ``steps`` steps; returns a :class:`lib.Trajectory`.

    :func:`lib.optimizers.optimize` with :func:`adam_rule`. ``points[k]`` is
    :math:`\theta_k` flattened in ``ravel_pytree`` order and ``losses[k] = f(θ_k)``.
    Like :func:`lib.descend`, a run whose iterate stops being finite or leaves
    the ball ``‖θ‖ ≤ max_norm``, or whose moments overflow, is frozen and
    flagged (``diverged``, ``diverged_at``), its later rows ``nan``. ``lr``,
    ``b1``, ``b2``, ``eps`` and ``x0`` are traced: new values do not recompile.

    >>> import numpy as np
    >>> run = adam(lambda x: 0.5 * (x[0] ** 2 + 100 * x[1] ** 2), np.array([1.0, 1.0]), lr=0.1, steps=3)
    >>> run.points[1].round(6).tolist()   # both coordinates move by lr on the first step
    [0.9, 0.9]
    """
    hyper = {"lr": _validate.positive("lr", lr), "b1": _validate.in_unit_interval("b1", b1),
             "b2": _validate.in_unit_interval("b2", b2), "eps": _validate.positive("eps", eps)}
    return optimize(adam_rule(), f, x0, *args, hyper=hyper, steps=steps, max_norm=max_norm,
                    check_state=True, name="adam")


# ---------------------------------------------------------------------------------- RMSprop

class RMSpropState(NamedTuple):
    """RMSprop's state: the moving average ``nu`` (v) of the squared gradients."""

    nu: object


def _rmsprop_init(params) -> RMSpropState:
    return RMSpropState(jax.tree_util.tree_map(jnp.zeros_like, params))


def rmsprop_init(params) -> RMSpropState:
    """Zero average shaped like the parameters (an array or pytree of finite real numbers)."""
    if not _validate.is_traced(params):
        params = _validate.parameters("params", params, any_shape=True)
    return _rmsprop_init(params)


def _rmsprop_step(grad, state, lr, decay, eps):
    nu = jax.tree_util.tree_map(lambda v, g: decay * v + (1 - decay) * g * g, state.nu, grad)
    step = jax.tree_util.tree_map(lambda v, g: -lr * (g * jax.lax.rsqrt(v + eps)), nu, grad)
    return step, RMSpropState(nu)


def rmsprop_step(grad, state: RMSpropState, lr, decay=0.9, eps=1e-8):
    r"""One RMSprop update; returns ``(step, new_state)``; apply as ``θ ← θ + step``.

    .. math::

        v \leftarrow \rho v + (1 - \rho)\, g \odot g, \qquad
        \theta \leftarrow \theta - \alpha\, g / \sqrt{v + \epsilon}, \qquad v_0 = 0,

    elementwise, with ρ = ``decay``. ε sits *inside* the square root, and there is
    no bias correction: this is ``optax.rmsprop(lr, decay, eps)`` with its defaults
    (``initial_scale=0``, ``eps_in_sqrt=True``, no momentum, not centred). Since
    :math:`v_1 = (1 - \rho) g^2`, the first step is :math:`\alpha / \sqrt{1 - \rho}`
    per coordinate (about 3.16 α for ρ = 0.9), not α as with Adam. Outside
    ``jax.jit`` the arguments are checked.

    >>> import jax.numpy as jnp
    >>> g = jnp.array([100.0, 0.01])
    >>> step, state = rmsprop_step(g, rmsprop_init(g), lr=0.1, decay=0.75, eps=1e-12)
    >>> [round(float(s), 6) for s in step]
    [-0.2, -0.2]
    """
    grad, (lr, decay, eps) = _step_arguments(
        grad, state, RMSpropState, "rmsprop_init", "nu", lr=(_validate.positive, lr),
        decay=(_validate.in_unit_interval, decay), eps=(_validate.positive, eps))
    return _rmsprop_step(grad, state, lr, decay, eps)


def _rmsprop_update(grads, state, params, hyper, loss):
    return _rmsprop_step(grads, state, hyper["lr"], hyper["decay"], hyper["eps"])


@functools.cache
def rmsprop_rule() -> Rule:
    """RMSprop as a :class:`lib.optimizers.Rule`; hyper ``{"lr", "decay", "eps"}``."""
    return Rule(_rmsprop_init, _rmsprop_update, "rmsprop", ("lr", "decay", "eps"))


def rmsprop(f, x0, *args, lr, steps=100, decay=0.9, eps=1e-8, max_norm=1e8) -> Trajectory:
    r"""Run RMSprop on ``f(x, *args)`` from ``x0`` for ``steps`` steps; returns a :class:`lib.Trajectory`.

    :func:`lib.optimizers.optimize` with :func:`rmsprop_rule`: :math:`v \leftarrow \rho v + (1-\rho) g^2`,
    :math:`\theta \leftarrow \theta - \alpha g / \sqrt{v + \epsilon}` (see :func:`rmsprop_step`; the
    arithmetic of ``optax.rmsprop(lr, decay=ρ, eps=ε)``). Divergence is flagged as for :func:`adam`.
    ``lr``, ``decay``, ``eps`` and ``x0`` are traced: new values do not recompile.

    >>> import numpy as np
    >>> run = rmsprop(lambda x: 0.5 * (x[0] ** 2 + 100 * x[1] ** 2), np.array([1.0, 1.0]), lr=0.1,
    ...               decay=0.75, steps=3)
    >>> run.points[1].round(6).tolist()   # both coordinates move by lr / sqrt(1 - decay)
    [0.8, 0.8]
    """
    hyper = {"lr": _validate.positive("lr", lr), "decay": _validate.in_unit_interval("decay", decay),
             "eps": _validate.positive("eps", eps)}
    return optimize(rmsprop_rule(), f, x0, *args, hyper=hyper, steps=steps, max_norm=max_norm,
                    check_state=True, name="rmsprop")


# ---------------------------------------------------------------------------------- AdaGrad

class AdaGradState(NamedTuple):
    r"""AdaGrad's state: ``sum_of_squares``, :math:`\sum_{j \le k} g_j \odot g_j` (from zero).

    The initial accumulator :math:`G_0` is a hyper-parameter, added when the step
    is computed, so that changing it does not recompile.
    """

    sum_of_squares: object


def _adagrad_init(params) -> AdaGradState:
    return AdaGradState(jax.tree_util.tree_map(jnp.zeros_like, params))


def adagrad_init(params) -> AdaGradState:
    """Zero sums shaped like the parameters (an array or pytree of finite real numbers)."""
    if not _validate.is_traced(params):
        params = _validate.parameters("params", params, any_shape=True)
    return _adagrad_init(params)


def _adagrad_step(grad, state, lr, eps, initial_accumulator):
    total = jax.tree_util.tree_map(lambda s, g: s + g * g, state.sum_of_squares, grad)

    def one(s, g):
        accumulator = initial_accumulator + s
        scale = jnp.where(accumulator > 0, jax.lax.rsqrt(accumulator + eps), 0.0)
        return -lr * (scale * g)

    return jax.tree_util.tree_map(one, total, grad), AdaGradState(total)


def adagrad_step(grad, state: AdaGradState, lr, eps=1e-7, initial_accumulator=0.1):
    r"""One AdaGrad update; returns ``(step, new_state)``; apply as ``θ ← θ + step``.

    .. math::

        G \leftarrow G + g \odot g, \qquad \theta \leftarrow \theta - \alpha\, g / \sqrt{G + \epsilon},
        \qquad G_0 = \texttt{initial\_accumulator},

    elementwise (a coordinate with :math:`G = 0` does not move). ε sits *inside*
    the square root and :math:`G_0 = 0.1`, ε = 10⁻⁷ by default: exactly
    ``optax.adagrad(lr)`` with its defaults (``initial_accumulator_value=0.1``,
    ``eps=1e-7``). The effective rate :math:`\alpha / \sqrt{G}` only shrinks: every
    step is smaller than the one before for gradients of constant size, by
    :math:`1/\sqrt{k}`. Outside ``jax.jit`` the arguments are checked.

    >>> import jax.numpy as jnp
    >>> g = jnp.array([3.0, 4.0])
    >>> step, state = adagrad_step(g, adagrad_init(g), lr=1.0, eps=1e-12, initial_accumulator=0.0)
    >>> [round(float(s), 6) for s in step]
    [-1.0, -1.0]
    """
    grad, (lr, eps, initial_accumulator) = _step_arguments(
        grad, state, AdaGradState, "adagrad_init", "sum_of_squares", lr=(_validate.positive, lr),
        eps=(_validate.positive, eps), initial_accumulator=(_validate.nonnegative, initial_accumulator))
    return _adagrad_step(grad, state, lr, eps, initial_accumulator)


def _adagrad_update(grads, state, params, hyper, loss):
    return _adagrad_step(grads, state, hyper["lr"], hyper["eps"], hyper["initial_accumulator"])


@functools.cache
def adagrad_rule() -> Rule:
    """AdaGrad as a :class:`lib.optimizers.Rule`; hyper ``{"lr", "eps", "initial_accumulator"}``."""
    return Rule(_adagrad_init, _adagrad_update, "adagrad", ("lr", "eps", "initial_accumulator"))


def adagrad(f, x0, *args, lr, steps=100, eps=1e-7, initial_accumulator=0.1, max_norm=1e8) -> Trajectory:
    r"""Run AdaGrad on ``f(x, *args)`` from ``x0`` for ``steps`` steps; returns a :class:`lib.Trajectory`.

    :func:`lib.optimizers.optimize` with :func:`adagrad_rule`:
    :math:`G \leftarrow G + g^2`, :math:`\theta \leftarrow \theta - \alpha g / \sqrt{G + \epsilon}`
    from :math:`G_0` = ``initial_accumulator`` (see :func:`adagrad_step`; the
    arithmetic of ``optax.adagrad(lr, initial_accumulator_value=G₀, eps=ε)``).
    Divergence is flagged as for :func:`adam`. ``lr``, ``eps``,
    ``initial_accumulator`` and ``x0`` are traced: new values do not recompile.

    >>> import numpy as np
    >>> run = adagrad(lambda x: 0.5 * (x[0] ** 2 + 100 * x[1] ** 2), np.array([1.0, 1.0]), lr=0.1,
    ...               eps=1e-12, initial_accumulator=0.0, steps=3)
    >>> run.points[1].round(6).tolist()   # the first step is lr * sign(g)
    [0.9, 0.9]
    """
    hyper = {"lr": _validate.positive("lr", lr), "eps": _validate.positive("eps", eps),
             "initial_accumulator": _validate.nonnegative("initial_accumulator", initial_accumulator)}
    return optimize(adagrad_rule(), f, x0, *args, hyper=hyper, steps=steps, max_norm=max_norm,
                    check_state=True, name="adagrad")
