"""lib.theory.saddle_escape: the auto-encoder's critical points, escape times and the linear theory."""

import numpy as np
import pytest

import lib
from lib.theory import saddle_escape

RNG = np.random.default_rng(7)
X = RNG.normal(size=(200, 2)) * np.array([1.5, 0.7])


def test_critical_points_have_zero_gradient_and_the_right_kind():
    saddle, values = saddle_escape.bottleneck_critical_point(X, rank=2)
    minimum, _ = saddle_escape.bottleneck_critical_point(X, rank=1)
    for theta in (saddle, minimum):
        assert np.linalg.norm(lib.gradient(saddle_escape.bottleneck_loss, theta, X)) < 1e-12
    assert lib.classify_critical_point(saddle_escape.bottleneck_loss, saddle, X).kind == "saddle point"
    assert values[0] > values[1]
    # Losses: half the second moment left unexplained, s₁/2 at the saddle and s₂/2 at the minimum.
    assert float(saddle_escape.bottleneck_loss(saddle, X)) == pytest.approx(values[0] / 2, rel=1e-12)
    assert float(saddle_escape.bottleneck_loss(minimum, X)) == pytest.approx(values[1] / 2, rel=1e-12)


def test_smallest_eigenvalue_at_the_saddle_has_a_closed_form():
    # In the plane of the top eigenvector the Hessian is [[s1, -s1], [-s1, s2]].
    saddle, (s1, s2) = saddle_escape.bottleneck_critical_point(X, rank=2)
    eigenvalues = np.linalg.eigvalsh(lib.hessian(saddle_escape.bottleneck_loss, saddle, X))
    expected = (s1 + s2 - np.sqrt((s1 - s2) ** 2 + 4 * s1 ** 2)) / 2
    assert eigenvalues[0] == pytest.approx(expected, rel=1e-10)


def test_escape_steps_first_exit_and_never():
    run = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.6], [2.0, 0.0]])
    assert int(saddle_escape.escape_steps(run, np.zeros(2), 0.5)) == 2
    assert int(saddle_escape.escape_steps(run, np.zeros(2), 5.0)) == -1
    runs = np.stack([run, run[::-1]])
    np.testing.assert_array_equal(saddle_escape.escape_steps(runs, np.zeros(2), 0.5), [2, 0])
    with_nan = run.copy()
    with_nan[1:] = np.nan
    assert int(saddle_escape.escape_steps(with_nan, np.zeros(2), 0.5)) == -1


def test_linear_theory_is_exact_for_linear_growth():
    lr, gamma, radius = 0.1, 0.5, 1.0
    for delta in (1e-2, 3e-5):
        z = delta * (1 + lr * gamma) ** np.arange(400)
        first = int(np.argmax(z > radius))
        assert first == int(np.ceil(saddle_escape.gd_escape_steps(radius, delta, lr, gamma)))


def test_noise_equivalent_offset_is_the_limit_of_the_geometric_sum():
    # z_k = -α Σ_j (1+αγ)^{k-1-j} ξ_j, so Var(z_k)/(1+αγ)^{2k} → α²σ² / ((1+αγ)² - 1).
    sigma, lr, gamma = 0.3, 0.05, 0.4
    growth = 1 + lr * gamma
    partial = lr ** 2 * sigma ** 2 * np.sum(growth ** (-2.0 * np.arange(1, 5000)))
    offset = saddle_escape.noise_equivalent_offset(sigma, lr, gamma)
    assert offset == pytest.approx(np.sqrt(partial), rel=1e-10)


@pytest.mark.parametrize("call, error, name", [
    (lambda: saddle_escape.bottleneck_critical_point(np.ones(3)), ValueError, "x"),
    (lambda: saddle_escape.bottleneck_critical_point(X, rank=3), ValueError, "rank"),
    (lambda: saddle_escape.escape_steps(np.zeros((3, 2)), np.zeros(3), 1.0), ValueError, "points"),
    (lambda: saddle_escape.escape_steps(np.zeros((3, 2)), np.zeros(2), -1.0), ValueError, "radius"),
    (lambda: saddle_escape.escape_steps(np.array([["a", "b"]]), np.zeros(2), 1.0), TypeError, "points"),
    (lambda: saddle_escape.gd_escape_steps(1.0, 2.0, 0.1, 1.0), ValueError, "offset"),
    (lambda: saddle_escape.gd_escape_steps(1.0, 0.1, 0.1, -1.0), ValueError, "curvature"),
    (lambda: saddle_escape.noise_equivalent_offset(-1.0, 0.1, 1.0), ValueError, "noise_std"),
])
def test_bad_arguments_are_named(call, error, name):
    with pytest.raises(error, match=name):
        call()
