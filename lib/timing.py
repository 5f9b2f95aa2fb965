"""Timing compiled JAX functions: the fastest of a few calls, after one that compiles.

A JAX function returns before its result is computed (dispatch is asynchronous), so
every call is followed by ``jax.block_until_ready``. The first call compiles and is
not counted; of the timed calls the fastest is the one least disturbed by the rest
of the machine, the usual estimate of what the computation itself costs.
"""

from __future__ import annotations

import time

import jax

from . import _validate

__all__ = ["best_time"]


def best_time(fn, *args, repeats: int = 5) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn(*args)``, after one warm-up call.

    >>> best_time(lambda: 0, repeats=3) >= 0
    True
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    repeats = _validate.count("repeats", repeats, _validate.MAX_RUNS, "calls")
    jax.block_until_ready(fn(*args))
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        seconds.append(time.perf_counter() - start)
    return min(seconds)
