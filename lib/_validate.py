"""Argument checks shared by every public function.

Each check raises a ``TypeError`` or ``ValueError`` whose message starts with
the argument's name, so a reader sees what to fix instead of a JAX traceback.
"""

from __future__ import annotations

import functools
import numbers

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify
from jax.flatten_util import ravel_pytree

#: Types numpy registers as numbers that are not: booleans, and time deltas (a ``numbers.Integral``).
_NOT_NUMBERS = (bool, np.bool_, np.timedelta64, np.datetime64)


def is_integer(value) -> bool:
    """A Python or numpy integer, not a bool or a time delta (which ``numbers.Integral`` admits)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, _NOT_NUMBERS)


def is_bool(value) -> bool:
    """A Python or numpy boolean: ``True``/``False``, never read as the number 0 or 1."""
    return isinstance(value, (bool, np.bool_))


def _is_number(dtype) -> bool:
    """A numeric dtype: numpy counts ``timedelta64`` as a signed integer, which no loss can use."""
    return np.issubdtype(dtype, np.number) and dtype.kind != "m"


def _too_big(name: str, value) -> ValueError:
    """The error for an integer beyond the float64 range (``float(10**400)`` overflows)."""
    return ValueError(f"{name} must be a finite number, got {_shown(value)}, "
                      f"beyond the float64 range (about 1.8e308)")


def real_scalar(name: str, value) -> float:
    """Return ``value`` as a Python float, or raise naming ``name``."""
    if isinstance(value, _NOT_NUMBERS) or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if isinstance(value, numbers.Real):
        try:
            result = float(value)
        except OverflowError:
            raise _too_big(name, value) from None
    else:
        try:
            array = np.asarray(value)
        except Exception as err:  # pragma: no cover - exotic objects
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}") from err
        if array.ndim != 0 or not _is_number(array.dtype) or np.iscomplexobj(array):
            raise TypeError(f"{name} must be a real scalar, got {type(value).__name__} "
                            f"with shape {array.shape} and dtype {array.dtype}")
        result = float(array)
    if not np.isfinite(result):
        raise ValueError(f"{name} must be finite, got {result}")
    return result


def real_array(name: str, value, what: str = "an array", finite: bool = True) -> np.ndarray:
    """``value`` as a finite float64 numpy array, or raise naming ``name``.

    Rejects strings, object, boolean, non-numeric and complex dtypes (``TypeError``)
    and, if ``finite``, nan/inf entries (``ValueError``; ``finite=False`` keeps them, for
    records where nan marks a diverged run); shape checks are the caller's. ``what``
    describes the expected value in the messages, e.g. ``"a square matrix"``.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be {what} of real numbers, got {type(value).__name__}")
    array = _asarray(name, value, what)
    if array.dtype == object or not _is_number(array.dtype) or np.iscomplexobj(array):
        raise TypeError(f"{name} must be {what} of real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if finite and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains non-finite values (nan or inf)")
    return array


def _asarray(name: str, value, what: str) -> np.ndarray:
    """``np.asarray(value)``, with ragged lists, huge ints and odd objects named by ``name``.

    An integer beyond int64 makes numpy build an ``object`` array; if every entry is a
    real number that is then an overflow (``ValueError``), not a type error.
    """
    try:
        array = np.asarray(value)
    except (ValueError, TypeError, OverflowError) as err:  # ragged lists and other oddities
        raise TypeError(f"{name} must be {what} of real numbers: {err}") from None
    if array.dtype == object and array.size:
        items = array.ravel().tolist()
        if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in items):
            try:
                return array.astype(np.float64)
            except OverflowError:
                raise _too_big(name, max(items, key=abs)) from None
    return array


def interval(name: str, value, positive: bool = False) -> tuple[float, float]:
    """A pair ``(low, high)`` of finite reals with ``low < high`` (and ``low > 0`` if ``positive``)."""
    pair = real_array(name, value, "a pair (low, high)")
    if pair.shape != (2,):
        raise TypeError(f"{name} must be a pair (low, high), got shape {pair.shape}")
    low, high = float(pair[0]), float(pair[1])
    if positive and not low > 0:
        raise ValueError(f"{name} must hold positive ends, got ({low}, {high})")
    if not low < high:
        raise ValueError(f"{name} must satisfy low < high, got ({low}, {high})")
    return low, high


def broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays broadcast together (NumPy's rules), or a ``ValueError`` naming them and their shapes."""
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{name} {np.shape(value)}" for name, value in arrays.items())
        raise ValueError(f"{' and '.join(arrays)} must broadcast together, got shapes {shapes}") from None


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


def nonnegative(name: str, value) -> float:
    """A finite real number >= 0 (a damping, an initial accumulator)."""
    result = real_scalar(name, value)
    if result < 0:
        raise ValueError(f"{name} must be >= 0, got {result}")
    return result


def in_unit_interval(name: str, value) -> float:
    """A value in [0, 1), like a momentum coefficient."""
    result = real_scalar(name, value)
    if not 0.0 <= result < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {result}")
    return result


#: The largest integer a float64 holds exactly (2**53): a count beyond it cannot enter the
#: floating-point arithmetic of a formula, a shape or an index without being rounded or overflowing.
MAX_INT = 2**53


def _shown(value: int) -> str:
    """An integer as a message shows it: its digits, or how many there are when they are too many."""
    if abs(int(value)) < 10**20:
        return str(int(value))
    return f"an integer of about {int(abs(int(value)).bit_length() * 0.30103) + 1} digits"


def _integer(name: str, value, minimum: int) -> int:
    """An ``int`` (not a bool, float or time delta) with ``minimum <= value <= MAX_INT``."""
    if not is_integer(value):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {_shown(value)}")
    if value > MAX_INT:
        raise ValueError(f"{name} must be <= 2**53 = {MAX_INT:,} (the largest integer a float holds "
                         f"exactly), got {_shown(value)}")
    return int(value)


def positive_int(name: str, value) -> int:
    """An integer ``1 <= value <= 2**53`` (a size, a count)."""
    return _integer(name, value, 1)


def nonnegative_int(name: str, value) -> int:
    """An integer ``0 <= value <= 2**53`` (an index, a delay)."""
    return _integer(name, value, 0)


def integers(name: str, value, minimum: int = 1) -> np.ndarray:
    """``value`` (a Python or numpy integer, or an array of them, any shape) as an int64 array,
    each entry ``minimum <= k <= 2**53``; floats, booleans, time deltas, strings, ragged lists and
    integers beyond the float range are refused with a message naming ``name``."""
    what = "an integer or an array of integers"
    if is_integer(value):
        return np.asarray(_integer(name, value, minimum), dtype=np.int64)
    array = numeric_array(name, value, what)
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one integer, got shape {array.shape}")
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must be {what}, got dtype {array.dtype}")
    if np.any(array < minimum):
        raise ValueError(f"{name} must be >= {minimum} throughout, got {array.min()}")
    if np.any(array > MAX_INT):
        raise ValueError(f"{name} must be <= 2**53 = {MAX_INT:,} throughout, got {array.max()}")
    return array.astype(np.int64)


def boolean(name: str, value) -> bool:
    """A plain ``True``/``False`` (not 0/1, not a string)."""
    if not is_bool(value):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def one_of(name: str, value, choices) -> str:
    """``value`` if it is one of the strings ``choices``; else an error naming ``name``."""
    choices = tuple(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {choices}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def callable_(name: str, value, what: str = "a callable loss function f(x, *args)"):
    """A function (or a callable object); a class is callable too, but calling it builds an object."""
    if not callable(value):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    if isinstance(value, type):
        raise TypeError(f"{name} must be {what}, got the class {value.__name__}")
    return value


def parameters(name: str, x, any_shape: bool = False):
    """Check a parameter vector or pytree; return it with float64 leaves.

    A bare array must be 1-D (n,) unless ``any_shape``. Matrices of a network
    belong in a pytree (a dict, list or tuple of arrays), whose flat order is
    that of ``jax.flatten_util.ravel_pytree``.
    """
    leaves, treedef = jax.tree_util.tree_flatten(x)
    if not leaves:
        raise ValueError(f"{name} must hold at least one number, got an empty {type(x).__name__}")
    is_bare_leaf = treedef.num_leaves == 1 and jax.tree_util.treedef_is_leaf(treedef)
    converted = []
    for leaf in leaves:
        if isinstance(leaf, (str, bytes)):
            raise TypeError(f"{name} must contain numbers, got {type(leaf).__name__}")
        array = _asarray(name, leaf, "an array")
        if array.dtype == object or not _is_number(array.dtype):  # booleans too: a parameter is a number
            raise TypeError(f"{name} must contain real numbers, got dtype {array.dtype}")
        if np.iscomplexobj(array):
            raise TypeError(f"{name} must be real, got complex dtype {array.dtype}")
        converted.append(array.astype(np.float64))
    if is_bare_leaf and not any_shape and converted[0].ndim != 1:
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


def _describe(value) -> str:
    leaves = jax.tree_util.tree_leaves(value)
    if len(leaves) == 1 and leaves[0] is value:
        return f"shape {np.shape(value)}"
    return f"a {type(value).__name__} of {len(leaves)} leaves"


def shapes_given(x, args, args_name: str = "args") -> str:
    """``"shapes [(2,)], args[0] shape (3,)"``: what a function that could not be evaluated was given."""
    shapes = [np.shape(leaf) for leaf in jax.tree_util.tree_leaves(x)]
    return f"shapes {shapes}" + "".join(f", {args_name}[{i}] {_describe(a)}" for i, a in enumerate(args))


def _output(f, x, args, name: str, f_name: str, args_name: str = "args"):
    """``jax.eval_shape(f, x, *args)`` (the output's shape and dtype), or a ValueError naming ``f_name``."""
    try:
        return jax.eval_shape(f, x, *args)
    except Exception as err:  # shape or type errors inside the user's function
        raise ValueError(f"{f_name} could not be evaluated at {name} "
                         f"({shapes_given(x, args, args_name)}): {err}") from err


def scalar_loss(f, x, args, name: str = "x", evaluate: bool = True, f_name: str = "f",
                args_name: str = "args") -> None:
    """Raise unless ``f(x, *args)`` is a real scalar, finite, and reads no index out of range.

    First ``jax.eval_shape`` (the function is traced abstractly: shape and dtype);
    then, with ``evaluate`` and concrete values, one evaluation of ``f`` under
    ``jax.experimental.checkify`` with its index checks, since JAX clamps an index past
    the end of an array instead of raising (``x[7]`` of three numbers reads ``x[2]``).
    A loss that is nan or inf where ``lib`` starts would make every later number
    meaningless, so it is refused too (``ValueError`` naming ``name``).
    """
    out = _output(f, x, args, name, f_name, args_name)
    shape = getattr(out, "shape", None)
    if shape != ():
        raise ValueError(f"{f_name} must return a scalar loss, got an output of shape {shape}")
    dtype = getattr(out, "dtype", None)
    if dtype is None or not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(f"{f_name} must return a real floating-point loss, got dtype {dtype} "
                        f"(an int, bool or complex loss has no gradient here; return a float)")
    if evaluate and not is_traced((x, args)):
        loss_value(f, x, args, name, f_name)


@functools.partial(jax.jit, static_argnums=0)
def _checked_loss(f, x, args):
    return checkify.checkify(lambda x, args: f(x, *args), errors=checkify.index_checks)(x, args)


def _index_checked(f, x, args, name: str, f_name: str):
    """``f(x, *args)`` evaluated once with JAX's index checks; ``ValueError`` if an index is out of range."""
    args = tuple(args)
    try:
        error, value = _checked_loss(f, x, args)
    except Exception:  # noqa: BLE001 - run plainly: an error of f's own is then raised
        # as f raises it; a construct checkify could not instrument runs unchecked (none known)
        error, value = None, jax.jit(f)(x, *args)
    message = None if error is None else error.get()
    if message:
        first = message.strip().splitlines()[0]
        raise ValueError(f"{f_name} reads past the end of an array at {name} ({first}); JAX would silently "
                         f"clamp the index to the last entry, so its value and gradient would be "
                         f"wrong. Check the indices in {f_name} against the shapes of {name} and the data.")
    return value


def loss_value(f, x, args, name: str = "x", f_name: str = "f") -> float:
    """``f(x, *args)`` as a float, evaluated once with JAX's index checks; ``ValueError`` if an
    index is out of range or the value is not finite (the message names ``name``)."""
    value = float(_index_checked(f, x, args, name, f_name))
    if not np.isfinite(value):
        raise ValueError(f"{f_name} is {value} at {name}: the loss must be finite where the computation "
                         f"starts (a nan or inf there leaves no gradient to follow)")
    return value


def vector_values(f, x, args, name: str = "x", f_name: str = "residuals") -> np.ndarray:
    """``f(x, *args)``, a function returning an array (residuals, any shape), as a flat float64
    numpy array of at least one entry, evaluated once with JAX's index checks. Raises naming
    ``f_name`` if it cannot be evaluated, returns no numbers or a non-floating dtype (an int, bool
    or complex output has no real Jacobian here), reads past the end of an array, or is not
    finite at ``x`` (named by ``name``)."""
    out = _output(f, x, args, name, f_name)
    dtype = getattr(out, "dtype", None)
    if dtype is None or not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(f"{f_name} must return an array of real floating-point numbers, got "
                        f"{f'dtype {dtype}' if dtype is not None else type(out).__name__} "
                        f"(an int, bool or complex output has no real Jacobian here; return floats)")
    if int(np.prod(out.shape)) == 0:
        raise ValueError(f"{f_name} must return at least one number")
    value = np.ravel(np.asarray(_index_checked(f, x, args, name, f_name), dtype=np.float64))
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{f_name} returned non-finite values (nan or inf) at {name}")
    return value


def loss_problem(f, x, args):
    """Check a loss ``f``, its parameters ``x`` and data ``args`` as passed to ``f(x, *args)``
    (a callable, finite real parameters, numeric data, a real scalar loss); returns ``x`` checked."""
    callable_("f", f)
    params = parameters("x", x)
    data("args", args)
    scalar_loss(f, params, args)
    return params


# ------------------------------------------------------------------ sizes, data, traced values

#: Upper bounds on size arguments: beyond them a run would exhaust memory or time
#: (XLA aborts the process rather than raising), so they are refused up front.
MAX_STEPS = 1_000_000
MAX_RUNS = 100_000
MAX_EPOCHS = 100_000
MAX_SAMPLES = 1_000_000
MAX_ITER = 100_000
MAX_BYTES = 4 * 2**30  #: largest result array a driver may allocate (float64 entries × 8)


def _at_most(name: str, value: int, maximum: int, what: str) -> int:
    if value > maximum:
        unit = f" {what}" if what else ""
        raise ValueError(f"{name} must be <= {maximum:,}{unit}, got {value:,}")
    return value


def count(name: str, value, maximum: int, what: str = "") -> int:
    """A positive integer ``1 <= value <= maximum`` (a number of steps, runs, samples …)."""
    return _at_most(name, positive_int(name, value), maximum, what)


def nonnegative_count(name: str, value, maximum: int, what: str = "") -> int:
    """An integer ``0 <= value <= maximum`` (a delay, a number of steps that may be zero)."""
    return _at_most(name, nonnegative_int(name, value), maximum, what)


def sequence(name: str, value) -> list:
    """A list, tuple or 1-D array of items as a list (a string, set, None or generator is refused)."""
    is_vector = isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1)
    if not is_vector:
        raise TypeError(f"{name} must be a list, got {type(value).__name__}")
    return list(value)


def integer_array(name: str, value, what: str = "an array of integers") -> np.ndarray:
    """``value`` as a non-empty 1-D int64 array of integer-valued real numbers, or raise naming ``name``
    (indices, group labels: ``1.5``, nan, booleans, strings and ragged lists are refused)."""
    array = real_array(name, value, what)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be {what} of shape (n,) with n >= 1, got shape {array.shape}")
    if not np.all(array == np.round(array)) or np.abs(array).max() >= 2**53:
        raise ValueError(f"{name} must hold integers, got {array.tolist()[:5]}")
    return array.astype(np.int64)


def memory(name: str, entries: int) -> None:
    """Refuse a result of ``entries`` float64 numbers larger than :data:`MAX_BYTES`."""
    if entries * 8 > MAX_BYTES:
        gib = f"{entries * 8 / 2**30:.1f}" if entries < 2**1000 else "beyond 1e290"  # a float would overflow
        raise ValueError(f"{name} is too large: the result would hold {entries:,} numbers "
                         f"({gib} GiB > {MAX_BYTES / 2**30:.0f} GiB)")


def in_closed_unit_interval(name: str, value) -> float:
    """A value in [0, 1] (a momentum that may be exactly 1)."""
    result = real_scalar(name, value)
    if not 0.0 <= result <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {result}")
    return result


def is_traced(value) -> bool:
    """True if any leaf of ``value`` is a JAX tracer (we are inside ``jit``/``grad``: no checks)."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(value))


def data(name: str, args) -> tuple:
    """Check the data passed to a loss as ``*args``: numeric leaves, floats finite.

    Returns ``args`` as a tuple, leaves unchanged (so that numbers are not
    perturbed); ``args[i]`` is named in the messages.
    """
    args = tuple(args)
    for i, arg in enumerate(args):
        if arg is None:
            raise TypeError(f"{name}[{i}] must be numeric data, got None")
        for leaf in jax.tree_util.tree_leaves(arg):
            if isinstance(leaf, jax.core.Tracer):
                continue
            array = numeric_array(f"{name}[{i}]", leaf, "numeric data")
            if np.issubdtype(array.dtype, np.inexact) and not np.all(np.isfinite(array)):
                raise ValueError(f"{name}[{i}] contains non-finite values (nan or inf)")
    return args


def numeric_array(name: str, value, what: str = "a number or an array of numbers") -> np.ndarray:
    """``value`` as a numpy array of real numbers or booleans (dtype kept; nan allowed), or a TypeError.

    Strings, None, ragged lists, object and complex dtypes are refused with a message naming ``name``.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    array = _asarray(name, value, what)
    if array.dtype == object or not (_is_number(array.dtype) or array.dtype == np.bool_):
        raise TypeError(f"{name} must contain numbers, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got complex dtype {array.dtype}")
    return array


def same_structure(name: str, value, other_name: str, other) -> None:
    """``value`` must have the tree structure and leaf shapes of ``other``."""
    a, b = jax.tree_util.tree_structure(value), jax.tree_util.tree_structure(other)
    shapes_a = [np.shape(leaf) for leaf in jax.tree_util.tree_leaves(value)]
    shapes_b = [np.shape(leaf) for leaf in jax.tree_util.tree_leaves(other)]
    if a != b or shapes_a != shapes_b:
        raise ValueError(f"{name} must match the structure of {other_name}: "
                         f"got shapes {shapes_a} and {shapes_b}")


def global_norm(tree):
    r"""Overflow- and underflow-safe Euclidean norm of all entries of an array or pytree.

    :math:`\sqrt{\sum_i g_i^2}`, computed directly when that is finite and
    normal, else as :math:`m \sqrt{\sum_i (g_i/m)^2}` with :math:`m = \max_i |g_i|`
    (so ``[1e200, 0]`` has norm 1e200, not ``inf``). Works under ``jax.jit``.
    """
    leaves = [jnp.asarray(leaf) for leaf in jax.tree_util.tree_leaves(tree)]
    direct = jnp.sqrt(sum(jnp.sum(jnp.square(leaf)) for leaf in leaves))
    biggest = functools.reduce(jnp.maximum, [jnp.max(jnp.abs(leaf), initial=0.0) for leaf in leaves])
    safe = jnp.where(biggest > 0, biggest, 1.0)
    scaled = biggest * jnp.sqrt(sum(jnp.sum(jnp.square(leaf / safe)) for leaf in leaves))
    ok = jnp.isfinite(direct) & (direct > 1e-150)
    return jnp.where(ok, direct, jnp.where(jnp.isfinite(biggest), scaled, direct))


def seed(name: str, value) -> int:
    """An integer seed in [0, 2**63): what ``jax.random.PRNGKey`` takes, and numpy's generators too."""
    if not is_integer(value):
        raise TypeError(f"{name} must be an integer seed, got {type(value).__name__}")
    if not 0 <= value < 2**63:
        raise ValueError(f"{name} must be a non-negative integer seed below 2**63, got {_shown(value)}")
    return int(value)


def prng_key(name: str, key):
    """An integer seed ``>= 0`` (made into ``jax.random.PRNGKey``) or a ``jax.random`` key."""
    if is_integer(key):
        return jax.random.PRNGKey(seed(name, key))
    if isinstance(key, jax.Array) and (jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
                                       or (key.dtype == jnp.uint32 and key.shape == (2,))):
        return key
    raise TypeError(f"{name} must be an integer seed or a jax.random key, got {type(key).__name__}")


def examples(name: str, arrays) -> tuple:
    """Training data: one or more numeric arrays with the same number ``N >= 1`` of examples
    along axis 0, floats finite. Returns them as JAX arrays; ``name[i]`` in the messages."""
    arrays = tuple(arrays)
    if not arrays:
        raise ValueError(f"{name} must contain at least one array of examples (e.g. x, y)")
    out = []
    for i, a in enumerate(arrays):
        if isinstance(a, (str, bytes)):
            raise TypeError(f"{name}[{i}] must be a numeric array, got {type(a).__name__}")
        array = _asarray(f"{name}[{i}]", a, "an array")
        if array.dtype == object or not (_is_number(array.dtype)
                                         or array.dtype == np.bool_) or np.iscomplexobj(array):
            raise TypeError(f"{name}[{i}] must be a real numeric array, got dtype {array.dtype}")
        if array.ndim == 0:
            raise ValueError(f"{name}[{i}] must have the examples along axis 0, got a scalar")
        if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
            raise ValueError(f"{name}[{i}] contains non-finite values (nan or inf)")
        out.append(jnp.asarray(array))
    n = out[0].shape[0]
    if n == 0:
        raise ValueError(f"{name} must contain at least one example, got 0")
    for i, a in enumerate(out):
        if a.shape[0] != n:
            raise ValueError(f"{name} arrays must all hold the same number of examples along axis 0: "
                             f"{name}[0] has {n}, {name}[{i}] has {a.shape[0]}")
    return tuple(out)


def batch_size(name: str, value, n: int) -> int:
    """A mini-batch size ``1 <= S <= N``."""
    value = positive_int(name, value)
    if value > n:
        raise ValueError(f"{name} must be <= the number of examples N = {n}, got {value}")
    return value


def positive_spectrum(name: str, eigenvalues) -> np.ndarray:
    """The eigenvalues of a positive definite Hessian as a flat float array: at least one, all > 0."""
    values = np.atleast_1d(real_array(name, eigenvalues, "an array")).ravel()
    if values.size == 0:
        raise ValueError(f"{name} must hold at least one eigenvalue")
    if np.any(values <= 0):
        raise ValueError(f"{name} must all be > 0 (a positive definite Hessian), "
                         f"got minimum {values.min():g}")
    return values


def answer_array(name: str, value) -> np.ndarray:
    """A reader's answer as a float array (nan allowed: a wrong answer, not a misread question).

    ``True`` is not the number 1 here, nor an array of booleans 0/1: a bool answers a yes/no
    question, not a numeric one.
    """
    if is_bool(value):
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(value).__name__}")
    array = numeric_array(name, value)
    if array.dtype == np.bool_:
        raise TypeError(f"{name} must be a number or an array of numbers, got an array of booleans")
    array = array.astype(np.float64)
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one number, got an empty array")
    return array


def shape_text(shape) -> str:
    """``"a scalar"`` for the shape ``()``, else ``"shape (2, 2)"``: the shape as an error message says it."""
    return "a scalar" if shape == () else f"shape {shape}"


# ----- added by fuzz-teach -----

def text(name: str, value, optional: bool = False) -> str | None:
    """A non-blank string (a label a message shows, a hint), or ``None`` too if ``optional``."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        wanted = "a string or None" if optional else "a string"
        raise TypeError(f"{name} must be {wanted}, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be blank, got {value!r}")
    return value


def reference_array(name: str, value) -> np.ndarray:
    """The right answer a check compares with, as a float64 array: a finite real number or a
    non-empty array of them (booleans, strings, nan and inf refused, naming ``name``)."""
    array = real_array(name, value, "a number or an array")
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one number, got shape {array.shape}")
    return array


def tolerance(name: str, value) -> float:
    """A comparison tolerance (``rtol``, ``atol``): a plain real number ``>= 0``, not an array or a bool."""
    if isinstance(value, _NOT_NUMBERS) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return nonnegative(name, value)
