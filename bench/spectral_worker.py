"""Matrix-free measurements for one network size, in a fresh process.

Usage: ``python -m bench.spectral_worker N_TARGET REPEATS ITERATIONS``; prints one
JSON line: the median times of a gradient, of a Hessian-vector product
(forward-over-reverse, ``jax.jvp`` of ``jax.grad``), and of a full
``lib.calculus.spectrum.top_eigenvalues`` run with ITERATIONS Lanczos steps, plus the
peak-memory growth of the process.
"""

from __future__ import annotations

import json
import sys

import jax
import jax.numpy as jnp

from bench.common import digits_batch, median_time, peak_rss_mb, sizes_for


def measure(n_target: int, repeats: int, iterations: int) -> dict:
    import lib  # noqa: F401  (float64)
    from lib.calculus import derivatives, spectrum
    from lib.models import networks

    x, y = digits_batch()
    x, y = jnp.asarray(x), jnp.asarray(y)
    sizes = sizes_for(n_target)
    params = networks.init_mlp(0, sizes)
    n = networks.count_parameters(params)
    f = networks.cross_entropy_loss
    v = jax.random.normal(jax.random.PRNGKey(1), (n,), dtype=jnp.float64)
    before = peak_rss_mb()

    # The jitted kernels behind lib.gradient and lib.calculus.spectrum.hvp, without the
    # argument checks, so that the ratio compares the differentiation alone.
    grad_first, grad_s = median_time(
        lambda: derivatives._flat_gradient(f, params, (x, y)).block_until_ready(), repeats)
    hvp_first, hvp_s = median_time(
        lambda: spectrum._flat_hvp(f, params, v, (x, y)).block_until_ready(), repeats)
    result = {}

    def lanczos():
        result["pairs"] = spectrum.top_eigenvalues(f, params, x, y, k=1, iterations=iterations)

    lanczos_first, lanczos_s = median_time(lanczos, repeats)
    pairs = result["pairs"]
    return {"n": n, "sizes": sizes, "grad_s": grad_s, "hvp_s": hvp_s,
            "lanczos_first_s": lanczos_first, "lanczos_s": lanczos_s, "n_hvp": pairs.n_hvp,
            "top": float(pairs.eigenvalues[0]), "residual": float(pairs.residuals[0]),
            "peak_mb": peak_rss_mb() - before,
            "basis_mb": (pairs.n_hvp + 1) * n * 8 / 2**20}


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
