r"""What one gradient-descent step does to the loss and to the gradient norm, from the Hessian.

For a step :math:`\theta \leftarrow \theta - \alpha g` on a loss with Hessian
:math:`H` (exact on a quadratic; elsewhere :math:`\Delta L` is right up to
:math:`O(\alpha^3)` and :math:`\Delta\lVert g\rVert^2` up to :math:`O(\alpha^2)`),

.. math::

    \Delta L = -\alpha\, g^\top g + \tfrac12 \alpha^2\, g^\top H g, \qquad
    \Delta \lVert g \rVert^2 = -2\alpha\, g^\top H g + \alpha^2\, (Hg)^\top (Hg),

because the new gradient is :math:`g - \alpha H g`. So the loss falls while the
gradient norm *rises* exactly when, with :math:`g^\top H g > 0`,

.. math::

    \frac{g^\top H g}{g^\top g} < \frac{2}{\alpha} < \frac{(Hg)^\top (Hg)}{g^\top H g}:

the curvature along :math:`g` is below the stability limit :math:`2/\alpha`, while
the curvature that :math:`Hg` sees is above it. Both are averages of the
eigenvalues of :math:`H` weighted by :math:`g`'s components, the second with
extra weight on the large ones, so an ill-conditioned :math:`H` with one
unstable steep direction, :math:`\lambda_{\max} > 2/\alpha`, is one way in.
"""

from __future__ import annotations

from .. import _validate

__all__ = ["gd_step_changes", "curvature_quotients"]


def _vectors(g, hg):
    g = _validate.real_array("g", g, "a vector")
    hg = _validate.real_array("hg", hg, "a vector")
    for name, vector in (("g", g), ("hg", hg)):
        if vector.ndim != 1:
            raise ValueError(f"{name} must be a 1-D vector of shape (n,), got shape {vector.shape}")
    if g.size != hg.size or g.size == 0:
        raise ValueError(f"g and hg must be vectors of the same length, got {g.size} and {hg.size}")
    return g, hg


def gd_step_changes(g, hg, lr):
    r"""``(ΔL, Δ‖g‖²)`` of the step :math:`-\alpha g` from the gradient ``g`` and ``hg`` = :math:`Hg`.

    >>> gd_step_changes([1.0], [2.0], 0.25)          # L = x², x = 1/2: x → 1/4
    (-0.1875, -0.75)
    """
    g, hg = _vectors(g, hg)
    lr = _validate.positive("lr", lr)
    gg, ghg, hghg = float(g @ g), float(g @ hg), float(hg @ hg)
    return -lr * gg + 0.5 * lr ** 2 * ghg, -2.0 * lr * ghg + lr ** 2 * hghg


def curvature_quotients(g, hg):
    r"""``(gᵀHg / gᵀg, (Hg)ᵀ(Hg) / gᵀHg)``: the two curvatures that decide the signs above.

    The loss falls if the first is below :math:`2/\alpha`; the gradient norm
    rises if the second is above it (for :math:`g^\top H g > 0`).
    """
    g, hg = _vectors(g, hg)
    gg, ghg = float(g @ g), float(g @ hg)
    if gg == 0.0 or ghg <= 0.0:
        raise ValueError("g must be nonzero with gᵀHg > 0 for the quotients to be defined")
    return ghg / gg, float(hg @ hg) / ghg
