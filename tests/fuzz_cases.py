# ruff: noqa: E501  (a table: one function per row reads better than wrapped rows)
"""The public API of ``lib`` as a table for fuzzing: each function, a valid call, and its arguments' kinds.

Used by ``tests/test_fuzz.py`` (property-based, with hypothesis) and runnable as a script
that counts, for a fixed list of bad values per kind, how each bad call is answered::

    python -m tests.fuzz_cases        # by class of bad input: clear, unclear, raw, silent

A *clear* error is a ``ValueError``/``TypeError`` whose message names the argument.
Traceable JAX functions meant to run inside ``jit`` (losses such as
``quadratic_loss``, ``cliff_loss``, ``least_squares``, the activations and
``networks.mlp_apply``) check nothing by design and are not in the table;
``lib.explorer.widget`` and ``lib.teaching.glue`` are fuzzed elsewhere.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import io
import warnings

import jax.numpy as jnp
import numpy as np
import sympy

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


def returns_nan(x, *args):
    return jnp.sum(x) * jnp.nan


def returns_inf(x, *args):
    return jnp.sum(x) + jnp.inf


def reads_past_end(x, *args):
    return jnp.sum(x) + x[7] ** 2  # JAX would clamp x[7] to the last entry


def does_nothing(*args):
    return 0.0


def generator_loss(x, *args):
    yield jnp.sum(x)


def reader_loops_forever(*args):
    while True:
        pass


def reader_exits(*args):
    raise SystemExit(1)


def reader_returns_complex(theta, *args):
    return np.asarray(theta) + 0j


X2 = np.array([1.0, -0.5])
B2 = np.array([0.5, 1.0])
XS = np.linspace(-1.0, 1.0, 8)[:, None]
TS = 2.0 * XS[:, 0]
H2 = np.array([[2.0, 0.5], [0.5, 1.0]])
PER_EXAMPLE = np.arange(12.0).reshape(6, 2) ** 0.5
Z42 = np.arange(8.0).reshape(4, 2) ** 1.5
MLP_PARAMS = [{"w": np.ones((2, 3)), "b": np.zeros(3)}, {"w": np.full((3, 1), 2.0), "b": np.ones(1)}]
HESSIANS = np.array([[[2.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 1.0]]])  # per-example Hessians (N, d, d)

# ----------------------------------------------------------------------------- bad values by class
NAN, INF = float("nan"), float("inf")
W1_REAL = sympy.Symbol("w1", real=True)  # lib.models.symbolic_surfaces.W1: the surfaces' first weight
HUGE = 10**400  # a Python int beyond the float64 range: float(HUGE) overflows


class Fresh:
    """A bad value made anew for every call (a generator is used up by the first)."""

    def __init__(self, make, label):
        self.make, self.label = make, label

    def __repr__(self):
        return self.label


def _generator():
    return Fresh(lambda: (v for v in [1.0, 2.0]), "<generator>")


SCALAR_KINDS = ("pos", "nonneg", "unit", "closed_unit", "real", "opt_pos", "lrs")
INT_KINDS = ("size", "int", "opt_size", "seed")
ARRAY_KINDS = ("x", "grad", "params", "array", "data", "opt_array", "per_example", "examples", "spectrum",
               "sizes")
MATRIX_KINDS = ("matrix", "data_matrix")
NUMERIC = SCALAR_KINDS + INT_KINDS + ARRAY_KINDS + MATRIX_KINDS

#: The classes of bad input: for each, the bad values by the kind of argument they are given to.
#: A kind missing from a class is not offered that class (a string is a valid ``choice``).
CLASSES = {
    "string": {**{k: ["1", "abc"] for k in NUMERIC}, "f": ["loss"], "callable": ["f"], "fn": ["f"], "timed": ["f"],
               "bool": ["yes"], "opt_bool": ["yes"], "rule": ["momentum"], "hyper": ["lr=0.1"],
               "expression": ["w1**2"], "sizes": ["1", "abc", b"xy"], "opt_f": ["loss"], "record": ["f"],
               "networks": ["abc"], "feature_names": [b"bmi"]},
    "none": {**{k: [None] for k in NUMERIC if not k.startswith("opt_")}, "f": [None],
             "callable": [None], "fn": [None], "timed": [None], "bool": [None], "choice": [None], "name": [None],
             "rule": [None], "hyper": [None], "expression": [None], "networks": [None], "feature_names": [None]},
    "wrong type": {**{k: [object(), {1.0, 2.0}] for k in NUMERIC}, "bool": [object()],
                   "choice": [3, object()], "name": [3, b"descend"], "rule": [3, object()],
                   "hyper": [[0.1], (("lr", 0.1),)], "expression": [object(), 2.0],
                   # a set has no order: {2, 3} could be the layers 3 → 2 as well as 2 → 3
                   "sizes": [object(), {1.0, 2.0}, {2, 3}], "record": [int, returns_vector],
                   "networks": [object(), {"a": 1.0}, [1.0, 2.0], HUGE], "feature_names": [object(), 3, {"bmi"}, ("bmi", 3)]},
    "bool": {**{k: [True, np.bool_(False)] for k in SCALAR_KINDS + INT_KINDS},
             # a loss's data may hold booleans (a mask): valid, so "data" is not offered this class
             **{k: [np.array([True, False])] for k in ARRAY_KINDS if k != "data"}, "opt_bool": [1],
             "bool": [1, 0.0], "feature_names": [False]},
    "complex": {**{k: [1j, np.complex128(1 + 0j)] for k in SCALAR_KINDS},
                **{k: [np.array([1j, 1.0]), [1.0, 1j]] for k in ARRAY_KINDS},
                **{k: [np.array([[1j, 0.0], [0.0, 1.0]])] for k in MATRIX_KINDS},
                "per_example": [np.ones((6, 2)) * 1j], "examples": [XS * 1j], "expression": [sympy.I * W1_REAL**2]},
    "nan or inf": {**{k: [NAN, INF, -INF] for k in SCALAR_KINDS},
                   **{k: [np.array([NAN, 1.0]), np.array([1.0, INF]), [1.0, -INF]] for k in ARRAY_KINDS},
                   **{k: [np.array([[1.0, NAN], [0.0, 1.0]])] for k in MATRIX_KINDS},
                   "per_example": [np.full((6, 2), NAN)], "examples": [np.full((8, 1), NAN)],
                   "hyper": [{"lr": NAN, "momentum": 0.0}, {"lr": 0.1, "momentum": INF}],
                   "expression": [sympy.nan, sympy.oo * W1_REAL**2, sympy.zoo]},
    "huge int": {**{k: [HUGE, -HUGE] for k in SCALAR_KINDS + INT_KINDS},
                 **{k: [[HUGE, 1], np.array([HUGE, 1], dtype=object)] for k in ARRAY_KINDS},
                 **{k: [[[HUGE, 0], [0, 1]]] for k in MATRIX_KINDS},
                 "hyper": [{"lr": HUGE, "momentum": 0.0}]},
    "out of range": {"pos": [0.0, -1.0, -1e-300], "feature_names": [("bmi", "bmi"), ("height",), (), "height"], "opt_pos": [0.0, -1.0], "nonneg": [-1.0, -1e-300],
                     "unit": [-0.1, 1.0, 1.5], "closed_unit": [-0.1, 1.0 + 1e-9], "lrs": [0.0, -1.0, [1.0, -2.0]],
                     "size": [0, -1, 10**12], "int": [0, -1], "opt_size": [0, -1], "seed": [-1, 2**70],
                     "choice": ["nonsense"],
                     "hyper": [{"lr": -0.5, "momentum": 0.0}, {"lr": 0.1, "momentum": -0.5},
                               {"lr": 0.1, "momentum": 0.0, "Lr": 1.0}, {}],
                     # a symbol other than the surfaces' w1, w2 (a plain w1 has no real=True)
                     "expression": [sympy.Symbol("z") ** 2, sympy.Symbol("w1") ** 2]},
    "not an integer": {k: [1.5, np.float64(2.0), "3"] for k in INT_KINDS},
    "wrong rank or shape": {**{k: [[1.0, 2.0], np.ones((2, 2))] for k in SCALAR_KINDS if k != "lrs"},
                            **{k: [[1, 2], np.ones(2)] for k in INT_KINDS},
                            "x": [np.ones((2, 2)), 1.0],
                            "matrix": [np.ones((2, 3)), np.ones(3), 2.0], "data_matrix": [np.ones(3), 2.0],
                            "per_example": [np.ones(3), np.ones((1, 2))],
                            "examples": [np.ones((3, 1)), np.array(1.0)],
                            # one run has one value of each hyper-parameter (descend_grid sweeps a grid)
                            "hyper": [{"lr": np.array([0.1, 0.2]), "momentum": 0.0}, {"lr": 0.1, "momentum": np.ones((2, 2))}],
                            # the eigenvalues, not the matrix: H2's entries are no spectrum
                            "spectrum": [np.ones((2, 2)), H2], "record": [raises_inside],
                            "networks": [[MLP_PARAMS, [{"w": np.ones((2, 4)), "b": np.zeros(4)},
                                                       {"w": np.ones((4, 1)), "b": np.ones(1)}]]]},
    # A parameter or gradient pytree may have any shape, and a ragged list is a valid pytree.
    "ragged": {k: [[[1.0], [1.0, 2.0]]] for k in ARRAY_KINDS + MATRIX_KINDS if k not in ("x", "grad", "params")},
    "empty": {**{k: [[], np.array([])] for k in ARRAY_KINDS + ("lrs",)},
              **{k: [np.zeros((0, 0)), np.zeros((0, 2))] for k in MATRIX_KINDS},
              "examples": [np.zeros((0, 1))], "per_example": [np.zeros((0, 2))],
              "hyper": [{"lr": (), "momentum": 0.0}, {"lr": 0.1, "momentum": []}], "networks": [[]]},
    # a class is callable, but calling it builds an object (int(x) is no loss)
    "not callable": {"f": [3, np.ones(2), int], "callable": [3, np.ones(2), int], "fn": [3, np.ones(2), int],
                     "opt_f": [3, np.ones(2), int], "record": [3, np.ones(2), int],
                     "timed": [3, np.ones(2)]},  # best_time times any callable, a class too
    "loss of the wrong kind": {"f": [returns_vector, returns_int, returns_bool, returns_complex,
                                     raises_inside, generator_loss],
                               "opt_f": [returns_vector, returns_int, returns_bool, returns_complex, raises_inside,
                                         generator_loss, int]},
    "loss not finite": {"f": [returns_nan, returns_inf], "opt_f": [returns_nan, returns_inf]},
    "loss reads past the end": {"f": [reads_past_end], "opt_f": [reads_past_end]},
    "reader's function misbehaves": {"fn": [reader_exits, reader_returns_complex, generator_loss]},
    "generator": {**{k: [_generator()] for k in NUMERIC}, "networks": [_generator()], "feature_names": [_generator()]},
    # lib.plotting: an axes, contour levels (a count or an increasing array), an optimizer's path (nan rows are a
    # diverged run's, valid), a bound on the columns of a figure (any count >= 1: a large one means one row)
    "not an Axes, levels, path or bound": {
        "ax": ["ax", None, object(), 3, True, np.ones(2), [], _generator()],
        "levels": [0, -1, 10**12, HUGE, 2.7, np.float64(20.0), None, "20", True, np.bool_(True), 1j, [1.0], [2.0, 1.0],
                   [1.0, 1.0], [[1.0, 2.0]], np.array([1.0, NAN]), [1j, 2.0], [HUGE, 1], [[1.0], [1.0, 2.0]], _generator(),
                   np.timedelta64(1, "s"), np.array([1, 2], dtype="m8[s]")],
        "path": ["path", None, np.ones((3, 3)), np.ones(2), np.zeros((0, 2)), np.full((2, 2), NAN), [[1.0], [1.0, 2.0]],
                 np.array([[True, False]]), [[1j, 0.0]], [[HUGE, 0]], _generator()],
        "bound": [0, -1, HUGE, 1.5, "2", None, True, np.ones(2), _generator()]},
    "numpy scalar of an odd dtype": {**{k: [np.datetime64("2020-01-01"), np.str_("1"), np.timedelta64(1, "s")]
                                        for k in SCALAR_KINDS + INT_KINDS},
                                     **{k: [np.array(["a", "b"]), np.array([1, 2], dtype="m8[s]")]
                                        for k in ARRAY_KINDS}},
}

# The arguments a chapter or a hidden test gives the self-checks and the grading helpers (never the
# student's): a label (``name``), a hint, the options of a choice, a shape, slips, a check.
def check_returns_three(fn, **settings):
    return 3


def check_raises(fn, **settings):
    raise RuntimeError("a check that breaks")


for _cls, _by_kind in {
    "string": {"shape": ["abc", "3"], "slips": ["the sign"], "options": ["saddle point", b"xy"], "check": ["check_adam"]},
    "none": {"label": [None], "shape": [None], "check": [None]},
    "wrong type": {"label": [3, b"descend", object()], "opt_label": [3, b"hint"], "shape": [[2], {2}, 2],
                   "slips": [object(), [("the sign", 1.0)], {3: 1.0}], "options": [{"saddle point": 1.0}, object(), 3]},
    "bool": {"label": [True], "opt_label": [False], "shape": [True, (True,)], "slips": [{"the sign": True}],
             "options": [np.array([True, False])]},
    "complex": {"shape": [(2j,)], "slips": [{"the sign": 1j}], "options": [[1j]]},
    "nan or inf": {"label": [NAN], "opt_label": [INF], "shape": [(NAN,)], "slips": [{"the sign": NAN}],
                   "options": [[1.0, NAN]]},
    "huge int": {"shape": [(HUGE,)], "slips": [{"the sign": HUGE}], "options": [[HUGE, 1]]},
    "out of range": {"label": ["", "   "], "opt_label": [""], "shape": [(-1,), (0,), (2, 0)],
                     "slips": [{"": 1.0}], "options": [["local minimum", "degenerate"]]},
    "not an integer": {"shape": [(1.5,), (np.float64(2.0),)]},
    "wrong rank or shape": {"slips": [{"the sign": [1.0, 2.0, 3.0]}], "options": [np.array([["a", "b"]])]},
    "ragged": {"options": [[1.0, [2.0, 3.0]]], "slips": [{"the sign": [[1.0], [1.0, 2.0]]}]},
    "empty": {"shape": [np.array([])], "options": [[], ()], "slips": [{"the sign": []}]},
    "not callable": {"check": [3, b"xy", np.ones(2)]},
    "check of the wrong kind": {"check": [check_returns_three, check_raises, bowl]},
    "generator": {"shape": [_generator()], "options": [_generator()]},
    "numpy scalar of an odd dtype": {"label": [np.datetime64("2020-01-01")], "shape": [np.str_("2")],
                                     "options": [np.str_("saddle point")]},
}.items():
    CLASSES.setdefault(_cls, {}).update(_by_kind)


def bad_values(kind):
    """``(class, value)`` for every bad value of ``kind``."""
    return [(name, value) for name, by_kind in CLASSES.items() for value in by_kind.get(kind, [])]


#: Every bad value of a kind, whatever its class (what ``tests/test_fuzz.py`` draws from).
BAD = collections.defaultdict(list)
for _by_kind in CLASSES.values():
    for _kind, _values in _by_kind.items():
        BAD[_kind].extend(_values)


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
        """``(index, name, token, class, value)`` for every bad value of every fuzzed argument."""
        for i, (name, _, kind, _, token) in enumerate(self.params):
            if kind is None:
                continue
            for cls, value in bad_values(kind):
                yield i, name, token, cls, value


P, K = True, False  # positional or keyword

CASES = [
    # -- optimizers
    Case("lib.descend", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                         ("lr", 0.1, "pos", K), ("momentum", 0.5, "unit", K), ("steps", 5, "size", K),
                         ("nesterov", False, "bool", K), ("max_norm", 1e8, "pos", K)]),
    Case("lib.descend_grid", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                              ("lrs", [0.1, 0.2], "array", K), ("momentums", [0.0, 0.5], "array", K),
                              ("steps", 5, "size", K), ("nesterov", False, "bool", K)]),
    Case("lib.optim.optimize", [("rule", None, "rule", P), ("f", bowl_b, "f", P), ("x0", X2, "x", P),
                                ("b", B2, "data", P, "args[0]"), ("hyper", {"lr": 0.1, "momentum": 0.0}, "hyper", K),
                                ("steps", 5, "opt_size", K), ("max_norm", 1e8, "pos", K),
                                ("check_state", True, "bool", K), ("record", None, "record", K)]),
    Case("lib.optim.optimize", [("rule", None, "rule", P), ("f", line_loss, "f", P), ("x0", np.zeros(1), "x", P),
                                ("x", XS, "examples", P, "args"), ("t", TS, "examples", P, "args"),
                                ("hyper", {"lr": 0.1, "momentum": 0.0}, "hyper", K),
                                ("batch_size", 4, "size", K), ("epochs", 2, "size", K), ("key", 0, "seed", K),
                                ("shuffle", True, "bool", K), ("eval_every", 1, "opt_size", K),
                                ("max_norm", 1e8, "pos", K), ("check_state", True, "bool", K),
                                ("record", None, "record", K)]),
    Case("lib.optim.driver.check_run", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                        ("steps", 5, "size", K), ("max_norm", 1e8, "pos", K)]),
    Case("lib.optim.driver.run_checked", [("rule", None, "rule", P), ("run", None, None, P),
                                          ("hyper", {"lr": 0.1, "momentum": 0.0}, "hyper", P),
                                          ("check_state", True, "bool", K), ("record", None, "record", K)]),
    Case("lib.optim.driver.check_hyper", [("hyper", {"lr": 0.1, "momentum": 0.0}, "hyper", P),
                                          ("rule", None, "rule", P)]),
    Case("lib.optim.momentum", [("nesterov", False, "bool", P)]),
    Case("lib.optim.scheduled", [("rule", None, "rule", P), ("schedule", bowl, "callable", P)]),
    Case("lib.trace_count", [("name", "descend", "name", P)]),
    Case("lib.optim.clipping.global_norm", [("tree", X2, "grad", P)]),
    Case("lib.optim.clipping.clip_by_norm", [("grad", X2, "grad", P), ("max_norm", 1.0, "pos", P)]),
    Case("lib.optim.clipping.clip_by_value", [("grad", X2, "grad", P), ("threshold", 1.0, "pos", P)]),
    Case("lib.optim.clipping.clip_gradient", [("grad", X2, "grad", P), ("threshold", 1.0, "pos", P),
                                              ("clip", "norm", "choice", P)]),
    Case("lib.optim.clipping.clipped", [("rule", None, "rule", P), ("clip", "norm", "choice", P)]),
    Case("lib.optim.clipping.angle_degrees", [("a", X2, "grad", P), ("b", B2, "grad", P)]),
    Case("lib.theory.basins.basin_map", [("f", bowl, "f", P), ("minima", np.zeros((1, 2)), "matrix", P),
                                  ("starts", X2[None], "data_matrix", P), ("lr", 0.1, "pos", K),
                                  ("momentum", 0.0, "unit", K), ("steps", 5, "size", K), ("tol", 1e-3, "pos", K),
                                  ("escape_norm", 1e3, "pos", K)]),
    Case("lib.theory.second_order.newton_step", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                          ("damping", 0.0, "nonneg", K)]),
    Case("lib.theory.second_order.gauss_newton_matrix", [("residuals", residuals_b, "callable", P), ("x", X2, "x", P),
                                                  ("b", B2, "data", P, "args[0]")]),
    Case("lib.theory.second_order.gauss_newton_product", [("residuals", residuals_b, "callable", P), ("x", X2, "x", P),
                                                   ("v", B2, "array", P), ("b", B2, "data", P, "args[0]")]),
    Case("lib.theory.second_order.levenberg_marquardt", [("residuals", residuals_b, "callable", P), ("x0", X2, "x", P),
                                                  ("b", B2, "data", P, "args[0]"), ("steps", 3, "size", K),
                                                  ("damping", 1.0, "pos", K), ("adapt", True, "bool", K)]),
    Case("lib.models.normalization.batch_norm", [("z", Z42, "data_matrix", P), ("gamma", np.ones(2), "array", P),
                                          ("beta", np.zeros(2), "array", P), ("eps", 1e-5, "pos", K)]),
    Case("lib.models.normalization.batch_norm_backward", [("z", Z42, "data_matrix", P), ("gamma", np.ones(2), "array", P),
                                                   ("upstream", Z42, "data_matrix", P), ("eps", 1e-5, "pos", K)]),
    Case("lib.optim.minibatch.batch_indices", [("n", 8, "size", P), ("batch_size", 4, "size", P),
                                          ("epochs", 2, "size", K), ("key", 0, "seed", K), ("shuffle", True, "bool", K)]),
    Case("lib.optim.minibatch.examples_processed", [("steps", np.arange(3), "array", P), ("n", 8, "int", P),
                                               ("batch_size", 4, "int", P)]),
    # -- gradient noise
    Case("lib.calculus.gradient_noise.minibatch_gradients", [("per_example", PER_EXAMPLE, "per_example", P), ("batch_size", 2, "size", P),
                                                ("samples", 4, "size", P), ("key", 0, "seed", K), ("replace", False, "bool", K)]),
    Case("lib.calculus.gradient_noise.minibatch_variance", [("per_example", PER_EXAMPLE, "per_example", P), ("batch_size", 2, "size", P),
                                               ("replace", False, "bool", K)]),
    Case("lib.calculus.gradient_noise.measured_minibatch_variance", [("per_example", PER_EXAMPLE, "per_example", P),
                                                        ("batch_sizes", [1, 2], "array", P), ("sequences", 4, "size", K),
                                                        ("key", 0, "seed", K), ("replace", False, "bool", K)]),
    # -- schedules
    Case("lib.optim.schedules.constant", [("lr", 0.1, "pos", P)]),
    Case("lib.optim.schedules.step_decay", [("lr", 0.1, "pos", P), ("every", 10, "int", P), ("factor", 0.5, "pos", K)]),
    Case("lib.optim.schedules.piecewise_constant", [("lr", 0.1, "pos", P), ("boundaries", [10, 20], "array", P),
                                              ("factor", 0.5, "pos", K)]),
    Case("lib.optim.schedules.exponential", [("lr", 0.1, "pos", P), ("rate", 0.5, "pos", P), ("every", 1, "int", K)]),
    Case("lib.optim.schedules.inverse_time", [("lr", 0.1, "pos", P), ("tau", 10.0, "pos", P)]),
    Case("lib.optim.schedules.cosine", [("lr", 0.1, "pos", P), ("total_steps", 100, "int", P), ("final_lr", 0.0, "nonneg", K)]),
    Case("lib.optim.schedules.warmup_constant", [("lr", 0.1, "pos", P), ("warmup_steps", 10, "int", P), ("init_lr", 0.0, "nonneg", K)]),
    Case("lib.optim.schedules.warmup_cosine", [("lr", 0.1, "pos", P), ("warmup_steps", 10, "int", P), ("total_steps", 100, "int", P),
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
    Case("lib.calculus.dense.eigenvalues", [("H", H2, "matrix", P), ("two_stage", None, "opt_bool", K)]),
    Case("lib.hessian_eigenvalues", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]")]),
    Case("lib.hvp", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("v", B2, "array", P),
                     ("b", B2, "data", P, "args[0]")]),
    Case("lib.top_eigenvalues", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                 ("k", 1, "size", K), ("iterations", 8, "size", K), ("which", "largest", "choice", K),
                                 ("seed", 0, "seed", K), ("start", "rademacher", "choice", K)]),
    Case("lib.calculus.spectrum.lanczos_quadrature", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                             ("runs", 2, "size", K), ("iterations", 8, "size", K), ("seed", 0, "seed", K),
                                             ("start", "rademacher", "choice", K)]),
    Case("lib.spectral_density", [("f", bowl_b, "f", P), ("x", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                  ("sigma", 0.1, "opt_pos", K), ("points", 11, "size", K), ("runs", 2, "size", K),
                                  ("iterations", 8, "size", K), ("seed", 0, "seed", K)]),
    Case("lib.calculus.spectrum.smoothed_density", [("nodes", np.array([[1.0, 2.0]]), "array", P),
                                           ("weights", np.array([[0.5, 0.5]]), "array", P),
                                           ("grid", np.linspace(0, 3, 7), "array", P), ("sigma", 0.1, "pos", P)]),
    # -- quadratic models
    Case("lib.theory.quadratic.quadratic", [("H", H2, "matrix", P), ("b", B2, "opt_array", P)]),
    Case("lib.theory.quadratic.condition_number", [("H", H2, "matrix", P)]),
    Case("lib.theory.quadratic.gd_rate", [("lr", 0.1, "lrs", P), ("eigenvalues", [1.0, 10.0], "spectrum", P)]),
    Case("lib.theory.quadratic.gd_optimal", [("eigenvalues", [1.0, 10.0], "spectrum", P)]),
    Case("lib.theory.quadratic.momentum_matrix", [("lr", 0.1, "pos", P), ("momentum", 0.5, "closed_unit", P),
                                           ("curvature", 2.0, "real", P)]),
    Case("lib.theory.quadratic.momentum_rate", [("lr", 0.1, "lrs", P), ("momentum", 0.5, "closed_unit", P),
                                         ("eigenvalues", [1.0, 10.0], "spectrum", P)]),
    Case("lib.theory.quadratic.heavy_ball_optimal", [("eigenvalues", [1.0, 10.0], "spectrum", P)]),
    Case("lib.theory.quadratic.momentum_regimes", [("lr", 0.1, "lrs", P), ("momentum", 0.5, "closed_unit", P),
                                            ("eigenvalues", [1.0, 10.0], "spectrum", P)]),
    Case("lib.theory.quadratic.critical_damping_lr", [("momentum", 0.5, "closed_unit", P), ("curvature", 2.0, "pos", P)]),
    Case("lib.theory.quadratic.empirical_rate", [("distances", 0.5 ** np.arange(20.0), "array", P), ("start", 0, None, K),
                                          ("floor", 1e-12, "pos", K)]),
    # -- surfaces
    Case("lib.models.surfaces.ravine", [("kappa", 10.0, "pos", P)]),
    Case("lib.models.surfaces.loss_grid", [("surface", None, None, P), ("resolution", 10, "size", P)]),
    # -- figures
    Case("lib.plotting.panels", [("count", 1, "size", P), ("height", 2.0, "pos", K), ("columns", 2, "bound", K),
                                 ("width", 5.8, "pos", K)]),
    Case("lib.plotting.evaluate_on_grid", [("f", bowl_b, "f", P), ("xlim", (-1.0, 1.0), "array", P), ("ylim", (-1, 1), "array", P),
                                           ("b", B2, "data", P, "args[0]"), ("n", 5, "size", K)]),
    Case("lib.plotting.plot_contours", [("ax", None, "ax", P), ("f", bowl_b, "f", P), ("xlim", (-1.0, 1.0), "array", P),
                                        ("ylim", (-1, 1), "array", P), ("b", B2, "data", P, "args[0]"), ("n", 5, "size", K),
                                        ("levels", 5, "levels", K), ("log", False, "bool", K), ("colorbar", False, "bool", K)]),
    Case("lib.plotting.plot_trajectory", [("ax", None, "ax", P), ("points", np.array([[0.0, 1.0], [0.5, 0.5], [NAN, NAN]]), "path", P),
                                          ("markersize", 3.0, "nonneg", K)]),
    # -- regression, networks, deep chains, the critical-point search
    Case("lib.models.regression.least_squares_solution", [("X", np.c_[XS, np.ones(8)], "data_matrix", P), ("t", TS, "array", P)]),
    Case("lib.models.regression.least_squares_hessian", [("X", np.c_[XS, np.ones(8)], "data_matrix", P)]),
    Case("lib.models.regression.add_bias", [("X", XS, "data_matrix", P)]),
    Case("lib.models.regression.standardize", [("X", XS, "data_matrix", P)]),
    Case("lib.models.regression.synthetic_linear_data", [("n", 5, "size", P), ("means", [1.0, 2.0], "array", K),
                                                      ("stds", [1.0, 2.0], "array", K), ("weights", [0.5, 0.3], "array", K),
                                                      ("bias", 0.0, "real", K), ("noise", 0.1, "nonneg", K), ("seed", 0, "seed", K)]),
    Case("lib.models.activations.dead_units", [("pre_activations", Z42 - 3.0, "data_matrix", P)]),
    Case("lib.models.networks.init_mlp", [("key", 0, "seed", P), ("sizes", [2, 3, 1], "sizes", P)]),
    Case("lib.models.networks.mlp_size", [("sizes", [2, 3, 1], "sizes", P)]),
    Case("lib.models.deep_chains.gaussian_weights", [("seed", 0, "seed", P), ("width", 3, "size", P), ("depth", 2, "size", P),
                                              ("gain", 1.0, "pos", K)]),
    Case("lib.models.deep_chains.orthogonal_weights", [("seed", 0, "seed", P), ("width", 3, "size", P), ("depth", 2, "size", P),
                                                ("scale", 1.0, "pos", K), ("tied", False, "bool", K)]),
    Case("lib.calculus.critical_search.find_critical_point", [("f", bowl_b, "f", P), ("x0", X2, "x", P),
                                                     ("b", B2, "data", P, "args[0]"), ("tol", 1e-8, "pos", K),
                                                     ("max_iter", 20, "size", K), ("max_norm", 1e4, "pos", K)]),
    Case("lib.calculus.critical_search.find_critical_points", [("f", bowl_b, "f", P), ("starts", [X2, B2], None, P),
                                                      ("b", B2, "data", P, "args[0]"), ("tol", 1e-8, "pos", K),
                                                      ("max_iter", 20, "size", K), ("max_norm", 1e4, "pos", K)]),
    Case("lib.optim.clipping.clip_by_global_norm", [("grad", X2, "grad", P), ("max_norm", 1.0, "pos", P)]),
    Case("lib.calculus.minimize.lbfgs_minimum", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                        ("gtol", 1e-10, "pos", K), ("max_iter", 50, "size", K)]),
    Case("lib.optim.minibatch.evaluate_points", [("fn", line_loss, "f", P), ("points", np.zeros((3, 1)), "data_matrix", P),
                                           ("like", np.zeros(1), "x", P), ("x", XS, "data", P, "data[0]"),
                                           ("t", TS, "data", P, "data[1]")]),
    Case("lib.calculus.gradient_noise.per_example_gradients", [("f", line_loss, "f", P), ("params", np.zeros(1), "x", P),
                                                      ("x", XS, "examples", P, "data"), ("t", TS, "examples", P, "data")]),
    Case("lib.theory.data_parallel.shard_mean_gradients", [("f", line_loss, "f", P), ("params", np.zeros(1), "x", P),
                                                    ("x", XS, "examples", P, "data"), ("t", TS, "examples", P, "data"),
                                                    ("devices", 2, "size", K)]),
    Case("lib.theory.data_parallel.ring_allreduce", [("vectors", np.arange(12.0).reshape(2, 6), "data_matrix", P)]),
    Case("lib.theory.data_parallel.ring_allreduce_bytes", [("parameters", 1000, "int", P), ("devices", 4, "int", P),
                                                    ("bytes_per_number", 4, "pos", K)]),
    Case("lib.theory.data_parallel.step_time", [("devices", 2, "int", P), ("batch_size", 100, "int", K),
                                         ("seconds_per_example", 0.01, "pos", K), ("parameters", 1000, "int", K),
                                         ("bandwidth", 4000.0, "pos", K), ("latency", 0.0, "nonneg", K)]),
    Case("lib.theory.noise_floor.iteration_matrix", [("H", H2, "matrix", P), ("lr", 0.1, "pos", P),
                                              ("momentum", 0.5, "unit", P)]),
    Case("lib.theory.noise_floor.stationary_covariance", [("H", H2, "matrix", P), ("C", np.eye(2), "matrix", P),
                                                   ("lr", 0.1, "pos", P), ("momentum", 0.0, "unit", K)]),
    Case("lib.theory.noise_floor.stationary_excess_loss", [("H", H2, "matrix", P), ("C", np.eye(2), "matrix", P),
                                                    ("lr", 0.1, "pos", P), ("momentum", 0.0, "unit", K)]),
    Case("lib.theory.noise_floor.scalar_excess_loss", [("curvature", 2.0, "pos", P), ("noise_variance", 1.0, "nonneg", P),
                                                ("lr", 0.1, "pos", P), ("momentum", 0.0, "unit", K)]),
    Case("lib.calculus.step_analysis.gd_step_changes", [("g", X2, "x", P), ("hg", B2, "x", P), ("lr", 0.25, "pos", P)]),
    Case("lib.calculus.step_analysis.curvature_quotients", [("g", X2, "x", P), ("hg", 2 * X2, "x", P)]),
    Case("lib.theory.saddle_escape.escape_steps", [("points", np.array([[0.0], [0.1], [0.3], [1.0]]), "data_matrix", P),
                                            ("center", np.zeros(1), "array", P), ("radius", 0.2, "pos", P)]),
    Case("lib.theory.saddle_escape.gd_escape_steps", [("radius", 1.0, "pos", P), ("offset", 1e-2, "pos", P),
                                               ("lr", 0.5, "pos", P), ("curvature", 2.0, "pos", P)]),
    Case("lib.theory.saddle_escape.noise_equivalent_offset", [("noise_std", 1.0, "nonneg", P), ("lr", 0.1, "pos", P),
                                                       ("curvature", 1.0, "pos", P)]),
    Case("lib.models.networks.count_parameters", [("params", [{"w": np.ones((2, 3)), "b": np.zeros(3)}], "params", P)]),
    Case("lib.models.deep_chains.chain_forward", [("weights", np.stack([np.eye(2)] * 3), "array", P), ("x", X2, "array", P),
                                           ("activation", "linear", "choice", P)]),
    Case("lib.models.deep_chains.chain_jacobian", [("weights", np.stack([np.eye(2)] * 3), "array", P), ("x", X2, "array", P),
                                            ("activation", "linear", "choice", P)]),
    Case("lib.models.deep_chains.layer_gradient_norms", [("weights", np.stack([np.eye(2)] * 3), "array", P),
                                                  ("x", X2, "array", P), ("activation", "linear", "choice", P),
                                                  ("loss", None, "opt_f", K)]),
    Case("lib.models.weight_symmetry.symmetric_distance", [("units_a", np.array([[1.0, 2.0], [3.0, 4.0]]), "matrix", P),
                                                    ("units_b", np.array([[1.0, 2.0], [3.0, 5.0]]), "matrix", P)]),
    Case("lib.models.weight_symmetry.distance_matrix", [("units", np.ones((3, 2, 2)), "array", P),
                                                 ("shared", np.zeros((3, 1)), "opt_array", P)]),
    Case("lib.models.weight_symmetry.distinct_points", [("distances", np.array([[0, 1e-9, 2.0], [1e-9, 0, 2.0], [2.0, 2.0, 0]]),
                                                  "matrix", P), ("tol", 1e-6, "pos", P)]),
    # -- the self-checks: their own arguments, and the reader's function (fn) misbehaving
    Case("lib.teaching.checks.check_array", [("answer", X2, "array", P, "g"), ("expected", X2, "array", P),
                                    ("rtol", 1e-6, "nonneg", K), ("atol", 1e-9, "nonneg", K),
                                    ("name", "g", "label", K), ("hint", None, "opt_label", K)]),
    Case("lib.teaching.checks.check_scalar", [("answer", 1.0, "real", P, "rate"), ("expected", 1.0, "real", P),
                                     ("rtol", 1e-6, "nonneg", K), ("name", "rate", "label", K),
                                     ("hint", "a hint.", "opt_label", K)]),
    Case("lib.teaching.checks.check_hessian", [("answer", np.eye(2), "matrix", P, "H"), ("expected", bowl, None, P),
                                      ("x", X2, "x", P), ("name", "H", "label", K), ("hint", None, "opt_label", K)]),
    Case("lib.teaching.update_checks.check_gd_step", [("fn", None, "fn", P, "function"), ("lr", 0.05, "pos", K),
                                             ("loss", bowl, "f", K, "loss"), ("theta0", X2, "x", K),
                                             ("steps", 3, "size", K)]),
    Case("lib.teaching.update_checks.check_heavy_ball", [("fn", None, "fn", P, "function"), ("lr", 0.05, "pos", K),
                                                ("momentum", 0.9, "unit", K), ("steps", 3, "size", K)]),
    Case("lib.teaching.update_checks.check_adam", [("fn", None, "fn", P, "function"), ("lr", 0.05, "pos", K),
                                          ("b1", 0.9, "unit", K), ("b2", 0.999, "unit", K), ("eps", 1e-8, "pos", K)]),
    Case("lib.teaching.update_checks.check_clip_by_norm", [("fn", None, "fn", P, "function"), ("max_norm", 1.0, "pos", K)]),
    Case("lib.teaching.update_checks.check_nesterov", [("fn", None, "fn", P, "function"), ("lr", 0.05, "pos", K),
                                              ("momentum", 0.9, "unit", K)]),
    Case("lib.teaching.update_checks.check_adagrad", [("fn", None, "fn", P, "function"), ("lr", 0.5, "pos", K),
                                             ("eps", 1e-7, "pos", K)]),
    Case("lib.teaching.update_checks.check_rmsprop", [("fn", None, "fn", P, "function"), ("lr", 0.05, "pos", K),
                                             ("decay", 0.9, "unit", K), ("eps", 1e-8, "pos", K)]),
    Case("lib.teaching.update_checks.check_warmup_cosine", [("fn", None, "fn", P, "function"), ("peak_lr", 0.1, "pos", K),
                                                   ("warmup_steps", 5, "size", K), ("total_steps", 20, "size", K)]),
    Case("lib.teaching.checks.check_choice", [("answer", "saddle point", "name", P, "kind"), ("expected", "saddle point", None, P),
                                     ("options", ("saddle point", "degenerate"), "options", K),
                                     ("name", "kind", "label", K), ("hint", "a hint.", "opt_label", K)]),
    # -- the grading helpers: the hidden test's own arguments (a wrong student answer is an AssertionError by design)
    Case("lib.teaching.grading.require_answer", [("answer", 1.0, None, P), ("name", "x", "label", P)]),
    Case("lib.teaching.grading.require_callable", [("answer", len, None, P), ("name", "fn", "label", P)]),
    Case("lib.teaching.grading.require_shape", [("answer", X2, None, P), ("shape", (2,), "shape", P),
                                       ("name", "g", "label", P)]),
    Case("lib.teaching.grading.require_close", [("answer", X2, None, P), ("expected", X2, "array", P),
                                       ("name", "w", "label", K), ("rtol", 1e-6, "nonneg", K), ("atol", 1e-9, "nonneg", K),
                                       ("hint", None, "opt_label", K), ("slips", {"the sign.": -X2}, "slips", K)]),
    Case("lib.teaching.grading.require_choice", [("answer", "saddle point", None, P), ("expected", "saddle point", None, P),
                                        ("name", "kind", "label", K), ("options", ("saddle point", "degenerate"), "options", K),
                                        ("hint", None, "opt_label", K)]),
    Case("lib.teaching.grading.require_check", [("check", None, "check", P), ("fn", None, None, P, "function"),
                                       ("name", "gd_step", "label", P)]),
    Case("lib.theory.quadratic.gd_closed_form", [("q", None, None, P), ("x0", X2, "x", P), ("lr", 0.1, "pos", P),
                                          ("steps", 5, "size", P)]),
    Case("lib.theory.saddle_escape.bottleneck_critical_point", [("x", np.c_[XS, XS ** 2], "data_matrix", P),
                                                         ("rank", 1, "size", K)]),
    Case("lib.theory.data_parallel.speedup", [("devices", 2, "int", P), ("batch_size", 100, "int", K),
                                       ("seconds_per_example", 0.01, "pos", K), ("parameters", 1000, "int", K),
                                       ("bandwidth", 4000.0, "pos", K)]),
    Case("lib.models.deep_chains.layer_jacobians", [("weights", np.stack([np.eye(2)] * 3), "array", P), ("x", X2, "array", P),
                                             ("activation", "linear", "choice", P)]),
    Case("lib.models.deep_chains.chain_gradients", [("weights", np.stack([np.eye(2)] * 3), "array", P), ("x", X2, "array", P),
                                             ("activation", "linear", "choice", P), ("loss", None, "opt_f", K)]),
    Case("lib.models.weight_symmetry.unit_rows", [("params", MLP_PARAMS, None, P)]),
    Case("lib.models.weight_symmetry.permute_units", [("params", MLP_PARAMS, None, P), ("order", [2, 0, 1], "array", P),
                                               ("signs", [1, -1, 1], "opt_array", P)]),
    Case("lib.models.datasets.diabetes_components", [("n_patients", 20, "size", K), ("n_components", 2, "size", K),
                                              ("seed", 0, "seed", K)]),
    Case("lib.models.datasets.digits", [("test_fraction", 0.25, "unit", K), ("seed", 0, "seed", K)]),
    Case("lib.models.datasets.diabetes", [("features", ("bmi", "bp"), "feature_names", P), ("test_fraction", 0.25, "unit", K),
                                          ("seed", 0, "seed", K)]),
    Case("lib.teaching.update_checks.check_sgd_loop", [("fn", None, "fn", P, "function"), ("lr", 0.05, "pos", K),
                                              ("batch_size", 8, "size", K), ("epochs", 2, "size", K),
                                              ("seed", 0, "seed", K)]),
    Case("lib.teaching.update_checks.RecordingRNG", [("seed", 0, "seed", P)]),
    Case("lib.calculus.critical_search.census", [("searches", None, None, P), ("kinds", ["local minimum", "saddle point", "none"], None, P),
                                        ("labels", [0, 1], "array", P), ("indices", None, "opt_array", K)]),
    Case("lib.theory.data_parallel.device_mesh", [("devices", 1, "size", P), ("axis", "data", "name", K)]),
    Case("lib.theory.data_parallel.sharded_sgd_step", [("f", line_loss, "callable", P), ("mesh", None, None, P),
                                                ("lr", 0.1, "pos", K), ("axis", "data", "name", K)]),
    Case("lib.models.normalization.init_mlp_bn", [("key", 0, "seed", P), ("sizes", [2, 3, 1], "sizes", P)]),
    Case("lib.theory.sgd_stability.mean_square_operator", [("example_hessians", HESSIANS, "array", P), ("batch_size", 1, "size", P),
                                                    ("lr", 0.5, "pos", P), ("replace", False, "bool", K)]),
    Case("lib.theory.sgd_stability.mean_square_rate", [("example_hessians", HESSIANS, "array", P), ("batch_size", 1, "size", P),
                                                ("lr", 0.5, "pos", P), ("replace", False, "bool", K)]),
    Case("lib.theory.sgd_stability.mean_square_stable_lr", [("example_hessians", HESSIANS, "array", P), ("batch_size", 1, "size", P),
                                                     ("replace", False, "bool", K), ("grid", 20, "size", K),
                                                     ("tol", 1e-6, "pos", K)]),
    Case("lib.theory.sgd_stability.delayed_roots", [("lr", 0.5, "pos", P), ("curvature", 1.0, "real", P), ("delay", 2, "seed", P)]),
    Case("lib.theory.sgd_stability.delayed_rate", [("lr", 0.5, "pos", P), ("curvature", 1.0, "real", P), ("delay", 2, "seed", P)]),
    Case("lib.theory.sgd_stability.delayed_stable_lr", [("curvature", 1.0, "pos", P), ("delay", 2, "seed", P)]),
    Case("lib.models.symbolic_surfaces.jax_loss", [("expression", None, "expression", P), ("name", "loss", "name", K)]),
    Case("lib.models.symbolic_surfaces.javascript", [("expression", None, "expression", P)]),
    Case("lib.models.symbolic_surfaces.gradient_expressions", [("expression", None, "expression", P)]),
    Case("lib.timing.best_time", [("fn", does_nothing, "timed", P), ("repeats", 3, "size", K)]),
    Case("lib.theory.tuning.tune_learning_rate", [("f", bowl_b, "f", P), ("x0", X2, "x", P), ("b", B2, "data", P, "args[0]"),
                                           ("lrs", [0.1, 0.5], "array", K), ("momentums", [0.0, 0.5], "array", K),
                                           ("steps", 5, "size", K), ("tolerance", 1e-3, "unit", K)]),
    Case("lib.models.weight_symmetry.group_by_symmetry", [("points", [MLP_PARAMS, MLP_PARAMS], "networks", P), ("tol", 1e-9, "pos", P),
                                                   ("symmetry", "full", "choice", K)]),
]

#: Public functions left out of the table, and why: traceable JAX functions meant to run
#: inside ``jit`` (losses and activations, which check nothing by design), functions without
#: arguments and those fuzzed in their own tests.
EXEMPT = {
    "traceable": ["lib.models.activations.*", "lib.theory.quadratic.quadratic_loss", "lib.models.regression.least_squares",
                  "lib.models.networks.mlp_apply", "lib.models.networks.cross_entropy_loss", "lib.models.networks.squared_loss",
                  "lib.theory.saddle_escape.bottleneck_loss", "lib.models.surfaces.cliff_loss", "lib.optim.minibatch.accuracy",
                  "lib.teaching.update_checks.default_loss", "lib.models.normalization.mlp_bn_apply",
                  "lib.models.normalization.cross_entropy_loss_bn"],
    "a student's identifier: StudentIdError, or the failed test by design (tests/test_assignments.py)": [
        "lib.teaching.variants.*", "lib.teaching.grading.student_variant"],
    "a data set's reordering (its one argument is a Dataset, checked field by field in tests/models/test_datasets.py)": [
        "lib.models.datasets.sort_by_label"],
    # their bad values reach them through every function that calls them (optimize, clipped, scheduled,
    # Explorer, loss_grid), fuzzed there; name is the label the caller's messages use
    "argument checks of lib's own types, fuzzed through their callers": [
        "lib.optim.rules.check_rule", "lib.models.surfaces.check_surface", "lib.models.surfaces.point"],
    "no arguments": [*[f"lib.optim{module}.{rule}" for module in ("", ".rules")
                       for rule in ("sgd", "adam", "rmsprop", "adagrad", "newton")],
                     "lib.models.surfaces.two_weight_net", "lib.models.surfaces.saddle",
                     "lib.models.surfaces.plateau", "lib.models.surfaces.rosenbrock", "lib.models.surfaces.cliff_surface",
                     "lib.plotting.use_book_style"],
}


#: Bad inputs still answered unclearly or not at all, and inputs the table calls bad that are valid
#: by design: ``(function, argument, class)``. ``python -m tests.fuzz_cases -v`` lists each value;
#: the table test skips them.
KNOWN_GAPS = {
    # Valid by design. The data-parallel model takes an array of device counts K and returns the
    # times (or speed-ups) for each, so [1, 2] is a valid `devices`, not a wrong shape.
    ("lib.theory.data_parallel.step_time", "devices", "wrong rank or shape"),
    ("lib.theory.data_parallel.speedup", "devices", "wrong rank or shape"),
    # Valid by design. The momentum formulas map a grid: `momentum` is a number or an array of them in
    # [0, 1] that broadcasts against `lr` (a regime map passes lr[:, None] and a row of momenta), so
    # np.ones((2, 2)), every entry the frictionless μ = 1, is a valid 2 × 2 grid.
    *[(f"lib.theory.quadratic.{name}", "momentum", "wrong rank or shape")
      for name in ("momentum_rate", "momentum_regimes", "critical_damping_lr")],
}


def _symbols():
    from lib.models.symbolic_surfaces import W1, W2

    return W1, W2


def _axes():
    """A Matplotlib ``Axes`` of a figure outside pyplot (no backend, nothing left open)."""
    from matplotlib.figure import Figure

    return Figure().add_subplot()


def _prepare(case):
    """Valid values that need other lib objects (states, rules, surfaces)."""
    import lib
    from lib.calculus import critical_search
    from lib.models import surfaces
    from lib.theory import data_parallel

    fill = {
        "lib.optim.optimize": ("rule", lambda: lib.momentum()),
        "lib.optim.driver.run_checked": [("rule", lambda: lib.momentum()),
                                         ("run", lambda: lib.optim.driver.check_run(bowl_b, X2, B2, steps=5))],
        "lib.optim.driver.check_hyper": ("rule", lambda: lib.momentum()),
        "lib.optim.clipping.clipped": ("rule", lambda: lib.momentum()),
        "lib.optim.scheduled": ("rule", lambda: lib.momentum()),
        "lib.models.surfaces.loss_grid": ("surface", lambda: surfaces.saddle()),
        "lib.theory.quadratic.gd_closed_form": ("q", lambda: lib.theory.quadratic.quadratic(H2, B2)),
        "lib.calculus.critical_search.census": ("searches", lambda: [  # two converged searches, one stalled
            critical_search.CriticalSearch(X2, 0.0, True, 1, np.zeros(2), "converged", 0.0, 0.0),
            critical_search.CriticalSearch(B2, 0.0, True, 1, np.zeros(2), "converged", 0.0, 0.0),
            critical_search.CriticalSearch(B2, 1.0, False, 9, np.ones(10), "stalled", 1.0, 0.0)]),
        "lib.theory.data_parallel.sharded_sgd_step": ("mesh", lambda: data_parallel.device_mesh(1)),
        **{f"lib.models.symbolic_surfaces.{name}": ("expression", lambda: (1 - _symbols()[0] * _symbols()[1]) ** 2)
           for name in ("jax_loss", "javascript", "gradient_expressions")},
        **{f"lib.plotting.{name}": ("ax", _axes) for name in ("plot_contours", "plot_trajectory")},
    }
    readers = {"check_gd_step": "gd", "check_heavy_ball": "heavy_ball", "check_adam": "adam",
               "check_clip_by_norm": "clip", "check_sgd_loop": "sgd", "check_nesterov": "nesterov",
               "check_adagrad": "adagrad", "check_rmsprop": "rmsprop", "check_warmup_cosine": "warmup_cosine"}
    module, _, function = case.path.rpartition(".")
    if module == "lib.teaching.update_checks" and function in readers:  # a right answer, from the checks' own tests
        reader = readers[function]
        fill[case.path] = ("fn", lambda: getattr(importlib.import_module("tests.teaching.test_update_checks"), reader))
    if case.path == "lib.teaching.grading.require_check":  # the check of a right gradient-descent step
        fill[case.path] = [("check", lambda: importlib.import_module("lib.teaching.update_checks").check_gd_step),
                           ("fn", lambda: importlib.import_module("tests.teaching.test_update_checks").gd)]
    if case.path in fill:
        pairs = fill[case.path] if isinstance(fill[case.path], list) else [fill[case.path]]
        try:
            values = {name: make() for name, make in pairs}
        except Exception:  # an API that does not exist (yet): the case is skipped
            return False
        case.params = [(n, values.get(n, v), k, p, t) for n, v, k, p, t in case.params]
    return case.function is not None


def outcome(case, index, token, value):
    """``"clear"``, ``"unclear"`` (ValueError/TypeError not naming ``token``), ``"raw"`` or ``"silent"``.

    The reader's-function checks print "Not yet: …" for a misbehaving function: that
    printed verdict (and a ``False`` result) is their clear answer.
    """
    if isinstance(value, Fresh):
        value = value.make()
    printed = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
            warnings.simplefilter("ignore")
            result = case.call((index, value))
    except (ValueError, TypeError) as err:
        return "clear" if token in str(err) else "unclear", err
    except Exception as err:  # noqa: BLE001 - the point is to see every kind
        return "raw", err
    except SystemExit as err:
        return "raw", err
    if result is False and printed.getvalue().startswith("Not yet"):
        return "clear", None
    return "silent", None


def public_callables():
    """``module.name`` of every public function of ``lib`` (the ``__all__`` of each module)."""
    import inspect
    import pkgutil

    import lib

    found = []
    for info in pkgutil.walk_packages(lib.__path__, prefix="lib."):  # the subpackages' modules too
        if info.ispkg or any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if callable(obj) and not inspect.isclass(obj):
                found.append(f"{info.name}.{name}")
    return found


def _canonical(path):
    """``lib.gradient`` and ``lib.calculus.derivatives.gradient`` are one function: its defining module's path."""
    module, _, name = path.rpartition(".")
    obj = getattr(importlib.import_module(module), name)
    return f"{obj.__module__}.{getattr(obj, '__name__', name)}"


def count(verbose=False):
    """Run every bad value of every case once; return the counts, overall and by class."""
    totals, by_class = collections.Counter(), collections.defaultdict(collections.Counter)
    for case in CASES:
        if not _prepare(case):
            totals["cases skipped"] += 1
            continue
        totals["functions"] += 1
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                case.call()
        except Exception as err:  # noqa: BLE001
            totals["valid calls failing"] += 1
            if verbose:
                print("VALID CALL FAILS", case.path, type(err).__name__, str(err)[:100])
        for index, name, token, cls, value in case.bad_calls():
            totals["bad inputs"] += 1
            result, err = outcome(case, index, token, value)
            totals[result] += 1
            by_class[cls][result] += 1
            if verbose and result != "clear":
                shown = value if not callable(value) else getattr(value, "__name__", value)
                print(f"{result:8} {case.path}({name}={shown!r:.40}) [{cls}]: "
                      f"{type(err).__name__ if err else ''} {str(err)[:90] if err else ''}")
    return totals, by_class


if __name__ == "__main__":
    import sys

    totals, by_class = count(verbose="-v" in sys.argv)
    for cls, counts in by_class.items():
        print(f"{cls:32} {counts['clear']:5} of {sum(counts.values()):5} clear  {dict(counts)}")
    bad = totals["bad inputs"]
    print(dict(totals))
    print(f"clear answers: {totals['clear']} of {bad} bad inputs ({100 * totals['clear'] / max(bad, 1):.1f} %) "
          f"over {totals['functions']} functions")
