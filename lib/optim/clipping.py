r"""Gradient clipping, as pure composable pieces and as a wrapper around any optimizer rule.

Two ways to bound a gradient :math:`g` before it is used in a step, with a
threshold :math:`c > 0`:

* **by norm** (a pytree counts as one long vector, its *global* norm):

  .. math:: g \leftarrow g \cdot \min\!\left(1, \frac{c}{\lVert g \rVert}\right),

  which keeps the direction and caps the length at :math:`c`
  (:func:`clip_by_norm`, alias :func:`clip_by_global_norm`; the same map as
  ``optax.clip_by_global_norm``);
* **by value**, elementwise:

  .. math:: g_i \leftarrow \min(c, \max(-c, g_i)),

  which caps every component at :math:`c` (so :math:`\lVert g \rVert \le c\sqrt n`)
  but in general *changes the direction* (:func:`clip_by_value`; the same map as
  ``optax.clip``).

The pieces take and return arrays or pytrees of arrays (JAX arrays, so they
compose under ``jax.jit``). :func:`clipped` wraps any optimizer rule
(:class:`lib.optim.Rule`) so that it sees the clipped gradient; with :func:`lib.optim.momentum`,
run by :func:`lib.optim.optimize`, that is gradient descent with momentum on the clipped gradient:

.. math::

    p_{k+1} = \mu p_k - \alpha\, \operatorname{clip}(\nabla f(\theta_k)), \qquad
    \theta_{k+1} = \theta_k + p_{k+1}.

With clipping by norm and :math:`\mu = 0` every step has length at most
:math:`\alpha c`; with momentum, at most :math:`\alpha c (1 - \mu^{k+1}) / (1 - \mu)`.
The run's ``grad_norms`` are the norms of the *unclipped* gradients, so the steps in which
a norm clip was active are those with ``grad_norms > c``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate
from .rules import Rule, check_rule

__all__ = ["global_norm", "clip_by_norm", "clip_by_global_norm", "clip_by_value", "clip_gradient",
           "clipped", "angle_degrees", "CLIP_KINDS"]

#: The clipping rules :func:`clipped` accepts.
CLIP_KINDS = ("norm", "value")


def _check_grad(grad, name="grad"):
    """Real numeric leaves (any shape); finite when concrete. Returns JAX float leaves."""
    leaves, treedef = jax.tree_util.tree_flatten(grad)
    if not leaves:
        raise ValueError(f"{name} must hold at least one number, got an empty {type(grad).__name__}")
    if _validate.is_traced(grad):
        return grad
    converted = []
    for leaf in leaves:
        if isinstance(leaf, (str, bytes)):
            raise TypeError(f"{name} must contain numbers, got {type(leaf).__name__}")
        array = np.asarray(leaf)
        if array.dtype == object or not np.issubdtype(array.dtype, np.number) or array.dtype.kind in "mM":
            raise TypeError(f"{name} must contain real numbers, got dtype {array.dtype}")
        if np.iscomplexobj(array):
            raise TypeError(f"{name} must be real, got complex dtype {array.dtype}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains non-finite values (nan or inf); clipping cannot repair them")
        converted.append(jnp.asarray(array, dtype=jnp.result_type(float)))
    if sum(leaf.size for leaf in converted) == 0:
        raise ValueError(f"{name} must hold at least one number, got size 0")
    return jax.tree_util.tree_unflatten(treedef, converted)


def _check_threshold(name, value):
    return value if _validate.is_traced(value) else _validate.positive(name, value)


def global_norm(tree):
    r"""The Euclidean norm of all entries of an array or pytree, :math:`\sqrt{\sum_i g_i^2}`.

    Safe from overflow: ``global_norm([1e200, 0])`` is 1e200 (see :func:`lib._validate.global_norm`).
    """
    return _validate.global_norm(_check_grad(tree, "tree"))


def _clip_by_norm(grad, max_norm):
    norm = global_norm(grad)
    safe = jnp.where(norm > 0, norm, 1.0)
    scale = jnp.where(norm > max_norm, max_norm / safe, 1.0)
    return jax.tree_util.tree_map(lambda g: g * scale, grad)


def _clip_by_value(grad, threshold):
    return jax.tree_util.tree_map(lambda g: jnp.clip(g, -threshold, threshold), grad)


def clip_by_norm(grad, max_norm):
    r"""Rescale ``grad`` so that its (global) norm is at most ``max_norm``.

    .. math:: g \leftarrow g \cdot \min\!\left(1, \frac{c}{\lVert g \rVert}\right)

    A gradient with :math:`\lVert g \rVert \le c` is returned unchanged; a longer
    one keeps its direction and gets length exactly :math:`c`. For a pytree
    :math:`\lVert g \rVert` is the norm over all leaves together (as in
    ``optax.clip_by_global_norm``). Works under ``jax.jit`` (then no checks run).

    >>> import lib.optim.clipping as clipping, numpy as np
    >>> np.asarray(clipping.clip_by_norm(np.array([3.0, 4.0]), 1.0))
    array([0.6, 0.8])
    >>> np.asarray(clipping.clip_by_norm(np.array([0.3, 0.4]), 1.0))
    array([0.3, 0.4])
    """
    grad = _check_grad(grad)
    max_norm = _check_threshold("max_norm", max_norm)
    return _clip_by_norm(grad, max_norm)


#: Same function as :func:`clip_by_norm` (the norm of a pytree is always its global norm).
clip_by_global_norm = clip_by_norm


def clip_by_value(grad, threshold):
    r"""Clamp every entry of ``grad`` to :math:`[-c, c]`: :math:`g_i \leftarrow \min(c, \max(-c, g_i))`.

    Bounds each component, hence :math:`\lVert g \rVert \le c \sqrt{n}` for
    :math:`n` entries, but changes the direction whenever the large and small
    components are clamped differently.

    >>> import lib.optim.clipping as clipping, numpy as np
    >>> np.asarray(clipping.clip_by_value(np.array([3.0, 0.5, -4.0]), 1.0))
    array([ 1. ,  0.5, -1. ])
    """
    grad = _check_grad(grad)
    threshold = _check_threshold("threshold", threshold)
    return _clip_by_value(grad, threshold)


def _check_kind(clip):
    return _validate.one_of("clip", clip, CLIP_KINDS)


def clip_gradient(grad, threshold, clip="norm"):
    """:func:`clip_by_norm` (``clip="norm"``) or :func:`clip_by_value` (``clip="value"``)."""
    clip = _check_kind(clip)
    threshold = _check_threshold("threshold", threshold)
    return clip_by_norm(grad, threshold) if clip == "norm" else clip_by_value(grad, threshold)


def angle_degrees(a, b) -> float:
    r"""The angle between two arrays or pytrees (flattened), in degrees,
    :math:`\arccos \frac{a^\top b}{\lVert a\rVert \lVert b\rVert}`.

    >>> import lib.optim.clipping as clipping, numpy as np
    >>> round(clipping.angle_degrees(np.array([1.0, 0.0]), np.array([1.0, 1.0])), 6)
    45.0
    """
    a = np.asarray(ravel_pytree(_check_grad(a, "a"))[0])
    b = np.asarray(ravel_pytree(_check_grad(b, "b"))[0])
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same number of entries, got {a.size} and {b.size}")
    if not np.any(a) or not np.any(b):
        raise ValueError("a and b must be nonzero: the angle to a zero vector is undefined")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if not (np.isfinite(na * nb) and na * nb > 1e-290):  # the angle is scale-free: rescale
        a, b = a / np.max(np.abs(a)), b / np.max(np.abs(b))
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cosine = np.clip(a @ b / (na * nb), -1.0, 1.0)
    return float(np.degrees(np.arccos(cosine)))


_CLIP_FNS = {"norm": _clip_by_norm, "value": _clip_by_value}


@functools.cache
def _clipped(rule: Rule, clip: str) -> Rule:
    clip_fn = _CLIP_FNS[clip]

    def update(grads, state, params, hyper, loss):
        return rule.update(clip_fn(grads, hyper["threshold"]), state, params, hyper, loss)

    return Rule(rule.init, update, f"clipped ({clip}) {rule.name}", rule.hyper_names + ("threshold",),
                rule.defaults, rule.schedule_fn)


def clipped(rule: Rule, clip: str = "norm") -> Rule:
    r"""The rule ``rule`` fed the clipped gradient (a wrapper rule, like optax's ``chain(clip, rule)``).

    .. math:: (s_k, \sigma_{k+1}) = \text{update}_{\text{rule}}(\operatorname{clip}_c(g_k), \sigma_k, \ldots)

    with :math:`\operatorname{clip}_c` :func:`clip_by_norm` (``clip="norm"``) or
    :func:`clip_by_value` (``clip="value"``). Adds the hyper-parameter ``"threshold"`` (c > 0)
    to those of ``rule``. With a threshold larger than every gradient (norm) the run is
    exactly that of ``rule``.

    >>> import lib, numpy as np
    >>> run = lib.optimize(clipped(lib.sgd()), lambda x: 50 * x @ x, np.array([1.0, 0.0]),
    ...                    hyper={"lr": 0.1, "threshold": 1.0}, steps=3)
    >>> np.round(run.points[:, 0], 6)
    array([1. , 0.9, 0.8, 0.7])
    """
    check_rule("rule", rule)
    return _clipped(rule, _check_kind(clip))
