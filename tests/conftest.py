"""Shared test settings: float64 JAX (via lib), a persistent compilation cache, reproducible hypothesis."""

import os
from pathlib import Path

import hypothesis
import jax

import lib  # noqa: F401  (enables float64 before any test builds arrays)

# The suite is compile-bound: keep XLA's compiled programs between runs. The cache lives in the
# git-ignored build folder (`make clean` empties it); JAX_COMPILATION_CACHE_DIR overrides the place.
# Every program is cached however fast it compiled (most compile in well under JAX's 1 s default).
# The suite's programs are fixed (hypothesis runs derandomized), so the folder does not keep growing.
jax.config.update("jax_compilation_cache_dir", os.environ.get(
    "JAX_COMPILATION_CACHE_DIR", str(Path(__file__).resolve().parents[1] / "_build" / "jax-cache")))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

hypothesis.settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=40, print_blob=True)
hypothesis.settings.register_profile("dev", deadline=None, max_examples=100)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
