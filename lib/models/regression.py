r"""Linear least squares: the convex model on which input scaling is easiest to see.

The model is :math:`y = X w` (append a column of ones with :func:`add_bias` for
a bias), the loss

.. math:: E(w) = \frac{1}{2N} \lVert X w - t \rVert^2, \qquad \nabla E = \frac1N X^\top (X w - t),
          \qquad H = \frac1N X^\top X .

The Hessian does not depend on :math:`w` or on the targets — only on the
inputs — so the inputs alone decide how ill-conditioned the problem is.
:func:`standardize` centres and scales each input column, which is what
removes the ravine of badly scaled inputs.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from .. import _validate

__all__ = ["least_squares", "least_squares_hessian", "least_squares_solution", "add_bias",
           "Standardized", "standardize", "synthetic_linear_data"]


def _matrix(name, X) -> np.ndarray:
    array = _validate.real_array(name, X, "a 2-D array")
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (N, d), got shape {array.shape}")
    return array


def least_squares(w, X, t):
    r""":math:`E(w) = \frac{1}{2N}\lVert Xw - t\rVert^2` — pure, jit-friendly; ``(X, t)`` are data.

    >>> import numpy as np
    >>> from lib.models.regression import least_squares
    >>> float(least_squares(np.array([1.0]), np.array([[1.0], [2.0]]), np.array([0.0, 0.0])))
    1.25
    """
    residual = X @ w - t
    return 0.5 * jnp.mean(residual**2)


def least_squares_hessian(X) -> np.ndarray:
    r"""The Hessian :math:`X^\top X / N` of :func:`least_squares` (the same at every ``w``)."""
    X = _matrix("X", X)
    return X.T @ X / X.shape[0]


def least_squares_solution(X, t) -> np.ndarray:
    """The minimizer of :func:`least_squares` (minimum-norm if not unique), by ``numpy.linalg.lstsq``."""
    X = _matrix("X", X)
    t = _validate.real_array("t", t, "a vector of targets")
    if t.shape != (X.shape[0],):
        raise ValueError(f"t must have shape ({X.shape[0]},) to match X, got {t.shape}")
    return np.linalg.lstsq(X, t, rcond=None)[0]


def add_bias(X) -> np.ndarray:
    """``X`` with a last column of ones, so that the last weight is a bias."""
    X = _matrix("X", X)
    return np.hstack([X, np.ones((X.shape[0], 1))])


class Standardized(NamedTuple):
    """Inputs with zero mean and unit variance per column, and the statistics used."""

    X: np.ndarray
    mean: np.ndarray
    std: np.ndarray


def standardize(X, mean=None, std=None) -> Standardized:
    r"""Centre and scale each column: :math:`\tilde x_j = (x_j - \mu_j) / \sigma_j`.

    ``mean`` and ``std`` default to the column statistics of ``X`` (pass the
    training set's to transform new data the same way). A constant column
    cannot be scaled and raises ``ValueError``.

    >>> import numpy as np
    >>> from lib.models.regression import standardize
    >>> standardize(np.array([[1.0], [3.0]])).X.ravel()
    array([-1.,  1.])
    """
    X = _matrix("X", X)
    if std is None:
        std = X.std(axis=0)
        constant = np.flatnonzero(std == 0)
        if constant.size:
            raise ValueError(f"X has constant columns {constant.tolist()}: they cannot be scaled to "
                             "unit variance (drop them, or pass std)")
    else:
        std = _validate.real_array("std", std)
    mean = X.mean(axis=0) if mean is None else _validate.real_array("mean", mean)
    if mean.shape != (X.shape[1],) or std.shape != (X.shape[1],):
        raise ValueError(f"mean and std must have shape ({X.shape[1]},)")
    if np.any(std <= 0):
        raise ValueError("std must be > 0 in every column")
    return Standardized((X - mean) / std, mean, std)


def synthetic_linear_data(n=50, *, means, stds, weights, bias=0.0, noise=0.1, seed=0):
    r"""A reproducible regression data set :math:`t = w^\top x + b + \varepsilon`.

    Each input column ``j`` is drawn independently from
    :math:`\mathcal N(\text{means}_j, \text{stds}_j^2)`, the noise from
    :math:`\mathcal N(0, \text{noise}^2)`, all from ``numpy.random.default_rng(seed)``.
    ``means``, ``stds`` (each > 0) and ``weights`` are vectors of one common length
    ``d >= 1`` (a number counts as a vector of one); ``1 <= n <=`` 1,000,000 examples.
    Returns ``(X, t)`` with shapes ``(n, d)`` and ``(n,)``.

    >>> from lib.models.regression import synthetic_linear_data
    >>> X, t = synthetic_linear_data(5, means=[1003.0, 1005.0], stds=[2.0, 2.0], weights=[0.5, 0.3])
    >>> X.shape, t.shape
    ((5, 2), (5,))
    """
    n = _validate.count("n", n, _validate.MAX_SAMPLES, "examples")
    means, stds, weights = (np.atleast_1d(_validate.real_array(name, value, "a vector"))
                            for name, value in (("means", means), ("stds", stds), ("weights", weights)))
    for name, vector in (("means", means), ("stds", stds), ("weights", weights)):
        if vector.ndim != 1 or vector.size == 0:
            raise ValueError(f"{name} must be a vector (d,) with d >= 1, one entry per input column, "
                             f"got shape {vector.shape}")
    if not (means.shape == stds.shape == weights.shape):
        raise ValueError(f"means, stds and weights must be 1-D of equal length, got shapes "
                         f"{means.shape}, {stds.shape}, {weights.shape}")
    if np.any(stds <= 0):
        raise ValueError("stds must all be > 0")
    _validate.memory("n × d", n * means.size)
    bias = _validate.real_scalar("bias", bias)
    noise = _validate.nonnegative("noise", noise)
    rng = np.random.default_rng(_validate.seed("seed", seed))
    X = means + stds * rng.standard_normal((n, means.size))
    t = X @ weights + bias + noise * rng.standard_normal(n)
    return X, t
