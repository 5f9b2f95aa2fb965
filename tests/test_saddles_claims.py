"""Claims of the chapter "Saddle points in high dimensions" beyond what its hidden cells assert.

The data come from ``lib.models.datasets.diabetes_components`` and the symmetry map from
``lib.models.weight_symmetry.permute_units``, as in the chapter; the network, weight decay, learning rate
and seeds are the chapter's. The chapter asserts in its hidden cells the random-matrix
probabilities, the copies of its minimum ``theta_star`` and their losses, averaging copies,
identical units under gradient descent and the saddle they sit on with its escape rate, zero and
equal initialisations, and the counts of its critical-point search; they are not repeated here.
Here: symmetries for random networks (hypothesis), each copy of a minimum classified as a minimum,
identical gradients and momentum, the zero network's Hessian in closed form, searches that stall,
and the minimum ratio.
"""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax.flatten_util import ravel_pytree

import lib
from lib.calculus.critical_search import find_critical_point
from lib.models import datasets, networks
from lib.models.weight_symmetry import permute_units, unit_rows

K, SIZES, DECAY, LR, STEPS = 4, [3, 4, 1], 1e-2, 0.3, 3000

DATA = datasets.diabetes_components(n_patients=40, n_components=3, seed=0)
_, UNRAVEL = ravel_pytree(networks.init_mlp(0, SIZES))


def regularized_loss(params, x, y):
    flat = ravel_pytree(params)[0]
    return networks.squared_loss(params, x, y) + 0.5 * DECAY * flat @ flat


_LOSS = jax.jit(regularized_loss)


def loss_of(params):
    return float(_LOSS(params, *DATA))


def hidden_units(params):
    return unit_rows(params)[0]


def copy_unit(params, offset=0.0):
    first, second = params
    w1 = first["w"].at[:, 1].set(first["w"][:, 0]).at[0, 1].add(offset)
    b1 = first["b"].at[1].set(first["b"][0])
    w2 = second["w"].at[1].set(second["w"][0])
    return [{"b": b1, "w": w1}, {"b": second["b"], "w": w2}]


def train(params, steps=STEPS, **kwargs):
    return lib.descend(regularized_loss, params, *DATA, lr=LR, steps=steps, **kwargs)


def at_end(run):
    return UNRAVEL(jnp.asarray(run.points[-1]))


@pytest.fixture(scope="module")
def trained_minimum():
    """Seed 0 after STEPS steps of gradient descent, polished to a verified critical point."""
    found = find_critical_point(regularized_loss, at_end(train(networks.init_mlp(0, SIZES))), *DATA,
                                max_iter=200)
    assert found.converged
    return found


# --- weight-space symmetry ----------------------------------------------------------------------


@given(seed=st.integers(0, 1000), order=st.permutations(range(K)),
       signs=st.lists(st.sampled_from([1, -1]), min_size=K, max_size=K))
def test_reordering_and_sign_flips_leave_the_loss_unchanged(seed, order, signs):
    params = networks.init_mlp(seed, SIZES)
    params[0]["b"] = jax.random.normal(jax.random.PRNGKey(seed + 1), (K,))
    assert loss_of(permute_units(params, order, signs)) == pytest.approx(loss_of(params), rel=1e-13)


def test_every_copy_of_a_minimum_is_a_minimum(trained_minimum):
    """The chapter counts the K! 2^K copies and their losses; here each is classified as well."""
    copies = [permute_units(trained_minimum.x, order, signs)
              for order in itertools.permutations(range(K))
              for signs in itertools.product([1, -1], repeat=K)]
    kinds = {lib.classify_critical_point(regularized_loss, c, *DATA, grad_tol=1e-8).kind
             for c in copies[:: 97]}
    assert kinds == {"local minimum"}


# --- identical hidden units ---------------------------------------------------------------------


def test_identical_units_receive_identical_gradients():
    params = copy_unit(networks.init_mlp(1, SIZES))
    units = hidden_units(UNRAVEL(jnp.asarray(lib.gradient(regularized_loss, params, *DATA))))
    np.testing.assert_array_equal(units[0], units[1])
    assert np.abs(units[0] - units[2]).max() > 1e-3  # a different unit gets a different gradient


def test_identical_units_stay_identical_with_momentum():
    run = train(copy_unit(networks.init_mlp(1, SIZES)), momentum=0.9)
    end = hidden_units(at_end(run))
    assert not run.diverged
    np.testing.assert_array_equal(end[0], end[1])


def test_zero_network_hessian_in_closed_form():
    """The all-zero network, the saddle the chapter's search finds most often from untrained starts.

    At theta = 0 every tanh unit is linear to second order and outputs 0, so the only second
    derivatives besides the decay pair v_k with (w_k, b_k): d^2 L / dv_k d(w_k, b_k) = -m with
    m = mean_n y_n (x_n, 1). Each unit's 5 x 5 block [[rho I, -m], [-m^T, rho]] has eigenvalues
    rho (3 times) and rho -+ |m|; the output bias adds 1 + rho. With |m| > rho that is K negative
    eigenvalues and minimum ratio (4K + 1) / (5K + 1).
    """
    x, y = DATA
    m = np.r_[np.mean(y[:, None] * x, axis=0), np.mean(y)]
    norm_m = np.linalg.norm(m)
    assert norm_m > DECAY
    expected = np.sort(np.r_[np.full(K, DECAY - norm_m), np.full(K * SIZES[0], DECAY),
                             np.full(K, DECAY + norm_m), 1.0 + DECAY])
    zero = jax.tree_util.tree_map(jnp.zeros_like, networks.init_mlp(0, SIZES))
    point = lib.classify_critical_point(regularized_loss, zero, *DATA, grad_tol=1e-12)
    np.testing.assert_allclose(point.eigenvalues, expected, rtol=1e-10, atol=1e-12)
    assert point.minimum_ratio == pytest.approx((4 * K + 1) / (5 * K + 1))
    assert regularized_loss(zero, *DATA) == pytest.approx(0.5, rel=1e-12)  # standardised targets


# --- verified critical points, gradient-flat regions, minimum ratio -----------------------------


def test_trained_networks_are_not_yet_critical_and_some_searches_stall():
    statuses = []
    for seed in (0, 1):
        run = train(networks.init_mlp(seed, SIZES))
        assert np.linalg.norm(lib.gradient(regularized_loss, at_end(run), *DATA)) > 1e-8
        statuses.append(find_critical_point(regularized_loss, at_end(run), *DATA, max_iter=200))
    converged, stalled = statuses
    assert converged.converged and converged.status == "converged"
    assert stalled.status == "stalled" and stalled.gradient_norm > 1e-4
    # Gradient-flat: the gradient lies (nearly) in the null space of the Hessian.
    assert stalled.flatness < 1e-2 < converged.flatness


def test_minimum_ratio_below_one_can_still_be_a_global_minimum():
    def two_weight(w):
        return (1.0 - w[0] * w[1]) ** 2

    valley = np.array([2.0, 0.5])
    point = lib.classify_critical_point(two_weight, valley)
    assert point.minimum_ratio == 0.5 and point.n_negative == 0 and point.kind == "degenerate"
    assert two_weight(valley) == 0.0  # and L >= 0 everywhere: a global minimum


def test_minimum_ratio_one_means_strict_local_minimum(trained_minimum):
    point = lib.classify_critical_point(regularized_loss, trained_minimum.x, *DATA, grad_tol=1e-8)
    assert point.minimum_ratio == 1.0 and point.kind == "local minimum"
    # Check directly: the loss rises along random directions, on both sides.
    rng = np.random.default_rng(0)
    flat = ravel_pytree(trained_minimum.x)[0]
    for _ in range(20):
        d = rng.standard_normal(flat.size)
        d *= 1e-3 / np.linalg.norm(d)
        assert loss_of(UNRAVEL(flat + d)) > trained_minimum.loss
        assert loss_of(UNRAVEL(flat - d)) > trained_minimum.loss
