r"""Leaving a strict saddle: by an offset (gradient descent) or by mini-batch noise (SGD).

Near a saddle :math:`\theta_s` with smallest Hessian eigenvalue
:math:`\lambda_{\min} = -\gamma < 0` and unit eigenvector :math:`u`, the component
:math:`z = u^\top(\theta - \theta_s)` of a gradient-descent iterate grows as
:math:`z_{k+1} = (1 + \alpha\gamma) z_k`, so a start at offset δ along :math:`u`
reaches distance :math:`r` after about

.. math:: k_{\text{GD}}(\delta) = \frac{\log(r/\delta)}{\log(1 + \alpha\gamma)}

steps (:func:`gd_escape_steps`). SGD started *exactly* at the saddle gets the
kicks :math:`z_{k+1} = (1+\alpha\gamma) z_k - \alpha\xi_k`, with :math:`\xi_k` the
component of the mini-batch noise along :math:`u` (variance :math:`\sigma_u^2`).
After many steps :math:`z_k \approx (1+\alpha\gamma)^k\, \delta_{\text{noise}}\, Z` with
:math:`Z` standard normal and

.. math:: \delta_{\text{noise}} = \frac{\alpha\,\sigma_u}{\sqrt{(1 + \alpha\gamma)^2 - 1}}

(:func:`noise_equivalent_offset`): in the linear picture, noise acts like a random
offset of that size. The example problem is a linear auto-encoder with a
one-unit bottleneck, :math:`\ell_i(u, v) = \tfrac12\lVert x_i - v\,u^\top x_i\rVert^2`
(principal component analysis as a network): every pair of equal unit
eigenvectors of :math:`\frac1N\sum_i x_i x_i^\top` is a critical point, the
top one the minimum and the others strict saddles (Baldi & Hornik, 1989), at
which the examples' gradients do not vanish.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .. import _validate

__all__ = ["bottleneck_loss", "bottleneck_critical_point", "escape_steps", "gd_escape_steps",
           "noise_equivalent_offset"]


def bottleneck_loss(theta, x):
    r"""Half the mean squared reconstruction error.

    :math:`\frac1{2N}\sum_i \lVert x_i - v\,u^\top x_i \rVert^2`.

    ``theta`` is ``(u, v)`` stacked, shape ``(2d,)``; ``x`` is ``(N, d)``.
    """
    d = x.shape[-1]
    u, v = theta[:d], theta[d:]
    residual = x - jnp.outer(x @ u, v)
    return 0.5 * jnp.mean(jnp.sum(residual ** 2, axis=-1))


def bottleneck_critical_point(x, rank: int = 1):
    r"""The critical point :math:`u = v = e` of :func:`bottleneck_loss` for the ``rank``-th eigenvector ``e``.

    ``e`` is the unit eigenvector of the ``rank``-th largest eigenvalue of
    :math:`\frac1N\sum_i x_i x_i^\top` (sign fixed so that its largest entry in
    absolute value is positive). ``rank = 1`` is the minimum; ``rank >= 2`` is a
    saddle. Returns ``(theta, eigenvalues)`` with the eigenvalues in descending order.
    """
    x = _validate.real_array("x", x, "an (N, d) array of examples")
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 2:
        raise ValueError(f"x must have shape (N, d) with N >= 1 and d >= 2, got {x.shape}")
    rank = _validate.positive_int("rank", rank)
    if rank > x.shape[1]:
        raise ValueError(f"rank must be <= d = {x.shape[1]}, got {rank}")
    values, vectors = np.linalg.eigh(x.T @ x / x.shape[0])
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    e = vectors[:, rank - 1]
    e = e * np.sign(e[np.argmax(np.abs(e))])
    return np.concatenate([e, e]), values


def escape_steps(points, center, radius) -> np.ndarray:
    r"""The first step at which :math:`\lVert\theta_k - \theta_s\rVert > r`, per run; ``-1`` if never.

    ``points`` is one run ``(steps + 1, n)`` or many ``(runs, steps + 1, n)``;
    rows of ``nan`` (after a divergence) never count as an escape.

    >>> escape_steps(np.array([[0.0], [0.1], [0.3], [1.0]]), np.zeros(1), 0.2)
    array(2)
    """
    points = _validate.real_array("points", points, "an array", finite=False)
    center = _validate.real_array("center", center).ravel()
    if center.size == 0:
        raise ValueError("center must hold at least one coordinate, got an empty array")
    radius = _validate.positive("radius", radius)
    if points.ndim not in (2, 3) or points.shape[-1] != center.size or 0 in points.shape[:-1]:
        raise ValueError(f"points must have shape (steps + 1, {center.size}) or "
                         f"(runs, steps + 1, {center.size}), got {points.shape}")
    outside = np.linalg.norm(points - center, axis=-1) > radius
    return np.where(outside.any(axis=-1), outside.argmax(axis=-1), -1)


def gd_escape_steps(radius, offset, lr, curvature) -> np.ndarray:
    r"""The linear-theory prediction :math:`\log(r/\delta) / \log(1 + \alpha\gamma)` (steps, not rounded).

    ``curvature`` is γ = :math:`|\lambda_{\min}|` > 0; ``offset`` δ (scalar or array), 0 < δ < r.

    >>> round(float(gd_escape_steps(1.0, 1e-2, 0.5, 2.0)), 9)   # doubling per step: log2(100)
    6.64385619
    """
    radius = _validate.positive("radius", radius)
    offset = _validate.real_array("offset", offset)
    if np.any(offset <= 0) or np.any(offset >= radius):
        raise ValueError(f"offset must lie in (0, radius = {radius:g}), got {offset}")
    lr = _validate.positive("lr", lr)
    curvature = _validate.positive("curvature", curvature)
    return np.log(radius / offset) / np.log1p(lr * curvature)


def noise_equivalent_offset(noise_std, lr, curvature) -> float:
    r"""The offset :math:`\alpha\sigma_u / \sqrt{(1+\alpha\gamma)^2 - 1}` that noise amounts to at a saddle.

    ``noise_std`` is :math:`\sigma_u`, the standard deviation of the mini-batch
    gradient along the escape direction; ``curvature`` is γ = :math:`|\lambda_{\min}|`.

    >>> round(noise_equivalent_offset(1.0, 0.1, 1.0), 6)   # 0.1 / sqrt(1.21 - 1)
    0.218218
    """
    noise_std = _validate.nonnegative("noise_std", noise_std)
    lr = _validate.positive("lr", lr)
    curvature = _validate.positive("curvature", curvature)
    growth = 1.0 + lr * curvature
    return lr * noise_std / float(np.sqrt(growth ** 2 - 1.0))
