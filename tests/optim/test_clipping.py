"""lib.optim.clipping against optax, closed forms and lib.descend; the clipped rule run by lib.optimize."""

import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import lib
from lib.models.surfaces import CLIFF_HEIGHT, CLIFF_STEEPNESS, cliff_loss
from lib.optim import clipping

from .runs import run_rule


def descend_clipped(f, x0, *args, lr, steps=100, clip="norm", threshold=1.0, momentum=0.0, max_norm=1e8):
    """Gradient descent with momentum on the clipped gradient: ``clipped(momentum(), clip)``."""
    return run_rule(clipping.clipped(lib.momentum(), clip), f, x0, *args, lr=lr, momentum=momentum,
                    threshold=threshold, steps=steps, max_norm=max_norm)


def clipped_steps(run, threshold):
    """Which steps a norm clip acted in: the unclipped gradient was longer than the threshold."""
    return run.grad_norms[:-1] > threshold

# XLA on CPU flushes subnormal numbers to zero; entries are 0 or of size >= 1e-6 so that no
# product in the tests underflows into that range.
magnitudes = st.floats(1e-6, 1e3)
finite = st.one_of(st.just(0.0), magnitudes, magnitudes.map(lambda v: -v))
leaves = arrays(np.float64, array_shapes(min_dims=0, max_dims=2, max_side=3), elements=finite)
pytrees = st.one_of(
    leaves,
    st.lists(leaves, min_size=1, max_size=4),
    st.dictionaries(st.sampled_from(["w", "b", "gamma"]), leaves, min_size=1),
    st.tuples(leaves, st.dictionaries(st.sampled_from(["u", "v"]), leaves, min_size=1)),
)
thresholds = st.floats(1e-3, 1e3)


def flat(tree):
    return np.concatenate([np.ravel(np.asarray(leaf)) for leaf in
                           __import__("jax").tree_util.tree_leaves(tree)])


def assert_trees_close(a, b, **kw):
    import jax
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **kw)


# ------------------------------------------------------------------------------------ vs optax

@settings(max_examples=25)
@given(pytrees, thresholds)
def test_clip_by_norm_matches_optax_clip_by_global_norm(grad, c):
    expected, _ = optax.clip_by_global_norm(c).update(grad, optax.EmptyState())
    assert_trees_close(clipping.clip_by_norm(grad, c), expected, rtol=1e-12, atol=1e-300)
    assert_trees_close(clipping.clip_by_global_norm(grad, c), expected, rtol=1e-12, atol=1e-300)


@settings(max_examples=25)
@given(pytrees, thresholds)
def test_clip_by_value_matches_optax_clip(grad, c):
    expected, _ = optax.clip(c).update(grad, optax.EmptyState())
    assert_trees_close(clipping.clip_by_value(grad, c), expected, rtol=0, atol=0)


def test_global_norm_matches_optax():
    tree = {"a": np.arange(6.0).reshape(2, 3), "b": [np.array(-2.0), np.ones(4)]}
    np.testing.assert_allclose(clipping.global_norm(tree), optax.tree.norm(tree), rtol=1e-15)
    np.testing.assert_allclose(clipping.global_norm(tree), np.sqrt(55 + 4 + 4), rtol=1e-15)


# ------------------------------------------------------------------------------- the bounds

@settings(max_examples=25)
@given(pytrees, thresholds)
def test_norm_clipping_bound_and_direction(grad, c):
    g = flat(grad)
    clipped = flat(clipping.clip_by_norm(grad, c))
    norm = np.linalg.norm(g)
    assert np.linalg.norm(clipped) <= c * (1 + 1e-12)
    if norm <= c:
        np.testing.assert_array_equal(clipped, g)      # untouched, bit for bit
    else:
        np.testing.assert_allclose(np.linalg.norm(clipped), c, rtol=1e-12)
        np.testing.assert_allclose(clipped, g * (c / norm), rtol=1e-12)  # same direction
        assert clipped @ g > 0


@settings(max_examples=25)
@given(pytrees, thresholds)
def test_value_clipping_bounds_every_entry(grad, c):
    g = flat(grad)
    clipped = flat(clipping.clip_by_value(grad, c))
    assert np.all(np.abs(clipped) <= c)
    assert np.linalg.norm(clipped) <= c * np.sqrt(g.size) * (1 + 1e-12)
    small = np.abs(g) <= c
    np.testing.assert_array_equal(clipped[small], g[small])


def test_value_clipping_turns_the_direction_norm_clipping_does_not():
    g = np.array([10.0, 0.5])
    assert clipping.angle_degrees(g, clipping.clip_by_norm(g, 1.0)) < 1e-6
    # (1, 0.5) vs (10, 0.5): arctan(0.5) - arctan(0.05)
    expected = np.degrees(np.arctan(0.5) - np.arctan(0.05))
    np.testing.assert_allclose(clipping.angle_degrees(g, clipping.clip_by_value(g, 1.0)), expected,
                               rtol=1e-12)


def test_angle_degrees_closed_forms():
    assert clipping.angle_degrees(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == pytest.approx(90.0)
    assert clipping.angle_degrees(np.array([1.0, 1.0]), np.array([-3.0, -3.0])) == pytest.approx(180.0)
    assert clipping.angle_degrees({"a": np.ones(2)}, {"a": np.array([1.0, 0.0])}) == pytest.approx(45.0)


def test_clip_gradient_dispatches():
    g = np.array([3.0, -4.0])
    np.testing.assert_allclose(clipping.clip_gradient(g, 1.0, "norm"), [0.6, -0.8])
    np.testing.assert_allclose(clipping.clip_gradient(g, 1.0, "value"), [1.0, -1.0])


def test_pieces_work_under_jit():
    import jax
    f = jax.jit(lambda g, c: (clipping.clip_by_norm(g, c), clipping.clip_by_value(g, c)))
    by_norm, by_value = f(jnp.array([3.0, 4.0]), 2.5)
    np.testing.assert_allclose(by_norm, [1.5, 2.0])
    np.testing.assert_allclose(by_value, [2.5, 2.5])


# ----------------------------------------------------------------------------- the clipped rule

def quadratic(x, a):
    return 0.5 * jnp.sum(a * x**2)


@pytest.mark.parametrize("clip", ["norm", "value"])
@pytest.mark.parametrize("momentum", [0.0, 0.8])
def test_huge_threshold_is_plain_descend(clip, momentum):
    a = jnp.array([1.0, 10.0, 0.3])
    x0 = np.array([1.0, -2.0, 3.0])
    plain = lib.descend(quadratic, x0, a, lr=0.05, momentum=momentum, steps=60)
    clipped = descend_clipped(quadratic, x0, a, lr=0.05, momentum=momentum, steps=60,
                                       clip=clip, threshold=1e6)
    np.testing.assert_allclose(clipped.points, plain.points, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(clipped.losses, plain.losses, rtol=1e-14, atol=1e-15)
    assert not clipped_steps(clipped, 1e6).any()
    np.testing.assert_allclose(clipped.grad_norms,
                               [np.linalg.norm(a * p) for p in plain.points], rtol=1e-12)


def test_norm_clipped_steps_are_at_most_lr_times_threshold():
    x0 = np.array([-4.0, 2.0])
    lr, c = 1.0, 0.7
    run = descend_clipped(cliff_loss, x0, lr=lr, steps=60, clip="norm", threshold=c)
    steps = np.linalg.norm(np.diff(run.points, axis=0), axis=1)
    assert steps.max() <= lr * c * (1 + 1e-12)
    # the bound is attained exactly in the steps where the clip acted
    acted = clipped_steps(run, c)
    assert acted.any() and not acted.all()
    np.testing.assert_allclose(steps[acted], lr * c, rtol=1e-12)
    np.testing.assert_allclose(steps[~acted], lr * run.grad_norms[:-1][~acted], rtol=1e-12)


def test_momentum_bound_geometric_series():
    lr, c, mu = 0.1, 1.0, 0.9
    # constant huge gradient: every clipped gradient is c e_1, velocity is a geometric sum
    run = descend_clipped(lambda x: 1e3 * x[0], np.array([0.0]), lr=lr, steps=30,
                                   clip="norm", threshold=c, momentum=mu)
    steps = np.abs(np.diff(run.points[:, 0]))
    k = np.arange(30)
    np.testing.assert_allclose(steps, lr * c * (1 - mu ** (k + 1)) / (1 - mu), rtol=1e-12)
    assert steps.max() <= lr * c / (1 - mu)


def test_divergence_is_flagged_with_nan_rows():
    run = descend_clipped(lambda x: -jnp.sum(x**2), np.array([1.0, 0.0]), lr=1.0,
                                   steps=50, clip="norm", threshold=2.0, max_norm=20.0)
    assert run.diverged
    at = run.diverged_at
    assert np.isnan(run.points[at:]).all() and np.isnan(run.losses[at:]).all()
    assert np.isfinite(run.points[:at]).all()
    assert not clipped_steps(run, 2.0)[at:].any() and np.isnan(run.grad_norms[at:]).all()
    # each clipped step moves exactly 2 further out: |x_k| = 1 + 2k until |x| > 20
    np.testing.assert_allclose(run.points[:at, 0], 1 + 2 * np.arange(at))
    assert at == 10


def test_new_hyperparameters_do_not_retrace():
    x0 = np.array([-4.0, 2.0])
    descend_clipped(cliff_loss, x0, lr=0.5, steps=17, threshold=1.0)
    before = lib.trace_count("clipped (norm) momentum")
    for lr, c, mu in [(0.1, 3.0, 0.0), (2.0, 0.1, 0.5)]:
        descend_clipped(cliff_loss, x0 + 1, lr=lr, steps=17, threshold=c, momentum=mu)
    assert lib.trace_count("clipped (norm) momentum") == before


def test_cliff_gradient_closed_form():
    H, k = CLIFF_HEIGHT, CLIFF_STEEPNESS
    for w in [np.array([-4.0, 2.0]), np.array([0.03, -0.5]), np.array([5.0, 1.0])]:
        s = 1 / (1 + np.exp(k * w[0]))  # σ(-k w1)
        expected = [0.1 * (w[0] - 2) - H * k * s * (1 - s), 0.5 * w[1]]
        np.testing.assert_allclose(lib.gradient(cliff_loss, w), expected, rtol=1e-12)


# ------------------------------------------------------------------------------------ validation

@pytest.mark.parametrize("kwargs, error, match", [
    (dict(clip="l2"), ValueError, "clip"),
    (dict(clip=2), TypeError, "clip"),
    (dict(threshold=0.0), ValueError, "threshold"),
    (dict(threshold=-1.0), ValueError, "threshold"),
    (dict(threshold=np.nan), ValueError, "threshold"),
    (dict(lr=0.0), ValueError, "lr"),
    (dict(momentum=1.5), ValueError, "momentum"),
    (dict(steps=0), ValueError, "steps"),
    (dict(steps=2.5), TypeError, "steps"),
])
def test_runner_validation(kwargs, error, match):
    args = dict(lr=0.1, steps=5, clip="norm", threshold=1.0)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        descend_clipped(cliff_loss, np.zeros(2), **args)


def test_runner_rejects_bad_loss_and_start():
    with pytest.raises(TypeError, match="f must be"):
        descend_clipped("loss", np.zeros(2), lr=0.1)
    with pytest.raises(ValueError, match="x0"):
        descend_clipped(cliff_loss, np.array([np.nan, 0.0]), lr=0.1)
    with pytest.raises(ValueError, match="scalar"):
        descend_clipped(lambda x: x, np.zeros(2), lr=0.1)


def test_piece_validation():
    with pytest.raises(ValueError, match="max_norm"):
        clipping.clip_by_norm(np.ones(3), 0.0)
    with pytest.raises(ValueError, match="threshold"):
        clipping.clip_by_value(np.ones(3), -1.0)
    with pytest.raises(ValueError, match="non-finite"):
        clipping.clip_by_norm(np.array([np.inf, 1.0]), 1.0)
    with pytest.raises(TypeError, match="grad"):
        clipping.clip_by_value(np.array(["a"]), 1.0)
    with pytest.raises(ValueError, match="empty"):
        clipping.clip_by_norm({}, 1.0)
    with pytest.raises(ValueError, match="zero vector"):
        clipping.angle_degrees(np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="same number"):
        clipping.angle_degrees(np.ones(2), np.ones(3))
