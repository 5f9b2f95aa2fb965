"""The claims of the chapter 'When gradient descent stops', checked with lib."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import lib
from lib import checks, networks
from lib.spectrum import hvp

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

def test_xor_run_stalls_at_one_eighth_with_a_vanishing_gradient():
    starts = np.random.default_rng(0).normal(size=(3, 9))
    good = lib.descend(xor_loss, starts[0], XOR_INPUTS, XOR_TARGETS, lr=2.0, steps=4000)
    stuck = lib.descend(xor_loss, starts[2], XOR_INPUTS, XOR_TARGETS, lr=2.0, steps=4000)
    assert good.losses[-1] < 1e-3
    assert abs(stuck.losses[-1] - 0.125) < 1e-3 and abs(stuck.losses[1000] - 0.125) < 1e-3
    grad_end = np.linalg.norm(lib.gradient(xor_loss, stuck.points[-1], XOR_INPUTS, XOR_TARGETS))
    grad_mid = np.linalg.norm(lib.gradient(xor_loss, stuck.points[2000], XOR_INPUTS, XOR_TARGETS))
    assert grad_end < 1e-3 and grad_end < grad_mid
    # step length / lr is the gradient norm (momentum 0)
    step = np.linalg.norm(stuck.points[-1] - stuck.points[-2]) / 2.0
    np.testing.assert_allclose(step, np.linalg.norm(
        lib.gradient(xor_loss, stuck.points[-2], XOR_INPUTS, XOR_TARGETS)), rtol=1e-10)
    # two examples with different targets share a hidden representation and get output 1/2
    out, hidden = xor_outputs(stuck.points[-1], XOR_INPUTS)
    confused = np.flatnonzero(np.abs(np.asarray(out) - 0.5) < 0.01)
    assert confused.size == 2
    assert XOR_TARGETS[confused[0]] != XOR_TARGETS[confused[1]]
    np.testing.assert_allclose(hidden[confused[0]], hidden[confused[1]], atol=1e-3)
    assert lib.classify_critical_point(xor_loss, stuck.points[-1], XOR_INPUTS,
                                       XOR_TARGETS).kind == "not a critical point"


# ------------------------------------------------------------------------ critical points

@pytest.mark.parametrize("point, kind", [((1, 1), "local minimum"), ((-1, -1), "local maximum"),
                                         ((1, -1), "saddle point"), ((-1, 1), "saddle point")])
def test_cubic_has_all_three_kinds(point, kind):
    result = lib.classify_critical_point(cubic, np.array(point, dtype=float))
    assert result.kind == kind
    np.testing.assert_allclose(np.sort(result.eigenvalues), np.sort(6.0 * np.array(point)))


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


def test_same_hessian_minimum_and_not_minimum():
    quartic = lambda w: w[0] ** 4 + w[1] ** 2
    cubic_valley = lambda w: w[0] ** 3 + w[1] ** 2
    for fn in (quartic, cubic_valley):
        np.testing.assert_array_equal(lib.hessian(fn, np.zeros(2)), np.diag([0.0, 2.0]))
        result = lib.classify_critical_point(fn, np.zeros(2))
        assert result.kind == "degenerate" and result.n_zero == 1
    # x^4 + y^2 is a minimum (>= 0 everywhere); x^3 + y^2 is lower than 0 arbitrarily close by
    rng = np.random.default_rng(0).uniform(-1, 1, size=(500, 2))
    assert all(float(quartic(p)) >= 0 for p in rng)
    for eps in (1e-1, 1e-3, 1e-6):
        assert float(cubic_valley(np.array([-eps, 0.0]))) < 0.0


def test_escape_from_the_cubic_saddle():
    saddle = np.array([1.0, -1.0])
    u = lib.escape_direction(cubic, saddle)
    np.testing.assert_allclose(np.abs(u), [0.0, 1.0], atol=1e-12)
    for s in (0.3, -0.3, 1e-3):
        assert float(cubic(saddle + s * u)) < float(cubic(saddle))


# ------------------------------------------------------------------------ exercises

def test_exercise_by_hand_is_a_saddle_with_eigenvalues_minus_one_and_five():
    f = lambda w: w[0] ** 2 + 3 * w[0] * w[1] + w[1] ** 2
    np.testing.assert_array_equal(lib.hessian(f, np.zeros(2)), [[2.0, 3.0], [3.0, 2.0]])
    result = lib.classify_critical_point(f, np.zeros(2))
    assert result.kind == "saddle point"
    np.testing.assert_allclose(result.eigenvalues, [-1.0, 5.0])
    assert float(f(np.array([0.5, -0.5]))) < 0


def test_exercise_three_weights_valley():
    loss = lambda w: (w[0] * w[1] - 1) ** 2 + (w[1] * w[2] - 1) ** 2
    result = lib.classify_critical_point(loss, np.ones(3))
    assert result.kind == "degenerate" and result.n_zero == 1
    np.testing.assert_allclose(result.eigenvalues, [0.0, 2.0, 6.0], atol=1e-12)
    np.testing.assert_allclose(np.abs(result.eigenvectors[:, 0]), np.ones(3) / np.sqrt(3))
    for c in (0.5, 2.0, 7.0):  # the rescaling curve is a valley of zero loss
        assert float(loss(np.array([1 / c, c, 1 / c]))) == pytest.approx(0.0, abs=1e-14)


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
