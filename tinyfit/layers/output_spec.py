"""Output shapes by arithmetic, for layers whose output shape is a formula.

The base Layer learns the output shape of a call on symbolic inputs by running
`call` twice on stand-in data. Layers mixing in `ShapeByArithmetic` answer from
`compute_output_shape` instead: no data is made, no weights are touched, and an
unknown size (None) stays unknown wherever the formula needs it.
"""

from __future__ import annotations

from typing import Any

import numpy

from .symbolic import KerasTensor
from ..tree import flatten, map_structure


class ShapeByArithmetic:
    """Mixin for Layer subclasses: symbolic calls use compute_output_shape, not probing."""

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> KerasTensor:
        shapes = map_structure(lambda t: tuple(t.shape), inputs)
        return KerasTensor(self.compute_output_shape(shapes), self.output_dtype(inputs), name=self.name)

    # Layers whose outputs come from their float weights compute in the weights' dtype
    # at least; layers that only move values around keep the inputs' float dtype.
    output_follows_weights = False

    def output_dtype(self, inputs: Any) -> numpy.dtype:
        """The dtype a real call returns for inputs of these dtypes (integers count as values)."""
        floats = [numpy.dtype(t.dtype) for t in flatten(inputs) if numpy.dtype(t.dtype).kind == "f"]
        if self.output_follows_weights or len(floats) < len(flatten(inputs)):
            floats.append(numpy.dtype(self.dtype))
        return numpy.result_type(*floats)
