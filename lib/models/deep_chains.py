r"""A deep chain of square layers, its Jacobian as a product, and per-layer gradient norms.

The chain of depth :math:`L` and width :math:`n` maps :math:`h_0 = x \in \mathbb{R}^n` through

.. math::

    z_\ell = W_\ell h_{\ell-1}, \qquad h_\ell = \varphi(z_\ell), \qquad \ell = 1, \dots, L,

with :math:`\varphi` one of ``"linear"``, ``"relu"``, ``"tanh"`` and no biases. Its
Jacobian is the product of the layer Jacobians
:math:`J_\ell = \partial h_\ell / \partial h_{\ell-1} = \operatorname{diag}(\varphi'(z_\ell))\, W_\ell`,

.. math:: \frac{\partial h_L}{\partial h_0} = J_L J_{L-1} \cdots J_1 ,

and by the chain rule the gradient of a loss :math:`\mathcal L(h_L)` with respect to
a hidden layer is :math:`\nabla_{h_\ell} \mathcal L = (J_L \cdots J_{\ell+1})^\top \nabla_{h_L} \mathcal L`.
For ReLU, :math:`\varphi'(z) = \mathbb 1[z > 0]` (0 at 0, as in ``jax.nn.relu``).

The weights are one array of shape ``(L, n, n)`` (``weights[l-1]`` is :math:`W_l`);
everything runs as one ``lax.scan`` and returns numpy arrays.
"""

from __future__ import annotations

import contextlib
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate

__all__ = ["ACTIVATIONS", "chain_forward", "layer_jacobians", "chain_jacobian",
           "LayerGradients", "layer_gradient_norms", "ChainGradients", "chain_gradients", "gaussian_weights",
           "orthogonal_weights"]


def _relu_derivative(z):
    return (z > 0).astype(z.dtype)


def _tanh_derivative(z):
    return 1.0 - jnp.tanh(z) ** 2


#: name -> (φ, φ')
ACTIVATIONS = {
    "linear": (lambda z: z, jnp.ones_like),
    "relu": (jax.nn.relu, _relu_derivative),
    "tanh": (jnp.tanh, _tanh_derivative),
}


def _check_activation(activation):
    return _validate.one_of("activation", activation, ACTIVATIONS)


def _check_weights_and_input(weights, x):
    w = _validate.real_array("weights", weights, "an array of shape (L, n, n)")
    if w.ndim != 3 or w.shape[1] != w.shape[2] or w.shape[0] < 1 or w.shape[1] < 1:
        raise ValueError(f"weights must have shape (L, n, n) with L, n >= 1, got {w.shape}")
    x = _validate.real_array("x", x, "an array of shape (n,)")
    if x.shape != (w.shape[1],):
        raise ValueError(f"x must have shape ({w.shape[1]},) to match the weights, got {x.shape}")
    return jnp.asarray(w, dtype=jnp.float64), jnp.asarray(x, dtype=jnp.float64)


def _forward(weights, x, perturbations, activation):
    """h_0 = x + e_0, h_l = φ(W_l h_{l-1}) + e_l; returns (h_L, all h, all z)."""
    phi, _ = ACTIVATIONS[activation]

    def body(h, layer):
        w, e = layer
        z = w @ h
        h_next = phi(z) + e
        return h_next, (h_next, z)

    h0 = x + perturbations[0]
    h_last, (hs, zs) = jax.lax.scan(body, h0, (weights, perturbations[1:]))
    return h_last, jnp.concatenate([h0[None], hs]), zs


@partial(jax.jit, static_argnames=("activation",))
def _jacobians(weights, x, activation):
    _, dphi = ACTIVATIONS[activation]
    zero = jnp.zeros((weights.shape[0] + 1, x.shape[0]))
    _, hs, zs = _forward(weights, x, zero, activation)
    layer = dphi(zs)[:, :, None] * weights  # diag(φ'(z_l)) W_l

    def multiply(product, j):
        new = j @ product
        return new, new

    total, _ = jax.lax.scan(multiply, jnp.eye(x.shape[0]), layer)
    return hs, layer, total


def chain_forward(weights, x, activation="relu") -> np.ndarray:
    r"""All hidden layers :math:`h_0 = x, h_1, \dots, h_L` of the chain, shape ``(L + 1, n)``.

    >>> import numpy as np
    >>> chain_forward(np.stack([2.0 * np.eye(2)] * 3), np.array([1.0, -1.0]), "linear")[-1]
    array([ 8., -8.])
    """
    activation = _check_activation(activation)
    weights, x = _check_weights_and_input(weights, x)
    return np.asarray(_jacobians(weights, x, activation)[0])


def layer_jacobians(weights, x, activation="relu") -> np.ndarray:
    r"""The per-layer Jacobians :math:`J_\ell = \operatorname{diag}(\varphi'(z_\ell)) W_\ell`, shape
    ``(L, n, n)``.

    For ReLU, :math:`\varphi'(z_\ell)` is a 0/1 mask: :math:`J_\ell` is :math:`W_\ell`
    with the rows of the inactive units set to zero.
    """
    activation = _check_activation(activation)
    weights, x = _check_weights_and_input(weights, x)
    return np.asarray(_jacobians(weights, x, activation)[1])


def chain_jacobian(weights, x, activation="relu") -> np.ndarray:
    r"""The input–output Jacobian :math:`\partial h_L / \partial h_0 = J_L \cdots J_1`, as that product.

    Equals ``jax.jacobian`` of the whole chain (where :math:`\varphi` is differentiable).

    >>> import numpy as np
    >>> chain_jacobian(np.stack([0.5 * np.eye(2)] * 3), np.ones(2), "linear")
    array([[0.125, 0.   ],
           [0.   , 0.125]])
    """
    activation = _check_activation(activation)
    weights, x = _check_weights_and_input(weights, x)
    return np.asarray(_jacobians(weights, x, activation)[2])


class LayerGradients(NamedTuple):
    r"""Gradient norms of one chain, layer by layer.

    ``hidden[l]`` is :math:`\lVert \nabla_{h_\ell} \mathcal L \rVert` for ``l = 0 … L``
    (``hidden[0]`` is the gradient with respect to the input);
    ``weights[l-1]`` is the Frobenius norm :math:`\lVert \nabla_{W_\ell} \mathcal L \rVert_F`
    for ``l = 1 … L``; ``loss`` is :math:`\mathcal L(h_L)`.
    """

    hidden: np.ndarray
    weights: np.ndarray
    loss: float


def _default_loss(h):
    """L = Σ_i h_i / √n, whose gradient at the output has norm exactly 1."""
    return jnp.sum(h) / jnp.sqrt(h.shape[0])


@partial(jax.jit, static_argnames=("activation", "loss"))
def _layer_gradients(weights, x, activation, loss):
    def objective(w, e):
        return loss(_forward(w, x, e, activation)[0])

    zero = jnp.zeros((weights.shape[0] + 1, x.shape[0]))
    value, (g_w, g_h) = jax.value_and_grad(objective, argnums=(0, 1))(weights, zero)
    return value, g_h, g_w


def _checked(weights, x, activation, loss):
    activation = _check_activation(activation)
    weights, x = _check_weights_and_input(weights, x)
    if loss is None:
        return weights, x, activation, _default_loss
    if not callable(loss) or isinstance(loss, type):
        raise TypeError(f"loss must be a function of the chain's output h_L (shape ({x.shape[0]},)) "
                        f"returning a scalar, got {getattr(loss, '__name__', type(loss).__name__)}")
    # A real, finite scalar at the chain's output, reading no index past its end: the checks
    # lib applies to every loss (a nan there would make every gradient norm nan).
    output = _forward(weights, x, jnp.zeros((weights.shape[0] + 1, x.shape[0])), activation)[0]
    _validate.scalar_loss(loss, output, (), name="the chain's output h_L", f_name="loss")
    return weights, x, activation, loss


class ChainGradients(NamedTuple):
    r"""``hidden[l]`` is :math:`\nabla_{h_\ell}\mathcal L` (shape ``(L + 1, n)``), ``weights[l-1]`` is
    :math:`\nabla_{W_\ell}\mathcal L` (shape ``(L, n, n)``), ``loss`` is :math:`\mathcal L(h_L)`."""

    hidden: np.ndarray
    weights: np.ndarray
    loss: float


def chain_gradients(weights, x, activation="relu", loss=None) -> ChainGradients:
    r"""The full gradients behind :func:`layer_gradient_norms` (same arguments)."""
    weights, x, activation, loss = _checked(weights, x, activation, loss)
    value, g_h, g_w = _layer_gradients(weights, x, activation, loss)
    return ChainGradients(np.asarray(g_h), np.asarray(g_w), float(value))


def layer_gradient_norms(weights, x, activation="relu", loss=None) -> LayerGradients:
    r"""Per-layer gradient norms of :math:`\mathcal L(h_L)` by JAX autodiff.

    The gradients with respect to the hidden layers are obtained by adding a zero
    perturbation :math:`e_\ell` to every :math:`h_\ell` and differentiating with
    respect to it; by the chain rule they equal
    :math:`(J_L \cdots J_{\ell+1})^\top \nabla_{h_L}\mathcal L`. The weight gradients are
    :math:`\nabla_{W_\ell}\mathcal L = (\varphi'(z_\ell) \odot \nabla_{h_\ell}\mathcal L)\, h_{\ell-1}^\top`.

    ``loss`` maps :math:`h_L` (shape ``(n,)``) to a real scalar, finite at the chain's output
    (a nan, an integer or an index past the end of :math:`h_L` is refused); by default
    :math:`\mathcal L = \sum_i h_{L,i} / \sqrt n`, whose output gradient has norm 1,
    so ``hidden[l]`` is then the norm of :math:`(J_L \cdots J_{\ell+1})^\top u` for the
    unit vector :math:`u = \mathbf 1/\sqrt n`. Pass a module-level function
    (a new function object compiles anew).

    >>> import numpy as np
    >>> grads = layer_gradient_norms(np.stack([2.0 * np.eye(3)] * 4), np.ones(3), "linear")
    >>> grads.hidden
    array([16.,  8.,  4.,  2.,  1.])
    """
    weights, x, activation, loss = _checked(weights, x, activation, loss)
    value, g_h, g_w = _layer_gradients(weights, x, activation, loss)
    return LayerGradients(np.asarray(jnp.linalg.norm(g_h, axis=1)),
                          np.asarray(jnp.sqrt(jnp.sum(g_w**2, axis=(1, 2)))), float(value))


def _single_thread_blas():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


#: The largest width of the square layers drawn here (larger ones are refused, not allocated).
MAX_WIDTH = 10_000


def _rng(seed):
    return np.random.default_rng(_validate.seed("seed", seed))


def _layer_shape(width, depth):
    """``(depth, width, width)``, checked: sizes bounded and the draws no larger than memory allows."""
    width = _validate.count("width", width, MAX_WIDTH)
    depth = _validate.count("depth", depth, _validate.MAX_STEPS)
    _validate.memory("the weights (depth × width × width)", depth * width * width)
    return width, depth


def gaussian_weights(seed, width, depth, gain=1.0) -> np.ndarray:
    r"""Independent Gaussian layers, entries :math:`(W_\ell)_{ij} \sim \mathcal N(0, \text{gain}^2 / n)`.

    Shape ``(depth, width, width)``. ``gain = 1`` keeps
    :math:`\mathbb E \lVert W h\rVert^2 = \lVert h\rVert^2`
    (LeCun/Glorot scale for a square layer); ``gain = √2`` is He initialisation, which
    does the same for ReLU layers, where about half the units are inactive.
    """
    width, depth = _layer_shape(width, depth)
    gain = _validate.positive("gain", gain)
    draws = _rng(seed).standard_normal((depth, width, width))
    return draws * (gain / np.sqrt(width))


def orthogonal_weights(seed, width, depth, scale=1.0, tied=False) -> np.ndarray:
    r"""Layers :math:`W_\ell = s\, Q_\ell` with :math:`Q_\ell` random orthogonal (Haar), shape
    ``(depth, width, width)``.

    Every singular value of :math:`W_\ell` equals :math:`s`, so a linear chain of them
    multiplies every vector's norm by exactly :math:`s^L`. ``tied=True`` repeats one
    matrix :math:`Q` in every layer (the "same layer repeated" of an unrolled recurrent net).
    """
    width, depth = _layer_shape(width, depth)
    scale = _validate.positive("scale", scale)
    tied = _validate.boolean("tied", tied)
    count = 1 if tied else depth
    draws = _rng(seed).standard_normal((count, width, width))
    with _single_thread_blas():  # small QRs: threads only add contention
        q, r = np.linalg.qr(draws)
    signs = np.sign(np.diagonal(r, axis1=1, axis2=2))
    q = q * signs[:, None, :]  # makes the distribution Haar
    return scale * np.broadcast_to(q, (depth, width, width)).copy()
