"""lib.teaching.checks: right answers pass, wrong ones fail, and the message never gives the answer away."""

import contextlib
import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lib
from lib.teaching import checks

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


def run(capsys, fn, *args, **kwargs):
    result = fn(*args, **kwargs)
    out = capsys.readouterr().out.strip()
    return result, out


def printed(fn, *args, **kwargs):
    """Call a check inside hypothesis (no capsys there): (result, printed text)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = fn(*args, **kwargs)
    return result, buffer.getvalue()


def number_strings(value):
    """Ways a number could appear in a message: repr, str and a few rounded forms."""
    value = float(value)
    forms = {repr(value), str(value)}
    for digits in (3, 4, 6):
        forms.add(f"{value:.{digits}g}")
        forms.add(f"{value:.{digits}f}")
    return {f for f in forms if len(f.strip("-0.")) >= 2}  # too short to be meaningful otherwise


def test_correct_array_prints_correct_and_returns_true(capsys):
    ok, out = run(capsys, checks.check_array, [[1.0, 2.5], [2.5, -4.0]], np.array([[1, 2.5], [2.5, -4]]))
    assert ok is True and out == "Correct."


def test_wrong_array_names_the_wrong_entries(capsys):
    ok, out = run(capsys, checks.check_array, [1.0, 2.0, 3.0], [1.0, 2.5, 3.0], name="g")
    assert ok is False
    assert out.startswith("Not yet:") and "1 of 3 entries of g" in out and "(at 1)" in out


def test_tolerance_is_respected(capsys):
    assert run(capsys, checks.check_array, [1.0 + 1e-8], [1.0], rtol=1e-6)[0] is True
    assert run(capsys, checks.check_array, [1.0 + 1e-3], [1.0], rtol=1e-6)[0] is False


def test_custom_hint_is_printed_verbatim(capsys):
    ok, out = run(capsys, checks.check_scalar, 3.0, 7.25, hint="differentiate twice.")
    assert not ok and out == "Not yet: differentiate twice."


def test_sign_error_is_recognised(capsys):
    assert "sign" in run(capsys, checks.check_scalar, -7.25, 7.25)[1]
    assert "wrong sign" in run(capsys, checks.check_array, [-1.5, 2.5], [1.5, -2.5])[1]


def test_nan_answer_is_not_yet(capsys):
    ok, out = run(capsys, checks.check_array, [np.nan, 1.0], [1.0, 1.0], name="v")
    assert not ok and "nan" in out


@settings(max_examples=60, deadline=None)
@given(expected=st.lists(finite, min_size=1, max_size=6), shift=finite)
def test_message_never_contains_the_expected_values(expected, shift):
    expected = np.array(expected)
    wrong = expected + shift  # every entry off by |shift| > 1e-3
    ok, out = printed(checks.check_array, wrong, expected, rtol=1e-9, atol=1e-12)
    assert ok is False and out.startswith("Not yet:")
    numbers_in_message = set(re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", out))
    for value in expected:
        assert not (number_strings(value) & numbers_in_message), (value, out)
        assert repr(float(value)) not in out


@settings(max_examples=30, deadline=None)
@given(expected=finite)
def test_scalar_message_never_contains_the_expected_value(expected):
    ok, out = printed(checks.check_scalar, expected + 1.0, expected, rtol=1e-9)
    assert ok is False
    for form in number_strings(expected):
        assert form not in out, (form, out)


def test_shape_mismatch_raises_value_error_naming_the_argument():
    with pytest.raises(ValueError, match=r"^H must be shape \(2, 2\), got shape \(4,\)"):
        checks.check_array(np.zeros(4), np.zeros((2, 2)), name="H")
    with pytest.raises(ValueError, match="answer must be a scalar"):
        checks.check_scalar([1.0, 2.0], 1.0)


def test_wrong_type_raises_type_error_naming_the_argument():
    with pytest.raises(TypeError, match="^eigenvalues must be a number or an array"):
        checks.check_array("two", [2.0], name="eigenvalues")
    with pytest.raises(TypeError, match="^g must contain numbers"):
        checks.check_array([{"a": 1}], [1.0], name="g")
    with pytest.raises(TypeError, match="^rtol must be a real number"):
        checks.check_array([1.0], [1.0], rtol="1e-3")


def loss(w):
    return (1 - w[0] * w[1]) ** 2


def test_check_hessian_against_lib(capsys):
    x = np.array([0.3, -1.2])
    assert run(capsys, checks.check_hessian, lib.hessian(loss, x), loss, x)[0] is True
    wrong = lib.hessian(loss, x) + np.array([[0.0, 0.0], [0.0, 0.5]])
    ok, out = run(capsys, checks.check_hessian, wrong, loss, x)
    assert not ok and "(1, 1)" in out


def test_a_bad_loss_given_as_expected_is_named_expected():
    with pytest.raises(ValueError, match=r"^expected \(a loss function, called f below\): f is nan"):
        checks.check_hessian([[0.0, -2.0], [-2.0, 0.0]], lambda w: np.nan * w.sum(), np.zeros(2))


def test_an_array_of_booleans_is_refused_like_a_boolean():
    with pytest.raises(TypeError, match="^answer must be a number .*, got an array of booleans"):
        checks.check_array(np.array([True, True]), [1.0, 2.0], name="answer")


def test_check_hessian_flags_asymmetry_and_shape(capsys):
    ok, out = run(capsys, checks.check_hessian, [[0.0, -2.0], [2.0, 0.0]], loss, np.zeros(2))
    assert not ok and "symmetric" in out
    with pytest.raises(ValueError, match=r"^H must be shape \(2, 2\)"):
        checks.check_hessian(np.zeros((3, 3)), loss, np.zeros(2))
    with pytest.raises(TypeError, match="x is required"):
        checks.check_hessian(np.zeros((2, 2)), loss)


def test_check_choice(capsys):
    assert run(capsys, checks.check_choice, " Saddle-Point ", "saddle point", options=lib.KINDS)[0]
    ok, out = run(capsys, checks.check_choice, "local minimum", "degenerate", options=lib.KINDS)
    assert not ok and "degenerate" not in out
    assert run(capsys, checks.check_choice, "b", ["a", "b"])[0]
    assert run(capsys, checks.check_choice, 3, 3)[0] and not run(capsys, checks.check_choice, 2, 3)[0]


def test_check_choice_rejects_unknown_options_and_types():
    with pytest.raises(ValueError, match="^answer must be one of"):
        checks.check_choice("minimum-ish", "degenerate", options=lib.KINDS)
    with pytest.raises(TypeError, match="^kind must be a string"):
        checks.check_choice(1, "degenerate", name="kind")


def test_check_choice_refuses_a_generator_of_options_it_would_spend(capsys):
    with pytest.raises(TypeError, match="^expected must be an option or a collection of options"):
        checks.check_choice("a", (option for option in ["a", "b"]))
    assert run(capsys, checks.check_choice, "b", {"a", "b"})[0]  # a set is a collection


# ----- the chapter's own arguments: checked on every call, right answer or wrong -----

@pytest.mark.parametrize("right", [True, False])
def test_a_bad_label_or_hint_is_refused_before_the_verdict(right):
    answer = [1.0, 2.0] if right else [1.0, 3.0]
    with pytest.raises(TypeError, match="^name must be a string, got object"):
        checks.check_array(answer, [1.0, 2.0], name=object(), hint=5)
    with pytest.raises(TypeError, match="^hint must be a string or None, got int"):
        checks.check_scalar(answer[1], 2.0, hint=5)
    with pytest.raises(ValueError, match="^name must not be blank"):
        checks.check_hessian(np.eye(2) * (1 if right else 2), np.eye(2), name=" ")


def test_an_expected_value_no_answer_can_match_is_refused():
    with pytest.raises(ValueError, match="^expected contains non-finite"):
        checks.check_array([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="^expected contains non-finite"):
        checks.check_scalar(1.0, np.inf)
    with pytest.raises(ValueError, match="^expected must hold at least one number"):
        checks.check_array([1.0], [])


def test_options_are_a_collection_of_the_expected_option_kind_that_lists_it(capsys):
    with pytest.raises(TypeError, match="^options must be a list, tuple or set"):
        checks.check_choice("a", "a", options="abc")  # not a string taken as its characters
    with pytest.raises(TypeError, match="^options must all be strings"):
        checks.check_choice("a", "a", options=["a", 2.0])
    with pytest.raises(TypeError, match="^expected and options must be of one kind"):
        checks.check_choice(1, 1, options=["a", "b"])
    with pytest.raises(ValueError, match="^expected must be among the options, got 'saddle'"):
        checks.check_choice("saddle point", "saddle", options=lib.KINDS)
    with pytest.raises(ValueError, match="^options must list at least one option"):
        checks.check_choice("a", "a", options=())
    assert run(capsys, checks.check_choice, 2, np.int64(2), options=np.array([1, 2, 3]))[0]
    assert run(capsys, checks.check_choice, "A", "a", options=np.array(["a", "b"]))[0]
