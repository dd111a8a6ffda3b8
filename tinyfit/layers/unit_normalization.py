"""UnitNormalization: scales each sample to unit L2 norm along some axes."""

from __future__ import annotations

from typing import Any

from .. import ops
from .layer import Layer
from .output_spec import ShapeByArithmetic

# Keras's floor for the norm, so an all-zero slice stays zero instead of dividing by 0.
_EPSILON = 1e-12


class UnitNormalization(ShapeByArithmetic, Layer):
    """Divides each slice along `axis` by its L2 norm: x / max(sqrt(sum(x**2)), 1e-12).

    Args:
        axis: the axis (or list of axes) whose values make one unit vector (default -1).
    """
    supports_jit = True
    supports_masking = True

    def __init__(self, axis: Any = -1, **kwargs: Any):
        super().__init__(**kwargs)
        values = [axis] if isinstance(axis, int) else axis
        if isinstance(axis, bool) or not isinstance(values, (list, tuple)) or not values \
                or not all(isinstance(a, int) and not isinstance(a, bool) for a in values):
            raise TypeError(f"UnitNormalization: axis must be an int or a list of ints, got {axis!r}.")
        self.axis = axis if isinstance(axis, int) else list(axis)

    def _axes(self, input_shape: tuple) -> tuple[int, ...]:
        rank = len(input_shape)
        values = [self.axis] if isinstance(self.axis, int) else self.axis
        if not all(-rank <= a < rank for a in values):
            raise ValueError(f"UnitNormalization {self.name!r}: axis {self.axis!r} does not fit inputs of "
                             f"shape {tuple(input_shape)} (rank {rank}); use axes in {-rank}..{rank - 1}.")
        return tuple(sorted({a % rank for a in values}))

    def call(self, inputs):
        axes = self._axes(inputs.shape)
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        squares = ops.sum(inputs * inputs, axis=axes, keepdims=True)
        return inputs / ops.sqrt(ops.maximum(squares, _EPSILON * _EPSILON))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._axes(input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
