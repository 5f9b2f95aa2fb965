r"""Learning-rate schedules: pure functions from the step count :math:`k` to a learning rate.

A schedule is a :class:`Schedule`: a module-level rule ``fn(k, *params)`` written
with ``jax.numpy`` (so ``k`` may be a traced integer inside ``lax.scan``) and the
numbers ``params`` it needs. Calling the schedule evaluates it::

    >>> import lib.optim.schedules as schedules
    >>> s = schedules.step_decay(0.1, every=100, factor=0.5)
    >>> [float(s(k)) for k in (0, 99, 100, 250)]
    [0.1, 0.1, 0.05, 0.025]

:func:`lib.optim.scheduled` makes a rule follow a schedule: the rule depends only on
``fn`` (a fixed function object) and ``params`` are its traced hyper-parameter
``"schedule"``, so a new learning rate, decay factor or drop time never recompiles; only a
different *kind* of schedule does::

    >>> import lib, numpy as np
    >>> rule = lib.scheduled(lib.sgd(), s)
    >>> run = lib.optimize(rule, lambda x: x @ x, np.array([1.0]), hyper={"schedule": s}, steps=2)

=========================================  ===================================================================
schedule                                   :math:`\alpha_k`
=========================================  ===================================================================
``constant(lr)``                           :math:`\alpha_0`
``step_decay(lr, every, factor)``          :math:`\alpha_0\, \gamma^{\lfloor k / T \rfloor}`
``piecewise_constant(lr, boundaries, f)``  :math:`\alpha_0\, \gamma^{\#\{b_j \le k\}}` (drops at chosen steps)
``exponential(lr, rate, every=1)``         :math:`\alpha_0\, r^{k / T}`
``inverse_time(lr, tau)``                  :math:`\alpha_0 / (1 + k/\tau)` (":math:`1/t`")
``cosine(lr, total_steps, final_lr=0)``    half a cosine from α₀ down to α_T over K steps, then α_T
``warmup_constant(lr, warmup_steps)``      :math:`\alpha_i + (\alpha_0 - \alpha_i) \min(k, W)/W` (warm-up)
``warmup_cosine(lr, warmup_steps, K)``     linear warm-up over W steps, then half a cosine to α_T at K
=========================================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from .. import _validate

__all__ = ["Schedule", "constant", "step_decay", "piecewise_constant", "exponential",
           "inverse_time", "cosine", "warmup_constant", "warmup_cosine"]


class Schedule(NamedTuple):
    """A learning-rate schedule: ``fn(k, *params)`` is the rate at step ``k`` (0-based).

    ``fn`` must be a pure ``jax.numpy`` function with a stable identity (the
    module-level rules below); ``params`` is a tuple of floats or 1-D float arrays.
    """

    name: str
    fn: Callable
    params: tuple

    def __call__(self, step):
        """The learning rate at ``step``: a ``jax.Array`` scalar (traceable)."""
        return self.fn(jnp.asarray(step), *(jnp.asarray(p) for p in self.params))

    def values(self, steps: int) -> np.ndarray:
        """The rates at steps ``0 … steps-1`` as a numpy array."""
        steps = _validate.count("steps", steps, _validate.MAX_STEPS)
        return np.asarray(self(jnp.arange(steps)))


def _constant(k, lr):
    return lr * jnp.ones_like(k, dtype=jnp.result_type(lr, jnp.float64))


def _step_decay(k, lr, every, factor):
    # k is an integer step: (k + ½)/T is never within ½T of an integer, so rounding in the
    # division (XLA may multiply by 1/T) cannot move the floor across a drop.
    return lr * factor ** jnp.floor((k + 0.5) / every)


def _piecewise(k, lr, boundaries, factor):
    drops = jnp.sum(jnp.asarray(k)[..., None] >= boundaries, axis=-1)
    return lr * factor ** drops


def _exponential(k, lr, rate, every):
    return lr * rate ** (k / every)


def _inverse_time(k, lr, tau):
    return lr / (1.0 + k / tau)


def _cosine(k, lr, total, final):
    progress = jnp.minimum(k, total) / total
    return final + 0.5 * (lr - final) * (1.0 + jnp.cos(jnp.pi * progress))


def _warmup_constant(k, lr, warmup, initial):
    return initial + (lr - initial) * (jnp.minimum(k, warmup) / warmup)


def _warmup_cosine(k, lr, warmup, total, initial, final):
    rising = initial + (lr - initial) * (jnp.minimum(k, warmup) / warmup)
    progress = jnp.clip(k - warmup, 0, total - warmup) / (total - warmup)
    falling = final + 0.5 * (lr - final) * (1.0 + jnp.cos(jnp.pi * progress))
    return jnp.where(k < warmup, rising, falling)


def _factor(name, value):
    value = _validate.real_scalar(name, value)
    if not 0.0 < value <= 1.0:
        raise ValueError(f"{name} must lie in (0, 1] (a decay multiplies the rate), got {value}")
    return value


def constant(lr) -> Schedule:
    r""":math:`\alpha_k = \alpha_0` for every step."""
    return Schedule("constant", _constant, (_validate.positive("lr", lr),))


def step_decay(lr, every, factor=0.1) -> Schedule:
    r"""Multiply the rate by ``factor`` every ``every`` steps.

    :math:`\alpha_k = \alpha_0 \gamma^{\lfloor k/T \rfloor}`.
    """
    return Schedule("step_decay", _step_decay, (_validate.positive("lr", lr),
                                                 float(_validate.count("every", every, _validate.MAX_STEPS)),
                                                 _factor("factor", factor)))


def piecewise_constant(lr, boundaries, factor=0.1) -> Schedule:
    r"""Multiply the rate by ``factor`` at each step in ``boundaries`` (sorted, ≥ 1).

    :math:`\alpha_k = \alpha_0\, \gamma^{n(k)}`, where :math:`n(k)` counts the
    boundaries :math:`b_j \le k`. With one boundary this is "train at α₀, then drop once".

    >>> s = piecewise_constant(1.0, boundaries=[3], factor=0.1)
    >>> s.values(5).round(3).tolist()
    [1.0, 1.0, 1.0, 0.1, 0.1]
    """
    lr = _validate.positive("lr", lr)
    if isinstance(boundaries, (str, bytes, dict)):
        raise TypeError(f"boundaries must be a sequence of step numbers, got {type(boundaries).__name__}")
    try:
        values = [b for b in boundaries]
    except TypeError as err:
        raise TypeError(f"boundaries must be a sequence of step numbers, "
                        f"got {type(boundaries).__name__}") from err
    if not values:
        raise ValueError("boundaries must contain at least one step")
    for b in values:
        if isinstance(b, (np.timedelta64, np.datetime64, list, tuple, np.ndarray)):
            raise TypeError(f"boundaries must hold step numbers (integers), got {type(b).__name__}")
    values = [_validate.positive_int("boundaries", int(b) if isinstance(b, np.integer) else b)
              for b in values]
    if any(b >= c for b, c in zip(values[:-1], values[1:])):
        raise ValueError(f"boundaries must be strictly increasing, got {values}")
    return Schedule("piecewise_constant", _piecewise,
                    (lr, np.asarray(values, dtype=np.float64), _factor("factor", factor)))


def exponential(lr, rate, every=1) -> Schedule:
    r"""The rate shrinks by ``rate`` every ``every`` steps, smoothly: :math:`\alpha_k = \alpha_0 r^{k/T}`."""
    lr, rate = _validate.positive("lr", lr), _factor("rate", rate)
    every = _validate.count("every", every, _validate.MAX_STEPS)
    return Schedule("exponential", _exponential, (lr, rate, float(every)))


def inverse_time(lr, tau) -> Schedule:
    r""":math:`\alpha_k = \alpha_0 / (1 + k/\tau)`: halved after ``tau`` steps, then decays like :math:`1/k`.

    The classical Robbins–Monro conditions :math:`\sum_k \alpha_k = \infty`,
    :math:`\sum_k \alpha_k^2 < \infty` hold for this schedule.
    """
    return Schedule("inverse_time", _inverse_time, (_validate.positive("lr", lr),
                                                    _validate.positive("tau", tau)))


def cosine(lr, total_steps, final_lr=0.0) -> Schedule:
    r"""Half a cosine from ``lr`` at step 0 to ``final_lr`` at ``total_steps``, constant after.

    .. math::
        \alpha_k = \alpha_T + \tfrac12 (\alpha_0 - \alpha_T)\bigl(1 + \cos(\pi \min(k, K)/K)\bigr).
    """
    lr = _validate.positive("lr", lr)
    final_lr = _validate.real_scalar("final_lr", final_lr)
    if not 0.0 <= final_lr <= lr:
        raise ValueError(f"final_lr must lie in [0, lr] = [0, {lr}], got {final_lr}")
    total = _validate.count("total_steps", total_steps, _validate.MAX_STEPS)
    return Schedule("cosine", _cosine, (lr, float(total), final_lr))


def _initial_lr(lr, init_lr):
    init_lr = _validate.real_scalar("init_lr", init_lr)
    if not 0.0 <= init_lr <= lr:
        raise ValueError(f"init_lr must lie in [0, lr] = [0, {lr}], got {init_lr}")
    return init_lr


def warmup_constant(lr, warmup_steps, init_lr=0.0) -> Schedule:
    r"""Linear warm-up from ``init_lr`` to ``lr`` over ``warmup_steps`` steps, then constant ``lr``.

    .. math:: \alpha_k = \alpha_i + (\alpha_0 - \alpha_i)\, \min(k, W) / W .

    The same numbers as ``optax.warmup_constant_schedule(init_lr, lr, warmup_steps)``
    and ``optax.linear_schedule(init_lr, lr, warmup_steps)``. The first step
    (k = 0) uses ``init_lr`` — zero by default, so it does not move.

    >>> warmup_constant(1.0, warmup_steps=4).values(6).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    lr = _validate.positive("lr", lr)
    warmup = _validate.count("warmup_steps", warmup_steps, _validate.MAX_STEPS)
    return Schedule("warmup_constant", _warmup_constant, (lr, float(warmup), _initial_lr(lr, init_lr)))


def warmup_cosine(lr, warmup_steps, total_steps, init_lr=0.0, final_lr=0.0) -> Schedule:
    r"""Linear warm-up to ``lr`` over ``warmup_steps`` steps, then half a cosine down to ``final_lr``.

    .. math::

        \alpha_k = \begin{cases}
            \alpha_i + (\alpha_0 - \alpha_i)\, k / W, & k < W, \\
            \alpha_T + \tfrac12 (\alpha_0 - \alpha_T)\bigl(1 + \cos(\pi \min(k - W, K - W)/(K - W))\bigr),
            & k \ge W,
        \end{cases}

    so the rate peaks at ``lr`` at step W and reaches ``final_lr`` at step
    K = ``total_steps`` (> W, warm-up included), constant after. The same numbers as
    ``optax.warmup_cosine_decay_schedule(init_lr, lr, warmup_steps, total_steps, final_lr)``.

    >>> warmup_cosine(1.0, warmup_steps=2, total_steps=4).values(6).round(6).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """
    lr = _validate.positive("lr", lr)
    warmup = _validate.count("warmup_steps", warmup_steps, _validate.MAX_STEPS)
    total = _validate.count("total_steps", total_steps, _validate.MAX_STEPS)
    if total <= warmup:
        raise ValueError(f"total_steps must be > warmup_steps = {warmup} (it includes the warm-up), "
                         f"got {total}")
    init_lr = _initial_lr(lr, init_lr)
    final_lr = _validate.real_scalar("final_lr", final_lr)
    if not 0.0 <= final_lr <= lr:
        raise ValueError(f"final_lr must lie in [0, lr] = [0, {lr}], got {final_lr}")
    return Schedule("warmup_cosine", _warmup_cosine, (lr, float(warmup), float(total), init_lr, final_lr))
