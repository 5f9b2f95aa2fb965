"""One dense-Hessian measurement in a fresh process, so that its peak memory is its own.

Usage: ``python -m bench.dense_worker ROUTE N_TARGET REPEATS``; prints one JSON line.
ROUTE is ``lib`` (``lib.hessian``: jitted forward-over-reverse in batches of
columns, then ``lib.calculus.dense.eigenvalues``: LAPACK's two-stage reduction), ``naive``
(unjitted ``jax.jacrev(jax.grad(f))``, reverse-over-reverse, then
``numpy.linalg.eigvalsh``) or ``torch`` (``torch.func.hessian``, then
``numpy.linalg.eigvalsh``). The peak-memory figure is the growth of the process's
maximum resident set during the measurement (XLA's allocations included, which
``tracemalloc`` would miss).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from bench.common import digits_batch, median_time, peak_rss_mb, sizes_for


def _jax_routes(route, params, x, y):
    import jax
    from jax.flatten_util import ravel_pytree

    import lib
    from lib.models import networks

    f = networks.cross_entropy_loss
    if route == "lib":
        return lambda: lib.hessian(f, params, x, y)
    flat, unravel = ravel_pytree(params)
    flat_loss = lambda v: f(unravel(v), x, y)  # noqa: E731
    return lambda: np.asarray(jax.jacrev(jax.grad(flat_loss))(flat))


def _torch_route(params, x, y):
    import jax
    import torch
    from torch.func import hessian

    torch.set_num_threads(2)
    leaves = [np.asarray(a) for a in jax.tree_util.tree_leaves(params)]  # ravel_pytree order
    shapes = [a.shape for a in leaves]
    flat = torch.tensor(np.concatenate([a.ravel() for a in leaves]), dtype=torch.float64)
    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.long)

    def loss(v):
        pieces, at = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            pieces.append(v[at:at + size].reshape(shape))
            at += size
        h = xt
        layers = list(zip(pieces[0::2], pieces[1::2]))  # each layer is (b, w): dict keys sorted
        for i, (b, w) in enumerate(layers):
            h = h @ w + b
            if i < len(layers) - 1:
                h = torch.tanh(h)
        return torch.nn.functional.cross_entropy(h, yt)

    return lambda: hessian(loss)(flat).numpy()


def measure(route: str, n_target: int, repeats: int) -> dict:
    import lib
    from lib.models import networks

    x, y = digits_batch()
    sizes = sizes_for(n_target)
    params = networks.init_mlp(0, sizes)
    n = networks.count_parameters(params)
    build = _torch_route(params, x, y) if route == "torch" else _jax_routes(route, params, x, y)
    solve = lib.calculus.dense.eigenvalues if route == "lib" else np.linalg.eigvalsh
    before = peak_rss_mb()

    def run():
        h = build()
        start = time.perf_counter()
        values = solve(h)
        run.eig_seconds.append(time.perf_counter() - start)
        run.top = float(values[-1])

    run.eig_seconds = []
    first, median = median_time(run, repeats)
    return {"route": route, "n": n, "sizes": sizes, "first_s": first, "median_s": median,
            "eig_s": float(np.median(run.eig_seconds[1:])), "top": run.top,
            "peak_mb": peak_rss_mb() - before, "matrix_mb": n * n * 8 / 2**20}


if __name__ == "__main__":
    route, n_target, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(measure(route, n_target, repeats)))
