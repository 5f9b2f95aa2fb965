"""What a student's kernel may hand back to the grader, as JSON, and nothing else.

``encode`` runs in the student's kernel (inside the sandbox) and turns a value into plain
JSON: ``None``, booleans, numbers, strings, lists; a tuple becomes ``{"tuple": [...]}``, a
NumPy or JAX array ``{"array": nested list}``; ``...`` (a blank answer) ``{"ellipsis": true}``;
a function ``{"function": name}``; anything else ``{"unsupported": type name}``. ``decode``
runs in the grader's process and builds NumPy values back, refusing any other shape of JSON:
no object of the student's is ever unpickled or called by the grader.
"""

from __future__ import annotations

import json
import math

import numpy as np

#: The largest answers file the grader reads (bytes); a larger one is refused.
MAX_BYTES = 2_000_000
MAX_DEPTH = 8


def _float(x: float):
    return x if math.isfinite(x) else {"float": repr(x)}  # JSON has no nan / inf


def encode(value, depth: int = 0):
    """``value`` as plain JSON (see the module's docstring). Runs in the student's kernel."""
    if depth > MAX_DEPTH:
        return {"unsupported": "nesting too deep"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, int):
        return value if abs(value) < 2**63 else _float(float(value))
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return _float(float(value))
    if isinstance(value, (list, tuple)):
        items = [encode(item, depth + 1) for item in value]
        return {"tuple": items} if isinstance(value, tuple) else items
    if callable(value) and not hasattr(value, "__array__"):
        return {"function": getattr(value, "__name__", "?")}
    if hasattr(value, "__array__") and hasattr(value, "shape") and hasattr(value, "dtype"):
        try:
            array = np.asarray(value)
        except Exception:  # noqa: BLE001  (a student's object pretending to be an array)
            return {"unsupported": type(value).__name__}
        if array.dtype.kind in "biuf" and array.size <= 100_000:
            return {"array": [_float(x) if isinstance(x, float) else x
                              for x in array.astype(float).ravel().tolist()],
                    "shape": list(array.shape)}
    return {"unsupported": type(value).__name__}


class Unsupported:
    """A value the kernel could not hand back (a test reading it fails with its type's name)."""

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self) -> str:
        return f"<{self.kind}>"


class FunctionAnswer:
    """Stands for a function the student defined; calls are answered from the recorded outputs."""

    def __init__(self, name: str, outputs: dict[str, object]):
        self.__name__ = name
        self._outputs = outputs

    def __call__(self, *args):
        key = call_key(args)
        if key not in self._outputs:
            raise AssertionError(f"{self.__name__} was called on inputs the grader did not run it on")
        result = self._outputs[key]
        if isinstance(result, RaisedError):
            raise AssertionError(f"{self.__name__} raised {result.text}")
        return result


class RaisedError:
    def __init__(self, text: str):
        self.text = text


def decode(data, depth: int = 0):
    """The NumPy value of :func:`encode`'s JSON; ``ValueError`` for anything else."""
    if depth > MAX_DEPTH + 1:
        raise ValueError("answers: nesting too deep")
    if data is None or isinstance(data, (bool, str, int)):
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, list):
        return [decode(item, depth + 1) for item in data]
    if isinstance(data, dict) and len(data) in (1, 2):
        if set(data) == {"float"} and data["float"] in ("nan", "inf", "-inf"):
            return float(data["float"])
        if set(data) == {"tuple"} and isinstance(data["tuple"], list):
            return tuple(decode(item, depth + 1) for item in data["tuple"])
        if set(data) == {"array", "shape"}:
            shape = data["shape"]
            if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)):
                raise ValueError("answers: bad array shape")
            flat = [decode(x, depth + 1) for x in data["array"]]
            if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in flat):
                raise ValueError("answers: an array holds something other than numbers")
            if math.prod(shape) != len(flat):
                raise ValueError("answers: array size and shape disagree")
            return np.array(flat, dtype=float).reshape(shape)
        if set(data) == {"ellipsis"}:
            return Ellipsis
        if set(data) == {"function"} and isinstance(data["function"], str):
            return FunctionAnswer(data["function"][:100], {})
        if set(data) == {"unsupported"} and isinstance(data["unsupported"], str):
            return Unsupported(data["unsupported"][:100])
    raise ValueError(f"answers: a value of an unknown form ({type(data).__name__})")


def call_key(args) -> str:
    """The same arguments give the same key (used to answer a recorded call)."""
    return json.dumps(encode(tuple(args)), sort_keys=True)
