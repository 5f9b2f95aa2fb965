r"""One source of truth for each two-parameter loss: a SymPy expression in ``w1, w2``.

The explorers' surfaces (:mod:`lib.models.surfaces`) are closed forms. Each is written once,
as a SymPy expression, and turned into the two programs that compute with it:

* :func:`jax_loss` — the loss for ``lib``: ``sympy.lambdify(..., "jax")`` wrapped as a
  function of one array ``w = (w₁, w₂)``, whose gradient is SymPy's gradient
  (``sympy.diff``, lambdified too, as the loss's ``jax.custom_jvp``), so ``jax.grad`` and
  every optimizer in ``lib`` use the very formula the page uses; higher derivatives
  (Hessians) are JAX's derivatives of that gradient;
* :func:`javascript` — the loss and its gradient :math:`\nabla f = (\partial f/\partial w_1,
  \partial f/\partial w_2)` (``sympy.diff``) printed as JavaScript expressions (SymPy's
  JavaScript printer), so that a web page can run gradient descent on the same loss in
  float64 without a kernel (``lib/explorer/explorer-helpers.js``, ``makeLoss`` and ``descend``).

Both programs evaluate the same formulas, operation by operation, in IEEE double precision
(integer powers as JAX computes them, by repeated squaring; every constant to the last bit);
they may differ in the last bit of a transcendental function (``exp``), never in the formula.
``tests/explorer/test_symbolic_surfaces.py`` runs the JavaScript in node and compares it with JAX,
point by point and over whole trajectories.

The logistic function is :class:`Sigmoid`, a SymPy function whose derivative is
:math:`\sigma(1 - \sigma)` — the form ``jax.nn.sigmoid`` differentiates with, which stays
finite where :math:`e^{-z}` overflows (``1/(1 + e^{-z})`` differentiated symbolically
would give ∞/∞ there).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import sympy
from sympy.printing.jscode import JavascriptCodePrinter
from sympy.printing.numpy import JaxPrinter

__all__ = ["W1", "W2", "Sigmoid", "jax_loss", "javascript", "gradient_expressions"]

#: The two parameters every surface is written in.
W1, W2 = sympy.symbols("w1 w2", real=True)


class Sigmoid(sympy.Function):
    r"""The logistic function :math:`\sigma(z) = 1/(1 + e^{-z})`, with
    :math:`\sigma' = \sigma(1 - \sigma)`."""

    nargs = 1

    @classmethod
    def eval(cls, z):
        # SymPy calls this with the argument sympified; None or a list would fail deep inside it.
        if not isinstance(z, sympy.Expr):
            raise TypeError(f"Sigmoid's argument z must be a SymPy expression or a number, "
                            f"got {type(z).__name__}")
        if z.has(sympy.I, sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            raise ValueError(f"Sigmoid's argument z must be real and finite, got {z}")
        return None  # stay unevaluated: the printers and lambdify know sigma

    def fdiff(self, argindex=1):
        return self * (1 - self)


def _repeated_squaring(factor: str, n: int) -> str:
    """``factor**n`` as products in the order of ``jax.lax.integer_pow`` (binary exponentiation)."""
    result = None
    while n > 0:
        if n & 1:
            result = factor if result is None else f"({result}*{factor})"
        n >>= 1
        if n > 0:
            factor = f"({factor}*{factor})"
    return result


class _Printer(JavascriptCodePrinter):
    """SymPy's JavaScript printer, with every float printed to the last bit (``repr``) and
    positive integer powers as the products ``jax.lax.integer_pow`` computes (not ``Math.pow``)."""

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Pow(self, expr):
        base, exponent = expr.base, expr.exp
        if exponent.is_Integer and 2 <= int(exponent) <= 16:
            return _repeated_squaring("(" + self._print(base) + ")", int(exponent))
        return super()._print_Pow(expr)


class _JaxPrinter(JaxPrinter):
    """SymPy's JAX printer (for ``lambdify``) with every float printed to the last bit."""

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Sigmoid(self, expr):
        return f"Sigmoid({self._print(expr.args[0])})"  # jax.nn.sigmoid, in lambdify's namespace


def _lambdified(expression):
    return sympy.lambdify((W1, W2), expression, modules=[{"Sigmoid": jax.nn.sigmoid}, "jax"],
                          printer=_JaxPrinter)


def _checked(name, expression):
    if not isinstance(expression, sympy.Expr):
        raise TypeError(f"{name} must be a SymPy expression in lib.models.symbolic_surfaces.W1, W2, "
                        f"got {type(expression).__name__}")
    unknown = expression.free_symbols - {W1, W2}
    if unknown:
        raise ValueError(f"{name} may depend only on w1 and w2, but it has "
                         f"{sorted(str(symbol) for symbol in unknown)}")
    if expression.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise ValueError(f"{name} must be finite, got {expression} (it contains nan or an infinity)")
    if expression.has(sympy.I):
        raise TypeError(f"{name} must be a real loss, got the complex expression {expression}")
    return expression


def gradient_expressions(expression) -> tuple:
    r""":math:`(\partial f/\partial w_1, \partial f/\partial w_2)` of ``expression``."""
    expression = _checked("expression", expression)
    return tuple(sympy.diff(expression, symbol) for symbol in (W1, W2))


def jax_loss(expression, name: str = "loss"):
    """``f(w) = expression(w[0], w[1])`` as a JAX function of one array of shape ``(2,)``.

    >>> import numpy as np
    >>> f = jax_loss((1 - W1 * W2) ** 2)
    >>> float(f(np.array([2.0, 3.0])))
    25.0
    """
    expression = _checked("expression", expression)
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    value = _lambdified(expression)
    partials = [_lambdified(part) for part in gradient_expressions(expression)]

    @jax.custom_jvp
    def loss(w):
        return value(w[0], w[1])

    @loss.defjvp
    def _loss_jvp(primals, tangents):
        (w,), (dw,) = primals, tangents
        out = jnp.asarray(value(w[0], w[1]), dtype=w.dtype)
        # A partial derivative that is a constant (a quadratic's) is a Python number: broadcast it.
        g1, g2 = (jnp.broadcast_to(jnp.asarray(partial(w[0], w[1]), dtype=w.dtype), out.shape)
                  for partial in partials)
        return out, g1 * dw[0] + g2 * dw[1]

    loss.__name__ = loss.__qualname__ = name
    loss.__doc__ = f"f(w) = {sympy.sstr(expression)}, with w1 = w[0], w2 = w[1] (from SymPy)."
    loss.expression = expression
    return loss


def javascript(expression) -> dict:
    """The loss and its gradient as JavaScript expressions in ``w1``, ``w2`` (and ``sigmoid``).

    Returns ``{"loss": str, "grad": [str, str]}``, what ``makeLoss`` in
    ``lib/explorer/explorer-helpers.js`` compiles.

    >>> javascript(W1**2 - W2**2 / 4)["grad"]
    ['2*w1', '-1/2*w2']
    """
    expression = _checked("expression", expression)
    printer = _Printer({"user_functions": {"Sigmoid": "sigmoid"}, "strict": True})
    try:
        loss = printer.doprint(expression)
        grad = [printer.doprint(part) for part in gradient_expressions(expression)]
    except NotImplementedError as err:
        raise ValueError(f"the JavaScript printer could not print {expression}: {err}") from err
    return {"loss": loss, "grad": grad}


