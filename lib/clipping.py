r"""Gradient clipping, as pure composable pieces and as a jitted descent driver.

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
compose under ``jax.jit``). :func:`descend_clipped` runs gradient descent with
heavy-ball momentum on the clipped gradient as one ``lax.scan`` inside one
``jax.jit``, like :func:`lib.descend`:

.. math::

    p_{k+1} = \mu p_k - \alpha\, \operatorname{clip}(\nabla f(\theta_k)), \qquad
    \theta_{k+1} = \theta_k + p_{k+1}.

With clipping by norm and :math:`\mu = 0` every step has length at most
:math:`\alpha c`; with momentum, at most :math:`\alpha c (1 - \mu^{k+1}) / (1 - \mu)`.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _validate
from .optimizers import _TRACES, momentum_init, momentum_step, scan_updates

__all__ = ["cliff_loss", "cliff_surface", "CLIFF_HEIGHT", "CLIFF_STEEPNESS", "global_norm", "clip_by_norm", "clip_by_global_norm", "clip_by_value", "clip_gradient",
           "angle_degrees", "ClippedTrajectory", "descend_clipped", "CLIP_KINDS"]

#: The clipping rules :func:`descend_clipped` accepts.
CLIP_KINDS = ("norm", "value")


def _is_traced(value) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(value))


def _check_grad(grad):
    """Real numeric leaves (any shape); finite when concrete. Returns JAX float leaves."""
    leaves, treedef = jax.tree_util.tree_flatten(grad)
    if not leaves:
        raise ValueError(f"grad must hold at least one number, got an empty {type(grad).__name__}")
    if _is_traced(grad):
        return grad
    converted = []
    for leaf in leaves:
        if isinstance(leaf, (str, bytes)):
            raise TypeError(f"grad must contain numbers, got {type(leaf).__name__}")
        array = np.asarray(leaf)
        if array.dtype == object or not np.issubdtype(array.dtype, np.number):
            raise TypeError(f"grad must contain real numbers, got dtype {array.dtype}")
        if np.iscomplexobj(array):
            raise TypeError(f"grad must be real, got complex dtype {array.dtype}")
        if not np.all(np.isfinite(array)):
            raise ValueError("grad contains non-finite values (nan or inf); clipping cannot repair them")
        converted.append(jnp.asarray(array, dtype=jnp.result_type(float)))
    return jax.tree_util.tree_unflatten(treedef, converted)


def _check_threshold(name, value):
    return value if _is_traced(value) else _validate.positive(name, value)


def global_norm(tree):
    r"""The Euclidean norm of all entries of an array or pytree, :math:`\sqrt{\sum_i g_i^2}`."""
    return jnp.sqrt(sum(jnp.sum(jnp.square(leaf)) for leaf in jax.tree_util.tree_leaves(tree)))


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

    >>> import lib.clipping as clipping, numpy as np
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

    >>> import lib.clipping as clipping, numpy as np
    >>> np.asarray(clipping.clip_by_value(np.array([3.0, 0.5, -4.0]), 1.0))
    array([ 1. ,  0.5, -1. ])
    """
    grad = _check_grad(grad)
    threshold = _check_threshold("threshold", threshold)
    return _clip_by_value(grad, threshold)


def _check_kind(clip):
    if not isinstance(clip, str):
        raise TypeError(f"clip must be one of {CLIP_KINDS}, got {type(clip).__name__}")
    if clip not in CLIP_KINDS:
        raise ValueError(f"clip must be one of {CLIP_KINDS}, got {clip!r}")
    return clip


def clip_gradient(grad, threshold, clip="norm"):
    """:func:`clip_by_norm` (``clip="norm"``) or :func:`clip_by_value` (``clip="value"``)."""
    clip = _check_kind(clip)
    return clip_by_norm(grad, threshold) if clip == "norm" else clip_by_value(grad, threshold)


def angle_degrees(a, b) -> float:
    r"""The angle between two arrays or pytrees (flattened), in degrees, :math:`\arccos \frac{a^\top b}{\lVert a\rVert \lVert b\rVert}`.

    >>> import lib.clipping as clipping, numpy as np
    >>> round(clipping.angle_degrees(np.array([1.0, 0.0]), np.array([1.0, 1.0])), 6)
    45.0
    """
    a = np.asarray(ravel_pytree(_check_grad(a))[0])
    b = np.asarray(ravel_pytree(_check_grad(b))[0])
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same number of entries, got {a.size} and {b.size}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("a and b must be nonzero: the angle to a zero vector is undefined")
    cosine = np.clip(a @ b / (na * nb), -1.0, 1.0)
    return float(np.degrees(np.arccos(cosine)))


class ClippedTrajectory(NamedTuple):
    r"""The iterates of one clipped run.

    ``points[k]`` is :math:`\theta_k` (flat) and ``losses[k]`` is :math:`f(\theta_k)`,
    ``grad_norms[k]`` the norm of the *unclipped* gradient :math:`\lVert\nabla f(\theta_k)\rVert`,
    for ``k = 0 … steps``; ``clipped[k]`` says whether the clip was active in step ``k``
    (``k < steps``). After a divergence (``diverged``, from row ``diverged_at`` on)
    every row is ``nan`` and ``clipped`` is False, as in :class:`lib.Trajectory`.
    """

    points: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    clipped: np.ndarray
    diverged: bool
    diverged_at: Optional[int]


@partial(jax.jit, static_argnames=("f", "steps", "clip"))
def _descend_clipped(f, x0, args, lr, momentum, threshold, max_norm, *, steps, clip):
    _TRACES["descend_clipped"] += 1  # runs only while tracing
    clip_fn = _clip_by_norm if clip == "norm" else _clip_by_value

    def update(g, state):
        return momentum_step(clip_fn(g, threshold), state, lr, momentum)

    def record(g, state):
        return jnp.linalg.norm(g), jnp.any(clip_fn(g, threshold) != g)

    points, losses, (norms, clipped) = scan_updates(f, x0, args, momentum_init, update,
                                                    max_norm, steps, record=record)
    return points, losses, norms, clipped[:-1]  # no step is taken from the last point


def descend_clipped(f, x0, *args, lr, steps=100, clip="norm", threshold=1.0, momentum=0.0,
                    max_norm=1e8) -> ClippedTrajectory:
    r"""Gradient descent with momentum on the clipped gradient of ``f(x, *args)`` from ``x0``.

    .. math::

        p_{k+1} = \mu p_k - \alpha\, \operatorname{clip}_c(\nabla f(\theta_k)), \qquad
        \theta_{k+1} = \theta_k + p_{k+1}, \qquad p_0 = 0,

    where :math:`\operatorname{clip}_c` is :func:`clip_by_norm` (``clip="norm"``)
    or :func:`clip_by_value` (``clip="value"``) with threshold :math:`c`
    (``threshold``). ``lr`` is α > 0 and ``momentum`` μ ∈ [0, 1); α, μ, c and
    the start are traced, so new values do not recompile. A run that leaves
    ``‖θ‖ ≤ max_norm`` or becomes non-finite is reported as diverged (rows
    ``nan`` from then on), without warnings. With a threshold larger than every
    gradient norm this is exactly :func:`lib.descend`.

    >>> import lib, numpy as np
    >>> run = descend_clipped(lambda x: 50 * x @ x, np.array([1.0, 0.0]), lr=0.1, steps=3,
    ...                       clip="norm", threshold=1.0)
    >>> np.round(run.points[:, 0], 6)
    array([1. , 0.9, 0.8, 0.7])
    >>> bool(run.clipped.all()), run.diverged
    (True, False)
    """
    _validate.callable_("f", f)
    params = _validate.parameters("x0", x0)
    _validate.scalar_loss(f, params, args, name="x0")
    lr = _validate.positive("lr", lr)
    steps = _validate.positive_int("steps", steps)
    clip = _check_kind(clip)
    threshold = _validate.positive("threshold", threshold)
    momentum = _validate.in_unit_interval("momentum", momentum)
    max_norm = _validate.positive("max_norm", max_norm)
    points, losses, norms, clipped = _descend_clipped(
        f, params, tuple(args), jnp.float64(lr), jnp.float64(momentum), jnp.float64(threshold),
        jnp.float64(max_norm), steps=steps, clip=clip)
    points, losses, norms = np.asarray(points), np.asarray(losses), np.asarray(norms)
    bad = np.flatnonzero(np.isnan(losses))
    at = int(bad[0]) if bad.size else None
    return ClippedTrajectory(points, losses, norms, np.asarray(clipped), at is not None, at)


# ----------------------------------------------------------------------------------------------
# A loss with a cliff.

#: Height :math:`H` and steepness :math:`k` of the wall in :func:`cliff_loss`.
CLIFF_HEIGHT = 5.0
CLIFF_STEEPNESS = 20.0


def cliff_loss(w):
    r"""A gentle bowl with a cliff across it, :math:`w = (w_1, w_2)`:

    .. math::

        f(w) = \tfrac12 \left(0.1\,(w_1 - 2)^2 + 0.5\, w_2^2\right) + H\,\sigma(-k w_1),

    with :math:`\sigma` the logistic function, :math:`H` = ``CLIFF_HEIGHT`` and
    :math:`k` = ``CLIFF_STEEPNESS``. For :math:`w_1 \ll 0` the loss is a plateau
    :math:`H` above the bowl; around :math:`w_1 = 0` it drops by :math:`H` within a
    width of about :math:`4/k`, where the gradient reaches :math:`Hk/4` in the
    :math:`w_1` direction; the minimum is at :math:`(2, 0)`, past the cliff.

    >>> round(float(cliff_loss(np.array([2.0, 0.0]))), 12)
    0.0
    """
    gentle = 0.5 * (0.1 * (w[0] - 2.0) ** 2 + 0.5 * w[1] ** 2)
    return gentle + CLIFF_HEIGHT * jax.nn.sigmoid(-CLIFF_STEEPNESS * w[0])


@functools.lru_cache(maxsize=None)
def cliff_surface():
    """:func:`cliff_loss` as a :class:`lib.surfaces.Surface` for the explorer."""
    from .surfaces import Surface

    return Surface(
        name="a cliff",
        f=cliff_loss,
        x0=(-4.0, 2.0),
        xlim=(-6.0, 18.0),
        ylim=(-3.0, 3.0),
        lr_range=(0.05, 5.0),
        description=("A gentle bowl with minimum (2, 0) and a wall of height 5 across it at w₁ = 0: "
                     "on the wall the gradient is up to 25 long."),
        lr=1.0,
        steps=60,
    )
