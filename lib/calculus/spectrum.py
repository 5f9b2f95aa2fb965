r"""The Hessian of a large model without forming it: products, extreme eigenvalues, density.

A network with :math:`n = 10^6` parameters has a Hessian of :math:`n^2 = 10^{12}`
entries (8 TB in float64), yet the product :math:`Hv` with any vector costs only a
few gradients. Everything here is built on that product and never stores
:math:`H`:

* :func:`hvp` — the Hessian-vector product by forward-over-reverse
  differentiation, :math:`Hv = \frac{d}{dt}\nabla f(x + t v)\big|_{t=0}`
  (a JVP of the gradient).
* :func:`top_eigenvalues` — the :math:`k` largest (or smallest, or largest in
  magnitude) eigenpairs by the Lanczos method with full reorthogonalisation.
* :func:`lanczos_quadrature` and :func:`spectral_density` — the eigenvalue
  density by stochastic Lanczos quadrature (Golub & Meurant; Ghorbani, Krishnan
  & Xiao 2019).

The Lanczos recurrence. From a unit vector :math:`q_1` and :math:`\beta_0 q_0 = 0`,

.. math::

    w = H q_j - \beta_{j-1} q_{j-1}, \quad \alpha_j = q_j^\top H q_j, \quad
    w \leftarrow w - \alpha_j q_j, \quad \beta_j = \lVert w \rVert, \quad
    q_{j+1} = w / \beta_j ,

so that :math:`H Q_m = Q_m T_m + \beta_m q_{m+1} e_m^\top` with the tridiagonal
:math:`T_m = \mathrm{tridiag}(\beta, \alpha, \beta)`. In floating point the
:math:`q_j` lose orthogonality as soon as a Ritz value converges, and copies
("ghosts") of converged eigenvalues appear; we therefore orthogonalise
:math:`w` against *all* previous :math:`q_i`, twice (classical Gram–Schmidt
applied twice is orthogonal to working precision). The eigenvalues
:math:`\theta_i` of :math:`T_m` (Ritz values) approximate the extreme
eigenvalues of :math:`H` first; with eigenvectors :math:`T_m s_i = \theta_i s_i`
the Ritz vector :math:`u_i = Q_m s_i` has residual
:math:`\lVert H u_i - \theta_i u_i \rVert = \beta_m |e_m^\top s_i|`, computed for free.

Each function runs the whole recurrence as one jitted ``lax.fori_loop`` over a
preallocated basis of shape ``(m + 1, n)``: memory :math:`8 (m+1) n` bytes.
``f`` is static (a new function compiles once); the parameters, the data
``*args`` and the random seed are traced.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate

__all__ = ["hvp", "Eigenpairs", "top_eigenvalues", "Quadrature", "lanczos_quadrature",
           "SpectralDensity", "spectral_density", "smoothed_density"]

_WHICH = ("largest", "smallest", "magnitude")
_STARTS = ("rademacher", "gaussian")
# A Lanczos step whose new direction is this small relative to ‖Hq‖ has found an
# invariant subspace: continue from a fresh random direction instead of w / β.
_BREAKDOWN = 1e-10


# --------------------------------------------------------------------------- products


def _linear_hvp(f, params, args):
    """The map v ↦ Hv on flat vectors, linearised once at ``params``.

    ``jax.linearize`` of the gradient is forward-over-reverse with the primal
    (forward and backward pass) evaluated once and stored, so each later product
    only pays for the tangent pass.
    """
    flat, unravel = ravel_pytree(params)

    def flat_grad(v):
        return ravel_pytree(jax.grad(f)(unravel(v), *args))[0]

    _, tangent = jax.linearize(flat_grad, flat)
    return tangent, flat.size


@partial(jax.jit, static_argnums=0)
def _flat_hvp(f, params, v, args):
    _, unravel = ravel_pytree(params)
    grad = lambda p: jax.grad(f)(p, *args)  # noqa: E731
    return ravel_pytree(jax.jvp(grad, (params,), (unravel(v),))[1])[0]


def _finite(name, values):
    if not np.all(np.isfinite(values)):
        raise ValueError(f"x: the Hessian of f is not finite there (nan or inf in the {name})")
    return values


def _flat_vector(name, v, params):
    """``v`` as a flat float64 vector of the parameters' size (``v`` flat or a matching pytree)."""
    n = _validate.flat_size(params)
    structure = jax.tree_util.tree_structure(v)
    if (not jax.tree_util.treedef_is_leaf(structure)
            and structure == jax.tree_util.tree_structure(params)):
        v = _validate.parameters(name, v)
        shapes = [np.shape(a) for a in jax.tree_util.tree_leaves(v)]
        if shapes != [np.shape(a) for a in jax.tree_util.tree_leaves(params)]:
            raise ValueError(f"{name} must have the shapes of x, got leaf shapes {shapes}")
        return ravel_pytree(v)[0]
    array = _validate.real_array(name, v, "a real vector")
    if array.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) like the flattened x, got {array.shape}")
    return jnp.asarray(array, dtype=jnp.float64)


def hvp(f, x, v, *args) -> np.ndarray:
    r"""The Hessian-vector product :math:`H(x)\,v` as a flat ``(n,)`` float64 array.

    Forward-over-reverse: :math:`Hv = \frac{d}{dt} \nabla f(x + t v)\big|_{t=0}`,
    one JVP through the gradient computation, at a cost of a small multiple of
    one gradient and without forming :math:`H`. ``v`` is a flat vector in
    ``ravel_pytree`` order or a pytree shaped like ``x``.

    >>> import numpy as np
    >>> from lib.calculus.spectrum import hvp
    >>> loss = lambda w: (1 - w[0] * w[1]) ** 2
    >>> hvp(loss, np.zeros(2), np.array([1.0, 0.0]))
    array([ 0., -2.])
    """
    params = _validate.loss_problem(f, x, args)
    flat_v = _flat_vector("v", v, params)
    return np.asarray(_flat_hvp(f, params, flat_v, tuple(args)))


# --------------------------------------------------------------------------- Lanczos


def _start_vector(key, n, start):
    if start == "rademacher":
        z = jax.random.rademacher(key, (n,), dtype=jnp.float64)
    else:
        z = jax.random.normal(key, (n,), dtype=jnp.float64)
    return z / jnp.linalg.norm(z)


def _lanczos(matvec, q1, m, key):
    """``m`` Lanczos steps from the unit vector ``q1``; returns (α (m,), β (m,), Q (m+1, n)).

    ``β[j]`` couples steps ``j`` and ``j + 1``; ``β[m-1]`` is the residual factor
    :math:`\\beta_m`. After a breakdown (β ≈ 0) the basis continues from a random
    vector orthogonal to it and β is recorded as 0, which keeps :math:`T_m`
    block-diagonal and exact.
    """
    n = q1.size
    rows = jnp.arange(m + 1)
    basis = jnp.zeros((m + 1, n), dtype=jnp.float64).at[0].set(q1)

    def orthogonalise(w, basis, j):
        # Classical Gram-Schmidt against q_0 .. q_j, applied twice. Rows beyond j are
        # still zero; one dense product over the whole basis is faster on CPU than
        # slicing out the filled rows inside the loop.
        for _ in range(2):
            w = w - ((basis @ w) * (rows <= j)) @ basis
        return w

    def step(j, carry):
        basis, alpha, beta, scale = carry
        q = basis[j]
        hq = matvec(q)
        a = q @ hq
        w = orthogonalise(hq, basis, j)
        b = jnp.linalg.norm(w)
        scale = jnp.maximum(scale, jnp.linalg.norm(hq))
        broke = b <= _BREAKDOWN * scale

        def restart(_):
            fresh = orthogonalise(jax.random.normal(jax.random.fold_in(key, j), (n,), jnp.float64),
                                  basis, j)
            norm = jnp.linalg.norm(fresh)  # 0 only once the basis spans the whole space
            return fresh / jnp.where(norm > 0, norm, 1.0)

        nxt = jax.lax.cond(broke, restart, lambda _: w / b, None)
        return (basis.at[j + 1].set(nxt), alpha.at[j].set(a),
                beta.at[j].set(jnp.where(broke, 0.0, b)), scale)

    init = (basis, jnp.zeros(m), jnp.zeros(m), jnp.float64(0.0))
    basis, alpha, beta, _ = jax.lax.fori_loop(0, m, step, init)
    return alpha, beta, basis


def _tridiagonal(alpha, beta):
    off = beta[:-1]
    return jnp.diag(alpha) + jnp.diag(off, 1) + jnp.diag(off, -1)


def _select(theta, k, which):
    if which == "largest":
        return jnp.arange(theta.size - 1, theta.size - 1 - k, -1)
    if which == "smallest":
        return jnp.arange(k)
    return jnp.argsort(-jnp.abs(theta))[:k]


@partial(jax.jit, static_argnums=(0,), static_argnames=("m", "k", "which", "start"))
def _top(f, params, args, key, *, m, k, which, start):
    matvec, n = _linear_hvp(f, params, args)
    start_key, restart_key = jax.random.split(key)
    alpha, beta, basis = _lanczos(matvec, _start_vector(start_key, n, start), m, restart_key)
    theta, s = jnp.linalg.eigh(_tridiagonal(alpha, beta))
    idx = _select(theta, k, which)
    vectors = basis[:m].T @ s[:, idx]
    vectors = vectors / jnp.linalg.norm(vectors, axis=0)
    residuals = jnp.abs(beta[m - 1] * s[m - 1, idx])
    return theta[idx], vectors, residuals


class Eigenpairs(NamedTuple):
    """Extreme eigenpairs of a Hessian found by Lanczos."""

    eigenvalues: np.ndarray  #: (k,) Ritz values, in the order asked for (``which``)
    eigenvectors: np.ndarray  #: (n, k) unit Ritz vectors, one per column, ``ravel_pytree`` order
    n_hvp: int  #: Hessian-vector products spent
    #: (k,) Lanczos estimate :math:`\beta_m |e_m^\top s_i|` of ‖H u − θ u‖: some eigenvalue λ of H
    #: has |λ − θ| ≤ residual. In float64 the attainable accuracy is about 1e-16 ‖H‖, so
    #: estimates below that only say "converged to working precision".
    residuals: np.ndarray


def _check_seed(seed):
    if not _validate.is_integer(seed):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    return _validate.prng_key("seed", seed)


def top_eigenvalues(f, x, *args, k=1, iterations=64, which="largest", seed=0,
                    start="rademacher") -> Eigenpairs:
    r"""The ``k`` extreme eigenpairs of the Hessian of ``f(x, *args)`` by Lanczos.

    Runs ``m = min(iterations, n)`` steps of the Lanczos recurrence (module
    docstring) with full reorthogonalisation from a random unit start vector,
    then returns the Ritz pairs :math:`(\theta_i, Q_m s_i)` of the tridiagonal
    :math:`T_m`. ``which`` is ``"largest"`` (algebraically; descending),
    ``"smallest"`` (ascending) or ``"magnitude"`` (by :math:`|\theta|`, descending).
    Cost: ``m`` Hessian-vector products and :math:`O(m^2 n)` for the
    reorthogonalisation; no :math:`n \times n` matrix is formed.

    Convergence to the extreme eigenvalues is fast when they are separated from
    the rest of the spectrum (Kaniel–Paige); ``residuals`` bound the error of
    each Ritz value, and with ``iterations >= n`` the values are exact up to
    rounding.

    >>> import numpy as np
    >>> from lib.calculus.spectrum import top_eigenvalues
    >>> quad = lambda w: 0.5 * w @ (np.array([1.0, 2.0, 5.0]) * w)
    >>> pairs = top_eigenvalues(quad, np.ones(3), k=2)
    >>> np.round(pairs.eigenvalues, 12), pairs.n_hvp
    (array([5., 2.]), 3)
    """
    params = _validate.loss_problem(f, x, args)
    k = _validate.positive_int("k", k)
    iterations = _validate.count("iterations", iterations, _validate.MAX_ITER)
    which = _validate.one_of("which", which, _WHICH)
    start = _validate.one_of("start", start, _STARTS)
    key = _check_seed(seed)
    m = min(iterations, _validate.flat_size(params))
    if k > m:
        raise ValueError(f"k must be <= min(iterations, n) = {m}, got {k}")
    _validate.memory("iterations × n (the Lanczos basis)", (m + 1) * _validate.flat_size(params))
    values, vectors, residuals = _top(f, params, tuple(args), key, m=m, k=k, which=which,
                                      start=start)
    return Eigenpairs(_finite("Ritz values", np.asarray(values)), np.asarray(vectors), m,
                      np.asarray(residuals))


# --------------------------------------------------------------------------- density


@partial(jax.jit, static_argnums=(0,), static_argnames=("m", "runs", "start"))
def _quadrature(f, params, args, key, *, m, runs, start):
    matvec, n = _linear_hvp(f, params, args)

    def one(run_key):
        start_key, restart_key = jax.random.split(run_key)
        alpha, beta, _ = _lanczos(matvec, _start_vector(start_key, n, start), m, restart_key)
        theta, s = jnp.linalg.eigh(_tridiagonal(alpha, beta))
        return theta, s[0] ** 2

    # lax.map, not vmap: one basis of (m + 1) × n in memory at a time.
    return jax.lax.map(one, jax.random.split(key, runs))


class Quadrature(NamedTuple):
    r"""Gauss quadrature rules for the spectral measure of the Hessian, one per random start.

    Row ``r`` approximates :math:`v_r^\top g(H) v_r \approx \sum_j w_{rj}\, g(\theta_{rj})`
    for any smooth ``g``; averaged over the runs this estimates :math:`\frac1n \operatorname{tr} g(H)`.
    """

    nodes: np.ndarray  #: (runs, m) Ritz values θ
    weights: np.ndarray  #: (runs, m) squared first components of T's eigenvectors; rows sum to 1
    n_hvp: int  #: Hessian-vector products spent (runs × m)


def lanczos_quadrature(f, x, *args, runs=10, iterations=80, seed=0,
                       start="rademacher") -> Quadrature:
    r"""Stochastic Lanczos quadrature of the Hessian's eigenvalue distribution.

    For each of ``runs`` random unit vectors :math:`v` (Rademacher entries
    :math:`\pm 1/\sqrt n`, or normalised Gaussian), ``m = min(iterations, n)``
    Lanczos steps from :math:`q_1 = v` give :math:`T_m = S \Theta S^\top`, and

    .. math::

        v^\top g(H)\, v = \sum_{i=1}^n (v^\top e_i)^2 g(\lambda_i)
        \approx \sum_{j=1}^m s_{1j}^2\, g(\theta_j),

    the :math:`m`-point Gauss quadrature of the spectral measure seen from
    :math:`v`, exact for polynomials ``g`` of degree up to :math:`2m - 1`. Since
    :math:`\mathbb E[v v^\top] = I / n`, the average over runs estimates
    :math:`\frac1n \sum_i g(\lambda_i)`.
    """
    params = _validate.loss_problem(f, x, args)
    runs = _validate.count("runs", runs, _validate.MAX_RUNS)
    iterations = _validate.count("iterations", iterations, _validate.MAX_ITER)
    start = _validate.one_of("start", start, _STARTS)
    key = _check_seed(seed)
    m = min(iterations, _validate.flat_size(params))
    _validate.memory("iterations × n (the Lanczos basis)", (m + 1) * _validate.flat_size(params))
    nodes, weights = _quadrature(f, params, tuple(args), key, m=m, runs=runs, start=start)
    return Quadrature(_finite("Ritz values", np.asarray(nodes)), np.asarray(weights), runs * m)


def smoothed_density(nodes, weights, grid, sigma) -> np.ndarray:
    r"""The Gaussian-broadened density of quadrature rules, sampled on ``grid``.

    .. math::

        \phi(t) = \frac1R \sum_{r,j} w_{rj}\, \mathcal N(t;\, \theta_{rj}, \sigma^2).

    ``nodes`` and ``weights`` have equal shapes, ``(R, m)`` as from
    :func:`lanczos_quadrature` (or ``(m,)`` for one rule: e.g. the exact
    eigenvalues with weights ``1/n``); each row of ``weights`` should sum to 1,
    so that :math:`\phi` integrates to 1 over a grid that covers the nodes
    with a margin of several σ.
    """
    nodes = np.atleast_2d(_validate.real_array("nodes", nodes))
    weights = np.atleast_2d(_validate.real_array("weights", weights))
    if nodes.shape != weights.shape:
        raise ValueError(f"weights must have the shape of nodes {nodes.shape}, got {weights.shape}")
    if nodes.ndim != 2 or nodes.size == 0:
        raise ValueError(f"nodes must be (R, m) or (m,) with at least one node, got shape {nodes.shape}")
    grid = _check_grid(grid)
    sigma = _validate.positive("sigma", sigma)
    _validate.memory("grid × nodes", grid.size * nodes.size)
    z = (grid[:, None] - nodes.reshape(-1)[None, :]) / sigma
    kernel = np.exp(-0.5 * z * z) / (sigma * np.sqrt(2.0 * np.pi))
    return kernel @ weights.reshape(-1) / nodes.shape[0]


def _check_grid(grid):
    array = _validate.real_array("grid", grid, "a 1-D array")
    if array.ndim != 1 or array.size < 2:
        raise ValueError(f"grid must be 1-D with at least 2 points, got shape {array.shape}")
    if not np.all(np.diff(array) > 0):
        raise ValueError("grid must be strictly increasing")
    return array


class SpectralDensity(NamedTuple):
    """A smoothed eigenvalue density :math:`\\phi` sampled on a grid."""

    grid: np.ndarray  #: (g,) eigenvalue axis
    density: np.ndarray  #: (g,) φ(grid); integrates to ≈ 1


def spectral_density(f, x, *args, grid=None, sigma=None, points=1001, runs=10, iterations=80,
                     seed=0, start="rademacher") -> SpectralDensity:
    r"""The Hessian's eigenvalue density by stochastic Lanczos quadrature, Gaussian-broadened.

    Each Dirac mass :math:`\delta(t - \theta_{rj})` of :func:`lanczos_quadrature`
    is replaced by a normal density of width ``sigma``:

    .. math::

        \phi(t) = \frac1R \sum_{r=1}^R \sum_{j=1}^m s_{1j}^{(r)2}\,
        \frac{1}{\sigma\sqrt{2\pi}} \exp\!\Big(-\frac{(t - \theta^{(r)}_j)^2}{2\sigma^2}\Big).

    Defaults: ``sigma`` is 1 % of the range of the Ritz values, and ``grid`` has
    ``points`` points from 5σ below the smallest to 5σ above the largest Ritz
    value, so the density integrates to 1 up to quadrature error.
    """
    params = _validate.loss_problem(f, x, args)
    if grid is not None:
        grid = _check_grid(grid)
    if sigma is not None:
        sigma = _validate.positive("sigma", sigma)
    points = _validate.count("points", points, _validate.MAX_SAMPLES)
    if points < 2:
        raise ValueError(f"points must be >= 2, got {points}")
    quad = lanczos_quadrature(f, params, *args, runs=runs, iterations=iterations, seed=seed,
                              start=start)
    lo, hi = float(quad.nodes.min()), float(quad.nodes.max())
    scale = max(abs(lo), abs(hi))
    if sigma is None:
        # Ritz values equal up to rounding (e.g. H = c·I) have no range to take 1 % of.
        sigma = 0.01 * (hi - lo) if hi - lo > 1e-8 * scale else max(1e-3 * scale, 1e-6)
    if grid is None:
        grid = np.linspace(lo - 5 * sigma, hi + 5 * sigma, points)
    return SpectralDensity(grid, smoothed_density(quad.nodes, quad.weights, grid, sigma))
