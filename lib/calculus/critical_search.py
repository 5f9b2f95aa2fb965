r"""Find critical points of any index — minima, saddles, maxima — by Newton-type steps on the gradient.

Gradient descent is attracted by minima and repelled by saddles, so it is a poor
tool for *finding* saddles. Instead, treat the critical-point condition as a
system of equations, :math:`g(\theta) = \nabla L(\theta) = 0`, and minimise its
squared residual

.. math::

    \varphi(\theta) = \tfrac12 \lVert \nabla L(\theta) \rVert^2,
    \qquad \nabla \varphi(\theta) = H(\theta)\, g(\theta),

whose global minima (:math:`\varphi = 0`) are exactly the critical points of
:math:`L`, whatever their Hessian's signature. The Jacobian of the residual
:math:`g` is the (symmetric) Hessian :math:`H`, so the Gauss–Newton /
Levenberg–Marquardt step for :math:`g = 0` is

.. math::

    d(\mu) = -(H^2 + \mu I)^{-1} H g
           = -\sum_i \frac{\lambda_i}{\lambda_i^2 + \mu}\, (q_i^\top g)\, q_i ,
    \qquad H = \sum_i \lambda_i q_i q_i^\top .

With :math:`\mu = 0` this is Newton's step :math:`-H^{+} g` for the equation
:math:`g = 0` (the minimal-norm least-squares solution of :math:`H d = -g`; it
moves *towards* a saddle, where gradient descent would move away). It
converges quadratically near a critical point with an invertible Hessian. A
:math:`\mu > 0` shortens the step along eigen-directions with
:math:`|\lambda_i| \ll \sqrt\mu`, where the Newton step is unreliable. Every
:math:`d(\mu)` is a descent direction for :math:`\varphi`:
:math:`\nabla\varphi^\top d(\mu) = -\sum_i \frac{\lambda_i^2}{\lambda_i^2 + \mu}(q_i^\top g)^2 \le 0`.

Each iteration evaluates the candidates :math:`\theta + t\, d(\mu)` for a small
grid of damping values :math:`\mu \in (\lambda_{\max}^2 + \lVert g\rVert) \cdot \{0, 10^{-10},
10^{-7}, 10^{-4}, 10^{-2}, 1, 10^2\}` and step lengths :math:`t \in \{1, \tfrac12,
\tfrac14, 10^{-1}, 3\cdot10^{-2}, 10^{-2}, 10^{-3}\}`, keeps those satisfying the
Armijo condition :math:`\varphi(\theta + t d) \le \varphi(\theta) + 10^{-4}\, t\,
\nabla\varphi^\top d`, and moves to the one with the smallest :math:`\varphi`. The
search stops when

* ``converged``: :math:`\lVert g \rVert \le` ``tol``;
* ``stalled``: no candidate decreases :math:`\varphi`, or :math:`\lVert g\rVert` fell by
  less than 0.1 % over the last 20 steps — typically a
  *gradient-flat region*, where :math:`H g \approx 0` although :math:`g \ne 0`
  (a local minimum of :math:`\varphi` that is not a critical point of :math:`L`);
* ``diverged``: only steps that leave the ball :math:`\lVert\theta\rVert \le` ``max_norm``
  (or give non-finite values) would still lower :math:`\varphi` — the iterate is running off to
  infinity, e.g. a tanh unit saturating; ``x`` is then the last point inside the ball;
* ``max_iter``: the iteration budget ran out while :math:`\varphi` was still falling.

The whole search is one jitted ``lax.while_loop``; :func:`find_critical_points`
reuses its compilation for many starting points. The dense Hessian costs
:math:`n` Jacobian-vector products per iteration, so this is for small models
(up to a few hundred parameters).
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate

__all__ = ["CriticalSearch", "find_critical_point", "find_critical_points", "STATUSES", "Census", "census"]

STATUSES = ("converged", "stalled", "diverged", "max_iter")
_RUNNING = -1

_MU_FACTORS = np.array([0.0, 1e-10, 1e-7, 1e-4, 1e-2, 1.0, 1e2])
_STEP_LENGTHS = np.array([1.0, 0.5, 0.25, 0.1, 0.03, 0.01, 1e-3])
_ARMIJO = 1e-4
# Stop as "stalled" when ‖g‖ fell by less than _CREEP (relative) over the last _WINDOW steps.
_WINDOW, _CREEP = 20, 1e-3
# Newton's step (mu = 0) inverts only eigenvalues with |lambda| > _PINV_RCOND * max|lambda|.
_PINV_RCOND = 1e-12


class CriticalSearch(NamedTuple):
    """The result of :func:`find_critical_point`."""

    x: Any  #: final parameters, with the structure of ``x0`` (numpy leaves)
    gradient_norm: float  #: ‖∇L(x)‖, evaluated afresh at the returned point
    converged: bool  #: ``gradient_norm <= tol``: a verified critical point
    iterations: int  #: number of Newton-type steps taken
    history: np.ndarray  #: ‖∇L‖ at iterates ``0 … iterations``
    status: str  #: one of :data:`STATUSES`
    loss: float  #: L(x)
    #: ‖H g‖ / (‖H‖₂ ‖g‖) at x; ≈ 0 where g lies in the (near-)null space of H
    flatness: float


def _search_core(f, flat0, template, args, tol, max_norm, max_iter):
    """One search from the flat start ``flat0`` (pure; jitted by the callers)."""
    _, unravel = ravel_pytree(template)

    def grad_fn(v):
        return ravel_pytree(jax.grad(f)(unravel(v), *args))[0]

    def phi(v):
        g = grad_fn(v)
        return 0.5 * jnp.dot(g, g)

    def healthy(v, value):
        return jnp.all(jnp.isfinite(v)) & jnp.isfinite(value) & (jnp.linalg.norm(v) <= max_norm)

    def step(x):
        g = grad_fn(x)
        h = jax.jacfwd(grad_fn)(x)
        lam, q = jnp.linalg.eigh(0.5 * (h + h.T))
        gq = q.T @ g
        scale = jnp.max(jnp.abs(lam))
        phi0 = 0.5 * jnp.dot(g, g)
        mu_scale = scale**2 + jnp.sqrt(2.0 * phi0)

        def direction(mu_factor):
            mu = mu_factor * mu_scale
            newton = jnp.where(jnp.abs(lam) > _PINV_RCOND * scale, 1.0 / jnp.where(lam == 0, 1.0, lam), 0.0)
            damped = lam / jnp.where(lam**2 + mu > 0, lam**2 + mu, 1.0)
            coeff = jnp.where(mu_factor == 0, newton, damped)
            slope = -jnp.sum(lam * coeff * gq**2)  # ∇φᵀd
            return -q @ (coeff * gq), slope

        step_lengths = jnp.asarray(_STEP_LENGTHS)
        dirs, slopes = jax.vmap(direction)(jnp.asarray(_MU_FACTORS))

        def trial(d, slope, t):
            x_new = x + t * d
            value = phi(x_new)
            decrease = jnp.isfinite(value) & (value <= phi0 + _ARMIJO * t * slope) & (value < phi0)
            return jnp.where(decrease, value, jnp.inf), healthy(x_new, value)

        over_t = jax.vmap(trial, in_axes=(None, None, 0))
        values, inside = jax.vmap(over_t, in_axes=(0, 0, None))(dirs, slopes, step_lengths)
        values_inside = jnp.where(inside, values, jnp.inf)
        best = jnp.argmin(values_inside)
        i, j = jnp.unravel_index(best, values.shape)
        accepted = jnp.isfinite(values_inside[i, j])
        # Only steps that leave the ball ‖θ‖ ≤ max_norm would still lower φ: running away.
        escaping = ~accepted & jnp.any(jnp.isfinite(values) & ~inside)
        x_new = jnp.where(accepted, x + step_lengths[j] * dirs[i], x)
        return x_new, accepted, escaping

    history0 = jnp.full(max_iter + 1, jnp.nan).at[0].set(jnp.linalg.norm(grad_fn(flat0)))

    def status_of(x, gnorm):
        bad = ~healthy(x, gnorm)
        return jnp.where(bad, 2, jnp.where(gnorm <= tol, 0, _RUNNING))

    def cond(carry):
        _, k, status, _ = carry
        return (status == _RUNNING) & (k < max_iter)

    def body(carry):
        x, k, _, history = carry
        x_new, accepted, escaping = step(x)
        gnorm = jnp.linalg.norm(grad_fn(x_new))
        # Creeping: less than _CREEP relative progress over the last _WINDOW steps.
        creeping = (k + 1 >= _WINDOW) & (gnorm > (1.0 - _CREEP) * history[jnp.maximum(k + 1 - _WINDOW, 0)])
        status = jnp.where(accepted, status_of(x_new, gnorm), jnp.where(escaping, 2, 1))
        status = jnp.where((status == _RUNNING) & creeping, 1, status)
        k_new = jnp.where(accepted, k + 1, k)
        history = jnp.where(accepted, history.at[k + 1].set(gnorm), history)
        return x_new, k_new, status, history

    status0 = status_of(flat0, history0[0])
    x, k, status, history = jax.lax.while_loop(cond, body, (flat0, jnp.array(0), status0, history0))
    status = jnp.where(status == _RUNNING, 3, status)
    # Verify at the returned point: gradient, Hessian and loss evaluated afresh.
    return x, k, status, history, grad_fn(x), jax.jacfwd(grad_fn)(x), f(unravel(x), *args)


@partial(jax.jit, static_argnames=("f", "max_iter"))
def _search(f, flat0, template, args, tol, max_norm, *, max_iter):
    return _search_core(f, flat0, template, args, tol, max_norm, max_iter)


def _check_options(tol, max_iter, max_norm):
    tol = _validate.positive("tol", tol)
    max_iter = _validate.count("max_iter", max_iter, _validate.MAX_ITER)
    max_norm = _validate.positive("max_norm", max_norm)
    return tol, max_iter, max_norm


def _result(unravel, outputs, tol):
    """Package one search as numpy values; ``converged`` is decided on the final gradient."""
    x, k, status, history, g, h, loss = (np.asarray(o) for o in outputs)
    k, status = int(k), STATUSES[int(status)]
    history = history[: k + 1]
    params = jax.tree_util.tree_map(np.asarray, unravel(jnp.asarray(x)))
    gnorm = float(np.linalg.norm(g))
    hnorm = float(np.linalg.norm((h + h.T) / 2, 2))
    flatness = float(np.linalg.norm(h @ g) / (hnorm * gnorm)) if gnorm > 0 and hnorm > 0 else 0.0
    converged = gnorm <= tol and status == "converged"
    return CriticalSearch(params, gnorm, bool(converged), k, history, status, float(loss), flatness)


def find_critical_point(f, x0, *args, tol=1e-8, max_iter=100, max_norm=1e4) -> CriticalSearch:
    r"""Drive ``x0`` to a critical point of ``f(x, *args)``, of any kind, by damped Newton steps on ∇f = 0.

    Minimises :math:`\varphi = \tfrac12\lVert\nabla f\rVert^2` with the Levenberg–Marquardt
    steps :math:`d(\mu) = -(H^2 + \mu I)^{-1} H \nabla f` and a grid line search
    (see the module docstring). ``converged`` is True only if the gradient norm,
    recomputed in float64 at the returned point, is at most ``tol``; otherwise
    ``status`` says why the search stopped ("stalled", "diverged", "max_iter").

    >>> import lib, numpy as np
    >>> from lib.calculus.critical_search import find_critical_point
    >>> loss = lambda w: (1 - w[0] * w[1]) ** 2
    >>> found = find_critical_point(loss, np.array([0.1, -0.2]))
    >>> found.status, bool(np.abs(found.x).max() < 1e-9)
    ('converged', True)
    >>> lib.classify_critical_point(loss, found.x).kind
    'saddle point'
    """
    _validate.callable_("f", f)
    params = _validate.parameters("x0", x0)
    args = _validate.data("args", args)
    _validate.scalar_loss(f, params, args, name="x0")
    tol, max_iter, max_norm = _check_options(tol, max_iter, max_norm)
    flat0, unravel = ravel_pytree(params)
    outputs = _search(f, flat0, params, tuple(args), jnp.float64(tol), jnp.float64(max_norm),
                      max_iter=max_iter)
    return _result(unravel, outputs, tol)


def find_critical_points(f, starts, *args, tol=1e-8, max_iter=100, max_norm=1e4) -> list:
    """:func:`find_critical_point` from every start in ``starts``, sharing one compilation.

    ``starts`` is a non-empty sequence of parameter vectors or pytrees, all with
    the same structure and shapes. Returns one :class:`CriticalSearch` per start.
    The searches run one after the other through the same jitted loop (on a
    CPU this beats ``vmap``, which would run every search until the slowest
    one stops).

    >>> import numpy as np
    >>> from lib.calculus.critical_search import find_critical_points
    >>> loss = lambda w: (w[0] ** 2 - 1) ** 2 + w[1] ** 2
    >>> [r.x[0].round(6) for r in find_critical_points(loss, [np.array([0.3, 1.0]), np.array([0.6, -1.0])])]
    [np.float64(0.0), np.float64(1.0)]
    """
    _validate.callable_("f", f)
    tol, max_iter, max_norm = _check_options(tol, max_iter, max_norm)
    if isinstance(starts, (str, bytes)) or not hasattr(starts, "__len__"):
        raise TypeError(f"starts must be a sequence of parameter vectors or pytrees, "
                        f"got {type(starts).__name__}")
    if len(starts) == 0:
        raise ValueError("starts must contain at least one starting point, got an empty sequence")
    checked = [_validate.parameters(f"starts[{i}]", s) for i, s in enumerate(starts)]
    args = _validate.data("args", args)
    template = checked[0]
    _validate.scalar_loss(f, template, args, name="starts[0]")
    structure = jax.tree_util.tree_structure(template)
    shapes = [np.shape(leaf) for leaf in jax.tree_util.tree_leaves(template)]
    for i, s in enumerate(checked[1:], start=1):
        if (jax.tree_util.tree_structure(s) != structure
                or [np.shape(leaf) for leaf in jax.tree_util.tree_leaves(s)] != shapes):
            raise ValueError(f"starts[{i}] has a different structure or shape than starts[0]")
    _, unravel = ravel_pytree(template)
    results = []
    for params in checked:
        outputs = _search(f, ravel_pytree(params)[0], template, tuple(args), jnp.float64(tol),
                          jnp.float64(max_norm), max_iter=max_iter)
        results.append(_result(unravel, outputs, tol))
    return results


class Census(NamedTuple):
    """What a set of critical-point searches found (see :func:`census`)."""

    runs: int  #: searches counted
    verified: int  #: of them converged to a verified critical point
    minima: int  #: verified searches that ended at a strict local minimum
    saddles: int  #: verified searches that ended at a saddle point
    distinct: int  #: distinct critical points among the verified ones (groups)


def census(searches, kinds, labels, indices=None) -> Census:
    """Count the searches ``indices`` (default: all): verified, by kind, and distinct points.

    ``searches`` are :class:`CriticalSearch` results, ``kinds`` the kind of each result's
    end point (``lib.classify_critical_point(...).kind``, same length), and ``labels`` the
    group of each *converged* search, in order — for example
    ``lib.models.weight_symmetry.group_by_symmetry(...).labels`` of the converged end points — so
    that two searches that found copies of one critical point count once in ``distinct``.
    """
    searches, kinds = _validate.sequence("searches", searches), _validate.sequence("kinds", kinds)
    if not searches:
        raise ValueError("searches must hold at least one CriticalSearch")
    for i, search in enumerate(searches):
        if not isinstance(search, CriticalSearch):
            raise TypeError(f"searches[{i}] must be a CriticalSearch (from find_critical_points), "
                            f"got {type(search).__name__}")
    if len(kinds) != len(searches):
        raise ValueError(f"kinds must have one entry per search ({len(searches)}), got {len(kinds)}")
    for i, kind in enumerate(kinds):
        if not isinstance(kind, str):
            raise TypeError(f"kinds[{i}] must be a string (classify_critical_point(...).kind), "
                            f"got {type(kind).__name__}")
    converged = [i for i, s in enumerate(searches) if s.converged]
    if converged:
        labels = _validate.integer_array("labels", labels, "an array of group labels")
    else:
        labels = _validate.real_array("labels", labels, "an array of group labels")
    if labels.shape != (len(converged),):
        raise ValueError(f"labels must have one entry per converged search ({len(converged)}), "
                         f"got shape {labels.shape}")
    if indices is None:
        chosen = range(len(searches))
    else:
        chosen = _validate.integer_array("indices", indices, "an array of search indices").tolist()
        if min(chosen) < 0 or max(chosen) >= len(searches):
            raise ValueError(f"indices must lie in [0, {len(searches)}), got {chosen[:5]}")
    found = [i for i in chosen if searches[i].converged]
    label_of = dict(zip(converged, labels.tolist()))
    return Census(runs=len(chosen), verified=len(found),
                  minima=sum(kinds[i] == "local minimum" for i in found),
                  saddles=sum(kinds[i] == "saddle point" for i in found),
                  distinct=len({label_of[i] for i in found}))
