r"""Two-parameter loss surfaces for the explorers, each a pure JAX function of ``w = (w₁, w₂)``.

Every factory returns a :class:`Surface`: the loss ``f`` together with a start
point, a plot window, a learning-rate range for the slider and a one-line
description. The factories are cached, so calling one twice with the same
arguments returns the *same* ``f`` object; ``jax.jit`` caches compiled code on
function identity, so a chapter that builds two explorers on ``ravine(50)``
compiles once.

======================  ===============================================================
surface                 loss :math:`f(w)`
======================  ===============================================================
``two_weight_net()``    :math:`(1 - w_1 w_2)^2`
``ravine(kappa)``       :math:`\tfrac12 (w_1^2 + \kappa\, w_2^2)`
``saddle()``            :math:`w_1^2 - w_2^2 + \tfrac14 w_2^4`
``plateau()``           :math:`\sum_i (\sigma(w_1 x_i + w_2) - t_i)^2`
``rosenbrock()``        :math:`(1 - w_1)^2 + 100\,(w_2 - w_1^2)^2`
======================  ===============================================================

:func:`loss_grid` evaluates a surface on a rectangular grid (one vmapped, jitted
call), which is what the explorers draw as contours.
"""

from __future__ import annotations

import functools
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import sympy

from .. import _validate
from . import symbolic_surfaces as symbolic

__all__ = ["Surface", "LossGrid", "two_weight_net", "ravine", "saddle", "plateau", "rosenbrock",
           "check_surface", "point", "loss_grid", "SURFACES", "cliff_loss", "cliff_surface",
           "CLIFF_HEIGHT", "CLIFF_STEEPNESS"]


class Surface(NamedTuple):
    """A loss of two parameters with everything an explorer needs to show it.

    ``f`` maps a float array of shape ``(2,)`` to a scalar. ``x0`` is the
    default start, ``xlim``/``ylim`` the plot window for ``w₁``/``w₂``,
    ``lr_range`` the (low, high) ends of the log-scale learning-rate slider
    (wide enough to show both a crawl and an overshoot or a blow-up),
    ``lr`` a default learning rate inside that range, ``steps`` a default run
    length. ``expression`` is the loss as a SymPy expression in
    :data:`lib.models.symbolic_surfaces.W1`, ``W2`` when ``f`` was made from one
    (:func:`lib.models.symbolic_surfaces.jax_loss`): then a web page can compute runs on the
    surface itself (:mod:`lib.explorer.widget`); ``None`` for any other loss.
    """

    name: str
    f: object
    x0: tuple
    xlim: tuple
    ylim: tuple
    lr_range: tuple
    description: str
    lr: float = 0.1
    steps: int = 100
    expression: object = None


def point(name: str, value) -> tuple[float, float]:
    """A point ``(w₁, w₂)`` of a surface's plane: two finite reals, or an error naming ``name``."""
    array = _validate.real_array(name, value, "a point (w1, w2)")
    if array.shape != (2,):
        raise ValueError(f"{name} must be a point (w1, w2) of the 2-D surface, got shape {array.shape}")
    return float(array[0]), float(array[1])


def check_surface(name: str, surface) -> Surface:
    """``surface`` with every field checked (``name`` in the messages): a reader may build a
    :class:`Surface` by hand or ``_replace`` a field, and a bad window or rate must not reach NumPy
    or the page as a puzzle. Numbers come back as Python floats and ints."""
    if not isinstance(surface, Surface):
        raise TypeError(f"{name} must be a lib.models.surfaces.Surface, got {type(surface).__name__}")
    for field in ("name", "description"):
        if not isinstance(getattr(surface, field), str):
            raise TypeError(f"{name}.{field} must be a string, got {type(getattr(surface, field)).__name__}")
    _validate.callable_(f"{name}.f", surface.f)
    if surface.expression is not None and not isinstance(surface.expression, sympy.Expr):
        raise TypeError(f"{name}.expression must be a SymPy expression in W1, W2 or None, "
                        f"got {type(surface.expression).__name__}")
    return surface._replace(
        x0=point(f"{name}.x0", surface.x0),
        xlim=_validate.interval(f"{name}.xlim", surface.xlim),
        ylim=_validate.interval(f"{name}.ylim", surface.ylim),
        lr_range=_validate.interval(f"{name}.lr_range", surface.lr_range, positive=True),
        lr=_validate.positive(f"{name}.lr", surface.lr),
        steps=_validate.positive_int(f"{name}.steps", surface.steps))


class LossGrid(NamedTuple):
    """``values[i, j] = f((xs[j], ys[i]))``: rows follow ``w₂``, columns ``w₁`` (image order)."""

    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray


# ----------------------------------------------------------------------------------------------
# The losses, each written once as a SymPy expression in w1, w2 (lib.models.symbolic_surfaces): lib
# gets the JAX function through sympy.lambdify, a web page the JavaScript of the loss and its
# gradient through SymPy's printer. Module-level functions, so each has one stable identity.

_W1, _W2 = symbolic.W1, symbolic.W2

TWO_WEIGHT_NET = (1 - _W1 * _W2) ** 2
SADDLE = _W1**2 - _W2**2 + sympy.Rational(1, 4) * _W2**4
ROSENBROCK = (1 - _W1) ** 2 + 100 * (_W2 - _W1**2) ** 2

# Four inputs and targets generated by the unit itself at w = (1, 0), so the loss
# reaches exactly 0 there; far from it the sigmoid saturates and the surface is flat.
PLATEAU_INPUTS = np.array([-2.0, -1.0, 1.0, 2.0])
PLATEAU_TARGETS = 1.0 / (1.0 + np.exp(-PLATEAU_INPUTS))
PLATEAU = sympy.Add(*[(symbolic.Sigmoid(sympy.Float(x) * _W1 + _W2) - sympy.Float(t)) ** 2
                      for x, t in zip(PLATEAU_INPUTS, PLATEAU_TARGETS)])

_two_weight_net_loss = symbolic.jax_loss(TWO_WEIGHT_NET, "two_weight_net_loss")
_saddle_loss = symbolic.jax_loss(SADDLE, "saddle_loss")
_plateau_loss = symbolic.jax_loss(PLATEAU, "plateau_loss")
_rosenbrock_loss = symbolic.jax_loss(ROSENBROCK, "rosenbrock_loss")


# ----------------------------------------------------------------------------------------------
# The factories.


@functools.cache
def two_weight_net() -> Surface:
    r"""The lecture's network :math:`\hat y = w_2 w_1 x` fitted to one example (x, y) = (1, 1).

    :math:`f(w) = (1 - w_1 w_2)^2`. Minima: the whole hyperbola :math:`w_1 w_2 = 1`;
    a saddle at the origin with Hessian :math:`\begin{pmatrix}0&-2\\-2&0\end{pmatrix}`.
    On the hyperbola the Hessian is :math:`2\,(w_2, w_1)^\top (w_2, w_1)`, whose
    nonzero eigenvalue :math:`2(w_1^2 + w_2^2)` depends on where one lands, so
    the largest stable learning rate does too.
    """
    return Surface(
        name="two-weight network (1 − w₁w₂)²",
        f=_two_weight_net_loss,
        x0=(1.75, -0.5),
        xlim=(-2.5, 2.5),
        ylim=(-2.5, 2.5),
        lr_range=(0.005, 0.8),
        description="f(w) = (1 − w₁w₂)²: minima along the hyperbola w₁w₂ = 1, a saddle at the origin.",
        lr=0.05,
        steps=100,
        expression=TWO_WEIGHT_NET,
    )


def ravine(kappa=10.0) -> Surface:
    r"""An ill-conditioned quadratic :math:`f(w) = \tfrac12 (w_1^2 + \kappa w_2^2)`, κ ≥ 1.

    Hessian :math:`\operatorname{diag}(1, \kappa)`, condition number κ. Plain gradient
    descent is stable iff :math:`\alpha < 2/\kappa`; heavy-ball momentum μ raises
    that to :math:`2(1+\mu)/\kappa`. The slider range scales with 1/κ accordingly.
    Cached on κ: ``ravine(50) is ravine(50.0)``.
    """
    kappa = _validate.real_scalar("kappa", kappa)
    if kappa < 1.0:
        raise ValueError(f"kappa must be >= 1 (it is a condition number), got {kappa}")
    return _ravine(kappa)


@functools.cache
def _ravine(kappa: float) -> Surface:
    expression = sympy.Rational(1, 2) * (_W1**2 + sympy.Float(kappa) * _W2**2)
    ravine_loss = symbolic.jax_loss(expression, "ravine_loss")

    return Surface(
        name=f"ravine, κ = {kappa:g}",
        f=ravine_loss,
        x0=(-8.0, 2.0),
        xlim=(-10.0, 10.0),
        ylim=(-3.0, 3.0),
        lr_range=(0.02 / kappa, 4.0 / kappa),
        description=(f"f(w) = ½(w₁² + {kappa:g}·w₂²): a quadratic ravine with condition number "
                     f"κ = {kappa:g}; plain gradient descent diverges for α > 2/κ = {2 / kappa:.3g}."),
        lr=1.0 / kappa,
        steps=100,
        expression=expression,
    )


@functools.cache
def saddle() -> Surface:
    r"""A saddle that is bounded below: :math:`f(w) = w_1^2 - w_2^2 + \tfrac14 w_2^4`.

    Near the origin it is the textbook saddle :math:`w_1^2 - w_2^2` (Hessian
    :math:`\operatorname{diag}(2, -2)`); the quartic term bends the falling
    direction back up, giving two minima at :math:`(0, \pm\sqrt2)` with
    :math:`f = -1` and Hessian :math:`\operatorname{diag}(2, 4)`. Started almost on
    the stable manifold :math:`w_2 = 0`, gradient descent stalls at the saddle
    before escaping.
    """
    return Surface(
        name="saddle w₁² − w₂² + w₂⁴/4",
        f=_saddle_loss,
        x0=(2.0, 0.01),
        xlim=(-2.5, 2.5),
        ylim=(-2.5, 2.5),
        lr_range=(0.005, 0.6),
        description="f(w) = w₁² − w₂² + w₂⁴/4: a saddle at the origin, minima at (0, ±√2).",
        lr=0.05,
        steps=100,
        expression=SADDLE,
    )


@functools.cache
def plateau() -> Surface:
    r"""Least squares for one saturating logistic unit: a plateau.

    :math:`f(w) = \sum_{i=1}^4 (\sigma(w_1 x_i + w_2) - t_i)^2` with inputs
    :math:`x = (-2, -1, 1, 2)` and targets :math:`t_i = \sigma(x_i)`, so the
    minimum is :math:`f = 0` at :math:`w = (1, 0)`. Where every pre-activation
    is large, :math:`\sigma' \approx 0` and the gradient vanishes: the start
    point lies on that plateau.
    """
    return Surface(
        name="plateau: saturated logistic unit",
        f=_plateau_loss,
        x0=(-1.5, 6.0),
        xlim=(-3.0, 4.0),
        ylim=(-7.0, 7.0),
        lr_range=(0.1, 40.0),
        description=("f(w) = Σᵢ (σ(w₁xᵢ + w₂) − tᵢ)² on four points: flat where the sigmoid "
                     "saturates, minimum 0 at w = (1, 0)."),
        lr=1.0,
        steps=100,
        expression=PLATEAU,
    )


@functools.cache
def rosenbrock() -> Surface:
    r"""Rosenbrock's banana valley :math:`f(w) = (1 - w_1)^2 + 100\,(w_2 - w_1^2)^2`.

    One minimum, :math:`f(1, 1) = 0`, Hessian there
    :math:`\begin{pmatrix}802&-400\\-400&200\end{pmatrix}` (largest eigenvalue ≈ 1001.6,
    so plain gradient descent needs α < 0.002 near the minimum), at the end of a
    curved, nearly flat valley floor :math:`w_2 = w_1^2`.
    """
    return Surface(
        name="Rosenbrock valley",
        f=_rosenbrock_loss,
        x0=(-1.2, 1.0),
        xlim=(-2.0, 2.0),
        ylim=(-1.0, 3.0),
        lr_range=(1e-5, 4e-3),
        description="f(w) = (1 − w₁)² + 100(w₂ − w₁²)²: a curved valley, minimum 0 at (1, 1).",
        lr=1e-3,
        steps=200,
        expression=ROSENBROCK,
    )


SURFACES = {"two_weight_net": two_weight_net, "ravine": ravine, "saddle": saddle,
            "plateau": plateau, "rosenbrock": rosenbrock}


@partial(jax.jit, static_argnums=0)
def _values_on_grid(f, xs, ys):
    w1, w2 = jnp.meshgrid(xs, ys)  # image order: rows are w₂
    points = jnp.stack([w1.ravel(), w2.ravel()], axis=1)
    return jax.vmap(f)(points).reshape(w1.shape)


def loss_grid(surface: Surface, resolution: int = 90) -> LossGrid:
    """``f`` on a ``resolution × resolution`` grid over the surface's plot window, in one jitted call.

    >>> from lib.models import surfaces
    >>> grid = surfaces.loss_grid(surfaces.two_weight_net(), resolution=3)
    >>> grid.values[1, 1]  # the centre (0, 0)
    np.float64(1.0)
    """
    surface = check_surface("surface", surface)
    resolution = _validate.count("resolution", resolution, 4096)
    if resolution < 2:
        raise ValueError(f"resolution must be >= 2, got {resolution}")
    xs = np.linspace(*surface.xlim, resolution)
    ys = np.linspace(*surface.ylim, resolution)
    values = np.asarray(_values_on_grid(surface.f, jnp.asarray(xs), jnp.asarray(ys)))
    return LossGrid(xs, ys, values)


# ----------------------------------------------------------------------------------------------
# A loss with a cliff.

#: Height :math:`H` and steepness :math:`k` of the wall in :func:`cliff_loss`.
CLIFF_HEIGHT = 5.0
CLIFF_STEEPNESS = 20.0


CLIFF = (sympy.Rational(1, 2) * (sympy.Float(0.1) * (_W1 - 2) ** 2 + sympy.Float(0.5) * _W2**2)
         + sympy.Float(CLIFF_HEIGHT) * symbolic.Sigmoid(-sympy.Float(CLIFF_STEEPNESS) * _W1))

cliff_loss = symbolic.jax_loss(CLIFF, "cliff_loss")
cliff_loss.__doc__ = r"""A gentle bowl with a cliff across it, :math:`w = (w_1, w_2)`:

    .. math::

        f(w) = \tfrac12 \left(0.1\,(w_1 - 2)^2 + 0.5\, w_2^2\right) + H\,\sigma(-k w_1),

    with :math:`\sigma` the logistic function, :math:`H` = ``CLIFF_HEIGHT`` and
    :math:`k` = ``CLIFF_STEEPNESS``. For :math:`w_1 \ll 0` the loss is a plateau
    :math:`H` above the bowl; around :math:`w_1 = 0` it drops by :math:`H` within a
    width of about :math:`4/k`, where the gradient reaches :math:`Hk/4` in the
    :math:`w_1` direction; the minimum is at :math:`(2, 0)`, past the cliff.
    (The SymPy expression ``CLIFF``, through :func:`lib.models.symbolic_surfaces.jax_loss`.)

    >>> round(float(cliff_loss(np.array([2.0, 0.0]))), 12)
    0.0
    """


@functools.cache
def cliff_surface():
    """:func:`cliff_loss` as a :class:`lib.models.surfaces.Surface` for the explorer."""
    return Surface(
        name="a cliff",
        f=cliff_loss,
        x0=(-4.0, 2.0),
        xlim=(-6.0, 18.0),
        ylim=(-3.0, 3.0),
        lr_range=(0.05, 5.0),
        description=("A gentle bowl with minimum (2, 0) and a wall of height 5 across it at w₁ = 0: "
                     "on the wall the gradient is up to 25 long."),
        lr=1.0,
        steps=60,
        expression=CLIFF,
    )
