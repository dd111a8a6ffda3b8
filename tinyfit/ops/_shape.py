"""NumPy-style shapes and indexing: reshape, transpose, join, split, repeat, pad, gather.

Everything here moves or copies elements, so each op is built from the engine's
reshape, transpose, getitem, concatenate and pad (or, for take_along_axis, its
own gather): gradients flow back to the elements that were read.
"""

from __future__ import annotations

import builtins
import operator
from typing import Any, Sequence

import numpy

from .. import backend
from ..autograd.ops.reduce import normalize_axis
from ..autograd.ops.shape import Pad, Reshape, Transpose, _pad_width, getitem
from ..autograd.ops.shape import concatenate as _concatenate
from ..autograd.tensor import Tensor
from ._core import TensorLike, _as_shape, _filled, _new_axes, _tensors, convert_to_tensor
from ._indexing import take
from ._symbolic import graph_node as _graph_node
from ._symbolic import symbolic as _symbolic

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


# *********************************************************************** shapes
def reshape(x: TensorLike, newshape: int | Sequence[int]) -> Tensor:
    """The same elements in a new shape; one size may be -1 (inferred)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(reshape, x, newshape=newshape)
    return Reshape.apply(convert_to_tensor(x), shape=_as_shape(newshape))


def transpose(x: TensorLike, axes: Sequence[int] | None = None) -> Tensor:
    """The axes permuted to `axes` (reversed when None)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(transpose, x, axes=axes)
    return Transpose.apply(convert_to_tensor(x), axes=None if axes is None else tuple(axes))


def ravel(x: TensorLike) -> Tensor:
    """`x` flattened to one axis."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(ravel, x)
    return Reshape.apply(convert_to_tensor(x), shape=(-1,))


def broadcast_to(x: TensorLike, shape: int | Sequence[int]) -> Tensor:
    """`x` repeated along new leading axes and size-1 axes to fill `shape`, as broadcasting does."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(broadcast_to, x, shape)
    x = convert_to_tensor(x)
    shape = _as_shape(shape)
    try:
        if backend.broadcast_shapes(x.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"broadcast_to: a tensor of shape {x.shape} cannot be broadcast to {shape}: each axis of x must "
            "equal the target's (counted from the end) or be 1."
        ) from None
    # Adding zeros of the target shape broadcasts; its backward sums the gradient back to x's shape.
    return x + _filled(shape, 0, x.dtype, x.device, "broadcast_to")


def swapaxes(x: TensorLike, axis1: int, axis2: int) -> Tensor:
    """`x` with axes `axis1` and `axis2` exchanged."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(swapaxes, x, axis1, axis2)
    x = convert_to_tensor(x)
    (a,), (b,) = normalize_axis("swapaxes", axis1, x.ndim), normalize_axis("swapaxes", axis2, x.ndim)
    order = list(range(x.ndim))
    order[a], order[b] = order[b], order[a]
    return Transpose.apply(x, axes=tuple(order))


def moveaxis(x: TensorLike, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """`x` with the axes `source` moved to positions `destination`, the others kept in order."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(moveaxis, x, source, destination)
    x = convert_to_tensor(x)
    sources = normalize_axis("moveaxis", source, x.ndim)
    targets = normalize_axis("moveaxis", destination, x.ndim)
    if len(sources) != len(targets):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} must name as many axes.")
    rest = iter(i for i in range(x.ndim) if i not in sources)
    placed = dict(zip(targets, sources))
    return Transpose.apply(x, axes=tuple(placed[i] if i in placed else next(rest) for i in range(x.ndim)))


def expand_dims(x: TensorLike, axis: int | Sequence[int]) -> Tensor:
    """`x` with a new axis of size 1 at `axis` (or at each of several axes)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(expand_dims, x, axis=axis)
    x = convert_to_tensor(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    new = _new_axes("expand_dims", axes, x.ndim + len(axes), f"a tensor of shape {x.shape}")
    sizes = iter(x.shape)
    shape = tuple(1 if i in new else next(sizes) for i in range(x.ndim + len(new)))
    return Reshape.apply(x, shape=shape)


def squeeze(x: TensorLike, axis: int | Sequence[int] | None = None) -> Tensor:
    """`x` without its size-1 axes (only those in `axis`, when given)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(squeeze, x, axis=axis)
    x = convert_to_tensor(x)
    if axis is None:
        return Reshape.apply(x, shape=tuple(n for n in x.shape if n != 1))
    given = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = normalize_axis("squeeze", given, x.ndim)
    for a, i in zip(given, axes):
        if x.shape[i] != 1:
            raise ValueError(
                f"squeeze: cannot squeeze axis {a} of a tensor of shape {x.shape}: it has size "
                f"{x.shape[i]}, not 1. Choose an axis of size 1, or leave axis=None to drop "
                "every size-1 axis."
            )
    return Reshape.apply(x, shape=tuple(n for i, n in enumerate(x.shape) if i not in axes))


def concatenate(xs: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """The tensors `xs` joined along an existing `axis`."""
    if not isinstance(xs, Tensor) and _symbolic(xs):
        return _graph_node(concatenate, xs, axis=axis)
    return _concatenate(_tensors(*xs), axis=axis)


def stack(x: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """The tensors in `x`, all of one shape, joined along a new `axis`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(stack, x, axis=axis)
    tensors = _tensors(*x)
    if not tensors:
        raise ValueError("stack: needs at least one tensor.")
    first = tensors[0].shape
    for i, t in enumerate(tensors[1:], start=1):
        if t.shape != first:
            raise ValueError(
                f"stack: all tensors must have the same shape, but tensor 0 has shape {first} "
                f"and tensor {i} has shape {t.shape}. Reshape or pad them to one shape first "
                "(concatenate joins tensors that differ along the joining axis)."
            )
    (position,) = _new_axes("stack", (axis,), len(first) + 1, f"tensors of shape {first}")
    return _concatenate([expand_dims(t, position) for t in tensors], axis=position)


def hstack(xs: Sequence[TensorLike]) -> Tensor:
    """The tensors joined along axis 1 (along axis 0 for vectors), as NumPy's hstack."""
    if not isinstance(xs, Tensor) and _symbolic(xs):
        return _graph_node(hstack, xs)
    tensors = _tensors(*xs)
    return _concatenate(tensors, axis=0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(xs: Sequence[TensorLike]) -> Tensor:
    """The tensors joined along axis 0 (vectors become rows first), as NumPy's vstack."""
    if not isinstance(xs, Tensor) and _symbolic(xs):
        return _graph_node(vstack, xs)
    tensors = [Reshape.apply(t, shape=(1, -1)) if t.ndim < 2 else t for t in _tensors(*xs)]
    return _concatenate(tensors, axis=0)


def unstack(x: TensorLike, num: int | None = None, axis: int = 0) -> list[Tensor]:
    """The slices of `x` along `axis`, as a list (the inverse of stack)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(unstack, x, num=num, axis=axis)
    x = convert_to_tensor(x)
    (axis,) = normalize_axis("unstack", axis, x.ndim)
    if num is not None and num != x.shape[axis]:
        raise ValueError(
            f"unstack: num={num} but axis {axis} of the tensor (shape {x.shape}) has size {x.shape[axis]}."
        )
    before = (builtins.slice(None),) * axis
    return [getitem(x, before + (i,)) for i in range(x.shape[axis])]


def split(x: TensorLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """`x` cut along `axis`: into that many equal parts (an int), or before each index (a list)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(split, x, indices_or_sections, axis=axis)
    x = convert_to_tensor(x)
    (axis,) = normalize_axis("split", axis, x.ndim)
    size = x.shape[axis]
    if isinstance(indices_or_sections, (int, numpy.integer)) and not isinstance(indices_or_sections, bool):
        parts = int(indices_or_sections)
        if parts <= 0 or size % parts:
            raise ValueError(
                f"split: cannot cut axis {axis} of size {size} (shape {x.shape}) into {parts} equal parts. "
                "Pass a number of parts that divides it, or a list of the indices to cut at."
            )
        cuts = [size // parts * i for i in range(1, parts)]
    else:
        cuts = [operator.index(i) for i in indices_or_sections]
    edges = [0, *(builtins.min(builtins.max(c if c >= 0 else c + size, 0), size) for c in cuts), size]
    before = (builtins.slice(None),) * axis
    return [getitem(x, before + (builtins.slice(start, builtins.max(start, stop)),))
            for start, stop in zip(edges[:-1], edges[1:])]


def tile(x: TensorLike, repeats: int | Sequence[int]) -> Tensor:
    """`x` repeated `repeats` times along each axis (whole copies, one after another)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(tile, x, repeats)
    x = convert_to_tensor(x)
    repeats = _as_shape(repeats)
    if builtins.any(isinstance(r, bool) or not isinstance(r, int) or r < 0 for r in repeats):
        raise ValueError(f"tile: repeats must be non-negative ints, got {repeats!r}.")
    ndim = builtins.max(x.ndim, len(repeats))
    x = Reshape.apply(x, shape=(1,) * (ndim - x.ndim) + x.shape)
    repeats = (1,) * (ndim - len(repeats)) + repeats
    for axis, times in enumerate(repeats):
        if times != 1:
            source = numpy.tile(numpy.arange(x.shape[axis]), times)
            x = take(x, backend.to_device(source, x.device), axis=axis)
    return x


def repeat(x: TensorLike, repeats: int | Sequence[int], axis: int | None = None) -> Tensor:
    """Each element (of the flattened `x` for axis=None) repeated `repeats` times in place."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(repeat, x, repeats, axis=axis)
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = Reshape.apply(x, shape=(-1,)), 0
    (axis,) = normalize_axis("repeat", axis, x.ndim)
    counts = backend.to_numpy(repeats.data) if isinstance(repeats, Tensor) else numpy.asarray(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or (counts < 0).any() or \
            counts.size not in (1, x.shape[axis]):
        raise ValueError(
            f"repeat: repeats must be a non-negative int or one per element along axis {axis} "
            f"(size {x.shape[axis]}), got {repeats!r}."
        )
    source = numpy.repeat(numpy.arange(x.shape[axis]), counts)
    return take(x, backend.to_device(source, x.device), axis=axis)


def flip(x: TensorLike, axis: int | Sequence[int] | None = None) -> Tensor:
    """`x` with the order of elements reversed along `axis` (every axis for None)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(flip, x, axis=axis)
    x = convert_to_tensor(x)
    axes = normalize_axis("flip", axis, x.ndim)
    axes = range(x.ndim) if axes is None else axes
    backwards, whole = builtins.slice(None, None, -1), builtins.slice(None)
    return getitem(x, tuple(backwards if i in axes else whole for i in range(x.ndim)))


def pad(x: TensorLike, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    """`x` padded by (before, after) elements per axis.

    Modes: "constant" (fill with `constant_values`, default 0), "edge" (repeat
    the border value), "reflect" and "symmetric" (mirror, without and with the
    border value), "wrap" (continue from the other end).
    """
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(pad, x, pad_width=pad_width, mode=mode, constant_values=constant_values)
    x = convert_to_tensor(x)
    if mode == "constant":
        fill = 0 if constant_values is None else constant_values
        return Pad.apply(x, pad_width=pad_width, constant_values=fill)
    if mode not in _PAD_MODES:
        modes = ", ".join(map(repr, _PAD_MODES))
        raise ValueError(f"pad: unknown mode {mode!r}; tinyfit supports {modes}.")
    if constant_values is not None:
        raise ValueError(f"pad: constant_values is used only with mode='constant', not mode={mode!r}.")
    for axis, (before, after) in enumerate(_pad_width(pad_width, x.shape)):
        if before or after:
            # Which source element lands at each padded position: NumPy's pad of the positions.
            source = numpy.pad(numpy.arange(x.shape[axis]), (before, after), mode=mode)
            x = take(x, backend.to_device(source, x.device), axis=axis)
    return x
