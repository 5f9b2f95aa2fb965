r"""Per-student variants of the assignments: parameters derived from a student identifier.

Each assignment (``_build/assignments/<name>``, built by ``make assignments``) asks every
student the same questions with different numbers: a starting point, a spectrum, a
learning rate. :func:`variant` derives them from the student's identifier and the
assignment's name, and the autograder's hidden tests call it again to recompute the
expected answers, so one notebook and one autograder serve the whole class.

The derivation is a SHA-256 digest of ``"<assignment>/<identifier>/<parameter>"``, not
Python's ``hash()`` (salted per process) and not a NumPy generator (whose streams may
change between releases): the same identifier gives the same variant on any machine, in
any version. Identifiers are compared after stripping surrounding spaces and folding
case, so ``" S1234 "`` and ``"s1234"`` are the same student.

Every parameter is drawn from a short list of round values, so that the numbers are
easy to read and every combination is a well-posed exercise (e.g. no degenerate
Hessian in *critical-points*, no step count on the edge of an integer in *momentum*).

>>> variant("s1234", "momentum") == variant(" S1234", "momentum")
True
>>> variant("s1234", "momentum") != variant("s1235", "momentum")
True
>>> variant("", "momentum")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
lib.teaching.variants.StudentIdError: student_id is blank: write your identifier between the quotes, ...
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

from .. import _validate

__all__ = ["ASSIGNMENTS", "StudentIdError", "normalise_id", "check_assignment", "variant", "for_student"]

#: The longest identifier accepted (an e-mail address fits).
MAX_ID_LENGTH = 100


class StudentIdError(ValueError):
    """A missing or malformed student identifier.

    In a notebook it is shown as its message alone, without a traceback: the student has
    nothing to debug, only a line to fill in.
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for custom error display
        return [f"STUDENT_ID needed: {self}"]


def normalise_id(student_id) -> str:
    """The identifier as :func:`variant` uses it: stripped and case-folded.

    Raises :class:`StudentIdError` (a ``ValueError``) naming ``student_id`` when it is
    blank, too long or contains control characters, and ``TypeError`` when it is not a string.

    >>> normalise_id("  Alice@Example.org ")
    'alice@example.org'
    """
    if not isinstance(student_id, str):
        raise TypeError(f"student_id must be a string such as \"s1234567\", got "
                        f"{type(student_id).__name__}")
    key = student_id.strip().casefold()
    if not key:
        raise StudentIdError("student_id is blank: write your identifier between the quotes, "
                             "e.g. STUDENT_ID = \"s1234567\", then run the notebook again")
    if len(key) > MAX_ID_LENGTH:
        raise StudentIdError(f"student_id must have at most {MAX_ID_LENGTH} characters, "
                             f"got {len(key)}")
    if not key.isprintable():
        raise StudentIdError("student_id must not contain control characters (tabs, line breaks)")
    return key


class _Draw:
    """Picks each parameter from its options with the digest of (assignment, id, parameter)."""

    def __init__(self, assignment: str, key: str):
        self.prefix = f"{assignment}/{key}/"

    def __call__(self, parameter: str, options: Sequence):
        digest = hashlib.sha256((self.prefix + parameter).encode()).digest()
        return options[int.from_bytes(digest[:8], "big") % len(options)]


def _critical_points(draw: _Draw) -> dict:
    # f(x, y) = sign (a x² + b xy + c y²): b odd and 4ac even, so b² ≠ 4ac and the Hessian at
    # the origin is never singular; the sign makes maxima possible as well as minima and saddles.
    return {
        "quadratic_sign": draw("quadratic_sign", (1, -1)),
        "quadratic_a": draw("quadratic_a", (1, 2, 3)),
        "quadratic_b": draw("quadratic_b", (-7, -5, -3, -1, 1, 3, 5, 7)),
        "quadratic_c": draw("quadratic_c", (1, 2, 3)),
        # The point (1/c, c, 1/c) on the valley of minima of (w1 w2 - 1)² + (w2 w3 - 1)².
        "valley_c": draw("valley_c", (0.5, 0.8, 1.25, 1.5, 2.0, 2.5)),
        "n_parameters": draw("n_parameters", (5e6, 1e7, 2e7, 4e7, 5e7, 1e8)),
        "gradient_seconds": draw("gradient_seconds", (0.02, 0.05, 0.1, 0.2, 0.5)),
        "hvp_cost_in_gradients": draw("hvp_cost_in_gradients", (2, 3)),
    }


def _momentum(draw: _Draw) -> dict:
    return {
        "plain_lr": draw("plain_lr", (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)),
        "new_momentum": draw("new_momentum", (0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995)),
        "velocity_fraction": draw("velocity_fraction", (0.8, 0.9, 0.95, 0.99)),
        "lambda_min": draw("lambda_min", (0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5)),
        "lambda_max": draw("lambda_max", (5.0, 8.0, 10.0, 20.0, 30.0, 50.0, 100.0, 200.0)),
        "error_digits": draw("error_digits", (4, 6, 8, 10)),
        # Where the autograder runs the student's heavy-ball step (on lib.teaching.update_checks' bowl).
        "hb_lr": draw("hb_lr", (0.01, 0.02, 0.03, 0.05)),
        "hb_momentum": draw("hb_momentum", (0.5, 0.7, 0.8, 0.9)),
        "hb_start": draw("hb_start", ((1.5, -1.0), (-1.0, 0.5), (2.0, 1.0), (0.5, -2.0))),
    }


def _learning_rates(draw: _Draw) -> dict:
    curvature = draw("curvature", (2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0))
    # One rate per regime (lr·λ below 1, between 1 and 2, above 2), in a per-student order.
    factors = [draw("smooth_factor", (0.2, 0.4, 0.6)), draw("oscillating_factor", (1.3, 1.5, 1.7)),
               draw("diverging_factor", (2.1, 2.2, 2.4))]
    order = draw("rate_order", ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)))
    angle = draw("rotation_degrees", (15.0, 30.0, 45.0, 60.0, 75.0))
    low, high = draw("spectrum_low", (0.5, 1.0, 2.0)), draw("spectrum_high", (10.0, 25.0, 50.0, 100.0))
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    # H = R diag(low, high) Rᵀ, written out so that the variant needs no array library.
    hessian = [[low * cos * cos + high * sin * sin, (low - high) * cos * sin],
               [(low - high) * cos * sin, low * sin * sin + high * cos * cos]]
    return {
        "curvature": curvature,
        "w0": draw("w0", (1.0, 2.0, -1.0, 0.5, -2.0)),
        "steps": draw("steps", (5, 8, 10, 12)),
        "lrs": [factors[i] / curvature for i in order],
        "adam_gradient": [draw("adam_g1", (1e3, 50.0, -200.0, 7.0)),
                          draw("adam_g2", (-1e-3, 2e-4, -0.5, 1e-6))],
        "adam_lr": draw("adam_lr", (0.01, 0.05, 0.1)),
        "hessian": hessian,
        # Where the autograder runs the student's Adam step (on lib.teaching.update_checks' bowl).
        "adam_b1": draw("adam_b1", (0.8, 0.9, 0.95)),
        "adam_b2": draw("adam_b2", (0.99, 0.999, 0.9999)),
        "adam_step_lr": draw("adam_step_lr", (0.01, 0.02, 0.05, 0.1)),
        "adam_start": draw("adam_start", ((1.5, -1.0), (-1.0, 0.5), (2.0, 1.0), (0.5, -2.0))),
    }


#: Assignment name (the chapter's slug) → the function that draws its parameters.
ASSIGNMENTS: dict[str, Callable[[_Draw], dict]] = {
    "critical-points": _critical_points,
    "momentum": _momentum,
    "learning-rates": _learning_rates,
}


def check_assignment(assignment) -> str:
    """``assignment`` if it names a known assignment; otherwise a ``TypeError``/``ValueError`` naming it."""
    return _validate.one_of("assignment", assignment, sorted(ASSIGNMENTS))


def variant(student_id: str, assignment: str) -> dict:
    """The parameters of ``assignment`` for the student ``student_id`` (a new dict each call).

    Raises ``TypeError`` / :class:`StudentIdError` for a bad ``student_id`` (see
    :func:`normalise_id`) and ``ValueError`` naming the known assignments for an unknown one.

    >>> variant("s1234", "critical-points")["valley_c"] in (0.5, 0.8, 1.25, 1.5, 2.0, 2.5)
    True
    """
    check_assignment(assignment)
    key = normalise_id(student_id)
    return ASSIGNMENTS[assignment](_Draw(assignment, key))


def for_student(student_id: str, assignment: str) -> dict:
    """:func:`variant`, printed as the list a student reads at the top of the assignment.

    >>> params = for_student("s1234", "momentum")  # doctest: +ELLIPSIS
    Your variant of 'momentum' (STUDENT_ID = 's1234'):
      plain_lr = ...
    """
    parameters = variant(student_id, assignment)
    print(f"Your variant of {assignment!r} (STUDENT_ID = {student_id.strip()!r}):")
    for name, value in parameters.items():
        print(f"  {name} = {value!r}")
    return parameters
