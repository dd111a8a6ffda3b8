"""Convolution layers: Conv1D, Conv2D, Conv3D (channels_last).

A convolution layer slides a small kernel over the spatial axes of its input
and, at every position, maps the window it covers to `filters` numbers. The
arithmetic is the engine's `conv` op (im2col and one matrix product); the layer
adds the kernel and bias weights, the activation and the checks that turn a
wrong input into a message saying what was expected.
"""

from __future__ import annotations

from typing import Any

from .. import activations, ops
from ..autograd.ops.conv import check_padding, conv, per_axis, plan_windows
from .core import KernelAndBias
from .layer import Layer
from .output_spec import ShapeByArithmetic

_SPATIAL = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
            3: "(batch, depth, height, width, channels)"}


def check_data_format(layer: str, data_format: Any) -> str:
    """"channels_last" for None or "channels_last"; a clear refusal for anything else."""
    if data_format in (None, "channels_last"):
        return "channels_last"
    if data_format == "channels_first":
        raise ValueError(
            f"{layer}: only data_format='channels_last' is supported (channels on the last axis, "
            "e.g. (batch, 28, 28, 1)). Move the channel axis last, e.g. x.transpose(0, 2, 3, 1) for "
            "images, and leave data_format as None."
        )
    raise ValueError(f"{layer}: unknown data_format {data_format!r}; use None or 'channels_last'.")


def check_rank(layer: Any, input_shape: tuple, rank: int) -> None:
    """Raises when `input_shape` is not (batch, *rank spatial axes, channels)."""
    expected = rank + 2
    if len(input_shape) == expected:
        return
    name = f"{type(layer).__name__} {layer.name!r}"
    hint = ""
    if len(input_shape) == expected - 1:
        sizes = ["N" if n is None else str(n) for n in input_shape]
        hint = (f" If there is no channel axis (grayscale images, a single signal), add one of size 1: "
                f"x[..., None] turns ({', '.join(sizes)}) into ({', '.join(sizes + ['1'])}).")
    raise ValueError(
        f"{name} expects inputs of rank {expected} {_SPATIAL[rank]}, got shape {tuple(input_shape)} "
        f"(rank {len(input_shape)}).{hint}"
    )


def spatial_output_shape(layer: str, in_sizes: tuple, window: tuple, strides: tuple, dilation: tuple,
                         padding: str, what: str) -> tuple:
    """Output sizes per spatial axis; None where the input size is unknown.

    Unknown sizes are planned as if they were exactly one window wide (which always
    fits), so the known ones get the op's own arithmetic and error messages.
    """
    stand_in = tuple((k - 1) * d + 1 if n is None else n for n, k, d in zip(in_sizes, window, dilation))
    sizes, _ = plan_windows(layer, stand_in, window, strides, dilation, padding, what)
    return tuple(None if n is None else m for n, m in zip(in_sizes, sizes))


class BaseConv(ShapeByArithmetic, KernelAndBias, Layer):
    """Shared by Conv1D/2D/3D; `rank` is the number of spatial axes."""

    rank = 2
    output_follows_weights = True

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, **kwargs: Any):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        what = type(self).__name__
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{what}: filters must be a whole number >= 1, got {filters!r}.")
        self.filters = filters
        self.kernel_size = per_axis(what, "kernel_size", kernel_size, self.rank)
        self.strides = per_axis(what, "strides", strides, self.rank)
        self.dilation_rate = per_axis(what, "dilation_rate", dilation_rate, self.rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{what}: strides {self.strides} and dilation_rate {self.dilation_rate} cannot both be "
                "larger than 1 (as in Keras). Use one or the other."
            )
        self.padding = check_padding(what, padding)
        self.data_format = check_data_format(what, data_format)
        self._set_kernel_and_bias_args(activation, use_bias, kernel_initializer, bias_initializer,
                                       kernel_regularizer, bias_regularizer)

    def build(self, input_shape: tuple) -> None:
        check_rank(self, input_shape, self.rank)
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the channel axis (last) of its input must have a "
                f"known size, but the input shape is {tuple(input_shape)}."
            )
        self._add_kernel_and_bias(self.kernel_size + (channels, self.filters))
        self.built = True

    def call(self, inputs):
        check_rank(self, inputs.shape, self.rank)
        channels = self.kernel.shape[-2]
        if inputs.shape[-1] != channels:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expects inputs with {channels} channel(s) on the "
                f"last axis (it was built for them: kernel shape {self.kernel.shape}), got inputs of "
                f"shape {inputs.shape} ({inputs.shape[-1]} channels)."
            )
        if inputs.dtype.kind != "f":  # integer pixels are values: compute in the kernel's dtype
            inputs = ops.cast(inputs, self.kernel.dtype)
        # The bias, and a plain relu, go into the conv op itself: applied in place, they
        # need no extra output-sized arrays.
        fuse_relu = self.activation is activations.relu
        outputs = conv(inputs, self.kernel, strides=self.strides, padding=self.padding,
                       dilation_rate=self.dilation_rate, bias=self.bias, relu=fuse_relu)
        return outputs if fuse_relu else self.activation(outputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        check_rank(self, input_shape, self.rank)
        sizes = spatial_output_shape(f"{type(self).__name__} {self.name!r}", tuple(input_shape[1:-1]),
                                     self.kernel_size, self.strides, self.dilation_rate, self.padding,
                                     "kernel")
        return (input_shape[0],) + sizes + (self.filters,)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **self._kernel_and_bias_config(),
        }


class Conv1D(BaseConv):
    """1-D convolution over (batch, steps, channels), e.g. sequences or signals.

    Args:
        filters: how many output channels.
        kernel_size: the window length (an int or a 1-tuple).
        strides: the step between windows (default 1).
        padding: "valid" (only windows that fit) or "same" (ceil(steps / stride) outputs).
        data_format: None or "channels_last" (the only layout supported).
        dilation_rate: the gap between kernel taps (default 1).
        activation: a name ("relu", ...) or a function; None for none.
        use_bias: whether to add a bias per filter.
        kernel_initializer, bias_initializer: default "glorot_uniform" and "zeros".
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to `losses`.

    The kernel has shape (kernel_size, in_channels, filters).
    """
    supports_jit = True

    rank = 1


class Conv2D(BaseConv):
    """2-D convolution over images (batch, height, width, channels).

    Args are those of Conv1D, with kernel_size, strides and dilation_rate each an
    int or a (height, width) pair. The kernel has shape
    (kernel_height, kernel_width, in_channels, filters).
    """
    supports_jit = True

    rank = 2


class Conv3D(BaseConv):
    """3-D convolution over volumes (batch, depth, height, width, channels).

    Args are those of Conv1D, with kernel_size, strides and dilation_rate each an
    int or a triple.
    """
    supports_jit = True

    rank = 3
