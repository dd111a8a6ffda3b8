"""Masking: marks the padded steps of a sequence of vectors, so later layers skip them.

When sequences are padded with a value no real step has (all zeros, say), a Masking
layer in front finds those steps: a step whose every feature equals `mask_value` is
padding. The output is the input with padded steps set to 0, and it carries a mask
(see layer_masks.py) that recurrent layers, attention, pooling over time, the loss
and the metrics respect. For integer ids, `Embedding(mask_zero=True)` does the same.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from .layer import Layer
from .output_spec import ShapeByArithmetic


class Masking(ShapeByArithmetic, Layer):
    """Masks every step whose features all equal `mask_value`: (batch, steps, features) in and out.

    Args:
        mask_value: the value that marks padding (default 0.0).

    >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
    >>> Masking()(x)._keras_mask.numpy()
    array([[ True, False,  True]])
    """
    supports_jit = True
    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float)):
            raise ValueError(f"Masking: mask_value must be a number, got {mask_value!r}.")
        self.mask_value = mask_value

    def call(self, inputs):
        if inputs.ndim < 2:
            raise ValueError(
                f"Masking {self.name!r}: inputs must have a steps axis and a features axis, (batch, steps, "
                f"features); got shape {tuple(inputs.shape)}."
            )
        real = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        outputs = ops.where(real, inputs, ops.zeros_like(inputs))
        outputs._keras_mask = ops.squeeze(real, axis=-1)
        return outputs

    def compute_mask(self, inputs, previous_mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}
