"""Rescaling: `inputs * scale + offset`, e.g. pixels 0..255 to 0..1 inside the model."""

from __future__ import annotations

from typing import Any

import numpy

from .. import ops
from .layer import Layer
from .output_spec import ShapeByArithmetic


class Rescaling(ShapeByArithmetic, Layer):
    """Multiplies the inputs by `scale` and adds `offset`.

    Args:
        scale: a number, or an array broadcast over the inputs (one per channel, say).
            `Rescaling(1 / 255)` maps 0..255 to 0..1; `Rescaling(1 / 127.5, offset=-1)` to -1..1.
        offset: added after scaling (default 0).

    Integer inputs are computed in the layer's dtype (default float32).
    """
    supports_jit = True
    supports_masking = True

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            try:
                ok = numpy.asarray(value).dtype.kind in "iuf" and not isinstance(value, bool)
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ValueError(f"Rescaling: {name} must be a number or an array of numbers, got {value!r}.")
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        dtype = inputs.dtype
        scale = numpy.asarray(self.scale, dtype=dtype)
        offset = numpy.asarray(self.offset, dtype=dtype)
        return inputs * ops.convert_to_tensor(scale) + ops.convert_to_tensor(offset)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        def plain(value):
            return value.tolist() if isinstance(value, numpy.ndarray) else value

        return {**super().get_config(), "scale": plain(self.scale), "offset": plain(self.offset)}
