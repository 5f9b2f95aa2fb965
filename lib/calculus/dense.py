r"""The dense route: form the Hessian, then compute all of its eigenvalues.

For a few thousand parameters this is the exact answer that the matrix-free
methods of :mod:`lib.calculus.spectrum` approximate. Its cost is dominated by the
eigensolver: reducing the symmetric :math:`n \times n` matrix to tridiagonal
form takes :math:`\tfrac43 n^3` flops. The classic reduction (LAPACK ``dsytrd``,
behind ``numpy.linalg.eigvalsh``) spends half of them in matrix–vector
products, which are limited by memory bandwidth; LAPACK's *two-stage*
reduction (``dsyevd_2stage``: full → band with matrix–matrix products, then
band → tridiagonal) avoids that. NumPy ships an OpenBLAS that contains it but
does not expose it, so :func:`eigenvalues` calls it through ``ctypes`` when it
is there (:data:`TWO_STAGE`) and the matrix is large enough to gain from it
(:data:`TWO_STAGE_MIN_SIZE`), and uses ``numpy.linalg.eigvalsh`` otherwise.
Measured on 2 cores for network Hessians: one-stage 0.59 s against two-stage
0.83 s at n = 2,035, 4.3–4.7 s against 4.8 s at n = 3,985, and 9.6 s against
7.9 s at n = 5,035. Both read only the lower triangle and agree to rounding
(``tests/calculus/test_dense.py``); ``make bench`` prints the times.

On an accelerator the order reverses: the Hessian is formed on the device, and
copying it to the host for LAPACK costs more than the device's own solver (on an
H200 at n = 5,035, float64: 3.7 s in CPU LAPACK on 16 cores against 0.19 s for
``jnp.linalg.eigvalsh`` on the GPU, agreeing to 6e-15). So when JAX's default
backend is not the CPU, :func:`eigenvalues` solves on the device.
"""

from __future__ import annotations

import ctypes
import glob
import os

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate
from .derivatives import hessian

__all__ = ["eigenvalues", "hessian_eigenvalues", "TWO_STAGE"]

_ROW_MAJOR, _COLUMN_MAJOR = 101, 102


def _two_stage_solver():
    """LAPACKE_dsyevd_2stage from NumPy's bundled 64-bit-integer OpenBLAS, or None."""
    folder = os.path.dirname(np.__file__) + ".libs"
    for path in sorted(glob.glob(os.path.join(folder, "libscipy_openblas64_*.so*"))):
        try:
            solver = ctypes.CDLL(path).scipy_LAPACKE_dsyevd_2stage64_
        except (OSError, AttributeError):
            continue
        solver.restype = ctypes.c_int64
        solver.argtypes = [ctypes.c_int, ctypes.c_char, ctypes.c_char, ctypes.c_int64,
                           ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p]
        return solver
    return None


_SOLVER = _two_stage_solver()

#: Whether LAPACK's two-stage reduction is available on this machine.
TWO_STAGE = _SOLVER is not None

#: Below this size the one-stage reduction of ``numpy.linalg.eigvalsh`` is faster.
TWO_STAGE_MIN_SIZE = 4000


def eigenvalues(H, *, two_stage: bool | None = None, on_device: bool | None = None) -> np.ndarray:
    r"""All eigenvalues of the symmetric matrix ``H``, ascending, float64.

    Only the lower triangle is read, as by ``numpy.linalg.eigvalsh``, whose
    results these match to rounding. ``two_stage=None`` uses LAPACK's two-stage
    reduction when it is available and ``n >= TWO_STAGE_MIN_SIZE`` (see the
    module docstring), ``False`` forces ``numpy.linalg.eigvalsh``, ``True``
    requires the two-stage solver. ``on_device=None`` solves with
    ``jax.numpy.linalg.eigvalsh`` on JAX's default device when that is an
    accelerator (GPU, TPU), and on the host otherwise; ``True``/``False`` force it.

    >>> import numpy as np
    >>> from lib.calculus.dense import eigenvalues
    >>> eigenvalues(np.array([[2.0, 1.0], [1.0, 2.0]]))
    array([1., 3.])
    """
    matrix = _validate.square_matrix("H", H)  # a fresh float64 copy of H
    if two_stage is not None and not _validate.is_bool(two_stage):
        raise TypeError(f"two_stage must be True, False or None, got {type(two_stage).__name__}")
    if on_device is not None and not _validate.is_bool(on_device):
        raise TypeError(f"on_device must be True, False or None, got {type(on_device).__name__}")
    if on_device and two_stage:
        raise ValueError("two_stage=True is a host (LAPACK) route: it cannot be combined with on_device=True")
    if on_device is None:
        on_device = two_stage is None and jax.default_backend() != "cpu"
    if on_device:  # reads the lower triangle, like the host routes
        return np.asarray(jnp.linalg.eigvalsh(jnp.asarray(matrix), symmetrize_input=False))
    if two_stage and _SOLVER is None:
        raise ValueError("two_stage=True, but NumPy's OpenBLAS offers no dsyevd_2stage here")
    if two_stage is None:
        two_stage = _SOLVER is not None and matrix.shape[0] >= TWO_STAGE_MIN_SIZE
    if not two_stage:
        return np.linalg.eigvalsh(matrix)
    # LAPACK overwrites its input: `matrix` is our own copy, so it may (copied again
    # only if not C-ordered). C order read as column-major is the transpose, so its
    # upper triangle is H's lower one: the triangle numpy.linalg.eigvalsh reads.
    work = np.ascontiguousarray(matrix)
    n = work.shape[0]
    values = np.empty(n, dtype=np.float64)
    info = _SOLVER(_COLUMN_MAJOR, b"N", b"U", n, work.ctypes.data, n, values.ctypes.data)
    if info != 0:  # pragma: no cover - LAPACK failed to converge
        raise np.linalg.LinAlgError(f"dsyevd_2stage failed (info = {info})")
    return values


def hessian_eigenvalues(f, x, *args) -> np.ndarray:
    """All eigenvalues of the exact Hessian of ``f(x, *args)``: :func:`lib.hessian`, then
    :func:`eigenvalues`."""
    h = hessian(f, x, *args)
    if not np.all(np.isfinite(h)):
        raise ValueError("x: the Hessian of f is not finite there (nan or inf)")
    return eigenvalues(h)
