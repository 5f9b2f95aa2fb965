"""lib.theory.data_parallel: sharded gradients, the simulated ring all-reduce and the step-time model."""

import jax.numpy as jnp
import numpy as np
import pytest

import lib
from lib.models import networks
from lib.theory import data_parallel

RNG = np.random.default_rng(11)
X = RNG.normal(size=(24, 3))
Y = RNG.integers(0, 2, size=24)
PARAMS = networks.init_mlp(0, [3, 4, 2])


@pytest.mark.parametrize("devices", [1, 3, 8])
def test_average_of_equal_shards_is_the_full_gradient(devices):
    shards = data_parallel.shard_mean_gradients(networks.cross_entropy_loss, PARAMS, X, Y, devices=devices)
    full = lib.flatten(lib.gradient(networks.cross_entropy_loss, PARAMS, X, Y))
    assert shards.shape == (devices, full.size)
    np.testing.assert_allclose(shards.mean(axis=0), full, rtol=1e-12, atol=1e-15)
    size = 24 // devices
    last = lib.flatten(lib.gradient(networks.cross_entropy_loss, PARAMS, X[-size:], Y[-size:]))
    np.testing.assert_allclose(shards[-1], last, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("devices, size", [(1, 5), (2, 6), (3, 7), (5, 3), (6, 60)])
def test_ring_allreduce_sums_and_counts(devices, size):
    vectors = RNG.normal(size=(devices, size))
    sums, sent = data_parallel.ring_allreduce(vectors)
    np.testing.assert_allclose(sums, np.broadcast_to(vectors.sum(axis=0), sums.shape), rtol=1e-12)
    assert sent.sum() == 2 * (devices - 1) * size
    assert np.all(sent <= 2 * (devices - 1) * -(-size // devices))
    if size % devices == 0:
        np.testing.assert_array_equal(sent, data_parallel.ring_allreduce_bytes(size, devices, 1))


def test_ring_bytes_approach_twice_the_model():
    assert data_parallel.ring_allreduce_bytes(1000, 1) == 0
    assert data_parallel.ring_allreduce_bytes(1000, 1000, bytes_per_number=2) == pytest.approx(2 * 999 * 2)


def test_step_time_closed_form_and_speedup():
    model = dict(batch_size=64, seconds_per_example=1e-3, parameters=10_000, bandwidth=1e6,
                 latency=1e-4, fixed_seconds=2e-3, bytes_per_number=4)
    compute, comm = data_parallel.step_time(np.array([1, 4]), **model)
    np.testing.assert_allclose(compute, [2e-3 + 64e-3, 2e-3 + 16e-3])
    np.testing.assert_allclose(comm, [0.0, 6 * 1e-4 + 1.5 * 10_000 * 4 / 1e6])
    ks = np.arange(1, 33)
    s = data_parallel.speedup(ks, **model)
    assert s[0] == pytest.approx(1.0) and np.all(s[1:] < ks[1:])


def test_free_communication_gives_the_ideal_speedup():
    ks = np.array([1, 2, 8, 64])
    s = data_parallel.speedup(ks, batch_size=64, seconds_per_example=1e-3, parameters=1, bandwidth=1e300)
    np.testing.assert_allclose(s, ks, rtol=1e-12)


def _nan_loss(params, x, y):
    return networks.cross_entropy_loss(params, x, y) * jnp.nan


def _complex_loss(params, x, y):
    return networks.cross_entropy_loss(params, x, y) * 1j


def _reads_past_the_end(params, x, y):
    return networks.cross_entropy_loss(params, x, y) + x[0, 7]


@pytest.mark.parametrize("loss, error, match", [
    (_nan_loss, ValueError, r"^f is nan at params \(on a shard\)"),
    (_complex_loss, TypeError, r"^f must return a real floating-point loss"),
    (_reads_past_the_end, ValueError, r"^f reads past the end of an array at params \(on a shard\)"),
])
def test_the_sharded_step_checks_its_loss_at_the_first_call(loss, error, match):
    step = data_parallel.sharded_sgd_step(loss, data_parallel.device_mesh(1), lr=0.1)  # built: no data yet
    with pytest.raises(error, match=match):
        step(PARAMS, X, Y)
    with pytest.raises(ValueError, match="^params contains non-finite"):
        data_parallel.sharded_sgd_step(networks.cross_entropy_loss, data_parallel.device_mesh(1), lr=0.1)(
            [{"w": np.full((3, 4), np.nan), "b": np.zeros(4)}, PARAMS[1]], X, Y)


def test_a_class_is_not_a_loss():
    with pytest.raises(TypeError, match=r"^f must be a callable loss function .*, got the class int"):
        data_parallel.sharded_sgd_step(int, data_parallel.device_mesh(1), lr=0.1)


@pytest.mark.parametrize("call, error, name", [
    (lambda: data_parallel.shard_mean_gradients(networks.cross_entropy_loss, PARAMS, X, Y, devices=5),
     ValueError, "devices"),
    (lambda: data_parallel.shard_mean_gradients(lambda p, x: jnp.sum(x), PARAMS, X, devices=0),
     ValueError, "devices"),
    (lambda: data_parallel.ring_allreduce(np.ones(3)), ValueError, "vectors"),
    (lambda: data_parallel.ring_allreduce([[np.nan]]), ValueError, "vectors"),
    (lambda: data_parallel.ring_allreduce_bytes(0, 2), ValueError, "parameters"),
    (lambda: data_parallel.step_time(0, batch_size=8, seconds_per_example=1.0, parameters=1, bandwidth=1.0),
     ValueError, "devices"),
    (lambda: data_parallel.step_time(2, batch_size=8, seconds_per_example=1.0, parameters=1, bandwidth=-1.0),
     ValueError, "bandwidth"),
    (lambda: data_parallel.step_time(2.5, batch_size=8, seconds_per_example=1.0, parameters=1, bandwidth=1.0),
     TypeError, "devices"),
])
def test_bad_arguments_are_named(call, error, name):
    with pytest.raises(error, match=name):
        call()
