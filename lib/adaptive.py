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
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from . import _validate
from .optimizers import Rule, Trajectory, optimize

__all__ = ["AdamState", "adam_init", "adam_step", "adam_rule", "adam"]


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
    if not isinstance(state, AdamState):
        raise TypeError(f"state must be an AdamState (from adam_init), got {type(state).__name__}")
    if not _validate.is_traced((grad, state, lr, b1, b2, eps)):
        grad = _validate.parameters("grad", grad, any_shape=True)
        _validate.same_structure("state", state.mu, "grad", grad)
        lr = _validate.positive("lr", lr)
        b1 = _validate.in_unit_interval("b1", b1)
        b2 = _validate.in_unit_interval("b2", b2)
        eps = _validate.positive("eps", eps)
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
