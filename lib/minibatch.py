r"""Any optimizer of the protocol on mini-batches: Adam, RMSprop, momentum … with epochs of shuffled batches.

:func:`lib.stochastic.sgd` feeds mini-batches to the driver's batched form with
the momentum rule built in. :func:`optimize_minibatches` does the same for any
:class:`lib.optimizers.Rule`: step :math:`k` sees the gradient of the loss of its
mini-batch :math:`B_k`,

.. math::

    (s_k, \sigma_{k+1}) = \text{update}\Big(\tfrac1S \sum_{i \in B_k} \nabla \ell_i(\theta_k),
    \sigma_k, \theta_k, \text{hyper}\Big), \qquad \theta_{k+1} = \theta_k + s_k ,

with the batches of :func:`lib.stochastic.batch_indices` (a fresh permutation
every epoch). It is the same jitted ``lax.scan`` as :func:`lib.stochastic.sgd`,
not a new loop. :func:`evaluate_points` evaluates a function of the parameters
(a test loss, an accuracy) at the iterates such a run recorded.

>>> import numpy as np, jax.numpy as jnp
>>> from lib.adaptive import adam_rule
>>> x, t = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([2.0, 4.0, 6.0, 8.0])
>>> loss = lambda w, x, t: 0.5 * jnp.mean((x @ w - t) ** 2)
>>> run = optimize_minibatches(adam_rule(), loss, np.zeros(1), x, t, batch_size=2, epochs=300,
...                            hyper={"lr": 0.05, "b1": 0.9, "b2": 0.999, "eps": 1e-8})
>>> run.params.round(2).tolist(), int(run.steps[-1])
([2.0], 600)
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _validate
from .optimizers import Rule, Trajectory, _hyper
from .stochastic import run_minibatches

__all__ = ["optimize_minibatches", "evaluate_points", "accuracy"]


def optimize_minibatches(rule: Rule, f, x0, *data, hyper: dict, batch_size: int, epochs: int = 1,
                         key=0, shuffle: bool = True, eval_every=None, keep_points: bool = False,
                         max_norm=1e8, check_state: bool = True, name: str = "minibatch") -> Trajectory:
    r"""Run the optimizer ``rule`` on mini-batches of ``data`` for ``epochs`` passes.

    Parameters are those of :func:`lib.stochastic.sgd` (the same batches for the
    same ``key``), except that the optimizer is any ``rule`` with its
    hyper-parameters in ``hyper`` (a dict of numbers, traced: new values do not
    recompile). ``check_state`` also stops a run whose optimizer state stops being
    finite. Returns a :class:`lib.Trajectory` with the records of
    :func:`lib.stochastic.sgd`: ``losses[r]`` is the full loss ``f(θ, *data)``
    at step ``steps[r]``, ``grad_norms[r]`` its gradient norm, ``batch_losses[k]``
    the loss of step ``k``'s mini-batch, ``points[r]`` θ flat (with
    ``keep_points``), ``params`` the final parameters shaped like ``x0``.
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"rule must be a lib.optimizers.Rule, got {type(rule).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    return run_minibatches(rule, f, x0, data, _hyper(hyper, rule), batch_size=batch_size, epochs=epochs,
                           key=key, shuffle=shuffle, eval_every=eval_every, keep_points=keep_points,
                           max_norm=max_norm, check_state=check_state, name=name)


@partial(jax.jit, static_argnames=("fn", "unravel"))
def _evaluate(fn, unravel, points, data):
    return jax.vmap(lambda v: fn(unravel(v), *data))(points)


def evaluate_points(fn, points, like, *data) -> np.ndarray:
    """``fn(θ_r, *data)`` at every row ``θ_r`` of ``points`` (flat, ``ravel_pytree`` order of ``like``).

    ``points`` is a run's ``(records, n)`` array (rows of ``nan`` after a
    divergence give ``nan``); ``like`` is a parameter pytree of the run's shape
    (its ``x0``). One vmapped, jitted call: e.g. the test loss at every epoch.
    """
    _validate.callable_("fn", fn)
    like = _validate.parameters("like", like)
    flat, unravel = ravel_pytree(like)
    points = _validate.numeric_array("points", points, "an array of parameter vectors").astype(np.float64)
    if points.ndim != 2 or points.shape[1] != flat.size:
        raise ValueError(f"points must have shape (records, {flat.size}), got {points.shape}")
    data = _validate.data("data", data)
    _validate.scalar_loss(fn, like, data, name="like", f_name="fn", args_name="data")
    return np.asarray(_evaluate(fn, unravel, jnp.asarray(points), tuple(jnp.asarray(a) for a in data)))


def accuracy(logits_fn, params, x, y):
    r"""The fraction of examples whose largest logit is the label.

    :math:`\frac1N\sum_i [\arg\max_c z_{ic} = y_i]`.

    ``logits_fn(params, x)`` gives ``(N, classes)`` logits (e.g. :func:`lib.networks.mlp_apply`).
    Pure, so it can be vmapped (:func:`evaluate_points` with ``partial(accuracy, mlp_apply)``).
    """
    logits = logits_fn(params, x)
    return jnp.mean(jnp.argmax(logits, axis=-1) == jnp.asarray(y))
