"""Conversion and creation: tensors from data, dtypes, shapes, and new tensors.

Also the dtype rules every op shares (`_tensors`, `_floating`): Python numbers
take the dtype of a tensor beside them, integers meeting floats become floats.
"""

from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy

from .. import backend
from ..autograd.ops.elementwise import Cast
from ..autograd.ops.reduce import normalize_axis
from ..autograd.tensor import Tensor, as_dtype
from ._symbolic import graph_node as _graph_node
from ._symbolic import symbolic as _symbolic

TensorLike = Any  # a Tensor, a NumPy/CuPy array, a (nested) list or a Python number


def convert_to_tensor(x: TensorLike, dtype: Any = None, sparse: bool | None = None,
                      ragged: bool | None = None) -> Tensor:
    """`x` as a Tensor: a Tensor is returned as is (cast when `dtype` differs)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(convert_to_tensor, x, dtype=dtype, sparse=sparse, ragged=ragged)
    if sparse or ragged:
        flag = "sparse" if sparse else "ragged"
        raise ValueError(
            f"convert_to_tensor: {flag}=True is not supported; tinyfit tensors are always "
            f"dense, with equal-length rows. Leave {flag}=None."
        )
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == as_dtype(dtype, "convert_to_tensor") else cast(x, dtype)
    if isinstance(x, numpy.generic):  # a NumPy scalar keeps its dtype, as an array would
        x = numpy.asarray(x)
    if dtype is None and not backend.is_array(x):
        dtype = _python_dtype(x)
    return Tensor(x, dtype=dtype)


def convert_to_numpy(x: TensorLike) -> numpy.ndarray:
    """The values of `x` as a NumPy array (copied from the GPU when needed)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        raise TypeError(
            f"convert_to_numpy: {x!r} is a symbolic tensor of a model definition; it holds no values. "
            "Build the model with keras.Model(inputs, outputs), call it on data, then convert its outputs."
        )
    return backend.to_numpy(x.data if isinstance(x, Tensor) else x)


def cast(x: TensorLike, dtype: Any) -> Tensor:
    """`x` converted to `dtype`; gradients flow back through float-to-float casts."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(cast, x, dtype=dtype)
    return Cast.apply(convert_to_tensor(x), dtype=as_dtype(dtype, "cast"))


def stop_gradient(variable: TensorLike) -> Tensor:
    """The same values, treated as a constant: no gradient flows back through it."""
    if not isinstance(variable, Tensor) and _symbolic(variable):
        return _graph_node(stop_gradient, variable)
    return convert_to_tensor(variable).detach()


def shape(x: TensorLike) -> tuple:
    """The shape of `x` as a tuple of ints (None for unknown sizes of a symbolic tensor)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return tuple(x.shape)
    if isinstance(x, Tensor) or backend.is_array(x):
        return tuple(builtins.int(n) for n in x.shape)
    return tuple(numpy.shape(x))


def zeros(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A new tensor of zeros (float32 unless `dtype` is given)."""
    return _filled(shape, 0, dtype, backend.default_device(), "zeros")


def ones(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A new tensor of ones (float32 unless `dtype` is given)."""
    return _filled(shape, 1, dtype, backend.default_device(), "ones")


def zeros_like(x: TensorLike, dtype: Any = None) -> Tensor:
    """Zeros with the shape, device and (unless `dtype` is given) dtype of `x`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(zeros_like, x, dtype=dtype)
    x = convert_to_tensor(x)
    return _filled(x.shape, 0, x.dtype if dtype is None else dtype, x.device, "zeros_like")


def ones_like(x: TensorLike, dtype: Any = None) -> Tensor:
    """Ones with the shape, device and (unless `dtype` is given) dtype of `x`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(ones_like, x, dtype=dtype)
    x = convert_to_tensor(x)
    return _filled(x.shape, 1, x.dtype if dtype is None else dtype, x.device, "ones_like")


def full(shape: int | Sequence[int], fill_value: Any, dtype: Any = None) -> Tensor:
    """A new tensor of `shape` filled with `fill_value` (float32 unless `dtype` is given)."""
    return _filled(shape, fill_value, dtype, backend.default_device(), "full")


def full_like(x: TensorLike, fill_value: Any, dtype: Any = None) -> Tensor:
    """`fill_value` everywhere, with the shape, device and (unless `dtype` is given) dtype of `x`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(full_like, x, fill_value, dtype=dtype)
    x = convert_to_tensor(x)
    return _filled(x.shape, fill_value, x.dtype if dtype is None else dtype, x.device, "full_like")


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop) (or [0, start) with one argument).

    Python ints give int32 and any float gives float32, unless `dtype` says otherwise.
    """
    if step is not None and step == 0:
        raise ValueError("arange: step is 0; it must be a non-zero number.")
    if dtype is None:
        given = [v for v in (start, stop, step) if v is not None]
        dtype = "float32" if any(numpy.asarray(v).dtype.kind == "f" for v in given) else "int32"
    if stop is None:
        start, stop = 0, start
    values = numpy.arange(start, stop, 1 if step is None else step, dtype=as_dtype(dtype, "arange"))
    return Tensor(backend.to_device(values, backend.default_device()), dtype=values.dtype)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0) -> Tensor | tuple:
    """`num` evenly spaced values from `start` to `stop` (included when `endpoint`).

    With `retstep=True`, returns (values, step).
    """
    if isinstance(num, bool) or not isinstance(num, int) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative int, got {num!r}.")
    starts, stops = backend.to_numpy(_values(start)), backend.to_numpy(_values(stop))
    values, step = numpy.linspace(starts, stops, num=num, endpoint=endpoint, retstep=True, axis=axis)
    out = Tensor(backend.to_device(values, backend.default_device()), dtype=dtype or "float32")
    return (out, step) if retstep else out


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:
    """A 2-D tensor of shape (N, M) with ones on diagonal `k` and zeros elsewhere."""
    for name, value in (("N", N), ("M", M), ("k", k)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"eye: {name} must be an int, got {value!r}.")
    dtype = as_dtype("float32" if dtype is None else dtype, "eye")
    return Tensor._make(backend.xp().eye(N, M, k=k, dtype=dtype), False)


def empty(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A new tensor of `shape` (tinyfit fills it with zeros, so nothing is left undefined)."""
    return _filled(shape, 0, dtype, backend.default_device(), "empty")


def identity(n: int, dtype: Any = None) -> Tensor:
    """The n x n identity matrix."""
    return eye(n, dtype=dtype)


def ndim(x: TensorLike) -> int:
    """The number of axes of `x`."""
    return len(shape(x))


def size(x: TensorLike) -> int:
    """The number of elements of `x`."""
    return builtins.int(numpy.prod(shape(x), dtype=numpy.int64))


def is_tensor(x: Any) -> bool:
    """Whether `x` is a tinyfit Tensor (not an array, a list or a number)."""
    return isinstance(x, Tensor)


def dtype(x: TensorLike) -> str:
    """The name of the dtype of `x`, such as "float32"."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return str(x.dtype)
    return convert_to_tensor(x).dtype.name


# ********************************************************************** helpers
def _is_python_scalar(x: Any) -> bool:
    """A Python bool, int or float: Keras's "weak" types, which take the dtype of a tensor
    beside them. Bools count here (unlike `backend.is_number`): True beside a bool tensor
    stays a bool."""
    return isinstance(x, (bool, int, float))


def _python_dtype(x: Any) -> str | None:
    """Keras's dtype for Python data: bool stays bool, ints become int32, floats float32 (None)."""
    return {"b": "bool", "i": "int32", "u": "int32"}.get(numpy.asarray(x).dtype.kind)


def _floating(x: TensorLike) -> Tensor:
    """`x` as a tensor, in float32 when it holds integers or bools."""
    x = convert_to_tensor(x)
    return x if x.dtype.kind == "f" else cast(x, "float32")


def _tensors(*values: TensorLike) -> list[Tensor]:
    """The operands of one op as tensors of a common kind.

    Python numbers take the dtype of a tensor beside them (a float one first)
    when that dtype can hold them, as Keras's "weak" Python types do; integer
    tensors mixed with floating ones are converted to the floating dtype.
    """
    first = values[0] if values else None
    if isinstance(first, Tensor) and all(isinstance(v, Tensor) and v.dtype == first.dtype for v in values[1:]):
        return list(values)  # the usual case: tensors of one dtype, nothing to convert
    tensors = [None if _is_python_scalar(v) else convert_to_tensor(v) for v in values]
    given = [t for t in tensors if t is not None]
    floats = [t for t in given if t.dtype.kind == "f"]
    like = floats[0] if floats else given[0] if given else None
    tensors = [t if t is not None else _number_beside(v, like) for t, v in zip(tensors, values)]
    float_dtypes = [t.dtype for t in tensors if t.dtype.kind == "f"]
    if float_dtypes:
        target = numpy.result_type(*float_dtypes)
        tensors = [t if t.dtype.kind == "f" else cast(t, target) for t in tensors]
    return tensors


def _number_beside(value: bool | int | float, like: Tensor | None) -> Tensor:
    if like is None:
        return convert_to_tensor(value)
    holds = {"f": (int, float), "i": (int,), "u": (int,), "b": (bool,)}[like.dtype.kind]
    dtype = like.dtype if isinstance(value, holds) else None
    return convert_to_tensor(value, dtype=dtype).to(like.device)


def _filled(shape: Any, value: Any, dtype: Any, device: str, op: str) -> Tensor:
    dtype = as_dtype("float32" if dtype is None else dtype, op)
    return Tensor._make(backend.module_for(device).full(_as_shape(shape), value, dtype=dtype), False)


def _as_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(shape)


def _reduced_shape(op: str, x: Tensor, axis: Any, keepdims: bool) -> tuple[int, ...]:
    """The shape a reduction of `x` over `axis` has."""
    axes = normalize_axis(op, axis, x.ndim)
    axes = range(x.ndim) if axes is None else axes
    return tuple(1 if i in axes else n for i, n in enumerate(x.shape) if keepdims or i not in axes)


def _new_axes(op: str, axes: tuple, ndim: int, what: str) -> tuple[int, ...]:
    """Positions of new axes in a result with `ndim` axes, checked and made non-negative."""
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int) or not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {a!r} is out of range for {what}: the result has {ndim} axes, so "
                f"the new axis must lie in {-ndim}..{ndim - 1}."
            )
    positions = tuple(a % ndim for a in axes)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{op}: axis {axes!r} names the same position twice.")
    return positions


def _values(x: TensorLike) -> Any:
    """The array behind `x` (a Tensor's data, or `x` made an array)."""
    return x.data if isinstance(x, Tensor) else numpy.asarray(x)
