"""Claims of the chapter 'When gradient descent stops' that its hidden cells do not assert.

The chapter asserts where it computes them: the stalled XOR run, the cubic's four critical points
and their Hessians, the Taylor slopes at one point, the degenerate origins, the escape from the
cubic's saddle, the three-weight valley at (1, 1, 1). Here: the Taylor remainder at random points,
the eigenvalue signs for random quadratics, what decides at degenerate points, the exercises'
solutions and the Hessian's columns as Hessian-vector products.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lib
from lib.calculus.spectrum import hvp
from lib.models import networks
from lib.teaching import checks

XOR_INPUTS = jnp.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = jnp.array([0.0, 1.0, 1.0, 0.0])


def xor_outputs(w, x):
    hidden = jnp.tanh(x @ w[:4].reshape(2, 2) + w[4:6])
    return jax.nn.sigmoid(hidden @ w[6:8] + w[8]), hidden


def xor_loss(w, x, t):
    return jnp.mean((xor_outputs(w, x)[0] - t) ** 2)


def cubic(w):
    return w[0] ** 3 - 3 * w[0] + w[1] ** 3 - 3 * w[1]


# ------------------------------------------------------------------------ training that stops

# ------------------------------------------------------------------------ critical points

def test_cubic_gradient_matches_closed_form():
    rng = np.random.default_rng(0)
    for w in rng.uniform(-2, 2, size=(5, 2)):
        np.testing.assert_allclose(lib.gradient(cubic, w), 3 * w**2 - 3, rtol=1e-12)


# ------------------------------------------------------------------------ Taylor expansion

@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_taylor_remainder_is_cubic_in_the_step(seed):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=9)
    d = rng.normal(size=9)
    d /= np.linalg.norm(d)
    args = (XOR_INPUTS, XOR_TARGETS)
    L0, g, H = float(xor_loss(theta, *args)), lib.gradient(xor_loss, theta, *args), \
        lib.hessian(xor_loss, theta, *args)
    sizes = np.geomspace(1e-3, 1e-1, 9)
    second, first = [], []
    for s in sizes:
        v = s * d
        exact = float(xor_loss(theta + v, *args))
        first.append(abs(exact - L0 - v @ g))
        second.append(abs(exact - L0 - v @ g - 0.5 * v @ H @ v))
    second, first = np.array(second), np.array(first)
    # |R(v)| <= C |v|^3: the ratio stays bounded as s -> 0, and is much smaller than |v|^2 terms
    ratios = second / sizes**3
    assert ratios[:3].max() <= 2 * ratios[3:].max() + 1e-6
    slope = np.polyfit(np.log(sizes), np.log(second + 1e-300), 1)[0]
    assert slope > 2.7 or second.max() < 1e-10
    assert np.polyfit(np.log(sizes), np.log(first), 1)[0] == pytest.approx(2.0, abs=0.15) \
        or abs(d @ H @ d) < 1e-6


# ------------------------------------------------------------------------ the Hessian decides

def quadratic(v, a):
    """0.5 v^T A v, with A a traced argument (one compilation for every A)."""
    return 0.5 * v @ a @ v


@settings(max_examples=25, deadline=None)
@given(eigenvalues=st.lists(st.floats(0.1, 5.0), min_size=3, max_size=3),
       signs=st.lists(st.sampled_from([-1.0, 1.0]), min_size=3, max_size=3),
       seed=st.integers(0, 10_000))
def test_eigenvalue_signs_decide_for_quadratics(eigenvalues, signs, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    lam = np.array(eigenvalues) * np.array(signs)
    a = q @ np.diag(lam) @ q.T
    result = lib.classify_critical_point(quadratic, np.zeros(3), a)
    expected = ("local minimum" if np.all(lam > 0) else
                "local maximum" if np.all(lam < 0) else "saddle point")
    assert result.kind == expected
    if np.any(lam < 0):  # the eigenvector of a negative eigenvalue points downhill
        u = lib.escape_direction(quadratic, np.zeros(3), a)
        assert 0.5 * u @ a @ u == pytest.approx(0.5 * lam.min())
        assert 0.5 * u @ a @ u < 0


def quartic(w):
    return w[0] ** 4 + w[1] ** 2


def cubic_valley(w):
    return w[0] ** 3 + w[1] ** 2


def test_same_hessian_minimum_and_not_minimum():
    """The chapter checks that lib calls both origins "degenerate"; here, what the Hessian cannot see.

    lib finds the flat direction (the x axis) for both; gradient descent, which follows the higher
    terms, settles into the quartic's minimum and runs away from the cubic's origin along it.
    """
    for fn in (quartic, cubic_valley):
        result = lib.classify_critical_point(fn, np.zeros(2))
        assert result.n_zero == 1 and result.n_positive == 1 and result.n_negative == 0
        np.testing.assert_allclose(np.abs(result.eigenvectors[:, 0]), [1.0, 0.0], atol=1e-12)
    start = np.array([-0.3, 0.2])
    settles = lib.descend(quartic, start, lr=0.1, steps=2000)
    assert not settles.diverged and np.all(np.diff(settles.losses) <= 0) and settles.losses[-1] < 1e-5
    leaves = lib.descend(cubic_valley, start, lr=0.1, steps=200)
    gone = leaves.points[: leaves.diverged_at] if leaves.diverged else leaves.points
    assert gone[-1, 0] < -10 and float(cubic_valley(gone[-1])) < -1e3  # far below f(0) = 0
    assert abs(gone[-1, 1]) < abs(start[1]) < 1e-6 * abs(gone[-1, 0])  # along the flat direction


# ------------------------------------------------------------------------ exercises

def test_exercise_by_hand_is_a_saddle_with_eigenvalues_minus_one_and_five():
    f = lambda w: w[0] ** 2 + 3 * w[0] * w[1] + w[1] ** 2
    np.testing.assert_array_equal(lib.hessian(f, np.zeros(2)), [[2.0, 3.0], [3.0, 2.0]])
    result = lib.classify_critical_point(f, np.zeros(2))
    assert result.kind == "saddle point"
    np.testing.assert_allclose(result.eigenvalues, [-1.0, 5.0])
    assert float(f(np.array([0.5, -0.5]))) < 0


def three_loss(w):
    return (w[0] * w[1] - 1) ** 2 + (w[1] * w[2] - 1) ** 2


def test_exercise_three_weights_valley():
    """The solution's numbers, and its valley: every point of c -> (1/c, c, 1/c) is a critical point
    of loss 0 whose zero-eigenvalue eigenvector is the curve's tangent (the chapter checks c = 1)."""
    result = lib.classify_critical_point(three_loss, np.ones(3))
    np.testing.assert_allclose(result.eigenvalues, [0.0, 2.0, 6.0], atol=1e-12)
    for c in (0.5, 2.0, 7.0):
        w = np.array([1 / c, c, 1 / c])
        point = lib.classify_critical_point(three_loss, w)
        assert point.kind == "degenerate" and point.n_zero == 1 and point.n_positive == 2
        assert point.gradient_norm < 1e-12
        tangent = np.array([-1 / c**2, 1.0, -1 / c**2])  # d/dc (1/c, c, 1/c)
        np.testing.assert_allclose(abs(point.eigenvectors[:, 0] @ tangent), np.linalg.norm(tangent),
                                   rtol=1e-9)


def test_exercise_self_checks(capsys):
    assert checks.check_scalar(8 * 25e6**2, 8 * (25e6) ** 2, rtol=1e-2)
    assert not checks.check_scalar(25e6**2, 8 * (25e6) ** 2, rtol=1e-2)


# ------------------------------------------------------------------------ the cost of the Hessian

def test_hessian_columns_are_hessian_vector_products_and_size_is_n_squared():
    digits_x = jnp.asarray(np.random.default_rng(0).uniform(size=(20, 64)))
    digits_y = jnp.asarray(np.arange(20) % 10)
    params = networks.init_mlp(0, [64, 2, 10])
    n = networks.count_parameters(params)
    h = lib.hessian(networks.cross_entropy_loss, params, digits_x, digits_y)
    assert h.shape == (n, n) and h.nbytes == 8 * n * n
    for i in (0, n // 2, n - 1):
        e = np.zeros(n)
        e[i] = 1.0
        np.testing.assert_allclose(h[:, i], hvp(networks.cross_entropy_loss, params, e,
                                                digits_x, digits_y), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, h.T, atol=1e-12)
