r"""Batch normalization: each hidden pre-activation centred and scaled over the batch.

For a batch of pre-activations :math:`z \in \mathbb{R}^{N \times d}` (one row per
example, one column per unit), batch normalization (Ioffe & Szegedy, 2015) computes
per unit :math:`j`

.. math::

    \mu_j = \frac1N \sum_i z_{ij}, \qquad
    \sigma_j^2 = \frac1N \sum_i (z_{ij} - \mu_j)^2, \qquad
    \hat z_{ij} = \frac{z_{ij} - \mu_j}{\sqrt{\sigma_j^2 + \varepsilon}}, \qquad
    y_{ij} = \gamma_j \hat z_{ij} + \beta_j ,

with a learned scale :math:`\gamma` and shift :math:`\beta`. Because :math:`\mu` and
:math:`\sigma` depend on every example, the gradient couples the examples of a batch:
with :math:`g = \partial \mathcal L / \partial y` and :math:`\hat g = \gamma \odot g`,

.. math::

    \frac{\partial \mathcal L}{\partial z_{ij}} = \frac{1}{N \sqrt{\sigma_j^2 + \varepsilon}}
    \Big( N \hat g_{ij} - \sum_k \hat g_{kj} - \hat z_{ij} \sum_k \hat g_{kj} \hat z_{kj} \Big),
    \qquad
    \frac{\partial \mathcal L}{\partial \gamma_j} = \sum_i g_{ij} \hat z_{ij}, \qquad
    \frac{\partial \mathcal L}{\partial \beta_j} = \sum_i g_{ij} .

:func:`batch_norm_backward` writes this formula out by hand; the tests check it against
``jax.vjp`` of :func:`batch_norm` and against finite differences. The gradient with
respect to :math:`z` is orthogonal, column by column, to the constant vector and to
:math:`\hat z`: a normalized layer cannot change the loss by shifting or rescaling a
unit's pre-activations, only by changing their pattern across the batch.

:func:`mlp_bn_apply` is the MLP of :mod:`lib.models.networks` with batch normalization
between each hidden layer's affine map and its activation (training mode: the batch's
own statistics, as in full-batch training). Its parameters are those of
:func:`lib.models.networks.init_mlp` with ``"gamma"`` (ones) and ``"beta"`` (zeros) added to
each hidden layer; the hidden bias ``"b"`` is then redundant (the mean subtraction
removes it) and has zero gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate
from .networks import init_mlp

__all__ = ["batch_norm", "batch_norm_backward", "init_mlp_bn", "mlp_bn_apply",
           "cross_entropy_loss_bn"]


def _check_batch(z, gamma, beta, eps):
    z = _validate.real_array("z", z, "a (batch, units) array")
    if z.ndim != 2 or z.shape[0] < 2 or z.shape[1] < 1:
        raise ValueError(f"z must be a (batch, units) array with batch >= 2, got shape {z.shape}")
    gamma = _validate.real_array("gamma", gamma, "a vector")
    beta = _validate.real_array("beta", beta, "a vector")
    for name, value in (("gamma", gamma), ("beta", beta)):
        if value.shape != (z.shape[1],):
            raise ValueError(f"{name} must have shape ({z.shape[1]},), one entry per unit, "
                             f"got {value.shape}")
    eps = _validate.positive("eps", eps)
    return z, gamma, beta, eps


def _batch_norm(z, gamma, beta, eps):
    mean = jnp.mean(z, axis=0)
    var = jnp.mean((z - mean) ** 2, axis=0)
    return gamma * (z - mean) / jnp.sqrt(var + eps) + beta


def batch_norm(z, gamma, beta, eps=1e-5) -> np.ndarray:
    r"""Batch normalization of ``z`` ``(N, d)`` over its rows: :math:`\gamma \hat z + \beta`.

    >>> import numpy as np
    >>> y = batch_norm(np.array([[1.0, 10.0], [3.0, 30.0]]), np.ones(2), np.zeros(2), eps=1e-12)
    >>> np.round(y, 6)
    array([[-1., -1.],
           [ 1.,  1.]])
    """
    z, gamma, beta, eps = _check_batch(z, gamma, beta, eps)
    return np.asarray(_batch_norm(jnp.asarray(z), jnp.asarray(gamma), jnp.asarray(beta), eps))


def batch_norm_backward(z, gamma, upstream, eps=1e-5):
    r"""The hand-derived gradient of batch normalization (see the module's docstring).

    ``upstream`` is :math:`g = \partial\mathcal L/\partial y`, shape ``(N, d)``. Returns
    ``(dz, dgamma, dbeta)`` as numpy arrays.
    """
    gamma = _validate.real_array("gamma", gamma, "a vector of scales")
    z, gamma, _, eps = _check_batch(z, gamma, np.zeros(gamma.shape), eps)
    g = _validate.real_array("upstream", upstream, "a (batch, units) array")
    if g.shape != z.shape:
        raise ValueError(f"upstream must have the shape of z, {z.shape}, got {g.shape}")
    n = z.shape[0]
    inv_std = 1.0 / np.sqrt(z.var(axis=0) + eps)
    z_hat = (z - z.mean(axis=0)) * inv_std
    g_hat = g * gamma
    dz = inv_std / n * (n * g_hat - g_hat.sum(axis=0) - z_hat * (g_hat * z_hat).sum(axis=0))
    return dz, (g * z_hat).sum(axis=0), g.sum(axis=0)


def init_mlp_bn(key, sizes: Sequence[int]) -> list[dict]:
    """:func:`lib.models.networks.init_mlp` with ``gamma = 1`` and ``beta = 0`` in every hidden layer."""
    params = init_mlp(key, sizes)
    for layer in params[:-1]:
        width = layer["b"].shape[0]
        layer["gamma"] = jnp.ones(width, dtype=jnp.float64)
        layer["beta"] = jnp.zeros(width, dtype=jnp.float64)
    return params


def mlp_bn_apply(params, x, activation: Callable = jnp.tanh, eps: float = 1e-5):
    r"""Logits of the batch-normalized MLP for a batch ``x`` ``(N, d_0)``: ``(N, d_L)``.

    .. math:: h_\ell = \sigma\big(\mathrm{BN}_{\gamma_\ell, \beta_\ell}(h_{\ell-1} W_\ell + b_\ell)\big)
              \quad (\ell < L), \qquad \text{output} = h_{L-1} W_L + b_L .
    """
    h = x
    for layer in params[:-1]:
        h = activation(_batch_norm(h @ layer["w"] + layer["b"], layer["gamma"], layer["beta"], eps))
    return h @ params[-1]["w"] + params[-1]["b"]


def cross_entropy_loss_bn(params, x, y, activation: Callable = jnp.tanh):
    r"""Mean softmax cross-entropy of :func:`mlp_bn_apply` on ``x`` ``(N, d_0)``, labels ``y`` ``(N,)``.

    The same loss as :func:`lib.models.networks.cross_entropy_loss`, for the normalized network.
    """
    log_p = jax.nn.log_softmax(mlp_bn_apply(params, x, activation), axis=-1)
    return -jnp.mean(jnp.take_along_axis(log_p, jnp.asarray(y, jnp.int32)[:, None], axis=-1))
