# ruff: noqa: E501  (a table: one function per row reads better than wrapped rows)
"""The public API of ``lib`` as a table for fuzzing: each function, a valid call, and its arguments' kinds.

Used by ``tests/test_fuzz.py`` (property-based, with hypothesis) and runnable as a script
that counts, for a fixed list of bad values per kind, how each bad call is answered::

    python tests/fuzz_cases.py        # calls, bad inputs, clear errors, unclear, raw, silent

A *clear* error is a ``ValueError``/``TypeError`` whose message names the argument.
Traceable JAX functions meant to run inside ``jit`` (losses such as
``quadratic_loss``, ``cliff_loss``, ``least_squares``, the activations and
``networks.mlp_apply``) check nothing by design and are not in the table;
``lib.explorers`` and ``lib.glue`` are fuzzed elsewhere.
"""

from __future__ import annotations

import collections
import importlib
import warnings

import jax.numpy as jnp
import numpy as np

# ----------------------------------------------------------------------------- fixed functions
# Module-level, so that every call with the same static arguments reuses one compilation.


def bowl(x):
    return 0.5 * jnp.sum(x**2)


def bowl_b(x, b):
    return 0.5 * x @ x - b @ x


def line_loss(w, x, t):
    return 0.5 * jnp.mean((x @ w - t) ** 2)


def returns_vector(x, *args):
    return x


def returns_int(x, *args):
    return jnp.int32(1)


def returns_bool(x, *args):
    return jnp.sum(x) > 0


def returns_complex(x, *args):
    return jnp.sum(x) * 1j


def raises_inside(x, *args):
    return x @ jnp.ones(17)


def residuals_b(x, b):
    return x - b


X2 = np.array([1.0, -0.5])
B2 = np.array([0.5, 1.0])
XS = np.linspace(-1.0, 1.0, 8)[:, None]
TS = 2.0 * XS[:, 0]
H2 = np.array([[2.0, 0.5], [0.5, 1.0]])
PER_EXAMPLE = np.arange(12.0).reshape(6, 2) ** 0.5
Z42 = np.arange(8.0).reshape(4, 2) ** 1.5

# ----------------------------------------------------------------------------- bad values by kind
NAN, INF = float("nan"), float("inf")

BAD = {
    "f": [None, 3, "loss", returns_vector, returns_int, returns_bool, returns_complex, raises_inside],
    "x": [None, "abc", [], np.array([NAN, 1.0]), np.array([INF, 0.0]), np.ones((2, 2)),
          np.array([1 + 1j, 0]), np.array(["a", "b"])],
    "grad": [None, "abc", [], np.array([NAN, 1.0]), np.array([1j, 0]), np.array(["a", "b"])],
    "pos": [0.0, -1.0, NAN, INF, "1", None, True, [1.0, 2.0], 1j],
    "nonneg": [-1.0, NAN, INF, "1", None, True],
    "unit": [-0.1, 1.0, NAN, "a", None, True],
    "closed_unit": [-0.1, 1.5, NAN, "a", None],
    "real": [NAN, INF, "a", None, [1.0, 2.0], 1j],
    "size": [0, -1, 1.5, "3", None, True, 10**12],
    "int": [0, -1, 1.5, "3", None, True],
    "opt_size": [0, -1, 1.5, "3", True],
    "opt_bool": [1, "yes"],
    "lrs": [0.0, -1.0, NAN, INF, "1", None, True, [1.0, -2.0], 1j],
    "opt_pos": [0.0, -1.0, NAN, INF, "1", True, 1j],
    "opt_array": [np.array([NAN, 1.0]), "a", np.array([1j, 1.0]), np.array([])],
    "name": [None, 3, b"descend"],
    "params": [None, "abc", [], np.array([NAN, 1.0]), np.array([INF, 0.0]), np.array([1 + 1j, 0]),
               np.array(["a", "b"])],
    "per_example": [np.full((6, 2), NAN), "a", np.ones(3), None, np.ones((6, 2)) * 1j, np.ones((1, 2))],
    "bool": [1, "yes", None],
    "data": [np.array([NAN, 1.0]), "abc", None, np.array([1j, 1.0]), np.array([INF, 1.0])],
    "examples": [np.full((8, 1), NAN), "abc", None, np.ones((3, 1)), np.array(1.0)],
    "choice": ["nonsense", 3, None],
    "seed": [-1, 1.5, "a", None, 2**70],
    "matrix": [np.array([[1.0, NAN], [0.0, 1.0]]), "a", np.ones((2, 3)), np.ones(3), None,
               np.array([[1j, 0], [0, 1]])],
    "array": [np.array([NAN, 1.0]), "a", None, np.array([1j, 1.0]), np.array([])],
    # A data matrix (N, d): any 2-D shape is fine, so no non-square case.
    "data_matrix": [np.array([[1.0, NAN], [0.0, 1.0]]), "a", np.ones(3), None,
                    np.array([[1j, 0.0], [0.0, 1.0]])],
    "rule": [None, "momentum", 3],
    "hyper": [None, [0.1], {"lr": NAN}, {"lr": "a"}, {}],
    "callable": [None, 3, "f"],
}


class Case:
    """One public function: ``params`` are ``(name, valid value, kind, positional, token)``."""

    def __init__(self, path, params, token_for=None):
        self.path = path
        self.params = [p if len(p) == 5 else (*p, p[0]) for p in params]

    @property
    def function(self):
        module, _, name = self.path.rpartition(".")
        return getattr(importlib.import_module(module), name, None)

    def call(self, replace=None):
        """Call with the valid values, argument ``replace = (index, value)`` swapped in."""
        args, kwargs = [], {}
        for i, (name, value, _, positional, _) in enumerate(self.params):
            if replace is not None and replace[0] == i:
                value = replace[1]
            if positional:
                args.append(value)
            else:
                kwargs[name] = value
        return self.function(*args, **kwargs)

    def bad_calls(self):
        for i, (name, _, kind, _, token) in enumerate(self.params):
            if kind is None:
                continue
            for value in BAD[kind]:
                yield i, name, token, value


P, K = True, False  # positional or keyword

CASES = [
    # -- optimizers
    Case("lib.descend", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                         ("lr", 0.1, "pos", K), ("momentum", 0.5, "unit", K), ("steps", 5, "size", K),
                         ("nesterov", False, "bool", K), ("max_norm", 1e8, "pos", K)]),
    Case("lib.descend_grid", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                              ("lrs", [0.1, 0.2], "array", K), ("momentums", [0.0, 0.5], "array", K),
                              ("steps", 5, "size", K), ("nesterov", False, "bool", K)]),
    Case("lib.optimizers.optimize", [("rule", None, "rule", P), ("f", bowl_b, "f", P), ("x0", X2, "x", P),
                                     ("b", B2, "data", P, "args[0]"), ("hyper", {"lr": 0.1, "momentum": 0.0}, "hyper", K),
                                     ("steps", 5, "size", K), ("max_norm", 1e8, "pos", K),
                                     ("check_state", True, "bool", K)]),
    Case("lib.momentum_init", [("params", X2, "params", P)]),
    Case("lib.momentum_step", [("grad", X2, "grad", P), ("state", None, None, P), ("lr", 0.1, "pos", P),
                               ("momentum", 0.5, "closed_unit", P), ("nesterov", False, "bool", P)]),
    Case("lib.optimizers.momentum_rule", [("nesterov", False, "bool", P)]),
    Case("lib.trace_count", [("name", "descend", "name", P)]),
    Case("lib.adaptive.adam_init", [("params", X2, "params", P)]),
    Case("lib.adaptive.adam_step", [("grad", X2, "grad", P), ("state", None, None, P), ("lr", 0.1, "pos", P),
                                    ("b1", 0.9, "unit", P), ("b2", 0.999, "unit", P), ("eps", 1e-8, "pos", P)]),
    Case("lib.adaptive.adam", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                               ("lr", 0.1, "pos", K), ("steps", 5, "size", K), ("b1", 0.9, "unit", K),
                               ("b2", 0.999, "unit", K), ("eps", 1e-8, "pos", K), ("max_norm", 1e8, "pos", K)]),
    Case("lib.adaptive.rmsprop_init", [("params", X2, "params", P)]),
    Case("lib.adaptive.rmsprop_step", [("grad", X2, "grad", P), ("state", None, None, P), ("lr", 0.1, "pos", P),
                                       ("decay", 0.9, "unit", P), ("eps", 1e-8, "pos", P)]),
    Case("lib.adaptive.rmsprop", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                  ("lr", 0.1, "pos", K), ("steps", 5, "size", K), ("decay", 0.9, "unit", K),
                                  ("eps", 1e-8, "pos", K), ("max_norm", 1e8, "pos", K)]),
    Case("lib.adaptive.adagrad_init", [("params", X2, "params", P)]),
    Case("lib.adaptive.adagrad_step", [("grad", X2, "grad", P), ("state", None, None, P), ("lr", 0.1, "pos", P),
                                       ("eps", 1e-7, "pos", P), ("initial_accumulator", 0.1, "nonneg", P)]),
    Case("lib.adaptive.adagrad", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                  ("lr", 0.1, "pos", K), ("steps", 5, "size", K), ("eps", 1e-7, "pos", K),
                                  ("initial_accumulator", 0.1, "nonneg", K), ("max_norm", 1e8, "pos", K)]),
    Case("lib.clipping.global_norm", [("tree", X2, "grad", P)]),
    Case("lib.clipping.clip_by_norm", [("grad", X2, "grad", P), ("max_norm", 1.0, "pos", P)]),
    Case("lib.clipping.clip_by_value", [("grad", X2, "grad", P), ("threshold", 1.0, "pos", P)]),
    Case("lib.clipping.clip_gradient", [("grad", X2, "grad", P), ("threshold", 1.0, "pos", P),
                                        ("clip", "norm", "choice", P)]),
    Case("lib.clipping.clipped", [("rule", None, "rule", P), ("clip", "norm", "choice", P)]),
    Case("lib.clipping.angle_degrees", [("a", X2, "grad", P), ("b", B2, "grad", P)]),
    Case("lib.clipping.descend_clipped", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                          ("lr", 0.1, "pos", K), ("steps", 5, "size", K), ("clip", "norm", "choice", K),
                                          ("threshold", 1.0, "pos", K), ("momentum", 0.5, "unit", K),
                                          ("max_norm", 1e8, "pos", K)]),
    Case("lib.basins.basin_map", [("f", bowl, "f", P), ("minima", np.zeros((1, 2)), "matrix", P),
                                  ("starts", X2[None], "data_matrix", P), ("lr", 0.1, "pos", K),
                                  ("momentum", 0.0, "unit", K), ("steps", 5, "size", K), ("tol", 1e-3, "pos", K),
                                  ("escape_norm", 1e3, "pos", K)]),
    Case("lib.second_order.newton_step", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                          ("damping", 0.0, "nonneg", K)]),
    Case("lib.second_order.newton", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                     ("steps", 3, "size", K), ("damping", 0.0, "nonneg", K), ("max_norm", 1e8, "pos", K)]),
    Case("lib.second_order.gauss_newton_matrix", [("residuals", residuals_b, "callable", P), ("x", X2, "x", P),
                                                  ("b", B2, "data", P, "args[0]")]),
    Case("lib.second_order.gauss_newton_product", [("residuals", residuals_b, "callable", P), ("x", X2, "x", P),
                                                   ("v", B2, "array", P), ("b", B2, "data", P, "args[0]")]),
    Case("lib.second_order.levenberg_marquardt", [("residuals", residuals_b, "callable", P), ("x0", X2, "x", P),
                                                  ("b", B2, "data", P, "args[0]"), ("steps", 3, "size", K),
                                                  ("damping", 1.0, "pos", K), ("adapt", True, "bool", K)]),
    Case("lib.normalization.batch_norm", [("z", Z42, "data_matrix", P), ("gamma", np.ones(2), "array", P),
                                          ("beta", np.zeros(2), "array", P), ("eps", 1e-5, "pos", K)]),
    Case("lib.normalization.batch_norm_backward", [("z", Z42, "data_matrix", P), ("gamma", np.ones(2), "array", P),
                                                   ("upstream", Z42, "data_matrix", P), ("eps", 1e-5, "pos", K)]),
    Case("lib.quadratic.heavy_ball", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                      ("lr", 0.1, "pos", K), ("momentum", 0.5, "closed_unit", K), ("steps", 5, "size", K),
                                      ("nesterov", False, "bool", K), ("max_norm", 1e8, "pos", K)]),
    Case("lib.stochastic.sgd", [("f", line_loss, "f", P), ("x0", np.zeros(1), "x", P),
                                ("x", XS, "examples", P, "data[0]"), ("t", TS, "examples", P, "data"),
                                ("lr", 0.1, "pos", K), ("batch_size", 4, "size", K), ("epochs", 2, "size", K),
                                ("key", 0, "seed", K), ("shuffle", True, "bool", K), ("momentum", 0.0, "unit", K),
                                ("nesterov", False, "bool", K), ("eval_every", 1, "opt_size", K),
                                ("keep_points", False, "bool", K), ("max_norm", 1e8, "pos", K)]),
    Case("lib.stochastic.batch_indices", [("n", 8, "size", P), ("batch_size", 4, "size", P),
                                          ("epochs", 2, "size", K), ("key", 0, "seed", K), ("shuffle", True, "bool", K)]),
    Case("lib.stochastic.examples_processed", [("steps", np.arange(3), "array", P), ("n", 8, "int", P),
                                               ("batch_size", 4, "int", P)]),
    # -- gradient noise
    Case("lib.stochastic.per_example_gradients", [("f", line_loss, "f", P), ("params", np.zeros(1), "x", P),
                                                  ("x", XS, "examples", P, "data[0]"), ("t", TS, "examples", P, "data")]),
    Case("lib.stochastic.minibatch_gradients", [("per_example", PER_EXAMPLE, "per_example", P), ("batch_size", 2, "size", P),
                                                ("samples", 4, "size", P), ("key", 0, "seed", K), ("replace", False, "bool", K)]),
    Case("lib.stochastic.minibatch_variance", [("per_example", PER_EXAMPLE, "per_example", P), ("batch_size", 2, "size", P),
                                               ("replace", False, "bool", K)]),
    Case("lib.stochastic.measured_minibatch_variance", [("per_example", PER_EXAMPLE, "per_example", P),
                                                        ("batch_sizes", [1, 2], "array", P), ("sequences", 4, "size", K),
                                                        ("key", 0, "seed", K), ("replace", False, "bool", K)]),
    # -- schedules
    Case("lib.schedules.as_schedule", [("lr", 0.1, "pos", P)]),
    Case("lib.schedules.constant", [("lr", 0.1, "pos", P)]),
    Case("lib.schedules.step_decay", [("lr", 0.1, "pos", P), ("every", 10, "int", P), ("factor", 0.5, "pos", K)]),
    Case("lib.schedules.piecewise_constant", [("lr", 0.1, "pos", P), ("boundaries", [10, 20], "array", P),
                                              ("factor", 0.5, "pos", K)]),
    Case("lib.schedules.exponential", [("lr", 0.1, "pos", P), ("rate", 0.5, "pos", P), ("every", 1, "int", K)]),
    Case("lib.schedules.inverse_time", [("lr", 0.1, "pos", P), ("tau", 10.0, "pos", P)]),
    Case("lib.schedules.cosine", [("lr", 0.1, "pos", P), ("total_steps", 100, "int", P), ("final_lr", 0.0, "nonneg", K)]),
    Case("lib.schedules.warmup_constant", [("lr", 0.1, "pos", P), ("warmup_steps", 10, "int", P), ("init_lr", 0.0, "nonneg", K)]),
    Case("lib.schedules.warmup_cosine", [("lr", 0.1, "pos", P), ("warmup_steps", 10, "int", P), ("total_steps", 100, "int", P),
                                         ("init_lr", 0.0, "nonneg", K), ("final_lr", 0.0, "nonneg", K)]),
    # -- derivatives, critical points, spectra
    Case("lib.gradient", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]")]),
    Case("lib.hessian", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]")]),
    Case("lib.flatten", [("x", X2, "x", P)]),
    Case("lib.classify_critical_point", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                         ("grad_tol", 1e-6, "pos", K), ("rtol", 1e-8, "nonneg", K),
                                         ("atol", 1e-10, "nonneg", K)]),
    Case("lib.escape_direction", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                  ("rtol", 1e-8, "nonneg", K), ("atol", 1e-10, "nonneg", K)]),
    Case("lib.dense.eigenvalues", [("H", H2, "matrix", P), ("two_stage", None, "opt_bool", K)]),
    Case("lib.hessian_eigenvalues", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]")]),
    Case("lib.hvp", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("v", B2, "array", P),
                     ("b", B2, "data", P, "args[0]")]),
    Case("lib.top_eigenvalues", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                 ("k", 1, "size", K), ("iterations", 8, "size", K), ("which", "largest", "choice", K),
                                 ("seed", 0, "seed", K), ("start", "rademacher", "choice", K)]),
    Case("lib.spectrum.lanczos_quadrature", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                             ("runs", 2, "size", K), ("iterations", 8, "size", K), ("seed", 0, "seed", K),
                                             ("start", "rademacher", "choice", K)]),
    Case("lib.spectral_density", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                  ("sigma", 0.1, "opt_pos", K), ("points", 11, "size", K), ("runs", 2, "size", K),
                                  ("iterations", 8, "size", K), ("seed", 0, "seed", K)]),
    Case("lib.spectrum.smoothed_density", [("nodes", np.array([[1.0, 2.0]]), "array", P),
                                           ("weights", np.array([[0.5, 0.5]]), "array", P),
                                           ("grid", np.linspace(0, 3, 7), "array", P), ("sigma", 0.1, "pos", P)]),
    # -- quadratic models
    Case("lib.quadratic.quadratic", [("H", H2, "matrix", P), ("b", B2, "opt_array", P)]),
    Case("lib.quadratic.condition_number", [("H", H2, "matrix", P)]),
    Case("lib.quadratic.gd_rate", [("lr", 0.1, "lrs", P), ("eigenvalues", [1.0, 10.0], "array", P)]),
    Case("lib.quadratic.gd_optimal", [("eigenvalues", [1.0, 10.0], "array", P)]),
    Case("lib.quadratic.momentum_matrix", [("lr", 0.1, "pos", P), ("momentum", 0.5, "closed_unit", P),
                                           ("curvature", 2.0, "real", P)]),
    Case("lib.quadratic.momentum_rate", [("lr", 0.1, "lrs", P), ("momentum", 0.5, "closed_unit", P),
                                         ("eigenvalues", [1.0, 10.0], "array", P)]),
    Case("lib.quadratic.heavy_ball_optimal", [("eigenvalues", [1.0, 10.0], "array", P)]),
    Case("lib.quadratic.momentum_regimes", [("lr", 0.1, "lrs", P), ("momentum", 0.5, "closed_unit", P),
                                            ("eigenvalues", [1.0, 10.0], "array", P)]),
    Case("lib.quadratic.critical_damping_lr", [("momentum", 0.5, "closed_unit", P), ("curvature", 2.0, "pos", P)]),
    Case("lib.quadratic.empirical_rate", [("distances", 0.5 ** np.arange(20.0), "array", P), ("start", 0, None, K),
                                          ("floor", 1e-12, "pos", K)]),
    # -- surfaces
    Case("lib.surfaces.ravine", [("kappa", 10.0, "pos", P)]),
    Case("lib.surfaces.loss_grid", [("surface", None, None, P), ("resolution", 10, "size", P)]),
    # -- regression, networks, deep chains, the critical-point search
    Case("lib.regression.least_squares_solution", [("X", np.c_[XS, np.ones(8)], "data_matrix", P), ("t", TS, "array", P)]),
    Case("lib.regression.least_squares_hessian", [("X", np.c_[XS, np.ones(8)], "data_matrix", P)]),
    Case("lib.regression.add_bias", [("X", XS, "data_matrix", P)]),
    Case("lib.regression.standardize", [("X", XS, "data_matrix", P)]),
    Case("lib.networks.init_mlp", [("key", 0, "seed", P), ("sizes", [2, 3, 1], "array", P)]),
    Case("lib.networks.mlp_size", [("sizes", [2, 3, 1], "array", P)]),
    Case("lib.deep_chains.gaussian_weights", [("seed", 0, "seed", P), ("width", 3, "size", P), ("depth", 2, "size", P),
                                              ("gain", 1.0, "pos", K)]),
    Case("lib.deep_chains.orthogonal_weights", [("seed", 0, "seed", P), ("width", 3, "size", P), ("depth", 2, "size", P),
                                                ("scale", 1.0, "pos", K), ("tied", False, "bool", K)]),
    Case("lib.critical_search.find_critical_point", [("f", bowl_b, "f", P), ("x0", X2, "x", P),
                                                     ("b", B2, "data", P, "args[0]"), ("tol", 1e-8, "pos", K),
                                                     ("max_iter", 20, "size", K), ("max_norm", 1e4, "pos", K)]),
]


def _prepare(case):
    """Valid values that need other lib objects (states, rules, surfaces)."""
    import lib
    from lib import surfaces

    fill = {
        "lib.momentum_step": ("state", lambda: lib.momentum_init(X2)),
        "lib.adaptive.adam_step": ("state", lambda: lib.adaptive.adam_init(X2)),
        "lib.adaptive.rmsprop_step": ("state", lambda: lib.adaptive.rmsprop_init(X2)),
        "lib.adaptive.adagrad_step": ("state", lambda: lib.adaptive.adagrad_init(X2)),
        "lib.optimizers.optimize": ("rule", lambda: lib.optimizers.momentum_rule()),
        "lib.clipping.clipped": ("rule", lambda: lib.optimizers.momentum_rule()),
        "lib.surfaces.loss_grid": ("surface", lambda: surfaces.saddle()),
    }
    if case.path in fill:
        name, make = fill[case.path]
        try:
            value = make()
        except Exception:  # an API that does not exist (yet): the case is skipped
            return False
        case.params = [(n, value if n == name else v, k, p, t) for n, v, k, p, t in case.params]
    return case.function is not None


def _isolated(case, index, value):
    """Run a call that may abort the process (an XLA allocation) in a child process."""
    import subprocess
    import sys

    child = subprocess.run([sys.executable, __file__, "--one", case.path, str(index), str(value)],
                           capture_output=True, text=True, timeout=300)
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        return "raw", RuntimeError(f"the process died (exit {child.returncode})")
    result, _, message = lines[-1].partition(" ")
    return result, (RuntimeError(message) if message else None)


def outcome(case, index, token, value, isolate=True):
    """``"clear"``, ``"unclear"`` (ValueError/TypeError not naming ``token``), ``"raw"`` or ``"silent"``."""
    if isolate and isinstance(value, int) and not isinstance(value, bool) and value >= 10**9:
        return _isolated(case, index, value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case.call((index, value))
    except (ValueError, TypeError) as err:
        return "clear" if token in str(err) else "unclear", err
    except Exception as err:  # noqa: BLE001 - the point is to see every kind
        return "raw", err
    return "silent", None


def count(verbose=False):
    """Run every bad value of every case once; return the counts."""
    counts = collections.Counter()
    for case in CASES:
        if not _prepare(case):
            counts["cases skipped"] += 1
            continue
        counts["functions"] += 1
        try:
            case.call()
            counts["calls"] += 1
            counts["valid calls answered"] += 1
        except Exception as err:  # noqa: BLE001
            counts["calls"] += 1
            counts["valid calls failing"] += 1
            if verbose:
                print("VALID CALL FAILS", case.path, type(err).__name__, str(err)[:100])
        for index, name, token, value in case.bad_calls():
            counts["calls"] += 1
            counts["bad inputs"] += 1
            result, err = outcome(case, index, token, value)
            counts[result] += 1
            if verbose and result != "clear":
                shown = value if not callable(value) else getattr(value, "__name__", value)
                print(f"{result:8} {case.path}({name}={shown!r:.40}): "
                      f"{type(err).__name__ if err else ''} {str(err)[:90] if err else ''}")
    return counts


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--one"]:
        case = next(c for c in CASES if c.path == sys.argv[2])
        _prepare(case)
        index = int(sys.argv[3])
        name, _, kind, _, token = case.params[index]
        result, err = outcome(case, index, token, int(sys.argv[4]), isolate=False)
        print(result, f"{type(err).__name__} {str(err)[:90]}" if err else "")
        sys.exit(0)
    result = count(verbose="-v" in sys.argv)
    bad = result["bad inputs"]
    print(dict(result))
    print(f"clear errors: {result['clear']} of {bad} bad inputs ({100 * result['clear'] / max(bad, 1):.0f} %)")
