r"""A small multilayer perceptron as pure functions of a parameter pytree.

The network with layer sizes :math:`(d_0, d_1, \dots, d_L)` maps an input
:math:`x \in \mathbb{R}^{d_0}` through

.. math::

    h_0 = x, \qquad h_\ell = \sigma(h_{\ell-1} W_\ell + b_\ell) \quad (\ell < L), \qquad
    \text{output} = h_{L-1} W_L + b_L ,

with :math:`W_\ell \in \mathbb{R}^{d_{\ell-1} \times d_\ell}` and a smooth
activation :math:`\sigma` (``tanh`` by default, so the loss is twice
differentiable everywhere and its Hessian is well defined). The parameters are a
list of dicts ``[{"w": W_1, "b": b_1}, ...]``; every function of :mod:`lib`
that takes a pytree (``lib.gradient``, ``lib.hessian``, ``lib.hvp``, ...) flattens
it in ``jax.flatten_util.ravel_pytree`` order.

Losses follow the book's convention ``f(params, *data)``: the data are extra,
traced arguments, so a new batch does not recompile a jitted caller.

>>> import jax.numpy as jnp
>>> from lib.models.networks import init_mlp, count_parameters, mlp_apply
>>> params = init_mlp(0, [3, 4, 2])
>>> count_parameters(params)
26
>>> mlp_apply(params, jnp.ones((5, 3))).shape
(5, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate

__all__ = ["init_mlp", "mlp_apply", "count_parameters", "mlp_size",
           "cross_entropy_loss", "squared_loss"]


def _check_sizes(sizes) -> list[int]:
    """``sizes`` as a list of widths: a list, tuple or 1-D array (a set has no order, and the
    bytes or characters of a string are not widths)."""
    if isinstance(sizes, (str, bytes, set, frozenset, dict)) or (
            isinstance(sizes, np.ndarray) and sizes.ndim != 1):
        raise TypeError(f"sizes must be a list or tuple of layer widths, got {type(sizes).__name__}"
                        f"{f' of shape {sizes.shape}' if isinstance(sizes, np.ndarray) else ''}")
    try:
        sizes = list(sizes)
    except TypeError as err:
        raise TypeError(f"sizes must be a sequence of layer widths, got {type(sizes).__name__}") from err
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
    return [_validate.positive_int("sizes", s) for s in sizes]


def init_mlp(key, sizes: Sequence[int]) -> list[dict]:
    r"""Random parameters for an MLP with layer widths ``sizes = (d_0, ..., d_L)``.

    LeCun-normal initialisation: :math:`W_\ell \sim \mathcal N(0, 1/d_{\ell-1})`
    entrywise, so the pre-activations of a ``tanh`` network keep unit scale at
    any width; biases start at zero. ``key`` is an integer seed or a
    ``jax.random`` key. Returns ``[{"w": (d_{l-1}, d_l), "b": (d_l,)}, ...]`` in
    float64.
    """
    sizes = _check_sizes(sizes)
    _validate.memory("sizes", sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))
    keys = jax.random.split(_validate.prng_key("key", key), len(sizes) - 1)
    params = []
    for k, d_in, d_out in zip(keys, sizes[:-1], sizes[1:]):
        w = jax.random.normal(k, (d_in, d_out), dtype=jnp.float64) / jnp.sqrt(d_in)
        params.append({"w": w, "b": jnp.zeros(d_out, dtype=jnp.float64)})
    return params


def mlp_size(sizes: Sequence[int]) -> int:
    r"""Number of parameters of the MLP ``sizes``: :math:`\sum_\ell (d_{\ell-1} + 1) d_\ell`.

    >>> mlp_size([64, 30, 10])
    2260
    """
    sizes = _check_sizes(sizes)
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def count_parameters(params) -> int:
    """Number of scalars in a parameter pytree."""
    params = _validate.parameters("params", params, any_shape=True)
    return int(ravel_pytree(params)[0].size)


def mlp_apply(params, x, activation: Callable = jnp.tanh):
    r"""Outputs (logits) of the MLP for a batch ``x`` of shape ``(N, d_0)``: ``(N, d_L)``.

    Hidden layers apply ``activation``; the last layer is affine, so the output
    can feed a softmax (classification) or be the prediction (regression).
    """
    h = x
    for layer in params[:-1]:
        h = activation(h @ layer["w"] + layer["b"])
    return h @ params[-1]["w"] + params[-1]["b"]


def cross_entropy_loss(params, x, y, activation: Callable = jnp.tanh):
    r"""Mean softmax cross-entropy of the MLP on inputs ``x`` ``(N, d_0)`` and integer labels ``y`` ``(N,)``.

    .. math::

        f(\theta) = \frac1N \sum_{i=1}^N \Big(\log \sum_c e^{z_{ic}} - z_{i y_i}\Big),
        \qquad z_i = \mathrm{mlp}_\theta(x_i).

    Written as ``f(params, x, y)``, ready for ``lib.hessian(cross_entropy_loss, params, x, y)``.
    """
    logits = mlp_apply(params, x, activation)
    log_norm = jax.nn.logsumexp(logits, axis=-1)
    picked = jnp.take_along_axis(logits, jnp.asarray(y)[:, None].astype(jnp.int32), axis=-1)[:, 0]
    return jnp.mean(log_norm - picked)


def squared_loss(params, x, y, activation: Callable = jnp.tanh):
    r"""Half the mean squared error of the MLP on targets ``y`` of shape ``(N, d_L)`` or ``(N,)``.

    .. math::

        f(\theta) = \frac{1}{2N} \sum_{i=1}^N \lVert \mathrm{mlp}_\theta(x_i) - y_i \rVert^2 .

    A ``(N,)`` target is compared with a single-output network ``(N, 1)``.
    """
    pred = mlp_apply(params, x, activation)
    y = jnp.asarray(y)
    if y.ndim == 1:
        y = y[:, None]
    return 0.5 * jnp.mean(jnp.sum((pred - y) ** 2, axis=-1))
