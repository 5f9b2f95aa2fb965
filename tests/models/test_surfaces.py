"""Each surface against its closed-form gradient and Hessian at known points."""

import numpy as np
import pytest

import lib
from lib.models import surfaces


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ----------------------------------------------------------------------------------- closed forms

def two_weight_net_derivatives(w1, w2):
    r = 1 - w1 * w2
    gradient = np.array([-2 * r * w2, -2 * r * w1])
    hessian = np.array([[2 * w2**2, 2 * w1 * w2 - 2 * r],
                        [2 * w1 * w2 - 2 * r, 2 * w1**2]])
    return gradient, hessian


def saddle_derivatives(w1, w2):
    return np.array([2 * w1, -2 * w2 + w2**3]), np.diag([2.0, -2 + 3 * w2**2])


def rosenbrock_derivatives(w1, w2):
    gradient = np.array([-2 * (1 - w1) - 400 * w1 * (w2 - w1**2), 200 * (w2 - w1**2)])
    hessian = np.array([[2 - 400 * (w2 - w1**2) + 800 * w1**2, -400 * w1],
                        [-400 * w1, 200.0]])
    return gradient, hessian


def plateau_derivatives(w1, w2):
    x, t = surfaces.PLATEAU_INPUTS, surfaces.PLATEAU_TARGETS
    s = sigmoid(w1 * x + w2)
    ds = s * (1 - s)
    d2s = ds * (1 - 2 * s)
    features = np.stack([x, np.ones_like(x)])  # ∂z/∂w
    gradient = features @ (2 * (s - t) * ds)
    weights = 2 * (ds**2 + (s - t) * d2s)
    return gradient, (features * weights) @ features.T


CASES = [
    (surfaces.two_weight_net, two_weight_net_derivatives, [(0.0, 0.0), (1.0, 2.0), (-1.5, 0.3)]),
    (surfaces.saddle, saddle_derivatives, [(0.0, 0.0), (0.0, np.sqrt(2)), (1.0, -0.5)]),
    (surfaces.rosenbrock, rosenbrock_derivatives, [(1.0, 1.0), (-1.2, 1.0), (0.5, -0.25)]),
    (surfaces.plateau, plateau_derivatives, [(1.0, 0.0), (-1.5, 6.0), (2.0, -1.0)]),
]


@pytest.mark.parametrize("factory, closed_form, points", CASES,
                         ids=[case[0].__name__ for case in CASES])
def test_gradient_and_hessian_match_closed_forms(factory, closed_form, points):
    f = factory().f
    for point in points:
        w = np.array(point)
        gradient, hessian = closed_form(*point)
        np.testing.assert_allclose(lib.gradient(f, w), gradient, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lib.hessian(f, w), hessian, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kappa", [1.0, 10.0, 50.0])
def test_ravine_is_the_quadratic_with_condition_number_kappa(kappa):
    f = surfaces.ravine(kappa).f
    w = np.array([3.0, -2.0])
    assert float(f(w)) == pytest.approx(0.5 * (9 + 4 * kappa))
    np.testing.assert_allclose(lib.gradient(f, w), [3.0, -2.0 * kappa])
    hessian = lib.hessian(f, w)
    np.testing.assert_allclose(hessian, np.diag([1.0, kappa]))
    eigenvalues = np.linalg.eigvalsh(hessian)
    assert eigenvalues.max() / eigenvalues.min() == pytest.approx(kappa)


def test_known_critical_points():
    np.testing.assert_allclose(lib.gradient(surfaces.saddle().f, np.array([0.0, np.sqrt(2)])), 0,
                               atol=1e-12)
    assert float(surfaces.saddle().f(np.array([0.0, np.sqrt(2)]))) == pytest.approx(-1.0)
    assert float(surfaces.rosenbrock().f(np.array([1.0, 1.0]))) == 0.0
    assert float(surfaces.plateau().f(np.array([1.0, 0.0]))) == pytest.approx(0.0, abs=1e-15)
    assert float(surfaces.two_weight_net().f(np.array([2.0, 0.5]))) == 0.0
    kind = lib.classify_critical_point(surfaces.saddle().f, np.zeros(2)).kind
    assert "saddle" in kind


def test_saddle_is_bounded_below():
    grid = surfaces.loss_grid(surfaces.saddle()._replace(xlim=(-20, 20), ylim=(-20, 20)), 201)
    assert grid.values.min() >= -1.0 - 1e-12


def test_plateau_start_is_flat():
    surface = surfaces.plateau()
    start_gradient = np.linalg.norm(lib.gradient(surface.f, np.array(surface.x0)))
    assert start_gradient < 0.03
    assert float(surface.f(np.array(surface.x0))) > 1.0


def test_factories_are_cached_so_jit_caches_hit():
    assert surfaces.ravine(50) is surfaces.ravine(50.0)
    assert surfaces.ravine(50).f is surfaces.ravine(kappa=50).f
    assert surfaces.ravine(50).f is not surfaces.ravine(10).f
    for factory in (surfaces.two_weight_net, surfaces.saddle, surfaces.plateau, surfaces.rosenbrock):
        assert factory() is factory()


@pytest.mark.parametrize("name", sorted(surfaces.SURFACES))
def test_surface_metadata_is_consistent(name):
    surface = surfaces.SURFACES[name]()
    assert isinstance(surface, surfaces.Surface)
    (x_low, x_high), (y_low, y_high) = surface.xlim, surface.ylim
    assert x_low < surface.x0[0] < x_high and y_low < surface.x0[1] < y_high
    low, high = surface.lr_range
    assert 0 < low < surface.lr < high
    assert surface.steps >= 1 and surface.description and surface.name


def test_loss_grid_matches_pointwise_evaluation():
    surface = surfaces.rosenbrock()
    grid = surfaces.loss_grid(surface, resolution=7)
    assert grid.values.shape == (7, 7)
    for i in (0, 3, 6):
        for j in (0, 2, 5):
            expected = float(surface.f(np.array([grid.xs[j], grid.ys[i]])))
            assert grid.values[i, j] == pytest.approx(expected, rel=1e-14)


def test_bad_arguments_raise_naming_the_argument():
    with pytest.raises(ValueError, match="kappa"):
        surfaces.ravine(0.5)
    with pytest.raises(TypeError, match="kappa"):
        surfaces.ravine("big")
    with pytest.raises(ValueError, match="kappa"):
        surfaces.ravine(float("inf"))
    with pytest.raises(TypeError, match="surface"):
        surfaces.loss_grid("rosenbrock")
    with pytest.raises(ValueError, match="resolution"):
        surfaces.loss_grid(surfaces.saddle(), resolution=1)
    with pytest.raises(TypeError, match="resolution"):
        surfaces.loss_grid(surfaces.saddle(), resolution=2.5)
