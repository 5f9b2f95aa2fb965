"""Argument checks shared by every public function.

Each check raises a ``TypeError`` or ``ValueError`` whose message starts with
the argument's name, so a reader sees what to fix instead of a JAX traceback.
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree


def real_scalar(name: str, value) -> float:
    """Return ``value`` as a Python float, or raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if isinstance(value, numbers.Real):
        result = float(value)
    else:
        try:
            array = np.asarray(value)
        except Exception as err:  # pragma: no cover - exotic objects
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}") from err
        if array.ndim != 0 or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
            raise TypeError(f"{name} must be a real scalar, got {type(value).__name__} "
                            f"with shape {array.shape} and dtype {array.dtype}")
        result = float(array)
    if not np.isfinite(result):
        raise ValueError(f"{name} must be finite, got {result}")
    return result


def real_array(name: str, value, what: str = "an array") -> np.ndarray:
    """``value`` as a finite float64 numpy array, or raise naming ``name``.

    Rejects strings, object, non-numeric and complex dtypes (``TypeError``)
    and nan/inf entries (``ValueError``); shape checks are the caller's. ``what``
    describes the expected value in the messages, e.g. ``"a square matrix"``.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be {what} of real numbers, got {type(value).__name__}")
    array = np.asarray(value)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise TypeError(f"{name} must be {what} of real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains non-finite values (nan or inf)")
    return array


def square_matrix(name: str, value) -> np.ndarray:
    """``value`` as a finite float64 ``(n, n)`` array with ``n >= 1``, or raise naming ``name``."""
    array = real_array(name, value, "a square matrix")
    if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] == 0:
        raise ValueError(f"{name} must be a square (n, n) matrix, got shape {array.shape}")
    return array


def positive(name: str, value) -> float:
    result = real_scalar(name, value)
    if result <= 0:
        raise ValueError(f"{name} must be > 0, got {result}")
    return result


def in_unit_interval(name: str, value) -> float:
    """A value in [0, 1), like a momentum coefficient."""
    result = real_scalar(name, value)
    if not 0.0 <= result < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {result}")
    return result


def positive_int(name: str, value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def boolean(name: str, value) -> bool:
    """A plain ``True``/``False`` (not 0/1, not a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def callable_(name: str, value):
    if not callable(value):
        raise TypeError(f"{name} must be a callable loss function f(x, *args), "
                        f"got {type(value).__name__}")
    return value


def parameters(name: str, x):
    """Check a parameter vector or pytree; return it with float64 leaves.

    A bare array must be 1-D (n,). Matrices of a network belong in a pytree
    (a dict, list or tuple of arrays), whose flat order is that of
    ``jax.flatten_util.ravel_pytree``.
    """
    leaves, treedef = jax.tree_util.tree_flatten(x)
    if not leaves:
        raise ValueError(f"{name} must hold at least one number, got an empty {type(x).__name__}")
    is_bare_leaf = treedef.num_leaves == 1 and jax.tree_util.treedef_is_leaf(treedef)
    converted = []
    for leaf in leaves:
        if isinstance(leaf, (str, bytes)):
            raise TypeError(f"{name} must contain numbers, got {type(leaf).__name__}")
        array = np.asarray(leaf)
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                         or array.dtype == np.bool_):
            raise TypeError(f"{name} must contain real numbers, got dtype {array.dtype}")
        if np.iscomplexobj(array):
            raise TypeError(f"{name} must be real, got complex dtype {array.dtype}")
        converted.append(array.astype(np.float64))
    if is_bare_leaf and converted[0].ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of shape (n,) or a pytree of arrays, "
                         f"got an array of shape {converted[0].shape}")
    if sum(a.size for a in converted) == 0:
        raise ValueError(f"{name} must hold at least one number, got size 0")
    for array in converted:
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains non-finite values (nan or inf)")
    return jax.tree_util.tree_unflatten(treedef, [jnp.asarray(a) for a in converted])


def flat_size(x) -> int:
    return int(ravel_pytree(x)[0].size)


def scalar_loss(f, x, args, name: str = "x") -> None:
    """Raise ``ValueError`` unless ``f(x, *args)`` evaluates to a scalar.

    Uses ``jax.eval_shape``: the function is traced abstractly, nothing is computed.
    """
    try:
        out = jax.eval_shape(f, x, *args)
    except Exception as err:  # shape or type errors inside the user's function
        shapes = [np.shape(leaf) for leaf in jax.tree_util.tree_leaves(x)]
        raise ValueError(f"f could not be evaluated at {name} (shapes {shapes}): {err}") from err
    shape = getattr(out, "shape", None)
    if shape != ():
        raise ValueError(f"f must return a scalar loss, got an output of shape {shape}")
