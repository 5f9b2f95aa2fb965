"""Property-based fuzz of the public API: every bad input gets a clear error, every divergence a flag.

The table of functions is ``tests/fuzz_cases.py`` (all of ``lib`` except the explorer
widget, the glue shim and the traceable losses). Static arguments (steps, sizes, the
loss functions) are fixed in the table, so hypothesis draws only the bad values and
nothing recompiles from one example to the next.
"""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lib
from lib.optim import clipping

from . import fuzz_cases
from .fuzz_cases import BAD, CASES

READY = [case for case in CASES if fuzz_cases._prepare(case)]
ARGUMENTS = [(case, i) for case in READY for i, param in enumerate(case.params) if param[2]]

NAN = float("nan")


def _with_nan(shape):
    return st.integers(0, int(np.prod(shape)) - 1).map(
        lambda i: np.where(np.arange(np.prod(shape)).reshape(shape) == i, NAN, 1.0))


NOT_A_NUMBER = st.sampled_from(["a", None, b"1", object(), [1.0, "x"]])
STRATEGIES = {
    "pos": st.floats(max_value=0.0) | st.just(float("inf")),
    "nonneg": st.floats(max_value=-1e-300) | st.just(float("inf")),
    "unit": st.floats(max_value=-1e-12) | st.floats(min_value=1.0),
    "closed_unit": st.floats(max_value=-1e-12) | st.floats(min_value=1.0 + 1e-12),
    "real": st.just(NAN) | st.just(float("inf")) | st.just(-float("inf")),
    "size": st.integers(max_value=0) | st.integers(min_value=10**13, max_value=10**18),
    "seed": st.integers(max_value=-1) | st.integers(min_value=2**64, max_value=2**80),
    "x": _with_nan((2,)),
    "grad": _with_nan((2,)),
    "data": _with_nan((2,)),
    "array": _with_nan((2,)),
}


def bad_values(kind):
    fixed = st.sampled_from(BAD[kind])
    return fixed | STRATEGIES[kind] | NOT_A_NUMBER if kind in STRATEGIES else fixed


def _listed_as_valid(path, name, kind, value):
    """One of the table's own values of a class that ``KNOWN_GAPS`` lists as valid for this argument."""
    return any(gap[:2] == (path, name) and any(value is v for v in fuzz_cases.CLASSES[gap[2]][kind])
               for gap in fuzz_cases.KNOWN_GAPS)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_bad_input_gets_an_error_that_names_the_argument(data):
    case, index = data.draw(st.sampled_from(ARGUMENTS), label="argument")
    name, _, kind, _, token = case.params[index]
    value = data.draw(bad_values(kind), label=f"{case.path}({name}=…)")
    result, err = fuzz_cases.outcome(case, index, token, value)
    if result != "clear" and _listed_as_valid(case.path, name, kind, value):
        return
    assert result == "clear", f"{case.path}({name}={value!r}): {result}: {type(err).__name__}: {err}"


@pytest.mark.parametrize("case", READY, ids=[case.path for case in READY])
def test_the_valid_call_of_every_fuzzed_function_works(case):
    case.call()


@pytest.mark.parametrize("case", READY, ids=[case.path for case in READY])
def test_every_fixed_bad_value_gets_a_clear_error(case):
    unclear = []
    for index, name, token, cls, value in case.bad_calls():
        result, err = fuzz_cases.outcome(case, index, token, value)
        if result != "clear" and (case.path, name, cls) not in fuzz_cases.KNOWN_GAPS:
            kind = type(err).__name__ if err else ""
            unclear.append(f"{name}={value!r:.40} [{cls}]: {result} {kind} {err}")
    assert not unclear, "\n".join(unclear)


def test_every_public_function_is_in_the_table_or_exempt_with_a_reason():
    import fnmatch

    tabled = {fuzz_cases._canonical(case.path) for case in CASES}
    exempt = [pattern for patterns in fuzz_cases.EXEMPT.values() for pattern in patterns]
    missing = [path for path in fuzz_cases.public_callables()
               if fuzz_cases._canonical(path) not in tabled
               and not any(fnmatch.fnmatch(path, pattern) for pattern in exempt)]
    assert not missing, f"public functions neither fuzzed nor exempt: {missing}"


def test_the_loss_check_catches_what_jax_lets_through():
    """JAX clamps an index past the end and propagates nan; lib refuses both where it first evaluates f."""
    with pytest.raises(ValueError, match=r"^f reads past the end of an array at x"):
        lib.gradient(lambda x: x[7] ** 2, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"^f is nan at x"):
        lib.hessian(lambda x: np.nan * (x @ x), np.ones(2))
    with pytest.raises(ValueError, match=r"^f is inf at x"):
        lib.classify_critical_point(lambda x: np.inf + x @ x, np.ones(2))
    with pytest.raises(ValueError, match=r"^f is inf at x0"):
        lib.optimize(lib.sgd(), lambda w, x, t: np.inf + jnp.mean((x @ w - t) ** 2), np.zeros(1),
                     np.ones((8, 1)), np.ones(8), hyper={"lr": 0.1}, batch_size=4)
    with pytest.raises(ValueError, match=r"lr must be a finite number, got an integer of about 401 digits"):
        lib.descend(bowl, np.ones(2), lr=10**400)
    with pytest.raises(ValueError, match=r"hyper\['lr'\] must lie in \(0, inf\), got -0.5"):
        lib.optimize(lib.momentum(), bowl, np.ones(2), hyper={"lr": -0.5, "momentum": 0.0})
    # the valid neighbours still work: an index inside the array, a loss finite at x
    np.testing.assert_allclose(lib.gradient(lambda x: x[2] ** 2, np.array([1.0, 2.0, 3.0])), [0, 0, 6])


# ------------------------------------------------------------------------- divergence is flagged

def bowl(x):
    return 0.5 * (x[0] ** 2 + 4.0 * x[1] ** 2)


def run(rule, max_norm, **hyper):
    return lambda lr: lib.optimize(rule, bowl, np.array([1.0, 1.0]), hyper=dict(hyper, lr=lr), steps=40,
                                   max_norm=max_norm)


RUNNERS = {
    "descend": lambda lr: lib.descend(bowl, np.array([1.0, 1.0]), lr=lr, steps=40, max_norm=1e3),
    "nesterov": lambda lr: lib.descend(bowl, np.array([1.0, 1.0]), lr=lr, momentum=0.5, nesterov=True,
                                       steps=40, max_norm=1e3),
    "sgd": run(lib.sgd(), 1e3),
    "heavy_ball": run(lib.momentum(), 1e3, momentum=0.5),
    "adam": run(lib.adam(), 5.0),
    "rmsprop": run(lib.rmsprop(), 5.0),
    "adagrad": run(lib.adagrad(), 5.0),
    "clipped": run(lib.clipped(lib.momentum()), 1e3, momentum=0.0, threshold=10.0),
}


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(RUNNERS)), lr=st.floats(1e-3, 20.0))
def test_a_run_is_flagged_exactly_when_it_leaves_the_ball_or_stops_being_finite(name, lr):
    run = RUNNERS[name](lr)
    finite = np.isfinite(run.losses)
    assert run.diverged == (not finite.all())
    if run.diverged:
        k = run.diverged_at
        assert finite[:k].all() and not finite[k:].any() and np.isnan(run.points[k:]).all()
    # and every row before the flag is a sane iterate, inside the ball
    limit = 5.0 if name in ("adam", "rmsprop", "adagrad") else 1e3
    assert np.all(np.linalg.norm(run.points[finite], axis=1) <= limit)
    if name == "descend" and lr > 0.6:  # |1 - 4 lr| > 1.4: leaves the ball in 40 steps
        assert run.diverged


def test_a_huge_but_finite_gradient_is_clipped_not_zeroed():
    np.testing.assert_allclose(np.asarray(clipping.clip_by_norm(np.array([1e200, 0.0]), 1.0)), [1.0, 0.0])
    assert float(clipping.global_norm(np.array([1e200, 1e200]))) == pytest.approx(np.sqrt(2) * 1e200)
    assert float(clipping.global_norm(np.array([3e-200, 4e-200]))) == pytest.approx(5e-200)


def test_adam_whose_moments_overflow_is_flagged_not_frozen():
    out = lib.optimize(lib.adam(), lambda x: 1e200 * x[0] ** 2, np.array([1.0]), hyper={"lr": 0.1}, steps=5)
    assert out.diverged and out.diverged_at == 1


def test_the_issue_one_liners():
    with pytest.raises(ValueError, match=r"args\[0\]"):
        lib.classify_critical_point(lambda w, b: 0.5 * w @ w - b @ w, np.zeros(2), np.array([NAN, 1.0]))
    density = lib.spectral_density(lambda x: 0.5 * x @ x, np.ones(3))
    assert np.trapezoid(density.density, density.grid) == pytest.approx(1.0, abs=1e-3)
    assert density.grid[np.argmax(density.density)] == pytest.approx(1.0, abs=1e-3)
