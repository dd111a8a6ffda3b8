"""Reductions, running sums, sorting and segment reductions.

sum, max, min, prod and cumsum are primitives of the engine; mean, var, std,
logsumexp and norm are built from them. sort and top_k gather with the
indices that argsort finds, so their values carry gradients; the indices
(argmax, argsort, top_k's second result), any and all carry none.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.ops.gather import SegmentMax, SegmentSum
from ..autograd.ops.reduce import Cumsum, Max, Min, Prod, Sum, arg, normalize_axis
from ..autograd.ops.reduce import logsumexp as _logsumexp
from ..autograd.ops.reduce import mean as _mean
from ..autograd.ops.reduce import std as _std
from ..autograd.ops.reduce import var as _var
from ..autograd.ops.shape import Reshape
from ..autograd.tensor import Tensor
from ._core import TensorLike, _filled, _floating, _reduced_shape, cast, convert_to_tensor
from ._comparison import not_equal
from ._elementwise import abs, maximum, minimum, power, sqrt, square
from ._indexing import take_along_axis
from ._shape import expand_dims
from ._symbolic import graph_node as _graph_node
from ._symbolic import symbolic as _symbolic

_VECTOR_ORDS = "None, 'fro' (for matrices), inf, -inf, 0 or any other number"
_MATRIX_ORDS = "None, 'fro', 1, -1, inf, -inf"


# ******************************************************************* reductions
def sum(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The sum over `axis` (an int, a tuple of ints, or None for all axes)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(sum, x, axis=axis, keepdims=keepdims)
    return Sum.apply(convert_to_tensor(x), axis=axis, keepdims=keepdims)


def mean(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The average over `axis`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(mean, x, axis=axis, keepdims=keepdims)
    return _mean(_floating(x), axis, keepdims)


def max(x: TensorLike, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:
    """The largest element over `axis`, and at least `initial` when it is given."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(max, x, axis=axis, keepdims=keepdims, initial=initial)
    x = convert_to_tensor(x)
    if initial is not None and x.size == 0:
        return _filled(_reduced_shape("max", x, axis, keepdims), initial, x.dtype, x.device, "max")
    out = Max.apply(x, axis=axis, keepdims=keepdims)
    return out if initial is None else maximum(out, initial)


def min(x: TensorLike, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:
    """The smallest element over `axis`, and at most `initial` when it is given."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(min, x, axis=axis, keepdims=keepdims, initial=initial)
    x = convert_to_tensor(x)
    if initial is not None and x.size == 0:
        return _filled(_reduced_shape("min", x, axis, keepdims), initial, x.dtype, x.device, "min")
    out = Min.apply(x, axis=axis, keepdims=keepdims)
    return out if initial is None else minimum(out, initial)


def prod(x: TensorLike, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    """The product of the elements over `axis` (bool and small ints multiply as int32)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(prod, x, axis=axis, keepdims=keepdims, dtype=dtype)
    x = convert_to_tensor(x)
    if dtype is not None:
        x = cast(x, dtype)
    elif x.dtype.kind in "biu" and x.dtype.itemsize < 4:
        x = cast(x, "int32")
    return Prod.apply(x, axis=axis, keepdims=keepdims)


def var(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The variance over `axis` (divided by n, as NumPy does)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(var, x, axis=axis, keepdims=keepdims)
    return _var(_floating(x), axis, keepdims)


def std(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The standard deviation over `axis` (the square root of `var`)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(std, x, axis=axis, keepdims=keepdims)
    return _std(_floating(x), axis, keepdims)


def amax(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The largest element over `axis` (the same as `max`)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(amax, x, axis=axis, keepdims=keepdims)
    return max(x, axis=axis, keepdims=keepdims)


def amin(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The smallest element over `axis` (the same as `min`)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(amin, x, axis=axis, keepdims=keepdims)
    return min(x, axis=axis, keepdims=keepdims)


def count_nonzero(x: TensorLike, axis: Any = None) -> Tensor:
    """How many elements over `axis` are not zero (int32)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(count_nonzero, x, axis=axis)
    return cast(Sum.apply(cast(not_equal(x, 0), "int32"), axis=axis), "int32")


def any(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether any element over `axis` is non-zero (True)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(any, x, axis=axis, keepdims=keepdims)
    return _truth("any", x, axis, keepdims)


def all(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether every element over `axis` is non-zero (True)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(all, x, axis=axis, keepdims=keepdims)
    return _truth("all", x, axis, keepdims)


def argmax(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The index of the largest element along `axis` (of the flattened tensor for None)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(argmax, x, axis=axis, keepdims=keepdims)
    return _arg("argmax", x, axis, keepdims)


def argmin(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The index of the smallest element along `axis` (of the flattened tensor for None)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(argmin, x, axis=axis, keepdims=keepdims)
    return _arg("argmin", x, axis, keepdims)


def logsumexp(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over `axis`, computed without overflow."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(logsumexp, x, axis=axis, keepdims=keepdims)
    return _logsumexp(_floating(x), axis, keepdims)


def norm(x: TensorLike, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    """A vector norm over one axis, or a matrix norm over two.

    With ord=None: the 2-norm of the flattened axes (Frobenius for matrices).
    Vectors: any number p gives sum(|x|^p)^(1/p); inf and -inf the largest and
    smallest |x|; 0 the count of non-zeros. Matrices: 'fro', 1 and -1 (largest
    and smallest column sum of |x|), inf and -inf (row sums). With axis=None,
    `x` must be a vector or a matrix unless ord is None.
    """
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(norm, x, ord=ord, axis=axis, keepdims=keepdims)
    x = _floating(x)
    axes = normalize_axis("norm", axis, x.ndim)
    if axes is None:
        if ord is not None and x.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} needs a vector or a matrix, or an axis; x has shape {x.shape}.")
        axes = tuple(range(x.ndim))
    if ord is None or (ord == "fro" and len(axes) == 2):
        return sqrt(sum(square(x), axis=axes, keepdims=keepdims))
    if len(axes) == 1:
        out = _vector_norm(x, ord, axes)
    elif len(axes) == 2:
        out = _matrix_norm(x, ord, axes)
    else:
        raise ValueError(f"norm: ord={ord!r} needs one axis (a vector norm) or two (a matrix norm), got {axis!r}.")
    return out if keepdims else Reshape.apply(out, shape=_reduced_shape("norm", x, axes, False))


def _vector_norm(x: Tensor, ord: Any, axes: tuple) -> Tensor:
    if isinstance(ord, str) or isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise ValueError(f"norm: ord={ord!r} is not a vector norm; use {_VECTOR_ORDS}.")
    if ord == float("inf"):
        return max(abs(x), axis=axes, keepdims=True)
    if ord == float("-inf"):
        return min(abs(x), axis=axes, keepdims=True)
    if ord == 0:
        return sum(cast(not_equal(x, 0), x.dtype), axis=axes, keepdims=True)
    if ord == 1:
        return sum(abs(x), axis=axes, keepdims=True)
    return power(sum(power(abs(x), ord), axis=axes, keepdims=True), 1.0 / ord)


def _matrix_norm(x: Tensor, ord: Any, axes: tuple) -> Tensor:
    rows, columns = axes
    if ord in (1, -1):  # sum each column (over rows), then the largest or smallest
        sums, across = sum(abs(x), axis=rows, keepdims=True), columns
    elif ord in (float("inf"), float("-inf")):
        sums, across = sum(abs(x), axis=columns, keepdims=True), rows
    else:
        raise ValueError(
            f"norm: ord={ord!r} is not a matrix norm tinyfit computes; use {_MATRIX_ORDS} "
            "(2, -2 and 'nuc' need singular values)."
        )
    return (max if ord > 0 else min)(sums, axis=across, keepdims=True)


# ********************************************************* running sums, sorting
def cumsum(x: TensorLike, axis: int | None = None, dtype: Any = None) -> Tensor:
    """The running sum along `axis` (of the flattened `x` for None)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(cumsum, x, axis=axis, dtype=dtype)
    x = convert_to_tensor(x)
    if dtype is not None:
        x = cast(x, dtype)
    elif x.dtype.kind == "b":
        x = cast(x, "int32")
    if axis is None:
        x, axis = Reshape.apply(x, shape=(-1,)), 0
    (axis,) = _one_axis("cumsum", axis, x.ndim)
    return Cumsum.apply(x, axis=axis)


def argsort(x: TensorLike, axis: int | None = -1) -> Tensor:
    """The int32 indices that sort `x` along `axis` in ascending order (ties keep their order)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(argsort, x, axis=axis)
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = Reshape.apply(x, shape=(-1,)), 0
    (axis,) = _one_axis("argsort", axis, x.ndim)
    return Tensor._make(_stable_argsort(x.data, axis).astype("int32"), False)


def sort(x: TensorLike, axis: int = -1) -> Tensor:
    """`x` sorted along `axis` in ascending order; gradients follow each element to its place."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(sort, x, axis=axis)
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = Reshape.apply(x, shape=(-1,)), 0
    return take_along_axis(x, argsort(x, axis=axis), axis=axis)


def top_k(x: TensorLike, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:
    """The `k` largest values along the last axis, largest first, and their int32 indices.

    Equal values keep their order (the earlier index first). Only the values carry gradients.
    """
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(top_k, x, k, sorted=sorted)
    x = convert_to_tensor(x)
    if x.ndim == 0:
        raise ValueError("top_k: x must have at least one axis; it is a scalar.")
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= x.shape[-1]:
        raise ValueError(f"top_k: k={k!r} must be an int in 0..{x.shape[-1]}, the size of the last axis of "
                         f"x (shape {x.shape}).")
    keys = x.data if x.dtype.kind == "f" else x.data.astype("int64")
    indices = _stable_argsort(-keys, -1)[..., :k].astype("int32")
    indices = Tensor._make(indices, False)
    return take_along_axis(x, indices, axis=-1), indices


# ************************************************************ segment reductions
def segment_sum(data: TensorLike, segment_ids: TensorLike, num_segments: int | None = None,
                sorted: bool = False) -> Tensor:
    """Row i of the result sums the rows of `data` whose segment id is i (ids of -1 are left out)."""
    if not (isinstance(data, Tensor) and isinstance(segment_ids, Tensor)) and _symbolic(data, segment_ids):
        return _graph_node(segment_sum, data, segment_ids, num_segments=num_segments, sorted=sorted)
    data, ids, num_segments = _segments("segment_sum", data, segment_ids, num_segments)
    return SegmentSum.apply(data, segment_ids=ids, num_segments=num_segments)


def segment_max(data: TensorLike, segment_ids: TensorLike, num_segments: int | None = None,
                sorted: bool = False) -> Tensor:
    """Row i of the result is the max of the rows whose segment id is i (-inf for an empty segment)."""
    if not (isinstance(data, Tensor) and isinstance(segment_ids, Tensor)) and _symbolic(data, segment_ids):
        return _graph_node(segment_max, data, segment_ids, num_segments=num_segments, sorted=sorted)
    data, ids, num_segments = _segments("segment_max", data, segment_ids, num_segments)
    return SegmentMax.apply(data, segment_ids=ids, num_segments=num_segments)


# ********************************************************************** helpers
def _segments(op: str, data: TensorLike, segment_ids: TensorLike, num_segments: Any) -> tuple:
    """data as a tensor, the ids as an array on its device, and the number of segments, checked."""
    data, ids = convert_to_tensor(data), convert_to_tensor(segment_ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{op}: segment_ids must be integers, got dtype {ids.dtype}.")
    if data.ndim == 0 or ids.shape != data.shape[:1]:
        raise ValueError(f"{op}: segment_ids must be 1-D with one id per row of data: data has shape "
                         f"{data.shape}, segment_ids has shape {ids.shape}.")
    top = int(ids.data.max()) if ids.size else -1
    if num_segments is None:
        num_segments = top + 1
    elif isinstance(num_segments, bool) or not isinstance(num_segments, int) or num_segments < 0:
        raise ValueError(f"{op}: num_segments must be a non-negative int or None, got {num_segments!r}.")
    elif top >= num_segments:
        raise ValueError(f"{op}: segment id {top} is out of range for num_segments={num_segments}; ids must "
                         f"lie in 0..{num_segments - 1} (or be -1 to leave a row out).")
    return data, backend.to_device(ids.data, data.device), num_segments


def _stable_argsort(data: Any, axis: int) -> Any:
    """argsort that keeps equal elements in order (CuPy's sort always does; NumPy's must be asked)."""
    if backend.device_of(data) == "gpu":
        return backend.array_module(data).argsort(data, axis=axis)
    return data.argsort(axis=axis, kind="stable")


def _one_axis(op: str, axis: Any, ndim: int) -> tuple[int]:
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise ValueError(f"{op}: axis must be one int or None, got {axis!r}.")
    return normalize_axis(op, axis, ndim)


def _truth(op: str, x: TensorLike, axis: Any, keepdims: bool) -> Tensor:
    data = convert_to_tensor(x).data
    axes = normalize_axis(op, axis, data.ndim)
    return Tensor._make(backend.array_module(data).asarray(getattr(data, op)(axis=axes, keepdims=keepdims)), False)


def _arg(op: str, x: TensorLike, axis: int | None, keepdims: bool) -> Tensor:
    x = convert_to_tensor(x)
    out = arg(op, x, axis)
    if not keepdims:
        return out
    return Reshape.apply(out, shape=(1,) * x.ndim) if axis is None else expand_dims(out, axis)
