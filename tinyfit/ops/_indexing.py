"""Indexing: blocks, gathers along an axis, and triangles.

Each op reads elements of its input, so gradients flow back to the elements
read (added up where one was read twice).
"""

from __future__ import annotations

import builtins
from typing import Sequence

import numpy

from .. import backend
from ..autograd.ops.gather import TakeAlongAxis
from ..autograd.ops.reduce import normalize_axis
from ..autograd.ops.shape import Reshape, getitem
from ..autograd.tensor import Tensor
from ._core import TensorLike, convert_to_tensor
from ._elementwise import where
from ._symbolic import graph_node as _graph_node
from ._symbolic import symbolic as _symbolic


def slice(inputs: TensorLike, start_indices: Sequence[int], shape: Sequence[int]) -> Tensor:
    """The block of `inputs` of size `shape` whose first element is at `start_indices`."""
    if not isinstance(inputs, Tensor) and _symbolic(inputs):
        return _graph_node(slice, inputs, start_indices, shape)
    x = convert_to_tensor(inputs)
    starts = [int(i) for i in (start_indices.numpy() if isinstance(start_indices, Tensor) else start_indices)]
    sizes = [int(n) for n in (shape.numpy() if isinstance(shape, Tensor) else shape)]
    if len(starts) != x.ndim or len(sizes) != x.ndim:
        raise ValueError(
            f"slice: a tensor of shape {x.shape} needs {x.ndim} start indices and {x.ndim} sizes, "
            f"got start_indices={starts} and shape={sizes}."
        )
    for axis, (start, size, n) in enumerate(zip(starts, sizes, x.shape)):
        if start < 0 or size < 0 or start + size > n:
            raise ValueError(
                f"slice: on axis {axis} of size {n}, a block of size {size} starting at {start} does not "
                f"fit (shape {x.shape}, start_indices={starts}, shape={sizes})."
            )
    return getitem(x, tuple(builtins.slice(s, s + n) for s, n in zip(starts, sizes)))


def take(x: TensorLike, indices: TensorLike, axis: int | None = None) -> Tensor:
    """The elements of `x` at `indices` along `axis` (of the flattened `x` for None)."""
    if not (isinstance(x, Tensor) and isinstance(indices, Tensor)) and _symbolic(x, indices):
        return _graph_node(take, x, indices, axis=axis)
    x = convert_to_tensor(x)
    indices = convert_to_tensor(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"take: indices must be integers, got dtype {indices.dtype}. Cast them first, "
            "e.g. ops.cast(indices, 'int32')."
        )
    if axis is None:
        x, axis = Reshape.apply(x, shape=(-1,)), 0
    (axis,) = normalize_axis("take", axis, x.ndim)
    _check_bounds("take", indices, axis, x.shape[axis])
    return getitem(x, (builtins.slice(None),) * axis + (indices,))


def take_along_axis(x: TensorLike, indices: TensorLike, axis: int | None = None) -> Tensor:
    """The elements of `x` at `indices` along `axis`, where `indices` has the axes of `x`.

    Pairs with argsort and argmax(keepdims=True): take_along_axis(x, argsort(x)) sorts x.
    """
    if not (isinstance(x, Tensor) and isinstance(indices, Tensor)) and _symbolic(x, indices):
        return _graph_node(take_along_axis, x, indices, axis=axis)
    x, indices = convert_to_tensor(x), convert_to_tensor(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got dtype {indices.dtype}.")
    if axis is None:
        x, axis = Reshape.apply(x, shape=(-1,)), 0
    (axis,) = normalize_axis("take_along_axis", axis, x.ndim)
    if indices.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: indices of shape {indices.shape} need as many axes as x of shape {x.shape} "
            f"({x.ndim}); add axes with expand_dims, or use take for a 1-D list of indices."
        )
    if builtins.any(d != axis and n != m and 1 not in (n, m)
                    for d, (n, m) in enumerate(zip(x.shape, indices.shape))):
        raise ValueError(
            f"take_along_axis: indices of shape {indices.shape} do not fit x of shape {x.shape}: "
            f"on every axis but {axis}, their sizes must be equal or 1."
        )
    _check_bounds("take_along_axis", indices, axis, x.shape[axis])
    return TakeAlongAxis.apply(x, indices=backend.to_device(indices.data, x.device), axis=axis)


def _check_bounds(op: str, indices: Tensor, axis: int, size: int) -> None:
    if indices.size:
        low, high = int(indices.data.min()), int(indices.data.max())
        bad = high if high >= size else low if low < -size else None
        if bad is not None:
            raise IndexError(
                f"{op}: index {bad} is out of bounds for axis {axis} of size {size}; valid "
                f"indices are {-size}..{size - 1}."
            )


def tril(x: TensorLike, k: int = 0) -> Tensor:
    """`x` with the elements above diagonal `k` of its last two axes set to zero."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(tril, x, k=k)
    return _triangle("tril", x, k)


def triu(x: TensorLike, k: int = 0) -> Tensor:
    """`x` with the elements below diagonal `k` of its last two axes set to zero."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(triu, x, k=k)
    return _triangle("triu", x, k)


def roll(x: TensorLike, shift: int | Sequence[int], axis: int | Sequence[int] | None = None) -> Tensor:
    """`x` with its elements moved `shift` places along `axis`, those past the end coming round to the start."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(roll, x, shift, axis=axis)
    x = convert_to_tensor(x)
    if axis is None:
        return Reshape.apply(roll(Reshape.apply(x, shape=(-1,)), shift, axis=0), shape=x.shape)
    axes = normalize_axis("roll", axis, x.ndim)
    shifts = (shift,) * len(axes) if isinstance(shift, int) else tuple(shift)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} must name as many values.")
    for a, s in zip(axes, shifts):
        source = numpy.roll(numpy.arange(x.shape[a]), s)
        x = take(x, backend.to_device(source, x.device), axis=a)
    return x


def diff(a: TensorLike, n: int = 1, axis: int = -1) -> Tensor:
    """The differences of neighbours along `axis`, `n` times over: a[1:] - a[:-1]."""
    if not isinstance(a, Tensor) and _symbolic(a):
        return _graph_node(diff, a, n=n, axis=axis)
    x = convert_to_tensor(a)
    (axis,) = normalize_axis("diff", axis, x.ndim)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"diff: n must be a non-negative int, got {n!r}.")
    before = (builtins.slice(None),) * axis
    for _ in range(n):
        x = getitem(x, before + (builtins.slice(1, None),)) - getitem(x, before + (builtins.slice(None, -1),))
    return x


def _triangle(op: str, x: TensorLike, k: int) -> Tensor:
    x = convert_to_tensor(x)
    if x.ndim < 2:
        raise ValueError(
            f"{op}: needs a tensor with at least 2 axes (a matrix or a batch of them), got shape {x.shape}."
        )
    keep = getattr(numpy, op)(numpy.ones(x.shape[-2:], dtype=bool), k)
    zero = Tensor._make(backend.module_for(x.device).zeros((), dtype=x.dtype), False)
    return where(backend.to_device(keep, x.device), x, zero)
