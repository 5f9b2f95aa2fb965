"""lib.theory.data_parallel.sharded_sgd_step on 4 virtual CPU devices, against one device with the global
batch.

The unit tests import JAX once for every module, and the number of CPU devices is fixed when JAX
starts; so the check runs in a fresh Python process with XLA_FLAGS set before JAX is imported.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import jax, numpy as np, pytest
import lib
from lib.models import networks
from lib.theory import data_parallel

assert len(jax.devices("cpu")) == 4, jax.devices("cpu")
rng = np.random.default_rng(3)
x, y = rng.normal(size=(24, 5)), rng.integers(0, 3, size=24)
params = networks.init_mlp(0, [5, 7, 3])
grads = jax.grad(networks.cross_entropy_loss)(params, x, y)
reference = jax.tree_util.tree_map(lambda p, g: p - 0.3 * g, params, grads)
for k in (1, 2, 4):
    step = data_parallel.sharded_sgd_step(networks.cross_entropy_loss, data_parallel.device_mesh(k), lr=0.3)
    out = step(params, x, y)
    for a, b in zip(jax.tree_util.tree_leaves(out), jax.tree_util.tree_leaves(reference)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-13, atol=1e-15)
    assert len(jax.tree_util.tree_leaves(out)[0].sharding.device_set) == k
    # A batch that does not split into equal shards is refused with a message, not a traceback.
    if k > 1:
        with pytest.raises(ValueError, match="equal shards"):
            step(params, x[:23], y[:23])
with pytest.raises(ValueError, match="XLA_FLAGS"):
    data_parallel.device_mesh(5)
print("ok")
"""


def test_sharded_step_equals_the_single_device_step_on_four_virtual_devices():
    env = dict(os.environ, XLA_FLAGS=f"{os.environ.get('XLA_FLAGS', '')} "
                                     "--xla_force_host_platform_device_count=4".strip(),
               PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
