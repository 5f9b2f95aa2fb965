r"""Self-checks for the exercises: "Correct." or "Not yet: <hint>", never the answer.

Every check prints one line and returns ``True`` or ``False``. The message
never shows the expected value, only a hint (yours, or a generic one: which
entries are off, whether the sign is wrong). An answer of the wrong type or
shape is not a wrong answer but a question misread, so it raises a
``TypeError`` or ``ValueError`` that names the argument and the shape wanted.

In a notebook end the line with ``;`` to hide the returned bool::

    check_array(my_hessian, expected, name="H");

Functions
---------
:func:`check_array`
    an array (or scalar) within a relative tolerance of the expected one;
:func:`check_scalar`
    the same for a single number;
:func:`check_hessian`
    a Hessian, against a matrix or against :func:`lib.hessian` of a loss at a point;
:func:`check_choice`
    one of a few named options (e.g. a kind from :data:`lib.KINDS`).
"""

from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from .. import _validate

__all__ = ["check_array", "check_scalar", "check_hessian", "check_choice", "CORRECT", "NOT_YET"]

CORRECT = "Correct."
NOT_YET = "Not yet: "

#: Show at most this many offending indices in a message.
_MAX_INDICES = 4


def _report(ok: bool, hint: str) -> bool:
    print(CORRECT if ok else NOT_YET + hint)
    return ok


def _labels(name, hint) -> tuple[str, str | None]:
    """The chapter's ``name`` (a non-blank string) and ``hint`` (a string or None), checked on
    every call, so that a bad one shows at once and not on the first wrong answer."""
    return _validate.text("name", name), _validate.text("hint", hint, optional=True)


def _offending(mask: np.ndarray) -> str:
    """'entries (0, 1) and (1, 0)' for the True positions of ``mask`` (indices only)."""
    where = np.argwhere(mask)
    labels = [str(tuple(int(i) for i in idx)) if len(idx) > 1 else str(int(idx[0]))
              for idx in where[:_MAX_INDICES]]
    more = f" and {len(where) - _MAX_INDICES} more" if len(where) > _MAX_INDICES else ""
    return ", ".join(labels) + more


def _compare(answer, expected, *, name, rtol, atol, hint):
    """(ok, hint) for an answer already checked for type and shape."""
    if not np.all(np.isfinite(answer)):
        return False, f"{name} contains nan or inf."
    close = np.isclose(answer, expected, rtol=rtol, atol=atol)
    if np.all(close):
        return True, ""
    if hint:
        return False, hint
    if answer.ndim == 0:
        flipped = np.isclose(-answer, expected, rtol=rtol, atol=atol) and expected != 0
        return False, ("check the sign." if flipped else
                       f"{name} is not within the tolerance (rtol={rtol:g}).")
    if np.all(np.isclose(-answer, expected, rtol=rtol, atol=atol)):
        return False, f"every entry of {name} has the wrong sign."
    bad = ~close
    return False, (f"{int(bad.sum())} of {bad.size} entries of {name} are off "
                   f"(at {_offending(bad)}).")


def check_array(answer, expected, *, name="answer", rtol=1e-6, atol=1e-9, hint=None) -> bool:
    r"""Print "Correct." if ``answer`` matches ``expected`` entrywise, else "Not yet: <hint>".

    Entries match when :math:`|a - e| \le \text{atol} + \text{rtol}\,|e|`
    (``numpy.isclose``). The default hint counts the entries that are off and
    names their indices, never their expected values.

    Raises ``TypeError`` if ``answer`` is not numeric and ``ValueError`` if its
    shape differs from ``expected``'s (the message names ``name`` and the shape
    wanted). The chapter's own arguments are checked on every call: ``expected`` a
    finite real number or non-empty array, ``name`` a non-blank string, ``hint`` a
    string or ``None``, the tolerances real numbers ``>= 0``.

    >>> check_array([1.0, 2.0], [1.0, 2.0])
    Correct.
    True
    >>> check_array([1.0, 3.0], [1.0, 2.0], name="g")
    Not yet: 1 of 2 entries of g are off (at 1).
    False
    """
    rtol, atol = _validate.tolerance("rtol", rtol), _validate.tolerance("atol", atol)
    expected = _validate.reference_array("expected", expected)
    name, hint = _labels(name, hint)
    answer = _validate.answer_array(name, answer)
    if answer.shape != expected.shape:
        raise ValueError(f"{name} must be {_validate.shape_text(expected.shape)}, "
                         f"got {_validate.shape_text(answer.shape)}")
    ok, message = _compare(answer, expected, name=name, rtol=rtol, atol=atol, hint=hint)
    return _report(ok, message)


def check_scalar(answer, expected, *, name="answer", rtol=1e-6, atol=1e-9, hint=None) -> bool:
    """:func:`check_array` for one number (a Python or NumPy scalar, or a 0-d array).

    >>> check_scalar(-2.0, 2.0)
    Not yet: check the sign.
    False
    """
    expected_array = _validate.reference_array("expected", expected)
    name, hint = _labels(name, hint)
    for label, array in ((name, _validate.answer_array(name, answer)), ("expected", expected_array)):
        if array.ndim != 0:
            raise ValueError(f"{label} must be a scalar (one number), got shape {array.shape}")
    return check_array(answer, expected, name=name, rtol=rtol, atol=atol, hint=hint)


def check_hessian(answer, expected, x=None, *args, name="H", rtol=1e-6, atol=1e-9,
                  hint=None) -> bool:
    r"""Check a Hessian given as an ``(n, n)`` array.

    ``expected`` is either the matrix or a loss ``f`` — then ``x`` (and any
    extra ``args``) are required and the reference is ``lib.hessian(f, x, *args)``.
    An asymmetric answer gets the hint that Hessians are symmetric. ``name``, ``hint``
    and the tolerances are checked as in :func:`check_array`.

    >>> import numpy as np
    >>> loss = lambda w: (1 - w[0] * w[1]) ** 2
    >>> check_hessian([[0.0, -2.0], [-2.0, 0.0]], loss, np.zeros(2))
    Correct.
    True
    >>> check_hessian([[0.0, -2.0], [2.0, 0.0]], loss, np.zeros(2))
    Not yet: a Hessian is symmetric, H[i, j] = H[j, i]; yours is not.
    False
    """
    name, hint = _labels(name, hint)
    rtol, atol = _validate.tolerance("rtol", rtol), _validate.tolerance("atol", atol)
    if callable(expected):
        if x is None:
            raise TypeError("x is required when expected is a loss function: "
                            "check_hessian(answer, f, x)")
        from ..calculus.derivatives import hessian  # imported here: checks must stay light

        try:
            expected = hessian(expected, x, *args)
        except (TypeError, ValueError) as err:  # lib.hessian calls the loss f; here it is expected
            raise type(err)(f"expected (a loss function, called f below): {err}") from None
    elif x is not None or args:
        raise TypeError("x and args are only used when expected is a loss function")
    expected = _validate.reference_array("expected", expected)
    if expected.ndim != 2 or expected.shape[0] != expected.shape[1]:
        raise ValueError(f"expected must be a square matrix, got shape {expected.shape}")
    answer = _validate.answer_array(name, answer)
    if answer.shape != expected.shape:
        raise ValueError(f"{name} must be {_validate.shape_text(expected.shape)} (an n × n matrix for "
                         f"n = {expected.shape[0]} parameters), got {_validate.shape_text(answer.shape)}")
    if np.all(np.isfinite(answer)) and not np.allclose(answer, answer.T, rtol=rtol, atol=atol):
        return _report(False, hint or f"a Hessian is symmetric, {name}[i, j] = {name}[j, i]; "
                                      "yours is not.")
    ok, message = _compare(answer, expected, name=name, rtol=rtol, atol=atol, hint=hint)
    return _report(ok, message)


def _normalise(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("_", " ").lower().split())


def _choice_value(name: str, value):
    """A non-text option as a plain Python number (exact, whatever its size), or a TypeError."""
    if isinstance(value, np.generic) and (np.issubdtype(value.dtype, np.number)
                                          or np.issubdtype(value.dtype, np.bool_)):
        value = value.item()
    if not isinstance(value, numbers.Real) or isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a string or a single real number, got {type(value).__name__}")
    return value


def _option_number(name: str, value):
    """A number the chapter gives in ``expected`` or ``options``: :func:`_choice_value`, and finite."""
    value = _choice_value(name, value)
    if isinstance(value, float) and not np.isfinite(value):
        raise ValueError(f"{name} must hold finite numbers, got {value}")
    return value


def _option_list(options, textual: bool) -> list:
    """``options`` checked: a non-empty list, tuple, set or 1-D array of strings (if the expected
    option is text) or of plain numbers; a string, a mapping or an iterator is refused."""
    if (isinstance(options, (str, bytes, collections.abc.Mapping))
            or not isinstance(options, collections.abc.Collection)
            or (isinstance(options, np.ndarray) and options.ndim != 1)):
        raise TypeError(f"options must be a list, tuple or set of the possible answers, got "
                        f"{type(options).__name__}" + (f" of shape {options.shape}"
                                                       if isinstance(options, np.ndarray) else ""))
    items = list(options)
    if not items:
        raise ValueError("options must list at least one option")
    if textual:
        odd = [item for item in items if not isinstance(item, str)]
        if odd:
            raise TypeError(f"options must all be strings, as the expected option is, got "
                            f"{type(odd[0]).__name__}")
        return items
    if any(isinstance(item, (str, bytes)) for item in items):
        raise TypeError("expected and options must be of one kind, all strings or all numbers: "
                        "the expected option is not a string, the options hold strings")
    return [_option_number("options", item) for item in items]


def choice_options(expected, options) -> tuple[list, list | None, bool]:
    """The chapter's side of a choice, checked: ``(accepted, options, textual)``.

    ``expected`` is one option or a collection of them, all strings or all numbers;
    ``options`` (or ``None``) a collection of the same kind that lists every accepted option.
    """
    if expected is None:
        raise TypeError("expected must be the right option (or a collection of them), got None")
    if isinstance(expected, (str, bytes)) or not hasattr(expected, "__iter__"):
        accepted = [expected]
    elif isinstance(expected, collections.abc.Collection):
        accepted = list(expected)
    else:  # a generator or iterator: read once, it would be spent by the next check
        raise TypeError(f"expected must be an option or a collection of options (a list, tuple or set), "
                        f"got {type(expected).__name__}")
    if not accepted:
        raise ValueError("expected must name at least one acceptable option")
    textual = all(isinstance(e, str) for e in accepted)
    if not textual:
        accepted = [_option_number("expected", e) for e in accepted]
    if options is not None:
        options = _option_list(options, textual)
        known = {_normalise(o) for o in options} if textual else options
        missing = [e for e in accepted if (_normalise(e) if textual else e) not in known]
        if missing:
            raise ValueError(f"expected must be among the options, got {missing[0]!r}, which is none of "
                             f"{', '.join(repr(o) for o in options)}")
    return accepted, options, textual


def check_choice(answer, expected, *, options=None, name="answer", hint=None) -> bool:
    """Check a choice among named options, ignoring case, hyphens and extra spaces.

    ``expected`` is the right option or a collection of acceptable ones.
    With ``options`` (e.g. :data:`lib.KINDS`), an answer that is none of them
    raises ``ValueError`` listing the options (all of them, so nothing is given
    away). Non-string answers (e.g. integers) are compared with ``==``.

    The chapter's arguments are checked on every call: ``expected`` all strings or all
    finite numbers; ``options`` ``None`` or a list, tuple or set of the same kind that
    contains every expected option; ``name`` a non-blank string, ``hint`` a string or ``None``.

    >>> import lib
    >>> check_choice("Saddle point", "saddle point", options=lib.KINDS)
    Correct.
    True
    >>> check_choice("local minimum", "degenerate", hint="look at the zero eigenvalue.")
    Not yet: look at the zero eigenvalue.
    False
    """
    name, hint = _labels(name, hint)
    accepted, options, textual = choice_options(expected, options)
    if textual and not isinstance(answer, str):
        raise TypeError(f"{name} must be a string, got {type(answer).__name__}")
    if not textual and isinstance(answer, str):
        raise TypeError(f"{name} must be a {type(accepted[0]).__name__}, got a string")
    if textual:
        key = _normalise(answer)
        if options is not None and key not in {_normalise(o) for o in options}:
            raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}; "
                             f"got {answer!r}")
        ok = key in {_normalise(e) for e in accepted}
    else:
        answer = _choice_value(name, answer)
        if options is not None and answer not in options:
            raise ValueError(f"{name} must be one of {options}; got {answer!r}")
        ok = any(answer == e for e in accepted)
    return _report(ok, hint or "that is not the right option; look again at the reasoning.")
