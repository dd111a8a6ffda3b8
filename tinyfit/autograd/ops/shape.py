"""Movement ops: reshape, transpose, indexing, concatenation, padding, device moves.

None of these change values, only where they sit, so each backward moves the
gradient back to where its values came from.
"""

from __future__ import annotations

from typing import Any, Sequence

from ... import backend
from ..function import Function, check_same_device
from ..tensor import Tensor  # after ..function, which loads tensor.py whichever came first


class Reshape(Function):
    name = "reshape"

    def forward(self, a, shape):
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except (ValueError, TypeError):
            wanted = (shape,) if isinstance(shape, int) else tuple(shape)
            raise ValueError(
                f"reshape: cannot reshape {a.shape} ({a.size} elements) into {wanted}: "
                "the element counts must match (use at most one -1 to infer a size)."
            ) from None

    def backward(self, grad):
        return grad.reshape(self.shape)


class Transpose(Function):
    name = "transpose"

    def forward(self, a, axes=None):
        if axes is None:
            axes = tuple(reversed(range(a.ndim)))
        if sorted(ax % a.ndim if a.ndim else ax for ax in axes) != list(range(a.ndim)) or \
                any(not -a.ndim <= ax < a.ndim for ax in axes):
            raise ValueError(
                f"transpose: axes {tuple(axes)} are not a permutation of the {a.ndim} axes "
                f"of a tensor of shape {a.shape}."
            )
        self.axes = tuple(ax % a.ndim for ax in axes)
        return a.transpose(self.axes)

    def backward(self, grad):
        inverse = [0] * len(self.axes)
        for i, ax in enumerate(self.axes):
            inverse[ax] = i
        return grad.transpose(inverse)


def _has_integer_array(index: tuple) -> bool:
    return any(backend.is_array(i) and i.dtype.kind in "iu" for i in index)


class GetItem(Function):
    """x[index] for slices, ints, None, Ellipsis, integer arrays and boolean masks."""

    name = "getitem"

    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        try:
            return a[index]
        except IndexError as exc:
            raise IndexError(
                f"getitem: index {_show(index)} does not fit a tensor of shape {a.shape}: {exc}."
            ) from None

    def backward(self, grad):
        xp = backend.array_module(grad)
        out = xp.zeros(self.shape, dtype=grad.dtype)
        index = self.index if isinstance(self.index, tuple) else (self.index,)
        if _has_integer_array(index):
            # Repeated indices each took a copy; their gradients must add up.
            backend.scatter_add(out, self.index, grad)
        else:
            out[self.index] = grad
        return out


def _show(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    shown = []
    for p in parts:
        if backend.is_array(p):
            shown.append(f"<{p.dtype} array of shape {p.shape}>")
        else:
            shown.append(repr(p))
    return shown[0] if len(shown) == 1 and not isinstance(index, tuple) else "(" + ", ".join(shown) + ")"


def getitem(x, index):
    """Indexes a tensor; Tensor and list indices become arrays on x's device."""
    xp = backend.array_module(x.data)

    def convert(i):
        if isinstance(i, Tensor):
            check_same_device("getitem", (x, i))
            return i.data
        if isinstance(i, list):
            return xp.asarray(i)
        if backend.is_array(i) and backend.device_of(i) != x.device:
            raise ValueError(
                f"getitem: an index array on {backend.device_of(i)} was used on a Tensor on "
                f"{x.device}. Move the index first."
            )
        if isinstance(i, float):
            raise TypeError(f"getitem: index {i!r} is a float; indices must be ints, slices or integer arrays.")
        return i

    index = tuple(convert(i) for i in index) if isinstance(index, tuple) else convert(index)
    return GetItem.apply(x, index=index)


class Concatenate(Function):
    name = "concatenate"

    def forward(self, *arrays, axis=0):
        first = arrays[0]
        if first.ndim == 0:
            raise ValueError("concatenate: 0-d tensors have no axis to join along; use stack.")
        if not -first.ndim <= axis < first.ndim:
            raise ValueError(f"concatenate: axis {axis} is out of range for {first.ndim}-d tensors.")
        axis %= first.ndim
        for other in arrays[1:]:
            rest_a = first.shape[:axis] + first.shape[axis + 1:]
            rest_b = other.shape[:axis] + other.shape[axis + 1:]
            if other.ndim != first.ndim or rest_a != rest_b:
                raise ValueError(
                    f"concatenate: shapes {first.shape} and {other.shape} differ outside axis {axis}; "
                    f"all shapes must match except along the joining axis."
                )
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return backend.array_module(first).concatenate(arrays, axis=axis)

    def backward(self, grad):
        grads, start = [], 0
        for size, need in zip(self.sizes, self.needs_grad):
            index = [slice(None)] * grad.ndim
            index[self.axis] = slice(start, start + size)
            grads.append(grad[tuple(index)] if need else None)
            start += size
        return tuple(grads)


def concatenate(tensors: Sequence, axis: int = 0):
    if len(tensors) == 0:
        raise ValueError("concatenate: needs at least one tensor.")
    return Concatenate.apply(*tensors, axis=axis)


class Pad(Function):
    """Constant padding; the gradient is the un-padded middle of the output's."""

    name = "pad"

    def forward(self, a, pad_width, constant_values=0):
        width = _pad_width(pad_width, a.shape)
        self.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(width, a.shape))
        return backend.array_module(a).pad(a, width, mode="constant", constant_values=constant_values)

    def backward(self, grad):
        return grad[self.slices]


def _pad_width(pad_width: Any, shape: tuple) -> list[tuple[int, int]]:
    """pad_width as one (before, after) pair per axis, from any form NumPy's pad accepts."""
    ndim = len(shape)

    def pair(p):
        p = (p, p) if isinstance(p, int) else tuple(p)
        if len(p) == 1:
            p = (p[0], p[0])
        if len(p) != 2 or not all(isinstance(v, int) and v >= 0 for v in p):
            raise ValueError
        return p

    try:
        if isinstance(pad_width, int) or (len(pad_width) in (1, 2) and all(isinstance(v, int) for v in pad_width)):
            return [pair(pad_width)] * ndim
        pairs = [pair(p) for p in pad_width]
        if len(pairs) == 1:
            pairs = pairs * ndim
        if len(pairs) != ndim:
            raise ValueError
        return pairs
    except (ValueError, TypeError):
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit a tensor of shape {shape}; give one "
            f"(before, after) pair of non-negative ints per axis, {ndim} pairs in all."
        ) from None


class ToDevice(Function):
    name = "to"

    def forward(self, a, device):
        self.source = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, grad):
        return backend.to_device(grad, self.source)
