"""Projection: the dense maps inside MultiHeadAttention, with Keras's kernel shapes.

Keras writes them as EinsumDense layers: the query, key and value maps take the
last input axis to (num_heads, head_dim), kernel (dim, num_heads, head_dim); the
output map takes the last two axes (num_heads, value_dim) to the output shape,
kernel (num_heads, value_dim, *output_shape). The kernels keep those shapes, so
weights copy one to one with Keras; the product is one matmul over the axes
flattened.
"""

from __future__ import annotations

import math
from typing import Any

from ... import initializers, ops, regularizers
from ..layer import Layer


class Projection(Layer):
    """x's last `contracted` axes times a kernel, to `output_axes`, plus a bias of that shape."""
    supports_jit = True

    def __init__(self, contracted: int, output_axes: tuple, use_bias: bool, kernel_initializer: Any,
                 bias_initializer: Any, kernel_regularizer: Any = None, bias_regularizer: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.contracted = contracted
        self.output_axes = tuple(output_axes)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        # Each step is projected alike, so the mask of a sequence's padded steps holds for the output.
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        self.input_axes = tuple(input_shape[-self.contracted:])
        self.kernel = self.add_weight(shape=self.input_axes + self.output_axes, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=self.output_axes, initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, name="bias")
        self.built = True

    def call(self, inputs):
        if tuple(inputs.shape[-self.contracted:]) != self.input_axes:
            raise ValueError(
                f"{self.name!r} projection: built for inputs ending in {self.input_axes}, got inputs of shape "
                f"{tuple(inputs.shape)}. A layer keeps the feature size of its first call; use a new layer "
                "for inputs of another size."
            )
        leading = tuple(inputs.shape[:-self.contracted])
        flat = ops.reshape(inputs, leading + (math.prod(self.input_axes),))
        kernel = ops.reshape(self.kernel, (math.prod(self.input_axes), math.prod(self.output_axes)))
        outputs = ops.reshape(ops.matmul(flat, kernel), leading + self.output_axes)
        return outputs if self.bias is None else outputs + self.bias

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-self.contracted]) + self.output_axes
