"""Tests for lib.models.weight_symmetry: distance up to unit permutations and sign flips, and grouping."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.flatten_util import ravel_pytree

from lib.models import networks
from lib.models.weight_symmetry import (
    distance_matrix,
    distinct_points,
    group_by_symmetry,
    permute_units,
    symmetric_distance,
    unit_rows,
)


def brute_force(a, b, sa=None, sb=None, odd=True):
    """min over all K! orderings and (if odd) 2^K sign patterns, by enumeration."""
    k = a.shape[0]
    signs = list(itertools.product([1.0, -1.0], repeat=k)) if odd else [(1.0,) * k]
    best = min(np.sum((a - np.asarray(s)[:, None] * b[list(p)]) ** 2)
               for p in itertools.permutations(range(k)) for s in signs)
    shared = 0.0 if sa is None else np.sum((np.asarray(sa) - np.asarray(sb)) ** 2)
    return np.sqrt(best + shared)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4), d=st.integers(1, 5), odd=st.booleans())
def test_agrees_with_enumerating_every_copy(seed, k, d, odd):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(k, d)), rng.normal(size=(k, d))
    sa, sb = rng.normal(size=2), rng.normal(size=2)
    assert symmetric_distance(a, b, sa, sb, odd=odd) == pytest.approx(brute_force(a, b, sa, sb, odd),
                                                                       rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), order=st.permutations(range(4)),
       signs=st.lists(st.sampled_from([1, -1]), min_size=4, max_size=4))
def test_a_symmetric_copy_of_a_network_is_at_distance_zero(seed, order, signs):
    params = networks.init_mlp(seed, [3, 4, 1])
    rows, shared = unit_rows(params)
    copy_rows, copy_shared = unit_rows(permute_units(params, order, signs))
    assert symmetric_distance(rows, copy_rows, shared, copy_shared) == pytest.approx(0.0, abs=1e-12)
    # Sign flips are symmetries only of odd activations: without them the copy is far away.
    if -1 in signs:
        flipped = [k for k in range(4) if signs[k] == -1]
        assert symmetric_distance(rows, copy_rows, shared, copy_shared, odd=False) > 0
        assert len(flipped) >= 1


def test_one_unit_closed_form():
    a, b = np.array([[1.0, 2.0, -1.0]]), np.array([[-0.5, -2.5, 1.0]])
    assert symmetric_distance(a, b) == pytest.approx(min(np.linalg.norm(a - b), np.linalg.norm(a + b)))
    assert symmetric_distance(a, b, odd=False) == pytest.approx(np.linalg.norm(a - b))
    assert symmetric_distance(a, b, [0.0], [3.0], odd=False) == pytest.approx(
        np.sqrt(np.sum((a - b) ** 2) + 9.0))


def test_a_small_shift_of_one_unit_is_measured_exactly():
    """Well separated units: the best matching is the identity, so d is the norm of the shift."""
    a = np.diag([5.0, 10.0, 15.0])
    shift = np.array([[0.0, 0.0, 0.0], [0.03, -0.04, 0.0], [0.0, 0.0, 0.0]])
    assert symmetric_distance(a, (a + shift)[[2, 0, 1]] * np.array([[-1.0], [1.0], [1.0]])) \
        == pytest.approx(0.05, rel=1e-12)


def test_distance_is_a_metric_on_random_points():
    rng = np.random.default_rng(0)
    units = rng.normal(size=(6, 3, 2))
    d = distance_matrix(units, rng.normal(size=(6, 1)))
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0)
    for i, j, k in itertools.permutations(range(6), 3):
        assert d[i, k] <= d[i, j] + d[j, k] + 1e-12


def test_unit_rows_layout():
    params = networks.init_mlp(0, [3, 4, 2])
    rows, shared = unit_rows(params)
    assert rows.shape == (4, 3 + 1 + 2) and shared.shape == (2,)
    np.testing.assert_array_equal(rows[1], np.r_[np.asarray(params[0]["w"])[:, 1], params[0]["b"][1],
                                                 np.asarray(params[1]["w"])[1]])
    np.testing.assert_array_equal(shared, params[1]["b"])


def test_distinct_points_groups_chains_and_reports_the_gap():
    # Points 0, 1, 2 form a chain with links 1e-9 (0-2 is 2e-9, above tol); 4 duplicates 3.
    d = np.full((5, 5), 1.0)
    np.fill_diagonal(d, 0.0)
    d[0, 1] = d[1, 0] = d[1, 2] = d[2, 1] = 1e-9
    d[0, 2] = d[2, 0] = 2e-9
    d[3, 4] = d[4, 3] = 1e-9
    groups = distinct_points(d, tol=1.5e-9)
    assert groups.labels.tolist() == [0, 0, 0, 1, 1]
    assert groups.representatives.tolist() == [0, 3] and groups.counts.tolist() == [3, 2]
    assert groups.largest_within == 2e-9 and groups.smallest_between == 1.0
    single = distinct_points(np.zeros((1, 1)), tol=1.0)
    assert single.largest_within == 0.0 and single.smallest_between == np.inf


def test_duplicates_of_a_network_collapse_to_one_group():
    params = networks.init_mlp(1, [2, 3, 1])
    copies = [permute_units(params, order, signs) for order, signs in
              [((0, 1, 2), (1, 1, 1)), ((2, 0, 1), (-1, 1, -1)), ((1, 2, 0), (1, -1, 1))]]
    other = networks.init_mlp(2, [2, 3, 1])
    split = [unit_rows(p) for p in copies + [other]]
    d = distance_matrix(np.stack([u for u, _ in split]), np.stack([c for _, c in split]))
    groups = distinct_points(d, tol=1e-9)
    assert groups.labels.tolist() == [0, 0, 0, 1]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), order=st.permutations(range(4)),
       signs=st.lists(st.sampled_from([1, -1]), min_size=4, max_size=4))
def test_permute_units_moves_rows_and_keeps_the_function(seed, order, signs):
    params = networks.init_mlp(seed, [3, 4, 2])
    params[0]["b"] = jnp.linspace(-1.0, 1.0, 4)  # init_mlp gives zero biases; make them matter
    copy = permute_units(params, order, signs)
    rows, shared = unit_rows(params)
    copy_rows, copy_shared = unit_rows(copy)
    np.testing.assert_array_equal(copy_rows, np.asarray(signs, dtype=float)[:, None] * rows[list(order)])
    np.testing.assert_array_equal(copy_shared, shared)
    x = np.random.default_rng(seed).normal(size=(7, 3))
    np.testing.assert_allclose(networks.mlp_apply(copy, x), networks.mlp_apply(params, x), rtol=1e-13,
                               atol=1e-13)
    # Without sign flips the function is unchanged for any activation, not only odd ones.
    relu = jax.nn.relu
    np.testing.assert_allclose(networks.mlp_apply(permute_units(params, order), x, relu),
                               networks.mlp_apply(params, x, relu), rtol=1e-13, atol=1e-13)


def test_permute_units_keeps_jax_arrays_differentiable():
    params = networks.init_mlp(0, [2, 3, 1])
    x, y = np.ones((4, 2)), np.zeros(4)
    grad = jax.grad(lambda p: networks.squared_loss(permute_units(p, [2, 0, 1], [1, -1, 1]), x, y))(params)
    assert np.all(np.isfinite(ravel_pytree(grad)[0]))


@pytest.mark.parametrize("call, name", [
    (lambda: symmetric_distance(np.ones(3), np.ones(3)), "units_a"),
    (lambda: symmetric_distance(np.ones((2, 3)), np.ones((3, 3))), "units_b"),
    (lambda: symmetric_distance(np.ones((2, 3)), np.ones((2, 3)), [1.0], [1.0, 2.0]), "shared_b"),
    (lambda: symmetric_distance(np.ones((2, 3)), np.ones((2, 3)), odd=1), "odd"),
    (lambda: symmetric_distance(np.full((2, 3), np.nan), np.ones((2, 3))), "units_a"),
    (lambda: symmetric_distance("abc", np.ones((2, 3))), "units_a"),
    (lambda: distance_matrix(np.ones((2, 3))), "units"),
    (lambda: distance_matrix(np.ones((2, 2, 3)), np.ones((3, 1))), "shared"),
    (lambda: distinct_points(np.ones((2, 3)), tol=1.0), "distances"),
    (lambda: distinct_points(np.array([[0.0, 1.0], [2.0, 0.0]]), tol=1.0), "distances"),
    (lambda: distinct_points(np.array([[0.0, -1.0], [-1.0, 0.0]]), tol=1.0), "distances"),
    (lambda: distinct_points(np.zeros((2, 2)), tol=0.0), "tol"),
    # a point is at distance 0 from itself: a matrix of ones is no distance matrix
    (lambda: distinct_points(np.ones((3, 3)), tol=1.0), "^distances must have a zero diagonal"),
    (lambda: distance_matrix(np.ones((3, 2, 2)), []), "^shared must hold one vector per point"),
    (lambda: group_by_symmetry([networks.init_mlp(0, [2, 3, 1])], 1e-9, symmetry=np.array(["full"])),
     "^symmetry"),
    (lambda: group_by_symmetry(networks.init_mlp(0, [2, 3, 1]), 1e-9), "^points\\[0\\] is not"),
    (lambda: unit_rows({"w": 1}), "params"),
    (lambda: permute_units({"w": 1}, [0, 1]), "params"),
    (lambda: permute_units(networks.init_mlp(0, [2, 3, 1]), [0, 1, 1]), "order"),
    (lambda: permute_units(networks.init_mlp(0, [2, 3, 1]), "012"), "order"),
    (lambda: permute_units(networks.init_mlp(0, [2, 3, 1]), [0, 1, 2], [1, 1]), "signs"),
    (lambda: permute_units(networks.init_mlp(0, [2, 3, 1]), [0, 1, 2], [1, 2, 1]), "signs"),
    (lambda: unit_rows([{"w": jnp.ones((2, 3)), "b": jnp.ones(2)},
                        {"w": jnp.ones((3, 1)), "b": jnp.ones(1)}]),
     "params"),
])
def test_bad_arguments_name_the_argument(call, name):
    with pytest.raises((TypeError, ValueError), match=name):
        call()


def test_group_by_symmetry_counts_copies_once_and_each_symmetry_group_separately():
    theta = networks.init_mlp(0, [3, 4, 1])
    other = networks.init_mlp(1, [3, 4, 1])
    flipped = permute_units(theta, [0, 1, 2, 3], [1, -1, 1, 1])
    reordered = permute_units(theta, [3, 1, 0, 2])
    points = [theta, other, flipped, reordered, other]
    full = group_by_symmetry(points, tol=1e-9)
    assert full.labels.tolist() == [0, 1, 0, 0, 1] and full.counts.tolist() == [3, 2]
    # reorderings alone do not identify the sign-flipped copy
    assert group_by_symmetry(points, tol=1e-9, symmetry="permutations").labels.tolist() == [0, 1, 2, 0, 1]
    # without symmetries only the exact duplicate is found; the distance is the Euclidean one
    plain = group_by_symmetry(points, tol=1e-9, symmetry="none")
    assert plain.labels.tolist() == [0, 1, 2, 3, 1]
    flat = [np.asarray(ravel_pytree(p)[0]) for p in points]
    expected = min(np.linalg.norm(a - b) for i, a in enumerate(flat) for b in flat[i + 1:] if np.any(a != b))
    np.testing.assert_allclose(plain.smallest_between, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="symmetry"):
        group_by_symmetry(points, tol=1e-9, symmetry="signs")
    with pytest.raises(ValueError, match="points"):
        group_by_symmetry([], tol=1e-9)


def test_permute_units_refuses_a_nan_weight_as_unit_rows_does():
    params = networks.init_mlp(0, [2, 3, 1])
    params[0]["w"] = np.asarray(params[0]["w"]).copy()
    params[0]["w"][0, 1] = np.nan
    for call in (lambda: permute_units(params, [0, 1, 2]), lambda: unit_rows(params)):
        with pytest.raises(ValueError, match=r"params\[0\]\['w'\]"):
            call()
