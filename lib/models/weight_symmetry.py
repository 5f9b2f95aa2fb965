r"""Weight-space symmetry of one-hidden-layer networks, and distinct critical points.

A network with one hidden layer of :math:`K` units,

.. math:: \hat y(x) = \sum_{k=1}^K v_k\, \phi(w_k^\top x + b_k) + c ,

computes the same function after any permutation :math:`\pi` of its hidden
units (each unit's incoming weights :math:`w_k`, bias :math:`b_k` and outgoing
weights :math:`v_k` move together). For an *odd* activation,
:math:`\phi(-z) = -\phi(z)` (``tanh``), flipping the signs of one unit's
:math:`(w_k, b_k, v_k)` changes nothing either. Write unit :math:`k` of a network
as the row :math:`a_k = (w_k, b_k, v_k)` of a :math:`K \times d` matrix :math:`A`,
and the parameters no unit owns (the output bias :math:`c`) as :math:`s`; primes
denote a second network. The distance of two networks *up to symmetry* is

.. math::

   d(A, A')^2 = \lVert s - s' \rVert^2
   + \min_{\pi \in S_K,\ \sigma \in \{\pm 1\}^K} \sum_{k=1}^K
     \lVert a_k - \sigma_k\, a'_{\pi(k)} \rVert^2 ,

with :math:`\sigma \equiv 1` for an activation that is not odd. Because each
sign :math:`\sigma_k` enters only the term of unit :math:`k`, the minimum over
signs can be taken pair by pair, and the minimum over permutations is a linear
assignment problem with cost
:math:`C_{kj} = \min_{\sigma = \pm 1} \lVert a_k - \sigma a'_j \rVert^2`, solved
exactly by :func:`scipy.optimize.linear_sum_assignment` — no enumeration of the
:math:`K!\,2^K` copies. :math:`d` is zero exactly when the two parameter vectors
are copies of each other, it is symmetric, and it satisfies the triangle
inequality (it is the distance between orbits of a finite group of isometries).

:func:`distinct_points` groups points whose pairwise distance is at most ``tol``
(:func:`group_by_symmetry` does it for a list of networks)
(single linkage: a point joins a group if it is within ``tol`` of any member),
so that a set of critical points found from many starts can be counted once
each, up to symmetry. :func:`permute_units` applies one symmetry: it maps a
network to one of its :math:`K!\,2^K` copies.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from .. import _validate

__all__ = ["DistinctPoints", "unit_rows", "permute_units", "symmetric_distance", "distance_matrix",
           "distinct_points", "group_by_symmetry"]


def _units(name: str, value) -> np.ndarray:
    array = _validate.real_array(name, value, "a (K, d) matrix of hidden-unit rows")
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must be a (K, d) matrix with K, d >= 1 (one row per hidden unit), "
                         f"got shape {array.shape}")
    return array


def _shared(name: str, value) -> np.ndarray:
    if value is None:
        return np.zeros(0)
    return _validate.real_array(name, value, "a vector").ravel()


def _check_layers(params) -> None:
    """Raise TypeError unless ``params`` is two layers ``{"w": ..., "b": ...}`` (a one-hidden-layer MLP)."""
    if not isinstance(params, (list, tuple)) or len(params) != 2 or not all(
            isinstance(layer, dict) and set(layer) == {"w", "b"} for layer in params):
        raise TypeError("params must be a list of two layers {'w': ..., 'b': ...} "
                        "(a one-hidden-layer lib.models.networks MLP)")


#: The arrays of a one-hidden-layer network, in the order of unit_rows: w_in, b_in, w_out, b_out.
_LEAVES = ((0, "w"), (0, "b"), (1, "w"), (1, "b"))


def _leaf(params, layer: int, key: str) -> np.ndarray:
    """``params[layer][key]`` as a finite float array, or an error naming it."""
    return _validate.real_array(f"params[{layer}]['{key}']", params[layer][key])


def unit_rows(params):
    r"""Split the parameters of a one-hidden-layer ``lib.models.networks`` MLP into unit rows.

    ``params = [{"w": (d_in, K), "b": (K,)}, {"w": (K, d_out), "b": (d_out,)}]``
    (the layout of :func:`lib.models.networks.init_mlp` for ``sizes = [d_in, K, d_out]``).
    Returns ``(rows, shared)``: ``rows`` is ``(K, d_in + 1 + d_out)`` with row
    :math:`k = (w_k, b_k, v_k)`, and ``shared`` is the output bias, ``(d_out,)``.

    >>> import numpy as np
    >>> p = [{"w": np.ones((2, 3)), "b": np.zeros(3)}, {"w": np.full((3, 1), 2.0), "b": np.ones(1)}]
    >>> rows, shared = unit_rows(p)
    >>> rows.shape, rows[0].tolist(), shared.tolist()
    ((3, 4), [1.0, 1.0, 0.0, 2.0], [1.0])
    """
    _check_layers(params)
    w_in, b_in, w_out, b_out = (_leaf(params, layer, key) for layer, key in _LEAVES)
    if w_in.ndim != 2 or b_in.shape != (w_in.shape[1],) or w_out.ndim != 2 \
            or w_out.shape[0] != w_in.shape[1] or b_out.shape != (w_out.shape[1],):
        raise ValueError(f"params must have shapes (d_in, K), (K,), (K, d_out), (d_out,), got "
                         f"{w_in.shape}, {b_in.shape}, {w_out.shape}, {b_out.shape}")
    return np.column_stack([w_in.T, b_in, w_out]), b_out


def permute_units(params, order, signs=None):
    r"""The copy of a one-hidden-layer MLP with its hidden units reordered and (optionally) sign-flipped.

    Unit :math:`k` of the result is unit ``order[k]`` of ``params``, multiplied
    by ``signs[k]``: :math:`a_k \mapsto \sigma_k\, a_{\pi(k)}` for the rows
    :math:`a_k = (w_k, b_k, v_k)` of :func:`unit_rows`; the output bias is
    unchanged. Any ``order`` leaves the network's function unchanged; a sign flip
    does so for an odd activation such as ``tanh``. ``params`` has the layout of
    :func:`lib.models.networks.init_mlp` for ``sizes = [d_in, K, d_out]``; numpy and JAX
    arrays are both kept as they are (so the result can be differentiated).

    >>> import numpy as np
    >>> p = [{"w": np.array([[1.0, 2.0]]), "b": np.array([3.0, 4.0])},
    ...      {"w": np.array([[5.0], [6.0]]), "b": np.array([7.0])}]
    >>> rows, shared = unit_rows(permute_units(p, [1, 0], [1, -1]))
    >>> rows.tolist(), shared.tolist()
    ([[2.0, 4.0, 6.0], [-1.0, -3.0, -5.0]], [7.0])
    """
    _check_layers(params)
    shapes = [np.shape(params[0]["w"]), np.shape(params[0]["b"]), np.shape(params[1]["w"]),
              np.shape(params[1]["b"])]
    if len(shapes[0]) != 2 or shapes[1] != (shapes[0][1],) or len(shapes[2]) != 2 \
            or shapes[2][0] != shapes[0][1] or shapes[3] != (shapes[2][1],):
        raise ValueError(f"params must have shapes (d_in, K), (K,), (K, d_out), (d_out,), got "
                         f"{', '.join(map(str, shapes))}")
    for layer, key in _LEAVES:  # checked as unit_rows does, unless traced
        if not _validate.is_traced(params[layer][key]):
            _leaf(params, layer, key)
    k = shapes[0][1]
    order = _validate.numeric_array("order", order, f"a sequence of the {k} unit indices")
    if order.ndim != 1:
        raise TypeError(f"order must be a sequence of the {k} unit indices, got shape {order.shape}")
    if not np.issubdtype(order.dtype, np.integer) or sorted(order.tolist()) != list(range(k)):
        raise ValueError(f"order must be a permutation of 0 ... {k - 1}, got {order.tolist()}")
    if signs is None:
        signs = np.ones(k)
    signs = _validate.real_array("signs", signs, "a vector of +1 and -1")
    if signs.shape != (k,) or not np.all(np.abs(signs) == 1.0):
        raise ValueError(f"signs must hold {k} entries, each +1 or -1, got {signs.tolist()}")
    first, second = params
    return [{"b": first["b"][order] * signs, "w": first["w"][:, order] * signs},
            {"b": second["b"], "w": second["w"][order] * signs[:, None]}]


def symmetric_distance(units_a, units_b, shared_a=None, shared_b=None, *, odd=True) -> float:
    r"""The distance :math:`d(A, A')` of two networks up to permutations (and, if ``odd``, signs) of units.

    ``units_a`` and ``units_b`` are ``(K, d)`` matrices with one row
    :math:`(w_k, b_k, v_k)` per hidden unit (see :func:`unit_rows`); ``shared_a``
    and ``shared_b`` the parameters that belong to no unit (default: none).
    ``odd=True`` also allows flipping the sign of a whole row, the symmetry of an
    odd activation such as ``tanh``; use ``odd=False`` for ReLU or the logistic
    function.

    >>> import numpy as np
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> symmetric_distance(a, -a[::-1])                 # swap and flip: the same network
    0.0
    >>> round(symmetric_distance(a, -a[::-1], odd=False) ** 2, 9)  # best: no swap, 52 + 52
    104.0
    """
    a, b = _units("units_a", units_a), _units("units_b", units_b)
    if a.shape != b.shape:
        raise ValueError(f"units_b must have the shape of units_a, {a.shape}, got {b.shape}")
    sa, sb = _shared("shared_a", shared_a), _shared("shared_b", shared_b)
    if sa.shape != sb.shape:
        raise ValueError(f"shared_b must have the shape of shared_a, {sa.shape}, got {sb.shape}")
    odd = _validate.boolean("odd", odd)
    diff = a[:, None, :] - b[None, :, :]
    cost = np.sum(diff**2, axis=-1)
    if odd:
        cost = np.minimum(cost, np.sum((a[:, None, :] + b[None, :, :]) ** 2, axis=-1))
    rows, cols = linear_sum_assignment(cost)
    total = float(cost[rows, cols].sum() + np.sum((sa - sb) ** 2))
    return float(np.sqrt(max(total, 0.0)))


def distance_matrix(units, shared=None, *, odd=True) -> np.ndarray:
    r"""All pairwise distances :math:`d(A_i, A_j)` up to symmetry, as an ``(m, m)`` array.

    ``units`` is a sequence of ``m`` ``(K, d)`` unit matrices (or an ``(m, K, d)``
    array), ``shared`` ``None`` or a sequence of ``m`` shared-parameter vectors.
    """
    stack = _validate.real_array("units", units, "an (m, K, d) stack of hidden-unit rows")
    if stack.ndim != 3 or 0 in stack.shape:
        raise ValueError(f"units must be an (m, K, d) stack of unit matrices, got shape {stack.shape}")
    m = stack.shape[0]
    if shared is None:
        shared_stack = np.zeros((m, 0))
    else:
        shared_stack = _validate.real_array("shared", shared, "an (m, s) stack of vectors")
        if shared_stack.ndim == 0 or shared_stack.shape[0] != m:
            raise ValueError(f"shared must hold one vector per point ({m}), got shape {shared_stack.shape}")
        shared_stack = shared_stack.reshape(m, -1)
    odd = _validate.boolean("odd", odd)
    out = np.zeros((m, m))
    for i in range(m):
        for j in range(i + 1, m):
            out[i, j] = out[j, i] = symmetric_distance(stack[i], stack[j], shared_stack[i],
                                                       shared_stack[j], odd=odd)
    return out


class DistinctPoints(NamedTuple):
    """Points grouped by distance up to symmetry."""

    labels: np.ndarray  #: group of each point, numbered 0, 1, ... in order of first appearance
    representatives: np.ndarray  #: index of the first point of each group
    counts: np.ndarray  #: number of points in each group
    largest_within: float  #: largest distance between two points of the same group (0 if none)
    smallest_between: float  #: smallest distance between points of different groups (inf if one group)


def distinct_points(distances, tol) -> DistinctPoints:
    r"""Group points whose distance (e.g. from :func:`distance_matrix`) is at most ``tol``.

    Two points are in the same group when a chain of points joins them with
    every link :math:`\le` ``tol`` (single linkage, the connected components of
    the graph :math:`\{(i, j) : d_{ij} \le \mathrm{tol}\}`). The result also
    reports the largest distance inside a group and the smallest between groups;
    a clear gap between the two (``smallest_between`` much larger than
    ``largest_within``) is the evidence that the grouping does not depend on
    ``tol``.

    >>> import numpy as np
    >>> d = np.array([[0, 1e-9, 2.0], [1e-9, 0, 2.0], [2.0, 2.0, 0]])
    >>> g = distinct_points(d, tol=1e-6)
    >>> g.labels.tolist(), g.representatives.tolist(), g.counts.tolist()
    ([0, 0, 1], [0, 2], [2, 1])
    """
    d = _validate.square_matrix("distances", distances)
    if not np.allclose(d, d.T, rtol=0, atol=1e-12 * max(1.0, float(np.abs(d).max()))):
        raise ValueError("distances must be a symmetric matrix")
    if np.any(d < 0):
        raise ValueError("distances must be non-negative")
    diagonal = np.abs(np.diag(d)).max()
    if diagonal > 1e-12 * max(1.0, float(np.abs(d).max())):
        raise ValueError(f"distances must have a zero diagonal (a point is at distance 0 from itself), "
                         f"got a diagonal entry {diagonal:g}")
    tol = _validate.positive("tol", tol)
    m = d.shape[0]
    labels = np.full(m, -1)
    group = 0
    for start in range(m):
        if labels[start] >= 0:
            continue
        labels[start] = group
        stack = [start]
        while stack:
            i = stack.pop()
            for j in np.flatnonzero((d[i] <= tol) & (labels < 0)):
                labels[j] = group
                stack.append(int(j))
        group += 1
    representatives = np.array([int(np.flatnonzero(labels == g)[0]) for g in range(group)])
    counts = np.bincount(labels, minlength=group)
    same = labels[:, None] == labels[None, :]
    off = ~np.eye(m, dtype=bool)
    within = d[same & off]
    between = d[~same]
    return DistinctPoints(labels=labels, representatives=representatives, counts=counts,
                          largest_within=float(within.max()) if within.size else 0.0,
                          smallest_between=float(between.min()) if between.size else float("inf"))


_SYMMETRIES = ("full", "permutations", "none")


def group_by_symmetry(points, tol, *, symmetry="full") -> DistinctPoints:
    r"""Group one-hidden-layer networks (parameter pytrees) that are copies of each other.

    The distance used is :func:`symmetric_distance` between their :func:`unit_rows`, with
    ``symmetry`` choosing the group: ``"full"`` (reorderings and ``tanh`` sign flips,
    :math:`K!\,2^K` copies), ``"permutations"`` (reorderings only, :math:`K!`) or
    ``"none"`` (the plain Euclidean distance of the flat parameters). Then
    :func:`distinct_points` with ``tol``: each group is one point counted once.

    >>> from lib.models.networks import init_mlp
    >>> theta = init_mlp(0, [2, 3, 1])
    >>> copy = permute_units(theta, [2, 0, 1], [1, -1, 1])
    >>> group_by_symmetry([theta, copy], tol=1e-9).counts.tolist()
    [2]
    >>> group_by_symmetry([theta, copy], tol=1e-9, symmetry="none").counts.tolist()
    [1, 1]
    """
    _validate.one_of("symmetry", symmetry, _SYMMETRIES)
    if not isinstance(points, (list, tuple)):
        raise TypeError(f"points must be a list of one-hidden-layer networks (parameter lists "
                        f"[{{'w', 'b'}}, {{'w', 'b'}}]), got {type(points).__name__}")
    if not points:
        raise ValueError("points must hold at least one network")
    rows = []
    for i, p in enumerate(points):
        try:
            rows.append(unit_rows(p))
        except (TypeError, ValueError) as err:
            raise type(err)(f"points[{i}] is not a one-hidden-layer network: {err}") from None
        if rows[-1][0].shape != rows[0][0].shape or rows[-1][1].shape != rows[0][1].shape:
            raise ValueError(f"points must all have the layer sizes of points[0]: points[{i}] has "
                             f"{rows[-1][0].shape[0]} hidden units and rows of {rows[-1][0].shape[1]}, "
                             f"points[0] {rows[0][0].shape[0]} and {rows[0][0].shape[1]}")
    units = np.stack([u for u, _ in rows])
    shared = np.stack([s for _, s in rows])
    if symmetry == "none":
        flat = np.concatenate([units.reshape(len(points), -1), shared.reshape(len(points), -1)], axis=1)
        distances = np.linalg.norm(flat[:, None] - flat[None], axis=-1)
    else:
        distances = distance_matrix(units, shared, odd=symmetry == "full")
    return distinct_points(distances, tol)
