"""Derivatives of a loss and what they tell: gradients, Hessians, their spectra, critical points.

Exact autodiff (``derivatives``), the dense and matrix-free Hessian spectrum (``dense``,
``spectrum``), per-example and mini-batch gradient statistics (``gradient_noise``), the
second-order test and a critical-point finder, the reference minimum. Lowest layer above
``lib._validate``: imports nothing else from ``lib``.
"""

from . import dense, gradient_noise, spectrum
