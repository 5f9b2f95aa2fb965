r"""The loss floor of SGD with momentum: where noisy steps settle on a quadratic.

Near a minimum :math:`\theta^*` the loss is a quadratic with Hessian :math:`H`
and a mini-batch gradient is :math:`\hat g = H(\theta - \theta^*) + \xi` with
noise :math:`\xi` of mean 0 and covariance :math:`C`. Heavy-ball SGD,
:math:`p \leftarrow \mu p - \alpha \hat g`, :math:`\theta \leftarrow \theta + p`,
is then a linear system driven by noise: with :math:`z = (\theta - \theta^*, p)`,

.. math::

    z_{k+1} = A z_k - \alpha \begin{pmatrix} I \\ I \end{pmatrix} \xi_k, \qquad
    A = \begin{pmatrix} I - \alpha H & \mu I \\ -\alpha H & \mu I \end{pmatrix},

whose covariance settles, when every eigenvalue of :math:`A` lies inside the unit
circle, at the solution :math:`\Sigma_z` of the discrete Lyapunov equation
:math:`\Sigma_z = A \Sigma_z A^\top + \alpha^2 B C B^\top`. The expected excess loss
is then :math:`\mathbb E[L - L^*] = \tfrac12 \operatorname{tr}(H \Sigma)` with
:math:`\Sigma` the θ-block of :math:`\Sigma_z`. For one curvature λ and noise
variance :math:`\sigma^2` this is the closed form

.. math::

    \mathbb E[L - L^*] = \frac{\alpha \sigma^2 (1 + \mu)}{2 (1 - \mu)\,(2 (1 + \mu) - \alpha\lambda)},

which for :math:`\alpha\lambda \ll 1` depends on α and μ only through the effective
learning rate :math:`\alpha / (1 - \mu)`: :math:`\approx \frac{\alpha}{1-\mu}\,\frac{\sigma^2}{4}`.
The noise of real mini-batches depends on θ; using :math:`C` at :math:`\theta^*`
is the approximation.
"""

from __future__ import annotations

import numpy as np

from .. import _validate

__all__ = ["iteration_matrix", "stationary_covariance", "stationary_excess_loss",
           "scalar_excess_loss"]


def _covariance(name, value, n=None) -> np.ndarray:
    matrix = _validate.square_matrix(name, value)
    if n is not None and matrix.shape[0] != n:
        raise ValueError(f"{name} must be {n} × {n} like H, got shape {matrix.shape}")
    if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(matrix).max())):
        raise ValueError(f"{name} must be symmetric")
    return 0.5 * (matrix + matrix.T)


def _semidefinite(name, matrix, strict=False) -> np.ndarray:
    """``matrix`` (symmetric) if its eigenvalues are >= 0 (> 0 if ``strict``), up to rounding."""
    eigenvalues = np.linalg.eigvalsh(matrix)
    scale = max(float(np.abs(eigenvalues).max()), np.finfo(float).tiny)
    smallest = float(eigenvalues.min())
    if strict and smallest <= 0:
        raise ValueError(f"{name} must be positive definite (the Hessian at a minimum: along a direction "
                         f"of zero or negative curvature the noise is not held back and no stationary "
                         f"covariance exists), got smallest eigenvalue {smallest:g}")
    if smallest < -1e-10 * scale:
        raise ValueError(f"{name} must be positive semi-definite (a covariance), got smallest "
                         f"eigenvalue {smallest:g}")
    return matrix


def iteration_matrix(H, lr, momentum) -> np.ndarray:
    r"""The :math:`2n \times 2n` matrix :math:`A` of heavy ball on a quadratic.

    It acts on :math:`(\theta - \theta^*, p)`.
    """
    H = _covariance("H", H)
    lr = _validate.positive("lr", lr)
    momentum = _validate.in_unit_interval("momentum", momentum)
    n = H.shape[0]
    eye = np.eye(n)
    return np.block([[eye - lr * H, momentum * eye], [-lr * H, momentum * eye]])


def stationary_covariance(H, C, lr, momentum=0.0) -> np.ndarray:
    r"""The covariance :math:`\Sigma` of :math:`\theta - \theta^*` that heavy-ball SGD settles at (``n × n``).

    ``H`` is the Hessian, symmetric positive definite (a minimum's), ``C`` the covariance of
    the gradient noise, symmetric positive semi-definite, ``lr`` α > 0, ``momentum``
    μ ∈ [0, 1). Raises ``ValueError`` if the iteration is not stable
    (an eigenvalue of :math:`A` on or outside the unit circle), where no stationary
    covariance exists.
    """
    from scipy.linalg import solve_discrete_lyapunov

    _semidefinite("H", _covariance("H", H), strict=True)
    A = iteration_matrix(H, lr, momentum)
    n = A.shape[0] // 2
    C = _semidefinite("C", _covariance("C", C, n))
    radius = float(np.max(np.abs(np.linalg.eigvals(A))))
    if radius >= 1.0:
        raise ValueError(f"lr must keep the iteration stable: with lr = {lr:g} and momentum = "
                         f"{momentum:g} the spectral radius is {radius:.6g} >= 1")
    B = np.vstack([np.eye(n), np.eye(n)])
    sigma = solve_discrete_lyapunov(A, lr ** 2 * B @ C @ B.T)
    block = sigma[:n, :n]
    return 0.5 * (block + block.T)


def stationary_excess_loss(H, C, lr, momentum=0.0) -> float:
    r"""The expected excess loss :math:`\tfrac12\operatorname{tr}(H\Sigma)` at the stationary covariance."""
    sigma = stationary_covariance(H, C, lr, momentum)
    return 0.5 * float(np.trace(_covariance("H", H) @ sigma))


def scalar_excess_loss(curvature, noise_variance, lr, momentum=0.0) -> float:
    r"""The closed form for one direction.

    :math:`\frac{\alpha\sigma^2(1+\mu)}{2(1-\mu)(2(1+\mu)-\alpha\lambda)}`.

    Valid for :math:`0 < \alpha\lambda < 2(1 + \mu)` (the stability limit of heavy ball).

    >>> round(scalar_excess_loss(1.0, 1.0, 0.1), 6)          # plain SGD: α σ² / (2 (2 - αλ))
    0.026316
    >>> round(scalar_excess_loss(1.0, 1.0, 0.01, 0.9), 6)    # the same α/(1-μ) = 0.1
    0.025066
    """
    curvature = _validate.positive("curvature", curvature)
    noise_variance = _validate.nonnegative("noise_variance", noise_variance)
    lr = _validate.positive("lr", lr)
    momentum = _validate.in_unit_interval("momentum", momentum)
    if lr * curvature >= 2 * (1 + momentum):
        raise ValueError(f"lr must satisfy lr × curvature < 2 (1 + momentum) = {2 * (1 + momentum):g}, "
                         f"got {lr * curvature:g}")
    return lr * noise_variance * (1 + momentum) / (
        2 * (1 - momentum) * (2 * (1 + momentum) - lr * curvature))
