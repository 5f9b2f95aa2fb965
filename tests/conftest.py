"""Shared test settings: float64 JAX (via lib) and reproducible hypothesis runs."""

import os

import hypothesis

import lib  # noqa: F401  (enables float64 before any test builds arrays)

hypothesis.settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=40, print_blob=True)
hypothesis.settings.register_profile("dev", deadline=None, max_examples=100)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
