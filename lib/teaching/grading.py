r"""Assertions for the assignments' autograder tests (otter-grader's exception-based tests).

An otter test case passes when its function returns and fails when it raises; otter
shows the exception's message to the student. These helpers turn :mod:`lib.teaching.checks`'
verdicts into such exceptions, so a failed part reads like a self-check ("Not yet: 1 of
4 entries of H are off (at (0, 1))") and never shows the expected value.

They also catch the two states a blank answer is in: the name is missing (otter passes
``None`` for a variable the notebook never defined) or still ``...``, the scaffold's
placeholder.

A wrong answer fails with ``AssertionError``, by design. The test's own arguments (``name``,
``expected``, ``shape``, ``options``, ``hint``, ``slips``, the tolerances, ``check``) are
checked first, on every call, right answer or wrong: a bad one raises ``TypeError`` or
``ValueError`` naming it, so that a broken test shows on the solution instead of passing
silently or blaming a student.

>>> require_close(0.5, 0.5, name="rate")
>>> require_close(..., 0.5, name="rate")
Traceback (most recent call last):
...
AssertionError: rate is still ...: replace the ... with your answer and run the cell
"""

from __future__ import annotations

import collections.abc
import contextlib
import io
import re

import numpy as np

from .. import _validate
from . import checks, variants
from .variants import variant

_TOLERANCE = re.compile(r" is not within the tolerance \(rtol=[^)]*\)\.")

__all__ = ["student_variant", "require_answer", "require_shape", "require_close", "require_choice",
           "require_callable", "require_check"]


def student_variant(student_id, assignment: str) -> dict:
    """:func:`lib.teaching.variants.variant`, failing the test (``AssertionError``) for a bad identifier.

    ``assignment`` is the test author's argument: an unknown one is a ``ValueError``, not the student's fault.
    """
    variants.check_assignment(assignment)
    try:
        return variant(student_id, assignment)
    except (TypeError, ValueError) as err:
        if student_id is None:
            raise AssertionError("STUDENT_ID is not defined: run the notebook's first cell") from None
        raise AssertionError(f"STUDENT_ID: {err}") from None


def require_answer(answer, name: str) -> None:
    """Fail unless the answer was given: defined and no longer the ``...`` placeholder.

    ``name`` (the answer's name in the messages) must be a non-blank string.
    """
    _validate.text("name", name)
    if answer is None:
        raise AssertionError(f"{name} is not defined (or is None): run the cell that sets it")
    if answer is Ellipsis:
        raise AssertionError(f"{name} is still ...: replace the ... with your answer and run the cell")


def _shape(shape) -> tuple[int, ...]:
    """The shape a test asks for: a tuple of integers ``>= 1`` (an answer holds at least one
    number), ``()`` for a number."""
    if not isinstance(shape, tuple):
        raise TypeError(f"shape must be a tuple of integers such as (2, 2), or () for a number, "
                        f"got {type(shape).__name__}")
    return tuple(_validate.positive_int(f"shape[{i}]", n) for i, n in enumerate(shape))


def require_shape(answer, shape: tuple, name: str) -> None:
    """Fail unless ``answer`` is numeric with this shape (``()`` for a number).

    ``shape`` is a tuple of integers ``>= 1``; anything else is a ``TypeError`` or
    ``ValueError`` naming ``shape``.

    >>> require_shape([[1.0, 2.0]], (2, 2), name="H")
    Traceback (most recent call last):
    ...
    AssertionError: H must have shape (2, 2), got shape (1, 2)
    """
    shape = _shape(shape)
    require_answer(answer, name)
    try:
        array = _validate.answer_array(name, answer)
    except (TypeError, ValueError) as err:  # not numbers, empty, or beyond the float range
        raise AssertionError(str(err)) from None
    if array.shape != shape:
        raise AssertionError(f"{name} must have {_validate.shape_text(shape)}, "
                             f"got {_validate.shape_text(array.shape)}")


def _verdict(check, *args, **kwargs) -> None:
    """Run a :mod:`lib.teaching.checks` function; its "Not yet: …" line becomes the AssertionError."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            ok = check(*args, **kwargs)
    except (TypeError, ValueError) as err:  # a wrong type or shape: the check says which
        raise AssertionError(str(err)) from None
    if not ok:
        raise AssertionError(printed.getvalue().strip())


def require_close(answer, expected, *, name: str, rtol: float = 1e-6, atol: float = 1e-9,
                  hint: str | None = None, slips: dict | None = None) -> None:
    """Fail unless ``answer`` matches ``expected`` entrywise (see :func:`lib.teaching.checks.check_array`).

    ``slips`` maps the description of a typical mistake to the value that mistake gives for
    this variant (computed by the test: a forgotten factor, the diagonal instead of the
    eigenvalues, one step too many). A wrong answer that matches one, within the same
    tolerance, is told that slip; any other wrong answer only that it is off. Each
    description is a non-blank string and each value a finite number or array of the
    shape of ``expected``; ``expected`` itself a finite real number or non-empty array,
    ``hint`` a string or ``None``, ``rtol`` and ``atol`` real numbers ``>= 0``.

    >>> require_close([1.0, 3.0], np.array([1.0, 2.0]), name="w")
    Traceback (most recent call last):
    ...
    AssertionError: Not yet: 1 of 2 entries of w are off (at 1).
    >>> require_close(1.5, 2.0, name="rate")
    Traceback (most recent call last):
    ...
    AssertionError: Not yet: rate is off.
    >>> require_close(1.0, 2.0, name="threshold", slips={"the factor 2 is missing.": 1.0})
    Traceback (most recent call last):
    ...
    AssertionError: Not yet: threshold is off. Likely slip: the factor 2 is missing.
    """
    rtol, atol = _validate.tolerance("rtol", rtol), _validate.tolerance("atol", atol)
    expected = _validate.reference_array("expected", expected)
    _validate.text("hint", hint, optional=True)
    slips = _slips(slips, expected.shape)
    require_answer(answer, name)
    try:
        _verdict(checks.check_array, answer, expected, name=name, rtol=rtol, atol=atol, hint=hint)
    except AssertionError as err:
        slip = _matching_slip(answer, expected, slips, rtol=rtol, atol=atol)
        if slip is not None:
            raise AssertionError(f"Not yet: {name} is off. Likely slip: {slip}") from None
        # The feedback names no tolerance: a number is right or off.
        raise AssertionError(_TOLERANCE.sub(" is off.", str(err))) from None


def _slips(slips, shape: tuple) -> dict[str, np.ndarray]:
    """``slips`` checked: ``None`` (no slips) or a mapping of descriptions to values of ``shape``."""
    if slips is None:
        return {}
    if not isinstance(slips, collections.abc.Mapping):
        raise TypeError(f"slips must be a dict mapping the description of a mistake to the value it "
                        f"gives, got {type(slips).__name__}")
    checked = {}
    for description, value in slips.items():
        _validate.text("slips' descriptions", description)
        label = f"slips[{description!r}]"
        value = _validate.reference_array(label, value)
        if value.shape != shape:
            raise ValueError(f"{label} must have the shape of expected, "
                             f"{_validate.shape_text(shape)}, got {_validate.shape_text(value.shape)}")
        checked[description] = value
    return checked


def _matching_slip(answer, expected, slips: dict, *, rtol: float, atol: float) -> str | None:
    """The first slip whose value the answer matches (and the right answer does not)."""
    try:
        array = np.asarray(answer, dtype=float)
    except (TypeError, ValueError, OverflowError):  # not numbers, or beyond the float range
        return None
    for description, value in slips.items():
        if (value.shape == array.shape and np.allclose(array, value, rtol=rtol, atol=atol)
                and not np.allclose(expected, value, rtol=rtol, atol=atol)):
            return description
    return None


def require_choice(answer, expected, *, name: str, options=None, hint: str | None = None) -> None:
    """Fail unless ``answer`` is the expected option (see :func:`lib.teaching.checks.check_choice`,
    which also says what ``expected``, ``options`` and ``hint`` may be)."""
    checks.choice_options(expected, options)
    _validate.text("hint", hint, optional=True)
    require_answer(answer, name)
    _verdict(checks.check_choice, answer, expected, options=options, name=name, hint=hint)


def require_callable(answer, name: str) -> None:
    """Fail unless ``answer`` is a function (an implement-it-yourself question)."""
    require_answer(answer, name)
    if not callable(answer):
        raise AssertionError(f"{name} must be a function (def {name}(...): ...), "
                             f"got {type(answer).__name__}")


def require_check(check, fn, name: str, **settings) -> None:
    """Fail unless ``check(fn, **settings)`` (a :mod:`lib.teaching.update_checks` check) accepts ``fn``.

    The check's diagnosis (the step, the output and the likely slip) becomes the message.
    ``check`` must be callable and return ``True`` or ``False`` (a NumPy bool too); an
    ``AssertionError`` it raises fails the test as it is. Any other exception comes from the
    test's side (the settings, or a check that cannot run on ``fn``), not from the student's
    function, whose errors the checks report as a verdict: it is raised again as a
    ``TypeError`` or ``ValueError`` naming ``check``, and so is a result other than a bool.

    >>> from lib.teaching import update_checks
    >>> def gd_step(theta, grad, lr):
    ...     return theta + lr * grad
    >>> require_check(update_checks.check_gd_step, gd_step, "gd_step", steps=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: Not yet: ...
    """
    if not callable(check):
        raise TypeError(f"check must be a check of lib.teaching.update_checks (a callable such as "
                        f"update_checks.check_adam), got {type(check).__name__}")
    label = getattr(check, "__name__", type(check).__name__)
    require_callable(fn, name)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            ok = check(fn, **settings)
    except AssertionError:
        raise
    except (TypeError, ValueError) as err:
        kind = TypeError if isinstance(err, TypeError) else ValueError
        raise kind(f"check {label} could not run: {err}") from err
    except Exception as err:  # noqa: BLE001 - the check's own failure, said as such
        raise ValueError(f"check {label} raised {type(err).__name__}: {err}") from err
    if not _validate.is_bool(ok):
        raise TypeError(f"check must return True or False (its verdict), got {type(ok).__name__} "
                        f"from {label}")
    if not ok:
        raise AssertionError(printed.getvalue().strip())
