r"""Classify a point of a loss surface by the second-order test.

At a critical point (gradient zero) the Taylor expansion reduces to
:math:`L(\theta) \approx L(\theta') + \tfrac12 v^\top H v` with :math:`v = \theta - \theta'`,
so the signs of the Hessian's eigenvalues decide what the point is:

* all positive: local minimum; all negative: local maximum;
* at least one positive and one negative: saddle point;
* otherwise some eigenvalue is zero and the test is inconclusive: "degenerate".
  The lecture calls the valley of :math:`(1 - w_1 w_2)^2` a line of minima; they
  are (global) minima, but the second-order test alone cannot tell, since one
  eigenvalue there is exactly zero.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate
from .derivatives import gradient, hessian

__all__ = ["CriticalPoint", "classify_critical_point", "escape_direction", "KINDS"]

KINDS = ("local minimum", "local maximum", "saddle point", "degenerate", "not a critical point")


class CriticalPoint(NamedTuple):
    """What the second-order test says about a point."""

    kind: str  #: one of :data:`KINDS`
    eigenvalues: np.ndarray  #: Hessian eigenvalues, ascending
    eigenvectors: np.ndarray  #: unit eigenvectors, one per column
    gradient_norm: float  #: Euclidean norm of the gradient
    minimum_ratio: float  #: (# positive eigenvalues) / (# eigenvalues)
    n_positive: int
    n_negative: int
    n_zero: int


def _finite_hessian(f, x, args):
    h = hessian(f, x, *args)
    if not np.all(np.isfinite(h)):
        raise ValueError("x: the Hessian of f is not finite there (nan or inf); "
                         "no second-order test applies")
    return h


def _tolerances(rtol, atol):
    rtol = _validate.real_scalar("rtol", rtol)
    atol = _validate.real_scalar("atol", atol)
    if rtol < 0:
        raise ValueError(f"rtol must be >= 0, got {rtol}")
    if atol < 0:
        raise ValueError(f"atol must be >= 0, got {atol}")
    return rtol, atol


def _zero_threshold(eigenvalues, rtol, atol):
    scale = float(np.max(np.abs(eigenvalues))) if eigenvalues.size else 0.0
    return atol + rtol * scale


def classify_critical_point(f, x, *args, grad_tol=1e-6, rtol=1e-8, atol=1e-10) -> CriticalPoint:
    r"""Classify ``x`` for the loss ``f(x, *args)`` by its gradient and exact Hessian.

    ``x`` is a critical point when ``‖∇f(x)‖ ≤ grad_tol``. An eigenvalue counts as
    zero when ``|λ| ≤ atol + rtol · max|λ|`` (rounding in float64 makes an
    exactly singular Hessian's eigenvalue about 1e-16, not 0).

    >>> import lib, numpy as np
    >>> loss = lambda w: (1 - w[0] * w[1]) ** 2
    >>> lib.classify_critical_point(loss, np.zeros(2)).kind
    'saddle point'
    >>> lib.classify_critical_point(loss, np.array([2.0, 0.5])).kind
    'degenerate'
    """
    grad_tol = _validate.positive("grad_tol", grad_tol)
    rtol, atol = _tolerances(rtol, atol)
    g = gradient(f, x, *args)
    h = _finite_hessian(f, x, args)
    if not np.all(np.isfinite(g)):
        raise ValueError("x: the gradient of f is not finite there (nan or inf); "
                         "no second-order test applies")
    eigenvalues, eigenvectors = np.linalg.eigh((h + h.T) / 2)
    zero = _zero_threshold(eigenvalues, rtol, atol)
    n_pos = int(np.sum(eigenvalues > zero))
    n_neg = int(np.sum(eigenvalues < -zero))
    n_zero = eigenvalues.size - n_pos - n_neg
    gradient_norm = float(np.linalg.norm(g))
    if gradient_norm > grad_tol:
        kind = "not a critical point"
    elif n_pos and n_neg:
        kind = "saddle point"
    elif n_zero:
        kind = "degenerate"
    elif n_pos:
        kind = "local minimum"
    else:
        kind = "local maximum"
    return CriticalPoint(kind, eigenvalues, eigenvectors, gradient_norm,
                         n_pos / eigenvalues.size, n_pos, n_neg, n_zero)


def _canonical_sign(v):
    """Flip ``v`` so that its largest-magnitude entry is positive (a fixed choice)."""
    return v if v[np.argmax(np.abs(v))] >= 0 else -v


def escape_direction(f, x, *args, rtol=1e-8, atol=1e-10):
    r"""Unit eigenvector of the most negative Hessian eigenvalue, or ``None``.

    Along this :math:`u`, :math:`\tfrac12 u^\top H u = \tfrac12 \lambda_{\min} < 0`, so a
    small step lowers the loss even where the gradient vanishes. Returns
    ``None`` when no eigenvalue is negative (beyond the zero tolerance). The
    sign is fixed so that the largest entry is positive.

    >>> import lib, numpy as np
    >>> loss = lambda w: (1 - w[0] * w[1]) ** 2
    >>> lib.escape_direction(loss, np.zeros(2)).round(4)
    array([0.7071, 0.7071])
    """
    rtol, atol = _tolerances(rtol, atol)
    h = _finite_hessian(f, x, args)
    eigenvalues, eigenvectors = np.linalg.eigh((h + h.T) / 2)
    if eigenvalues[0] >= -_zero_threshold(eigenvalues, rtol, atol):
        return None
    u = eigenvectors[:, 0]
    return _canonical_sign(u / np.linalg.norm(u))
