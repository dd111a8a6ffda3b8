"""Merge layers: combine a list of tensors into one.

    Concatenate   joins them along one axis (the others must match)
    Add, Subtract, Multiply, Average, Maximum, Minimum
                  combine them element by element (same shapes; a size of 1
                  broadcasts, as in NumPy)

Each has a functional form for model definitions, `layers.add([a, b])` being
`layers.Add()([a, b])`.
"""

from __future__ import annotations

import functools
from typing import Any

from .. import ops
from .layer import Layer
from .output_spec import ShapeByArithmetic


def _show(shapes: list) -> str:
    return ", ".join(str(tuple(s)) for s in shapes)


class _Merge(ShapeByArithmetic, Layer):
    """Shared by the merge layers: a list of inputs in, one tensor out."""

    min_inputs = 1
    max_inputs: int | None = None

    def _check_list(self, shapes: Any) -> list[tuple]:
        what = f"{type(self).__name__} {self.name!r}"
        if not isinstance(shapes, (list, tuple)) or not shapes or not all(
                isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(
                f"{what} must be called on a list of tensors, e.g. {type(self).__name__}()([a, b]); "
                f"got inputs of shape {shapes!r}."
            )
        if len(shapes) < self.min_inputs or (self.max_inputs is not None and len(shapes) > self.max_inputs):
            count = (f"exactly {self.min_inputs}" if self.min_inputs == self.max_inputs
                     else f"at least {self.min_inputs}")
            raise ValueError(f"{what} takes {count} inputs, got {len(shapes)} (shapes {_show(shapes)}).")
        return [tuple(s) for s in shapes]

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)  # checks the shapes fit together
        self.built = True

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """A step is real in the output where it is real in any input; an input without a
        mask has every step real, and then so does the output (no mask)."""
        if not isinstance(previous_mask, (list, tuple)) or any(m is None for m in previous_mask):
            return None
        mask = previous_mask[0]
        for other in previous_mask[1:]:
            mask = ops.logical_or(mask, other)
        return mask

    def _cast(self, inputs: list) -> list:
        """Integer inputs join floating ones as floats (in the layer's dtype when none is floating)."""
        if all(t.dtype.kind == "f" for t in inputs):
            return list(inputs)
        floats = [t.dtype for t in inputs if t.dtype.kind == "f"]
        dtype = floats[0] if floats else self.dtype
        return [t if t.dtype.kind == "f" else ops.cast(t, dtype) for t in inputs]


class _Elementwise(_Merge):
    """Element by element: every input has the same shape, or one a size of 1 broadcasts from."""

    def combine(self, inputs: list):
        raise NotImplementedError

    def call(self, inputs):
        self.compute_output_shape([t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs)
        return self.combine(self._cast(inputs))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check_list(input_shape)
        if len({len(s) for s in shapes}) > 1:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: inputs of shapes {_show(shapes)} have different ranks; "
                "elementwise merges need inputs of the same shape."
            )
        out = []
        for axis, sizes in enumerate(zip(*shapes)):
            known = {n for n in sizes if n is not None and n != 1}
            if len(known) > 1:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r}: inputs of shapes {_show(shapes)} cannot be combined "
                    f"element by element: axis {axis} has sizes {sorted(known)}. Give every input the same "
                    "shape (a size of 1 broadcasts)."
                )
            if known:
                out.append(known.pop())
            else:
                out.append(None if None in sizes else 1)
        return tuple(out)


class Add(_Elementwise):
    """The sum of its inputs, element by element: `Add()([a, b, c])` is a + b + c."""
    supports_jit = True

    def combine(self, inputs):
        return functools.reduce(ops.add, inputs)


class Subtract(_Elementwise):
    """The difference of exactly two inputs: `Subtract()([a, b])` is a - b."""
    supports_jit = True

    min_inputs = max_inputs = 2

    def combine(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


class Multiply(_Elementwise):
    """The product of its inputs, element by element."""
    supports_jit = True

    def combine(self, inputs):
        return functools.reduce(ops.multiply, inputs)


class Average(_Elementwise):
    """The mean of its inputs, element by element."""
    supports_jit = True

    def combine(self, inputs):
        return functools.reduce(ops.add, inputs) / len(inputs)


class Maximum(_Elementwise):
    """The largest of its inputs, element by element."""
    supports_jit = True

    def combine(self, inputs):
        return functools.reduce(ops.maximum, inputs)


class Minimum(_Elementwise):
    """The smallest of its inputs, element by element."""
    supports_jit = True

    def combine(self, inputs):
        return functools.reduce(ops.minimum, inputs)


class Concatenate(_Merge):
    """Joins its inputs along `axis` (default -1); every other axis must match.

    Args:
        axis: the axis to join along (negative counts from the end).
    """
    supports_jit = True

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Concatenate: axis must be an int, got {axis!r}.")
        self.axis = axis

    def call(self, inputs):
        shapes = [t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs
        self.compute_output_shape(shapes)
        inputs = self._cast(inputs)
        return ops.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The inputs' masks joined as the inputs are: along time when joining along time, and
        where features are joined, a step is real where it is real in any input (an input
        without a mask counts as all real)."""
        if not isinstance(previous_mask, (list, tuple)) or all(m is None for m in previous_mask):
            return None
        full = []
        for tensor, mask in zip(inputs, previous_mask):
            if mask is None:
                full.append(ops.ones_like(tensor, dtype="bool"))
            else:
                while mask.ndim < tensor.ndim:
                    mask = ops.expand_dims(mask, -1)
                full.append(ops.broadcast_to(mask, tensor.shape))
        return ops.any(ops.concatenate(full, axis=self.axis), axis=-1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check_list(input_shape)
        what = f"Concatenate {self.name!r}"
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ValueError(f"{what}: inputs of shapes {_show(shapes)} have different ranks; they must match.")
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"{what}: axis {self.axis} does not fit inputs of shapes {_show(shapes)}; use an axis in "
                f"1..{rank - 1} (or -{rank - 1}..-1): axis 0 is the batch axis."
            )
        axis = self.axis % rank
        out = []
        for i, sizes in enumerate(zip(*shapes)):
            if i == axis:
                out.append(None if None in sizes else sum(sizes))
                continue
            known = {n for n in sizes if n is not None}
            if len(known) > 1:
                raise ValueError(
                    f"{what}: inputs of shapes {_show(shapes)} cannot be joined along axis {self.axis}: axis "
                    f"{i} has sizes {sorted(known)}. Every axis but the joined one must match."
                )
            out.append(known.pop() if known else None)
        return tuple(out)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


# ------------------------------------------------------------- functional forms
def concatenate(inputs: list, axis: int = -1, **kwargs: Any):
    """`Concatenate(axis=axis, **kwargs)(inputs)`: joins tensors along `axis`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs: list, **kwargs: Any):
    """`Add(**kwargs)(inputs)`: the elementwise sum of the tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any):
    """`Subtract(**kwargs)(inputs)`: the first tensor minus the second."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any):
    """`Multiply(**kwargs)(inputs)`: the elementwise product of the tensors."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any):
    """`Average(**kwargs)(inputs)`: the elementwise mean of the tensors."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any):
    """`Maximum(**kwargs)(inputs)`: the elementwise largest of the tensors."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any):
    """`Minimum(**kwargs)(inputs)`: the elementwise smallest of the tensors."""
    return Minimum(**kwargs)(inputs)
