"""Transposed convolution layers: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.

A convolution with strides 2 halves an image; its transpose doubles one, which
is how the decoder of an autoencoder or a generator grows an image back. The
layer computes what a convolution's backward pass sends to its input (the
engine's `conv_transpose`, built from the same products as `conv`), and has the
arguments of the convolution layers plus `output_padding`.

As in Keras, the kernel is stored as (*kernel_size, filters, in_channels):
exactly the kernel of the convolution that this layer is the transpose of.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..autograd.ops.conv_transpose import check_output_padding, conv_transpose, plan_transpose
from .convolutional import BaseConv, check_rank


class BaseConvTranspose(BaseConv):
    """Shared by Conv1DTranspose/2D/3D; `rank` is the number of spatial axes."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, **kwargs: Any):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.output_padding = check_output_padding(type(self).__name__, output_padding, self.strides)

    def build(self, input_shape: tuple) -> None:
        check_rank(self, input_shape, self.rank)
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the channel axis (last) of its input must have a "
                f"known size, but the input shape is {tuple(input_shape)}."
            )
        # Filters before input channels: the kernel of the convolution this one transposes.
        self.kernel = self.add_weight(shape=self.kernel_size + (self.filters, channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, name="bias")
        self.built = True

    def call(self, inputs):
        check_rank(self, inputs.shape, self.rank)
        channels = self.kernel.shape[-1]
        if inputs.shape[-1] != channels:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expects inputs with {channels} channel(s) on the "
                f"last axis (it was built for them: kernel shape {self.kernel.shape}, in_channels last), "
                f"got inputs of shape {inputs.shape} ({inputs.shape[-1]} channels)."
            )
        if inputs.dtype.kind != "f":  # integer pixels are values: compute in the kernel's dtype
            inputs = ops.cast(inputs, self.kernel.dtype)
        outputs = conv_transpose(inputs, self.kernel, strides=self.strides, padding=self.padding,
                                 output_padding=self.output_padding, dilation_rate=self.dilation_rate,
                                 bias=self.bias)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        check_rank(self, input_shape, self.rank)
        in_sizes = tuple(input_shape[1:-1])
        # An unknown size stays unknown; a stand-in of 2 (never an empty output) lets
        # the known ones get the op's own arithmetic and messages.
        stand_in = tuple(2 if n is None else n for n in in_sizes)
        sizes, _ = plan_transpose(f"{type(self).__name__} {self.name!r}", stand_in, self.kernel_size, self.strides,
                                  self.dilation_rate, self.padding, self.output_padding)
        sizes = tuple(None if n is None else m for n, m in zip(in_sizes, sizes))
        return (input_shape[0],) + sizes + (self.filters,)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "output_padding": self.output_padding}


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution over (batch, steps, channels): a Conv1D's backward pass as a layer.

    Each input step is multiplied by the kernel and added onto the `kernel_size`
    output steps it reaches, `strides` steps further for each input step; the
    output is what a Conv1D with the same kernel sends back to its input.

    Args:
        filters: how many output channels.
        kernel_size: the window length (an int or a 1-tuple).
        strides: how far apart neighbouring input steps write (default 1): the
            upsampling factor.
        padding: "valid" (output (steps - 1) * strides + kernel span, nothing
            cropped) or "same" (output steps * strides).
        output_padding: None, or an int smaller than the stride, added to the
            output length (with it, "same" gives (steps - 1) * strides +
            kernel_size % 2 + output_padding).
        data_format: None or "channels_last" (the only layout supported).
        dilation_rate: the gap between kernel taps (default 1).
        activation: a name ("relu", ...) or a function; None for none.
        use_bias: whether to add a bias per filter.
        kernel_initializer, bias_initializer: default "glorot_uniform" and "zeros".
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to `losses`.

    The kernel has shape (kernel_size, filters, in_channels), as in Keras.
    """
    supports_jit = True

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution over images (batch, height, width, channels).

    The backward pass of a Conv2D with the same kernel, as a layer: with
    strides=2 and padding="same" it doubles height and width, undoing the
    shape change of a stride-2 Conv2D (an autoencoder's decoder).

    Args are those of Conv1DTranspose, with kernel_size, strides,
    output_padding and dilation_rate each an int or a (height, width) pair.
    The kernel has shape (kernel_height, kernel_width, filters, in_channels).
    """
    supports_jit = True

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution over volumes (batch, depth, height, width, channels).

    Args are those of Conv1DTranspose, with kernel_size, strides,
    output_padding and dilation_rate each an int or a triple.
    """
    supports_jit = True

    rank = 3
