"""Dot: the dot product of two tensors along one axis of each, sample by sample.

For inputs x (batch, ..., k, ...) and y (batch, ..., k, ...), each output
sample sums x[b, ..., i, ...] * y[b, ..., i, ...] over the shared axis i of
size k. The output keeps x's other axes, then y's (without its batch axis);
two vectors per sample give (batch, 1). With normalize=True both inputs are
first scaled to unit L2 norm along that axis, so the output is the cosine
similarity. One einsum computes it, and its gradient comes from the engine.
"""

from __future__ import annotations

import string
from typing import Any

from .. import ops
from .merging import _Merge


class Dot(_Merge):
    """The dot product of two inputs along `axes`, per sample: `Dot(axes=1)([x, y])`.

    Args:
        axes: the axis of both inputs (an int) or one per input (a pair of ints)
            along which to multiply and sum; negative counts from the end; never
            the batch axis 0.
        normalize: whether to L2-normalize both inputs along those axes first
            (the output is then the cosine similarity).
    """
    supports_jit = True

    min_inputs = max_inputs = 2

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None  # the product sums over the axes a mask would describe

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        def whole(a: Any) -> bool:
            return isinstance(a, int) and not isinstance(a, bool)
        if not (whole(axes) or (isinstance(axes, (tuple, list)) and len(axes) == 2 and all(map(whole, axes)))):
            raise ValueError(f"Dot: axes must be an int or a pair of ints (one per input), got {axes!r}.")
        self.axes = axes if whole(axes) else tuple(axes)
        self.normalize = bool(normalize)

    def _axes(self, shapes: list[tuple]) -> tuple[int, int]:
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        axes = []
        for axis, shape in zip(pair, shapes):
            rank = len(shape)
            if not -rank <= axis < rank or axis % rank == 0:
                raise ValueError(
                    f"Dot {self.name!r}: axes={self.axes!r} does not fit inputs of shapes {shapes[0]} and "
                    f"{shapes[1]}: axis {axis} must be in 1..{rank - 1} (or -{rank - 1}..-1); axis 0 is the batch."
                )
            axes.append(axis % rank)
        first, second = shapes[0][axes[0]], shapes[1][axes[1]]
        if first is not None and second is not None and first != second:
            raise ValueError(
                f"Dot {self.name!r}: inputs of shapes {shapes[0]} and {shapes[1]} differ in size along the "
                f"axes to multiply: {first} (axis {axes[0]} of the first) != {second} (axis {axes[1]} of the second)."
            )
        return axes[0], axes[1]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check_list(input_shape)
        if min(len(s) for s in shapes) < 2:
            raise ValueError(f"Dot {self.name!r} needs inputs of rank 2 or more (batch first), "
                             f"got shapes {shapes[0]} and {shapes[1]}.")
        first, second = self._axes(shapes)
        rest = [n for i, n in enumerate(shapes[0]) if i != first] \
            + [n for i, n in enumerate(shapes[1]) if i not in (0, second)]
        return tuple(rest) if len(rest) > 1 else (rest[0], 1)

    def call(self, inputs):
        shapes = self._check_list([tuple(t.shape) for t in inputs] if isinstance(inputs, (list, tuple)) else inputs)
        self.compute_output_shape(shapes)
        x, y = self._cast(inputs)
        first, second = self._axes(shapes)
        if self.normalize:
            x, y = ops.normalize(x, axis=first), ops.normalize(y, axis=second)
        # einsum letters: "a" the batch, "b" the summed axis, the others one each
        letters = iter(string.ascii_letters[2:])
        x_axes = "".join("a" if i == 0 else "b" if i == first else next(letters) for i in range(x.ndim))
        y_axes = "".join("a" if i == 0 else "b" if i == second else next(letters) for i in range(y.ndim))
        out_axes = x_axes.replace("b", "") + y_axes.replace("a", "").replace("b", "")
        out = ops.einsum(f"{x_axes},{y_axes}->{out_axes}", x, y)
        return ops.expand_dims(out, 1) if out.ndim == 1 else out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs: list, axes: Any = -1, **kwargs: Any):
    """`Dot(axes=axes, **kwargs)(inputs)`: the functional form for model definitions."""
    return Dot(axes=axes, **kwargs)(inputs)
