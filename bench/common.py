"""Shared pieces of the benchmarks: the data, networks of a given size, timing."""

from __future__ import annotations

import resource
import statistics
import time

import numpy as np

#: Examples of the digits data set in every benchmark batch.
BATCH = 256


def digits_batch(batch: int = BATCH):
    """The first ``batch`` digits, pixels scaled to [0, 1], as float64 / int32 numpy arrays."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return x[:batch].astype(np.float64) / 16.0, y[:batch].astype(np.int32)


def sizes_for(n_target: int) -> list[int]:
    """Layer widths of a tanh MLP on the digits with about ``n_target`` parameters.

    Up to 1e5 parameters: one hidden layer, 64 → h → 10, with 75 h + 10 parameters.
    Beyond: two hidden layers 64 → 1024 → h → 10, the middle matrix dominating.
    """
    if n_target <= 200_000:
        return [64, max(1, round((n_target - 10) / 75)), 10]
    h = max(1, round((n_target - 65 * 1024 - 10) / (1024 + 1 + 10)))
    return [64, 1024, h, 10]


def median_time(fn, repeats: int) -> tuple[float, float]:
    """(seconds of the first call, which includes compilation; median of ``repeats`` later calls)."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
