"""lib.teaching.grading: a wrong answer fails the test (AssertionError, by design); a bad argument of
the test itself (its name, expected value, shape, options, slips, check) raises TypeError or
ValueError naming it, on the solution as on a wrong answer, instead of passing or blaming the student."""

import numpy as np
import pytest

from lib.teaching import grading, update_checks


def gd_step(theta, grad, lr):
    return theta - lr * grad


def ascent_step(theta, grad, lr):
    return theta + lr * grad


def test_slips_are_named_and_checked_on_the_right_answer_too():
    slips = {"the sign.": [-1.0, -2.0]}
    grading.require_close([1.0, 2.0], [1.0, 2.0], name="w", slips=slips)
    with pytest.raises(AssertionError, match=r"^Not yet: w is off. Likely slip: the sign.$"):
        grading.require_close([-1.0, -2.0], [1.0, 2.0], name="w", slips=slips)
    with pytest.raises(ValueError, match=r"^slips\['the sign.'\] must have the shape of expected"):
        grading.require_close([1.0, 2.0], [1.0, 2.0], name="w", slips={"the sign.": -1.0})
    with pytest.raises(TypeError, match="^slips must be a dict"):
        grading.require_close([1.0, 2.0], [1.0, 2.0], name="w", slips=[("the sign.", -1.0)])
    with pytest.raises(ValueError, match=r"^slips\['x'\] contains non-finite"):
        grading.require_close(1.0, 1.0, name="w", slips={"x": np.nan})


def test_a_student_answer_out_of_the_float_range_fails_the_test_and_nothing_else():
    for call in (lambda: grading.require_close(10**400, 2.0, name="w", slips={"x": 1.0}),
                 lambda: grading.require_shape(10**400, (), "w"),
                 lambda: grading.require_shape([], (2,), "w")):
        with pytest.raises(AssertionError, match="^w must"):
            call()


def test_the_test_s_own_arguments_are_not_blamed_on_the_student():
    with pytest.raises(ValueError, match="^expected must be a finite number"):
        grading.require_close(1.0, 10**400, name="w")
    with pytest.raises(ValueError, match="^rtol must be >= 0"):
        grading.require_close(1.0, 2.0, name="w", rtol=-1.0)  # before, the student's test failed
    with pytest.raises(ValueError, match=r"^shape\[0\] must be >= 1, got -1"):
        grading.require_shape([1.0, 2.0], (-1,), "g")
    with pytest.raises(TypeError, match="^shape must be a tuple"):
        grading.require_shape([1.0, 2.0], "ab", "g")
    with pytest.raises(TypeError, match="^options must be a list, tuple or set"):
        grading.require_choice("a", "a", name="c", options="3")
    with pytest.raises(TypeError, match="^name must be a string, got NoneType"):
        grading.require_answer(1.0, None)
    with pytest.raises(ValueError, match="^assignment must be one of"):  # not "STUDENT_ID: …"
        grading.student_variant("s1234", "bogus")
    with pytest.raises(TypeError, match="^assignment must be one of .*, got int"):
        grading.student_variant("s1234", 3)


def test_an_array_of_booleans_is_no_numeric_answer():
    with pytest.raises(AssertionError, match="H must be a number .*, got an array of booleans"):
        grading.require_shape(np.array([[True, False]]), (1, 2), "H")


def test_require_check_wants_a_callable_that_returns_its_verdict():
    grading.require_check(update_checks.check_gd_step, gd_step, "gd_step", steps=1)
    grading.require_check(lambda fn: np.bool_(True), gd_step, "gd_step")  # a NumPy bool is a verdict
    with pytest.raises(AssertionError, match="^Not yet: at step 1 of 1"):
        grading.require_check(update_checks.check_gd_step, ascent_step, "gd_step", steps=1)
    with pytest.raises(TypeError, match="^check must be a check of lib.teaching.update_checks"):
        grading.require_check(b"xy", gd_step, "gd_step")
    with pytest.raises(TypeError, match="^check must return True or False .*got int"):
        grading.require_check(lambda fn: 3, gd_step, "gd_step")
    with pytest.raises(ValueError, match="^check check_gd_step could not run: lr must be > 0"):
        grading.require_check(update_checks.check_gd_step, gd_step, "gd_step", lr=-1.0)

    def breaks(fn):
        raise RuntimeError("boom")

    with pytest.raises(ValueError, match="^check breaks raised RuntimeError: boom"):
        grading.require_check(breaks, gd_step, "gd_step")

    def asserts(fn):
        raise AssertionError("Not yet: a custom verdict")

    with pytest.raises(AssertionError, match="^Not yet: a custom verdict"):  # fails the test as it is
        grading.require_check(asserts, gd_step, "gd_step")


@pytest.mark.parametrize("seed", ["3", None, True, 1.5, -1, 2**63])
def test_recording_rng_takes_an_integer_seed(seed):
    with pytest.raises((TypeError, ValueError), match="^seed must be"):
        update_checks.RecordingRNG(seed)
    assert update_checks.RecordingRNG(np.int64(3)).permutation(4).shape == (4,)
