"""Transposed convolution (1-D, 2-D and 3-D, channels_last): a convolution run backwards.

A convolution with stride s maps a large input z to a small output x. Its
input gradient maps the other way: every value of x is multiplied by the
kernel and *added* onto the window of z it was read from. Run as a layer of
its own, that backward pass is the transposed convolution: it grows a small
input into a large output, which is how decoders and generators upsample.

So nothing new is computed here. With the kernel W shaped
(*kernel_size, filters, in_channels), the convolution z -> x that it is the
transpose of has the very same kernel (filters in, in_channels out), and:

    forward          y  = conv's input gradient, for output gradient x   (spread)
    input gradient   dx = conv(g, W)                                     (correlate)
    kernel gradient  dW = im2col(g).T @ x: conv's kernel gradient with
                     z's place taken by g and the output gradient's by x

The three products are conv.py's own; this file adds only the arithmetic of
output sizes, which follows Keras: before cropping, every input position i
and kernel tap t write to output position i*stride + t*dilation, a span of
full = (in - 1) * stride + span positions (span = (kernel - 1) * dilation + 1).

    padding="valid"   out = full + output_padding, nothing cropped
                      (output_padding None: max(span, stride) - span)
    padding="same"    out = in * stride (output_padding None), or
                      (in - 1) * stride + span % 2 + output_padding;
                      `full` is cropped to `out` the way conv's "same"
                      pads: floor(excess / 2) before, the rest after

output_padding picks one of the `stride` output sizes that a stride-s
convolution maps to the same input size, so it must be smaller than the stride.
"""

from __future__ import annotations

from typing import Any

from ..function import Function
from ..tensor import Tensor
from .conv import (_SPATIAL_NAMES, check_inputs, check_padding, correlate, kernel_product, per_axis,
                   spread)


def check_output_padding(op: str, output_padding: Any, strides: tuple[int, ...]) -> tuple[int, ...] | None:
    """`output_padding` as a tuple of ints each smaller than its stride, or None."""
    if output_padding is None:
        return None
    padding = per_axis(op, "output_padding", output_padding, len(strides), minimum=0)
    names = _SPATIAL_NAMES[len(strides)]
    for axis, (p, s) in enumerate(zip(padding, strides)):
        if p >= s:
            raise ValueError(
                f"{op}: output_padding {padding} must be smaller than strides {strides} on every axis, "
                f"but along the {names[axis]} axis output_padding is {p} and the stride is {s}. It picks "
                f"one of the {s} output sizes a stride-{s} convolution maps to the same input size, so "
                f"use a value from 0 to {s - 1} there (or output_padding=None)."
            )
    return padding


def transposed_length(size: int, kernel: int, stride: int, dilation: int, padding: str,
                      output_padding: int | None) -> tuple[int, int]:
    """Output size along one axis and how much of the full span is cropped before it."""
    span = (kernel - 1) * dilation + 1
    full = (size - 1) * stride + span
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return full + extra, 0
    if output_padding is None:
        out = size * stride
    else:
        out = (size - 1) * stride + span % 2 + output_padding
    return out, max(full - out, 0) // 2


def plan_transpose(op: str, in_sizes: tuple[int, ...], window: tuple[int, ...], strides: tuple[int, ...],
                   dilation: tuple[int, ...], padding: str, output_padding: tuple[int, ...] | None):
    """Output sizes and the (before, after) pads of the convolution this one is the transpose of."""
    names = _SPATIAL_NAMES[len(in_sizes)]
    out_sizes, pads = [], []
    for axis, (n, k, s, d) in enumerate(zip(in_sizes, window, strides, dilation)):
        extra = None if output_padding is None else output_padding[axis]
        out, before = transposed_length(n, k, s, d, padding, extra)
        if out < 1:
            raise ValueError(
                f"{op}: the output would have {out} positions along the {names[axis]} axis (input size {n}, "
                f"kernel size {k}, stride {s}, output_padding {extra}, padding='same'). Leave output_padding "
                "as None, or use padding='valid'."
            )
        # The convolution reads (n - 1) * s + span positions of its padded input: pad
        # after for those the cropped output does not reach (they receive nothing).
        full = (n - 1) * s + (k - 1) * d + 1
        out_sizes.append(out)
        pads.append((before, max(full - before - out, 0)))
    return tuple(out_sizes), tuple(pads)


class ConvTranspose(Function):
    """Channels_last transposed convolution: conv's input gradient as a forward pass (bias inside)."""

    name = "conv_transpose"

    def forward(self, x, kernel, *bias, strides, dilation, pads, out_sizes):
        self.kernel, self.strides, self.dilation, self.pads = kernel, strides, dilation, pads
        self.in_sizes = x.shape[1:-1]
        # Only the kernel's gradient needs the input.
        self.x = x if self.needs_grad and self.needs_grad[1] else None
        out = spread(x, kernel, strides, dilation, pads, out_sizes)
        if bias:
            out += bias[0].astype(out.dtype)
        return out

    def backward(self, grad):
        need_x, need_kernel, *need_bias = self.needs_grad
        kernel, dx, dkernel, dbias = self.kernel, None, None, None
        if need_x or need_kernel:
            out, cols = correlate(grad, kernel, None, self.strides, self.dilation, self.pads, self.in_sizes,
                                  keep_cols=need_kernel)
            if need_x:
                dx = out.reshape((grad.shape[0],) + tuple(self.in_sizes) + (kernel.shape[-1],))
            if need_kernel:
                dkernel = kernel_product(cols, self.x.reshape(-1, kernel.shape[-1])).reshape(kernel.shape)
        if need_bias and need_bias[0]:
            dbias = grad.reshape(-1, grad.shape[-1]).sum(axis=0)
        return (dx, dkernel, dbias)[:len(self.needs_grad)]


def conv_transpose(
    inputs: Tensor,
    kernel: Tensor,
    strides: int | tuple[int, ...] = 1,
    padding: str = "valid",
    output_padding: int | tuple[int, ...] | None = None,
    data_format: str | None = None,
    dilation_rate: int | tuple[int, ...] = 1,
    bias: Tensor | None = None,
) -> Tensor:
    """N-D transposed convolution: the input gradient of a convolution, as an op.

    `conv_transpose(x, W)` is what `conv(z, W)` (same strides, padding and
    dilation) sends back to z for an output gradient x, so
    <conv(z, W), x> == <z, conv_transpose(x, W)>.

    Args:
        inputs: (batch, width, channels) for 1-D, (batch, height, width,
            channels) for 2-D, (batch, depth, height, width, channels) for 3-D.
        kernel: (*kernel_size, filters, in_channels), e.g. (3, 3, 16, 1):
            Keras's layout, in which filters come before the input channels.
        strides: step between the places each input value writes to: an int,
            or one per spatial axis (the upsampling factor).
        padding: "valid" or "same" (then `inputs` size * strides outputs).
        output_padding: None, an int, or one int per spatial axis, each
            smaller than its stride: added to the output size (see the module
            docstring for the exact sizes).
        data_format: None or "channels_last".
        dilation_rate: gap between kernel taps: an int, or one per spatial axis.
        bias: (filters,), added to every output position.

    Returns:
        (batch, *output_sizes, filters).
    """
    op = "conv_transpose"
    n = check_inputs(op, inputs, data_format)
    if kernel.ndim != inputs.ndim:
        raise ValueError(
            f"{op}: kernel of shape {kernel.shape} does not fit inputs of shape {inputs.shape}: "
            f"a {n}-D transposed convolution needs a {inputs.ndim}-d kernel shaped "
            f"({', '.join(f'kernel_{a}' for a in _SPATIAL_NAMES[n])}, filters, in_channels)."
        )
    if kernel.shape[-1] != inputs.shape[-1]:
        raise ValueError(
            f"{op}: inputs of shape {inputs.shape} have {inputs.shape[-1]} channels (last axis) but the "
            f"kernel of shape {kernel.shape} expects {kernel.shape[-1]} (its last axis: a transposed "
            f"convolution's kernel is (..., filters, in_channels)). Give the kernel {inputs.shape[-1]} "
            "input channels, or check that the inputs are channels_last."
        )
    if 0 in kernel.shape or 0 in inputs.shape[1:]:
        raise ValueError(
            f"{op}: inputs of shape {inputs.shape} and a kernel of shape {kernel.shape}: only the "
            "batch axis may have size 0."
        )
    padding = check_padding(op, padding)
    strides = per_axis(op, "strides", strides, n)
    dilation = per_axis(op, "dilation_rate", dilation_rate, n)
    output_padding = check_output_padding(op, output_padding, strides)
    out_sizes, pads = plan_transpose(op, inputs.shape[1:-1], kernel.shape[:-2], strides, dilation, padding,
                                     output_padding)
    if bias is not None and tuple(bias.shape) != (kernel.shape[-2],):
        raise ValueError(
            f"{op}: bias of shape {bias.shape} does not fit a kernel of shape {kernel.shape}: it needs "
            f"one value per filter, shape ({kernel.shape[-2]},)."
        )
    extra = () if bias is None else (bias,)
    return ConvTranspose.apply(inputs, kernel, *extra, strides=strides, dilation=dilation, pads=pads,
                               out_sizes=out_sizes)
