"""The trusted side: what to ask a submission for, and its score from what it answered.

Everything here runs in the grader's own process and never executes a student's code. The
hidden tests are generated from ``assignments/<name>.yml`` (as the autograder's are) and run
on the decoded answers: a student's function is replaced by :class:`answers.FunctionAnswer`,
which answers each call with the output the student's function gave, in the sandbox, on the
same inputs. Those inputs are the grader's: :func:`plan` records them by running every test
on the solution's own functions for the student's variant (the checks of
:mod:`lib.teaching.update_checks` feed each step the reference state, so the inputs do not depend on
the student's outputs).
"""

from __future__ import annotations

import contextlib
import io
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))

from tools.grading import answers as ans  # noqa: E402

#: Seconds one call of a student's function may take in the sandbox.
CALL_SECONDS = 10


def _modules(assignment) -> dict[str, types.ModuleType]:
    """The hidden test files of each question, as modules built in this process."""
    modules = {}
    for question in assignment.questions:
        module = types.ModuleType(f"grader_tests_{assignment.name}_{question.name}".replace("-", "_"))
        # The Gradescope zip carries the test files (tools.grading.gradescope); here they are built.
        code = getattr(question, "tests_code", None)
        if code is None:
            from tools import assignments as asg

            code = asg.test_file(assignment, question, public_only=False)
        exec(compile(code, f"<{assignment.name} {question.name} tests>", "exec"), module.__dict__)  # noqa: S102
        modules[question.name] = module
    return modules


def cases(module) -> list:
    return [value for value in vars(module).values() if type(value).__name__ == "test_case"]


def solution_env(assignment, student: str) -> dict:
    """The solution notebook's variables for a student, computed here (our own code, no kernel)."""
    import jax.numpy as jnp

    import lib
    from lib.teaching import update_checks, variants
    from lib.theory import quadratic as quad

    env = {"np": np, "jnp": jnp, "lib": lib, "quad": quad, "update_checks": update_checks,
           "STUDENT_ID": student, "params": variants.variant(student, assignment.name)}
    with contextlib.redirect_stdout(io.StringIO()):
        for question in assignment.questions:
            exec(question.given + "\n" + question.solution, env)  # noqa: S102
    return env


def _release_compiled() -> None:
    """Drop JAX's compiled functions: each variant's solution compiles its own, and a class of a few
    hundred would otherwise exhaust the process's memory maps (LLVM: "Cannot allocate memory")."""
    jax = sys.modules.get("jax")
    if jax is not None:
        jax.clear_caches()


@dataclass
class Grader:
    """The hidden tests of one assignment, loaded once per batch."""

    assignment: object
    modules: dict = field(default_factory=dict)

    def __post_init__(self):
        self.modules = _modules(self.assignment)

    def variables(self) -> list[str]:
        """Every name a test reads from the notebook (STUDENT_ID included)."""
        import inspect

        names = {"STUDENT_ID"}
        for module in self.modules.values():
            for case in cases(module):
                names |= set(inspect.signature(case.test_func).parameters) - {"env"}
        return sorted(names)

    def plan(self, student: str | None) -> dict:
        """What the sandbox asks the kernel for: variables, and calls of the student's functions."""
        calls: dict[str, list] = {}
        if student:
            try:
                env = solution_env(self.assignment, student)
            except (TypeError, ValueError):  # a malformed identifier: no variant, no calls
                env = None
            if env is not None:
                recorded: dict[str, dict[str, object]] = {}
                for name in self.variables():
                    if callable(env.get(name)) and isinstance(env[name], types.FunctionType):
                        recorded[name] = {}
                        env[name] = _recorder(env[name], recorded[name])
                with contextlib.redirect_stdout(io.StringIO()):
                    for module in self.modules.values():
                        for case in cases(module):
                            with contextlib.suppress(Exception):
                                case.call_func(env)
                calls = {name: list(found.values()) for name, found in recorded.items()}
        _release_compiled()
        return {"variables": self.variables(), "calls": calls, "call_seconds": CALL_SECONDS}

    def score(self, student: str | None, data: dict, plan: dict,
              questions: set[str] | None = None) -> dict[str, list[dict]]:
        """Each question's parts (or only ``questions``'): name, points, score, message."""
        env = self.environment(data, plan)
        env["STUDENT_ID"] = student
        results = {}
        for question, module in self.modules.items():
            if questions is not None and question not in questions:
                continue
            parts = []
            for case in cases(module):
                message = ""
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        case.call_func(env)
                    got = case.points
                except AssertionError as err:
                    got = 0.0
                    message = str(err).strip() or "Not yet: the value is not right for your variant."
                except Exception as err:  # noqa: BLE001  (a value of another kind than asked)
                    got = 0.0
                    message = (f"Not yet: the answer could not be read as the kind of value asked "
                               f"for ({type(err).__name__}).")
                parts.append({"name": case.name, "points": case.points, "score": got,
                              "message": message, "public": not case.hidden})
            results[question] = parts
        _release_compiled()
        return results

    @staticmethod
    def environment(data: dict, plan: dict) -> dict:
        """The decoded answers: variables, and stand-ins for the student's functions."""
        env = {}
        variables = data.get("variables", {})
        if not isinstance(variables, dict):
            raise ValueError("answers: variables must be an object")
        for name in plan["variables"]:
            if name in variables:
                env[name] = ans.decode(variables[name])
        for name, inputs in plan["calls"].items():
            outputs = data.get("calls", {}).get(name)
            if not isinstance(env.get(name), ans.FunctionAnswer) or not isinstance(outputs, list):
                continue
            table = {}
            for args, output in zip(inputs, outputs):
                if isinstance(output, dict) and set(output) == {"raised"}:
                    table[ans.call_key(ans.decode(args))] = ans.RaisedError(str(output["raised"])[:300])
                else:
                    table[ans.call_key(ans.decode(args))] = ans.decode(output)
            env[name] = ans.FunctionAnswer(env[name].__name__, table)
        return env


def _recorder(fn, calls: dict):
    def record(*args):
        calls.setdefault(ans.call_key(args), ans.encode(tuple(args)))
        return fn(*args)

    record.__name__ = fn.__name__
    return record
