"""The shared argument checks of ``lib._validate``: a bad value is refused naming the argument."""

import jax.numpy as jnp
import numpy as np
import pytest

from lib import _validate


@pytest.mark.parametrize("check", [_validate.positive_int, _validate.nonnegative_int])
def test_an_integer_beyond_two_to_the_53_is_refused_by_name_without_printing_its_digits(check):
    assert check("steps", 2**53) == 2**53  # the largest integer a float holds exactly is still accepted
    with pytest.raises(ValueError, match=r"^steps must be <= 2\*\*53 .* got 9007199254740993$"):
        check("steps", 2**53 + 1)
    with pytest.raises(ValueError, match=r"^steps must be <= 2\*\*53 .* got an integer of about 401 digits$"):
        check("steps", 10**400)
    with pytest.raises(ValueError, match=r"^steps must be >= \d, got an integer of about 401 digits$"):
        check("steps", -(10**400))


@pytest.mark.parametrize("value", [True, np.bool_(False), 2.0, np.float64(3.0), "3", np.timedelta64(2, "s")])
def test_an_integer_is_not_a_bool_float_string_or_time_delta(value):
    with pytest.raises(TypeError, match=r"^k must be an integer"):
        _validate.positive_int("k", value)


@pytest.mark.parametrize("value, integer, boolean", [
    (3, True, False), (np.int8(-2), True, False), (10**400, True, False), (True, False, True),
    (np.bool_(False), False, True), (np.timedelta64(2, "s"), False, False),
    (np.datetime64("2026-01-01"), False, False), (2.0, False, False), ("3", False, False),
    (np.array(3), False, False), (None, False, False)])
def test_the_integer_and_bool_predicates_tell_counts_from_flags(value, integer, boolean):
    # A bool is a numbers.Integral and numpy's time delta an integer dtype: neither is a count.
    assert _validate.is_integer(value) is integer
    assert _validate.is_bool(value) is boolean


def test_integers_takes_an_integer_or_an_array_of_them_of_any_shape():
    assert _validate.integers("devices", 3).shape == ()
    assert _validate.integers("devices", np.int32(3)) == 3
    np.testing.assert_array_equal(_validate.integers("devices", [[1, 2], [4, 8]]), [[1, 2], [4, 8]])
    assert _validate.integers("devices", np.arange(1, 4, dtype=np.uint8)).dtype == np.int64
    assert _validate.integers("index", [0, 3], minimum=0).tolist() == [0, 3]


@pytest.mark.parametrize("value, error, match", [
    (2.5, TypeError, "float64"),
    ([1.0, 2.0], TypeError, "float64"),
    (np.array([True, False]), TypeError, "bool"),
    (True, TypeError, "bool"),
    (np.timedelta64(1, "s"), TypeError, "timedelta64"),
    ("2", TypeError, "str"),
    (None, TypeError, "NoneType"),
    ([[1], [1, 2]], TypeError, "integers"),
    ([], ValueError, "at least one"),
    ([2, 0], ValueError, ">= 1"),
    (0, ValueError, ">= 1"),
    ([2, 2**53 + 1], ValueError, "<= 2\\*\\*53"),
    ([10**400, 1], ValueError, "401 digits"),
])
def test_integers_refuses_every_other_value_by_name(value, error, match):
    with pytest.raises(error, match=match) as info:
        _validate.integers("devices", value)
    assert str(info.value).startswith("devices")


def test_real_array_keeps_nan_only_when_asked_and_never_takes_booleans():
    record = [1.0, np.nan, np.inf]
    with pytest.raises(ValueError, match="^distances contains non-finite values"):
        _validate.real_array("distances", record)
    kept = _validate.real_array("distances", record, finite=False)
    assert kept.dtype == np.float64 and np.isnan(kept[1]) and np.isinf(kept[2])
    for value in (np.array([True, False]), [True, False]):
        with pytest.raises(TypeError, match="^distances must be an array of real numbers, got dtype bool"):
            _validate.real_array("distances", value, finite=False)
    with pytest.raises(TypeError, match="^distances must be an array of real numbers: "):
        _validate.real_array("distances", [[1.0], [1.0, 2.0]], finite=False)


def _shifted(x, b):
    return x - b


@pytest.mark.parametrize("residuals, error, match", [
    (lambda x: x + 2j, TypeError, r"^r must return an array of real floating-point numbers, got dtype compl"),
    (lambda x: jnp.ones(2, dtype=jnp.int32), TypeError, r"^r must return .* got dtype int32"),
    (lambda x: x > 0, TypeError, r"^r must return .* got dtype bool"),
    (lambda x: x + x[5], ValueError, r"^r reads past the end of an array at x0 \(out-of-bounds"),
    (lambda x: x * jnp.inf, ValueError, r"^r returned non-finite values \(nan or inf\) at x0"),
    (lambda x: x[:0], ValueError, r"^r must return at least one number"),
    (lambda x: x @ jnp.ones(3), ValueError, r"^r could not be evaluated at x0 \(shapes \[\(2,\)\]\)"),
])
def test_vector_values_refuses_a_function_whose_output_is_not_real_finite_numbers(residuals, error, match):
    with pytest.raises(error, match=match):
        _validate.vector_values(residuals, jnp.array([0.5, -1.0]), (), "x0", "r")


def test_vector_values_returns_the_flat_residuals():
    values = _validate.vector_values(_shifted, jnp.array([[0.5, -1.0]]), (np.array([[1.0, 1.0]]),), "x0", "r")
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, [-0.5, -2.0])


def test_a_huge_seed_is_named_without_printing_its_digits():
    with pytest.raises(ValueError, match=r"^seed must be a non-negative integer seed below 2\*\*63, "
                                         r"got an integer of about 401 digits$"):
        _validate.seed("seed", 10**400)


@pytest.mark.parametrize("value, positive, error, match", [
    ((1.0, 0.5), False, ValueError, "low < high"),
    ((0.0, 1.0), True, ValueError, "positive ends"),
    ((np.nan, 1.0), False, ValueError, "non-finite"),
    (0.5, False, TypeError, r"pair \(low, high\), got shape \(\)"),
    ((1.0, 2.0, 3.0), False, TypeError, r"got shape \(3,\)"),
    ((True, False), False, TypeError, "dtype bool"),
    ("ab", False, TypeError, "pair"),
])
def test_interval_refuses_what_is_no_increasing_pair(value, positive, error, match):
    with pytest.raises(error, match=f"^window must .*{match}|^window contains .*{match}"):
        _validate.interval("window", value, positive=positive)


def test_interval_returns_python_floats():
    assert _validate.interval("window", np.array([-1, 2])) == (-1.0, 2.0)


def test_broadcast_names_both_arrays_and_their_shapes():
    a, b = _validate.broadcast(lr=np.zeros(3), momentum=np.zeros((2, 1)))
    assert a.shape == b.shape == (2, 3)
    with pytest.raises(ValueError, match=r"^lr and momentum must broadcast .* lr \(3,\), momentum \(2,\)"):
        _validate.broadcast(lr=np.zeros(3), momentum=np.zeros(2))
