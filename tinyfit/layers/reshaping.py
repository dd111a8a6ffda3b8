"""Reshaping layers: Flatten and Reshape. Both keep the batch axis as it is."""

from __future__ import annotations

import math
from typing import Any

from .. import ops
from .layer import Layer


class Flatten(Layer):
    """Flattens each sample into a vector: (batch, 28, 28) -> (batch, 784)."""
    supports_jit = True

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"Flatten: data_format must be 'channels_last' or 'channels_first', got {data_format!r}.")
        self.data_format = data_format

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch axis is kept).

    One entry of target_shape may be -1: it takes whatever size makes the total fit.
    """
    supports_jit = True

    def __init__(self, target_shape: Any, **kwargs: Any):
        super().__init__(**kwargs)
        target_shape = (target_shape,) if isinstance(target_shape, int) else tuple(target_shape)
        if sum(1 for n in target_shape if n == -1) > 1 or any(n == 0 or n < -1 for n in target_shape):
            raise ValueError(
                f"Reshape: target_shape must hold sizes >= 1 and at most one -1, got {target_shape}."
            )
        self.target_shape = target_shape

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0],) + self._resolve(inputs.shape[1:]))

    def _resolve(self, sample_shape: tuple) -> tuple:
        """target_shape with its -1 worked out, after checking the sizes add up."""
        size = math.prod(sample_shape)
        known = math.prod(n for n in self.target_shape if n != -1)
        fits = size % known == 0 if -1 in self.target_shape else size == known
        if not fits:
            raise ValueError(
                f"Reshape {self.name!r}: cannot reshape samples of shape {sample_shape} ({size} values) to "
                f"target_shape {self.target_shape}" + ("." if -1 in self.target_shape else f" ({known} values).")
            )
        return tuple(size // known if n == -1 else n for n in self.target_shape)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if None in rest:
            return (input_shape[0],) + tuple(None if n == -1 else n for n in self.target_shape)
        return (input_shape[0],) + self._resolve(tuple(rest))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
