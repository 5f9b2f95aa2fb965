r"""Activation functions and losses whose derivatives vanish: the sources of plateaux.

Pure ``jax.numpy`` functions, usable inside any loss ``f(params, data)`` that
:func:`lib.gradient`, :func:`lib.hessian` or :func:`lib.descend` differentiates.

======================  ===========================================  ==============================
function                value                                        derivative
======================  ===========================================  ==============================
``hard_threshold(z)``   :math:`\mathbb 1[z > 0]`                      0 for every :math:`z \ne 0`
``zero_one_loss``       fraction of misclassified examples            0 wherever it exists
``logistic(z)``         :math:`\sigma(z) = 1 / (1 + e^{-z})`          :math:`\sigma(z)(1 - \sigma(z))`
``tanh(z)``             :math:`\tanh z`                               :math:`1 - \tanh^2 z`
``relu(z)``             :math:`\max(z, 0)`                            :math:`\mathbb 1[z > 0]`
``leaky_relu(z, a)``    :math:`z` if :math:`z > 0` else :math:`a z`   1 or :math:`a`
======================  ===========================================  ==============================

A step function has no useful derivative: it is constant on each side of the
jump and has no derivative *at* the jump. Automatic differentiation
differentiates the branch that was taken, so it returns exactly ``0.0``
everywhere, including at :math:`z = 0`. The same convention makes
``relu``'s derivative at 0 equal to 0 (JAX's ``jnp.maximum`` would give 1/2).

:func:`dead_units` tells which ReLU units of a layer are *dead* on a data set:
their pre-activation is :math:`\le 0` for every example, so their output and
every derivative through them is exactly zero.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate

__all__ = ["hard_threshold", "zero_one_loss", "logistic", "logistic_derivative", "tanh",
           "tanh_derivative", "relu", "leaky_relu", "dead_units"]


def hard_threshold(z):
    r"""The step :math:`\mathbb 1[z > 0]` as floats; its autodiff derivative is exactly 0.

    >>> import lib, numpy as np
    >>> from lib.models.activations import hard_threshold
    >>> hard_threshold(np.array([-1.0, 0.0, 2.0]))
    Array([0., 0., 1.], dtype=float64)
    >>> lib.gradient(lambda z: hard_threshold(z).sum(), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 0.])
    """
    z = jnp.asarray(z)
    return jnp.where(z > 0, jnp.ones_like(z), jnp.zeros_like(z))


def zero_one_loss(scores, targets):
    r"""Fraction of examples misclassified by the rule "predict 1 iff score > 0".

    .. math:: L_{0\text{–}1} = \frac1N \sum_{i=1}^N \big|\,\mathbb 1[s_i > 0] - t_i\big|,
        \qquad t_i \in \{0, 1\}.

    As a function of the weights that produce the scores it is piecewise
    constant, so its gradient is zero wherever it exists.

    >>> from lib.models.activations import zero_one_loss
    >>> float(zero_one_loss(np.array([2.0, -1.0, 0.5]), np.array([1.0, 1.0, 0.0])))
    0.6666666666666666
    """
    scores, targets = jnp.asarray(scores), jnp.asarray(targets)
    if scores.shape != targets.shape:
        raise ValueError(f"scores and targets must have the same shape, got {scores.shape} "
                         f"and {targets.shape}")
    return jnp.mean(jnp.abs(hard_threshold(scores) - targets))


def logistic(z):
    r"""The logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, stable for large :math:`|z|`."""
    return jax.nn.sigmoid(z)


def logistic_derivative(z):
    r""":math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`, at most 1/4 (at 0), about :math:`e^{-|z|}` for
    large :math:`|z|`.

    >>> from lib.models.activations import logistic_derivative
    >>> float(logistic_derivative(0.0))
    0.25
    """
    # sigma(z) sigma(-z) equals sigma(z)(1 - sigma(z)) without the cancellation in 1 - sigma(z).
    return jax.nn.sigmoid(z) * jax.nn.sigmoid(-z)


def tanh(z):
    r"""The hyperbolic tangent, :math:`\tanh z = 2\sigma(2z) - 1`."""
    return jnp.tanh(z)


def tanh_derivative(z):
    r""":math:`\tanh'(z) = 1 - \tanh^2 z`, at most 1 (at 0), about :math:`4 e^{-2|z|}` for large :math:`|z|`.

    >>> from lib.models.activations import tanh_derivative
    >>> float(tanh_derivative(0.0))
    1.0
    """
    # 1 / cosh^2 z equals 1 - tanh^2 z without its cancellation for large |z|.
    return 1.0 / jnp.cosh(z) ** 2


def relu(z):
    r"""The rectifier :math:`\max(z, 0)`; autodiff derivative :math:`\mathbb 1[z > 0]` (0 at z = 0).

    >>> import lib, numpy as np
    >>> from lib.models.activations import relu
    >>> lib.gradient(lambda z: relu(z).sum(), np.array([-3.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    z = jnp.asarray(z)
    return jnp.where(z > 0, z, jnp.zeros_like(z))


def leaky_relu(z, slope=0.01):
    r"""The leaky rectifier: :math:`z` for :math:`z > 0`, :math:`a z` otherwise (``slope`` :math:`a`).

    Its derivative is never zero for :math:`a > 0`, so a unit with only negative
    inputs still receives a gradient. ``slope`` must lie in [0, 1) when it is a
    concrete number (inside a jitted function it may be traced).

    >>> import lib, numpy as np
    >>> from lib.models.activations import leaky_relu
    >>> lib.gradient(lambda z: leaky_relu(z, 0.1).sum(), np.array([-3.0, 2.0]))
    array([0.1, 1. ])
    """
    if not isinstance(slope, jax.Array):  # a traced or device slope is checked by its caller
        _validate.in_unit_interval("slope", slope)
    z = jnp.asarray(z)
    return jnp.where(z > 0, z, slope * z)


def dead_units(pre_activations) -> np.ndarray:
    r"""Which ReLU units are dead on a batch: column :math:`j` with :math:`z_{ij} \le 0` for all :math:`i`.

    ``pre_activations`` has shape ``(N, units)`` (one row per example), real and finite. A dead
    unit outputs 0 on every example, so the loss does not depend on its incoming
    weights locally: their gradient is exactly zero and gradient descent never
    changes them.

    >>> from lib.models.activations import dead_units
    >>> dead_units(np.array([[1.0, -2.0, 0.0], [-1.0, -0.5, 0.0]]))
    array([False,  True,  True])
    """
    z = _validate.real_array("pre_activations", pre_activations, "an (N, units) array")
    if z.ndim != 2 or z.shape[0] == 0:
        raise ValueError("pre_activations must have shape (N, units) with N >= 1, "
                         f"got {z.shape}")
    return np.all(z <= 0, axis=0)
