r"""Data-parallel SGD on K devices: sharded gradients, ring all-reduce, and a cost model of a step.

A global batch of :math:`B` examples is cut into :math:`K` shards of :math:`B/K`;
device :math:`j` computes the mean gradient :math:`\hat g_j` of its shard, and an
*all-reduce* leaves every device with the average :math:`\frac1K\sum_j \hat g_j`.
With equal shards that average is exactly the mean gradient of all :math:`B`
examples (:func:`shard_mean_gradients`), so K devices take the same step as one
device with batch :math:`B`.

A ring all-reduce (:func:`ring_allreduce`) cuts each device's vector into
:math:`K` chunks and passes chunks around a ring: :math:`K - 1` rounds of
reduce-scatter, then :math:`K - 1` rounds of all-gather. Each device sends
:math:`2(K-1)` chunks of :math:`P/K` numbers, :math:`2\frac{K-1}{K} P` in all —
nearly :math:`2P` however many devices there are (Patarasuk & Yuan, 2009).

:func:`step_time` is the simplest model of one step:

.. math::

    T(K) = \underbrace{t_0 + \frac{B}{K}\, t_{\text{ex}}}_{\text{compute}}
    + \underbrace{2(K-1)\,\ell + \frac{2\frac{K-1}{K} P b}{\beta}}_{\text{all-reduce}},

with :math:`t_0` a fixed cost per step, :math:`t_{\text{ex}}` the time per example,
ℓ the latency of one message, :math:`b` bytes per number and β the bandwidth of
a link in bytes per second. Compute and communication do not overlap in it.

The simulation above explains the algorithm; :func:`sharded_sgd_step` is the real
thing on JAX's own engine. It places the parameters on every device of a
:class:`jax.sharding.Mesh` (:func:`device_mesh`), cuts the global batch along its
first axis into one shard per device, and runs the same program on every device
(``jax.shard_map``): each computes its shard's mean gradient, ``lax.pmean`` — an
all-reduce that XLA implements for the hardware at hand — averages them, and every
device takes the same step. On a CPU, JAX shows one device unless the environment
variable ``XLA_FLAGS=--xla_force_host_platform_device_count=K`` was set before JAX
was imported; the K virtual devices then share the CPU's cores.
"""

from __future__ import annotations

from functools import partial

import jax
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import _validate

__all__ = ["shard_mean_gradients", "ring_allreduce", "ring_allreduce_bytes", "step_time", "speedup",
           "device_mesh", "sharded_sgd_step", "VIRTUAL_DEVICES_FLAG"]

#: The XLA flag that splits the CPU into K virtual devices; it must be in the environment variable
#: ``XLA_FLAGS`` before JAX is imported.
VIRTUAL_DEVICES_FLAG = "--xla_force_host_platform_device_count"


@partial(jax.jit, static_argnames=("f", "devices"))
def _shard_gradients(f, params, data, *, devices):
    flat, unravel = ravel_pytree(params)
    shards = tuple(a.reshape((devices, a.shape[0] // devices) + a.shape[1:]) for a in data)
    return jax.vmap(lambda *shard: jax.grad(lambda v: f(unravel(v), *shard))(flat))(*shards)


def shard_mean_gradients(f, params, *data, devices: int) -> np.ndarray:
    r"""The mean gradient of each of ``devices`` equal consecutive shards of the data: ``(K, n)``.

    ``f(params, *shard)`` is a *mean* loss. The number of examples must be a
    multiple of ``devices``; the average of the rows is then the mean gradient
    of all the examples.
    """
    _validate.callable_("f", f)
    params = _validate.parameters("params", params)
    data = _validate.examples("data", data)
    devices = _validate.positive_int("devices", devices)
    n = int(data[0].shape[0])
    if n % devices:
        raise ValueError(f"devices must divide the number of examples N = {n} (equal shards), got {devices}")
    _validate.scalar_loss(f, params, tuple(a[: n // devices] for a in data), name="params (on a shard)")
    return np.asarray(_shard_gradients(f, params, data, devices=devices))


def ring_allreduce(vectors):
    r"""Simulate a ring all-reduce of the rows of ``vectors`` ``(K, P)``; returns ``(sums, sent)``.

    ``sums`` is ``(K, P)``: every device ends with :math:`\sum_j` ``vectors[j]``.
    ``sent[j]`` counts the numbers device ``j`` sent, :math:`2(K-1)\lceil P/K\rceil`
    at most (chunks are as equal as possible). Reduce-scatter: in round
    :math:`s`, device :math:`j` sends chunk :math:`(j - s) \bmod K` to device
    :math:`j + 1`, which adds it to its own; after :math:`K - 1` rounds device
    :math:`j` holds the full sum of chunk :math:`(j + 1) \bmod K`. All-gather then
    passes the finished chunks round the ring in :math:`K - 1` more rounds.

    >>> sums, sent = ring_allreduce(np.arange(18.0).reshape(3, 6))
    >>> sums[0].tolist(), sent.tolist()        # 2 (K - 1) chunks of P/K = 2 numbers each
    ([18.0, 21.0, 24.0, 27.0, 30.0, 33.0], [8, 8, 8])
    """
    vectors = _validate.real_array("vectors", vectors, "a (K, P) array")
    if vectors.ndim != 2 or vectors.shape[0] < 1 or vectors.shape[1] < 1:
        raise ValueError(f"vectors must have shape (K, P) with K, P >= 1, got {vectors.shape}")
    k, p = vectors.shape
    bounds = np.linspace(0, p, k + 1).round().astype(int)
    chunks = [[vectors[j, bounds[c]:bounds[c + 1]].copy() for c in range(k)] for j in range(k)]
    sent = np.zeros(k, dtype=int)
    for s in range(k - 1):  # reduce-scatter
        messages = [(j, (j - s) % k, chunks[j][(j - s) % k].copy()) for j in range(k)]
        for j, c, payload in messages:
            chunks[(j + 1) % k][c] += payload
            sent[j] += payload.size
    for s in range(k - 1):  # all-gather: device j owns the finished chunk (j + 1 - s) mod k
        messages = [(j, (j + 1 - s) % k, chunks[j][(j + 1 - s) % k].copy()) for j in range(k)]
        for j, c, payload in messages:
            chunks[(j + 1) % k][c] = payload
            sent[j] += payload.size
    sums = np.stack([np.concatenate(chunks[j]) for j in range(k)])
    return sums, sent


def ring_allreduce_bytes(parameters, devices, bytes_per_number=4) -> float:
    r"""Bytes each device sends in a ring all-reduce of ``parameters`` numbers: :math:`2\frac{K-1}{K} P b`.

    >>> ring_allreduce_bytes(1_000_000, 4)
    6000000.0
    """
    parameters = _validate.positive_int("parameters", parameters)
    devices = _validate.positive_int("devices", devices)
    bytes_per_number = _validate.positive("bytes_per_number", bytes_per_number)
    return 2.0 * (devices - 1) / devices * parameters * bytes_per_number


def step_time(devices, *, batch_size, seconds_per_example, parameters, bandwidth, latency=0.0,
              fixed_seconds=0.0, bytes_per_number=4):
    r"""The modelled seconds of one data-parallel step on ``devices`` devices (see the module docstring).

    ``devices`` is K (an int or an array of ints, each dividing nothing in
    particular: the shard is :math:`B/K` examples, fractional if need be);
    ``bandwidth`` is β in bytes per second per link, ``latency`` ℓ in seconds.
    Returns ``(compute, communication)``, arrays shaped like ``devices``.

    >>> step_time(2, batch_size=100, seconds_per_example=0.01, parameters=1000, bandwidth=4000.0)
    (array(0.5), array(1.))
    """
    k = _validate.integers("devices", devices, 1)
    batch_size = _validate.positive_int("batch_size", batch_size)
    seconds_per_example = _validate.positive("seconds_per_example", seconds_per_example)
    parameters = _validate.positive_int("parameters", parameters)
    bandwidth = _validate.positive("bandwidth", bandwidth)
    latency = _validate.nonnegative("latency", latency)
    fixed_seconds = _validate.nonnegative("fixed_seconds", fixed_seconds)
    bytes_per_number = _validate.positive("bytes_per_number", bytes_per_number)
    compute = fixed_seconds + batch_size / k * seconds_per_example
    communication = 2.0 * (k - 1) * latency + 2.0 * (k - 1) / k * parameters * bytes_per_number / bandwidth
    return np.asarray(compute, dtype=float), np.asarray(communication, dtype=float)


def speedup(devices, **model) -> np.ndarray:
    """:math:`T(1) / T(K)` for the model of :func:`step_time` (same keyword arguments)."""
    compute, communication = step_time(devices, **model)
    one = sum(step_time(1, **model))
    return one / (compute + communication)


def device_mesh(devices: int, axis: str = "data"):
    r"""A one-axis :class:`jax.sharding.Mesh` of ``devices`` devices named ``axis``.

    Takes the first ``devices`` of ``jax.devices()`` (GPUs or TPUs when there are
    enough of them), else of the CPU's devices. Raises ``ValueError`` saying how to
    get more CPU devices when there are too few.
    """
    devices = _validate.positive_int("devices", devices)
    if not isinstance(axis, str) or not axis:
        raise TypeError(f"axis must be a non-empty string, got {type(axis).__name__} {axis!r:.40}")
    pool = jax.devices()
    if len(pool) < devices:
        pool = jax.devices("cpu")
    if len(pool) < devices:
        raise ValueError(
            f"devices = {devices} but JAX sees {len(pool)} device(s). On a CPU, set the environment variable "
            f"XLA_FLAGS={VIRTUAL_DEVICES_FLAG}={devices} (or more) before JAX is first imported "
            f"(in a notebook: restart the kernel and set it in the first cell).")
    return jax.sharding.Mesh(np.array(pool[:devices]), (axis,))


def sharded_sgd_step(f, mesh, *, lr, axis: str = "data"):
    r"""A compiled data-parallel SGD step ``step(params, *batch) -> params`` on the devices of ``mesh``.

    ``f(params, *batch)`` is a *mean* loss. The parameters are replicated on
    every device; each array of the global batch is split along axis 0 into
    equal shards, one per device of the mesh axis ``axis`` (its length must be
    a multiple of the number of devices). Each device computes
    :math:`\hat g_j = \nabla f(\theta; \text{shard}_j)`, ``lax.pmean`` all-reduces
    :math:`\bar g = \frac1K\sum_j \hat g_j`, and every device returns
    :math:`\theta - \alpha\bar g` — the step one device takes with the whole batch.

    ``f`` is checked when the step is built (a function, not a class) and, with the
    parameters and data it needs, at the first call: the parameters must be finite real
    numbers and ``f`` of one shard a real, finite scalar reading no index past the end of
    an array (later calls are not checked again, so that a step costs what the compiled step
    costs).
    """
    _validate.callable_("f", f)  # a class too is refused: int(params) is no loss
    if not isinstance(mesh, jax.sharding.Mesh):
        raise TypeError(f"mesh must be a jax.sharding.Mesh (see device_mesh), got {type(mesh).__name__}")
    if not isinstance(axis, str):
        raise TypeError(f"axis must be the name (a string) of an axis of the mesh, got {type(axis).__name__}")
    if axis not in mesh.axis_names:
        raise ValueError(f"axis {axis!r} is not an axis of the mesh {mesh.axis_names}")
    lr = _validate.positive("lr", lr)
    k = int(mesh.shape[axis])
    spec = jax.sharding.PartitionSpec

    def local(params, batch):
        # Mark the replicated parameters as this device's own copy, so that the gradient is this
        # shard's alone (differentiating the replicated copy would sum the shards' gradients
        # silently); then the explicit all-reduce averages them.
        own = jax.lax.pcast(params, axis, to="varying")
        grads = jax.lax.pmean(jax.grad(f)(own, *batch), axis)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)

    compiled = jax.jit(jax.shard_map(local, mesh=mesh, in_specs=(spec(), spec(axis)), out_specs=spec()))

    checked = []  # the first call with concrete values checks the parameters and the loss

    def step(params, *batch):
        batch = _validate.examples("batch", batch)
        n = int(batch[0].shape[0])
        if n % k:
            raise ValueError(f"the global batch of {n} examples must split into {k} equal shards")
        if not checked and not _validate.is_traced((params, batch)):
            shard = tuple(a[: n // k] for a in batch)
            _validate.scalar_loss(f, _validate.parameters("params", params, any_shape=True), shard,
                                  name="params (on a shard)", args_name="batch")
            checked.append(True)
        return compiled(params, batch)

    return step
