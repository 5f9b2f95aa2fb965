"""Tests for lib.calculus.critical_search: Newton-type search for critical points of any index."""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lib
from lib.calculus.critical_search import (
    STATUSES,
    CriticalSearch,
    census,
    find_critical_point,
    find_critical_points,
)


def two_weight(w):
    """The worked example's loss: saddle at the origin, valleys of minima on w1 w2 = 1."""
    return (1.0 - w[0] * w[1]) ** 2


def hyperbolic_saddle(w):
    return w[0] ** 2 - w[1] ** 2


def no_critical_point(w):
    """L = theta^3/3 + theta: L' = theta^2 + 1 >= 1, and L'' = 0 at 0 (a gradient-flat point)."""
    return w[0] ** 3 / 3 + w[0]


def tilted_plane(w):
    """x + y^2: no critical point; H g = 0 everywhere on y = 0."""
    return w[0] + w[1] ** 2


def decaying(w):
    """exp(-x): the gradient vanishes only at infinity."""
    return jnp.exp(-w[0])


def quadratic(w, a, b):
    return 0.5 * w @ a @ w - b @ w


def finite_difference_gradient(f, x, h=1e-6):
    """Central differences of f itself (not autodiff): an independent check of criticality."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (float(f(x + e)) - float(f(x - e))) / (2 * h)
    return out


def test_finds_the_saddle_of_the_two_weight_network_from_a_nearby_start():
    found = find_critical_point(two_weight, np.array([0.3, 0.2]))
    assert isinstance(found, CriticalSearch)
    assert found.status == "converged" and found.converged
    np.testing.assert_allclose(found.x, 0.0, atol=1e-10)
    assert found.gradient_norm <= 1e-8
    assert lib.classify_critical_point(two_weight, found.x).kind == "saddle point"
    # Gradient descent from the same start goes the other way: to the valley w1 w2 = 1.
    run = lib.descend(two_weight, np.array([0.3, 0.2]), lr=0.1, steps=300)
    assert abs(run.points[-1, 0] * run.points[-1, 1] - 1.0) < 1e-6


def test_convergence_is_quadratic_near_a_nondegenerate_saddle():
    found = find_critical_point(two_weight, np.array([0.3, 0.2]))
    h = found.history
    assert np.all(np.diff(h) < 0)  # every accepted step lowers the gradient norm
    # Quadratic convergence: each of the last steps squares the error (up to a constant).
    assert h[-1] <= 10 * h[-2] ** 2 and h[-2] <= 10 * h[-3] ** 2


def test_valley_start_converges_to_a_degenerate_minimum():
    found = find_critical_point(two_weight, np.array([1.0, 0.5]))
    assert found.converged
    assert abs(found.x[0] * found.x[1] - 1.0) < 1e-8
    assert lib.classify_critical_point(two_weight, found.x).kind == "degenerate"


def test_hyperbolic_saddle_in_one_newton_step():
    found = find_critical_point(hyperbolic_saddle, np.array([0.3, -2.0]))
    assert found.converged and found.iterations == 1
    np.testing.assert_allclose(found.x, 0.0, atol=1e-14)


@given(seed=st.integers(0, 10_000))
def test_quadratic_solved_in_one_step_whatever_the_signature(seed):
    rng = np.random.default_rng(seed)
    n = 4  # one shape: one compilation
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eigenvalues = rng.uniform(0.5, 5.0, n) * rng.choice([-1.0, 1.0], n)
    a = (q * eigenvalues) @ q.T
    a = (a + a.T) / 2
    b = rng.standard_normal(n)
    found = find_critical_point(quadratic, rng.standard_normal(n) * 3, a, b)
    assert found.converged and found.iterations == 1
    np.testing.assert_allclose(found.x, np.linalg.solve(a, b), rtol=1e-9, atol=1e-10)


def test_found_points_are_critical_by_finite_differences():
    def rugged(w):
        return jnp.sin(3 * w[0]) * jnp.cos(2 * w[1]) + 0.1 * (w[0] ** 2 + w[1] ** 2)

    for start in ([0.2, 0.1], [1.0, -0.7], [-0.4, 1.3]):
        found = find_critical_point(rugged, np.array(start))
        assert found.converged
        np.testing.assert_allclose(finite_difference_gradient(rugged, found.x), 0.0, atol=1e-7)
        assert found.gradient_norm == pytest.approx(np.linalg.norm(lib.gradient(rugged, found.x)))


def test_gradient_flat_point_is_reported_as_stalled_not_converged():
    found = find_critical_point(no_critical_point, np.array([1.5]))
    assert found.status == "stalled" and not found.converged
    assert abs(found.x[0]) < 1e-6  # stuck where L'' = 0 ...
    assert found.gradient_norm == pytest.approx(1.0)  # ... with |L'| = 1, far from zero


def test_function_without_critical_point_is_not_converged():
    found = find_critical_point(tilted_plane, np.array([5.0, 5.0]))
    assert found.status == "stalled" and not found.converged
    assert found.gradient_norm == pytest.approx(1.0)
    assert found.flatness == pytest.approx(0.0, abs=1e-12)  # g = (1, 0) is in the null space of H


def test_runaway_to_infinity_is_reported_as_diverged():
    found = find_critical_point(decaying, np.array([0.0]), max_norm=10.0)
    assert found.status == "diverged" and not found.converged
    assert 9.0 < found.x[0] <= 10.0  # the last point inside the ball
    assert found.gradient_norm == pytest.approx(np.exp(-found.x[0]))


def test_start_outside_the_ball_is_diverged_at_once():
    found = find_critical_point(two_weight, np.array([30.0, 0.0]), max_norm=10.0)
    assert found.status == "diverged" and found.iterations == 0


def test_running_out_of_iterations_is_reported():
    found = find_critical_point(two_weight, np.array([0.3, 0.2]), max_iter=1)
    assert found.status == "max_iter" and not found.converged and found.iterations == 1
    assert len(found.history) == 2


def test_start_already_critical_takes_no_step():
    found = find_critical_point(two_weight, np.zeros(2))
    assert found.converged and found.iterations == 0 and found.status == "converged"


def test_pytree_parameters_keep_their_structure():
    def loss(p):
        return (1.0 - p["a"][0] * p["b"][0]) ** 2 + (p["a"][1] - 1.0) ** 2

    found = find_critical_point(loss, {"a": np.array([0.3, 0.5]), "b": np.array([0.2])})
    assert set(found.x) == {"a", "b"} and found.x["a"].shape == (2,) and found.x["b"].shape == (1,)
    assert found.converged
    assert lib.classify_critical_point(loss, found.x).kind == "saddle point"


def test_batch_agrees_with_single_searches():
    starts = [np.array([0.3, 0.2]), np.array([1.0, 0.5]), np.array([-0.2, 0.25])]
    batch = find_critical_points(two_weight, starts)
    for start, result in zip(starts, batch):
        single = find_critical_point(two_weight, start)
        assert result.status == single.status and result.iterations == single.iterations
        np.testing.assert_array_equal(result.x, single.x)


def test_statuses_are_documented():
    assert set(STATUSES) == {"converged", "stalled", "diverged", "max_iter"}


@pytest.mark.parametrize("kwargs, error, name", [
    ({"tol": -1.0}, ValueError, "tol"),
    ({"tol": "small"}, TypeError, "tol"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"max_iter": 2.5}, TypeError, "max_iter"),
    ({"max_norm": 0.0}, ValueError, "max_norm"),
])
def test_bad_options_name_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        find_critical_point(two_weight, np.zeros(2), **kwargs)
    with pytest.raises(error, match=name):
        find_critical_points(two_weight, [np.zeros(2)], **kwargs)


def test_bad_inputs_name_the_argument():
    with pytest.raises(TypeError, match="f must be"):
        find_critical_point("not a function", np.zeros(2))
    with pytest.raises(ValueError, match="x0"):
        find_critical_point(two_weight, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="x0"):
        find_critical_point(two_weight, np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match="scalar"):
        find_critical_point(lambda w: w * 2, np.zeros(2))
    with pytest.raises(ValueError, match="starts must contain"):
        find_critical_points(two_weight, [])
    with pytest.raises(TypeError, match="starts"):
        find_critical_points(two_weight, 3)
    with pytest.raises(ValueError, match=r"starts\[1\]"):
        find_critical_points(two_weight, [np.zeros(2), np.zeros(3)])


def test_census_counts_verified_searches_by_kind_and_distinct_group():
    def fake(converged):
        return CriticalSearch(x=np.zeros(1), gradient_norm=0.0 if converged else 1.0,
                              converged=converged, iterations=1, history=np.zeros(2),
                              status="converged" if converged else "stalled", loss=0.0, flatness=0.0)

    searches = [fake(True), fake(False), fake(True), fake(True), fake(True)]
    kinds = ["local minimum", "saddle point", "saddle point", "local minimum", "degenerate"]
    labels = [0, 1, 0, 2]              # the converged searches 0, 2, 3, 4
    everything = census(searches, kinds, labels)
    assert everything == (5, 4, 2, 1, 3)
    assert census(searches, kinds, labels, indices=[0, 1, 3]) == (3, 2, 2, 0, 1)
    with pytest.raises(ValueError, match="labels"):
        census(searches, kinds, [0, 1])
    with pytest.raises(ValueError, match="kinds"):
        census(searches, kinds[:2], labels)
