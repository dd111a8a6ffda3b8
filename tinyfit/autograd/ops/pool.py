"""Max and average pooling (1-D, 2-D and 3-D, channels_last).

Pooling slides a window the way convolution does (the window arithmetic is
conv.py's), but instead of a matmul per window position it keeps a running
max or a running sum. Each window position meets the input through one strided
slice, so a 2x2 pool is four slices compared or added together:

    max:      out = max over taps of x_slice(tap);  the gradient goes to the
              winning tap of each window (the first one on ties)
    average:  out = sum over taps of x_slice(tap) / count;  every tap gets g / count

With padding="same", padded elements never win a max and are not counted in an
average: only real elements are averaged, as TensorFlow does.
"""

from __future__ import annotations

from typing import Any

from ... import backend
from ..function import Function
from ..tensor import Tensor
from .conv import (check_inputs, check_padding, pad_spatial, per_axis, plan_windows, tap_slices,
                   unpad_spatial, window_taps)


class MaxPool(Function):
    name = "max_pool"

    def forward(self, x, window, strides, pads, out_sizes):
        xp = backend.array_module(x)
        self.window, self.strides, self.pads, self.out_sizes = window, strides, pads, out_sizes
        lowest = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min  # never wins a max
        padded = pad_spatial(x, pads, lowest)
        self.padded_shape = padded.shape
        ones = (1,) * len(window)
        best = winner = None
        for k, tap in enumerate(window_taps(window)):
            candidate = padded[tap_slices(tap, strides, ones, out_sizes)]
            if best is None:  # a copy: the output must not share memory with the input
                best, winner = candidate.copy(), xp.zeros(candidate.shape, dtype="int32")
                continue
            # Strictly greater, so the first of equal values keeps the win; a NaN always
            # takes over, so a NaN anywhere in a window shows in its output as np.max does.
            wins = candidate > best
            if x.dtype.kind == "f":
                wins |= candidate != candidate
            best = xp.where(wins, candidate, best)
            winner = xp.where(wins, k, winner)
        self.winner = winner
        return best

    def backward(self, grad):
        xp = backend.array_module(grad)
        dx = xp.zeros(self.padded_shape, dtype=grad.dtype)
        ones = (1,) * len(self.window)
        zero = grad.dtype.type(0)
        for k, tap in enumerate(window_taps(self.window)):
            where = tap_slices(tap, self.strides, ones, self.out_sizes)
            dx[where] += xp.where(self.winner == k, grad, zero)
        return unpad_spatial(dx, self.pads)


class AveragePool(Function):
    name = "average_pool"

    def forward(self, x, window, strides, pads, out_sizes):
        xp = backend.array_module(x)
        self.window, self.strides, self.pads, self.out_sizes = window, strides, pads, out_sizes
        padded = pad_spatial(x, pads)
        self.padded_shape = padded.shape
        # How many real (unpadded) elements each window covers: the same window sum,
        # run over a mask of ones the size of one input image.
        real = pad_spatial(xp.ones((1,) + x.shape[1:-1] + (1,), dtype=x.dtype), pads)
        self.count = _window_sum(real, window, strides, out_sizes)
        return _window_sum(padded, window, strides, out_sizes) / self.count

    def backward(self, grad):
        xp = backend.array_module(grad)
        dx = xp.zeros(self.padded_shape, dtype=grad.dtype)
        share = grad / self.count
        ones = (1,) * len(self.window)
        for tap in window_taps(self.window):
            dx[tap_slices(tap, self.strides, ones, self.out_sizes)] += share
        return unpad_spatial(dx, self.pads)


def _window_sum(padded: Any, window, strides, out_sizes) -> Any:
    ones = (1,) * len(window)
    total = None
    for tap in window_taps(window):
        part = padded[tap_slices(tap, strides, ones, out_sizes)]
        total = part.copy() if total is None else total + part
    return total


def _plan(op: str, inputs: Tensor, pool_size: Any, strides: Any, padding: Any, data_format: Any):
    n = check_inputs(op, inputs, data_format)
    if 0 in inputs.shape[1:]:
        raise ValueError(f"{op}: inputs of shape {inputs.shape}: only the batch axis may have size 0.")
    window = per_axis(op, "pool_size", pool_size, n)
    strides = window if strides is None else per_axis(op, "strides", strides, n)
    padding = check_padding(op, padding)
    out_sizes, pads = plan_windows(op, inputs.shape[1:-1], window, strides, (1,) * n, padding,
                                   "pool window")
    return dict(window=window, strides=strides, pads=pads, out_sizes=out_sizes)


def max_pool(
    inputs: Tensor,
    pool_size: int | tuple[int, ...],
    strides: int | tuple[int, ...] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """The largest value in each window, channel by channel.

    Args:
        inputs: (batch, width, channels), (batch, height, width, channels) or
            (batch, depth, height, width, channels).
        pool_size: the window: an int, or one int per spatial axis.
        strides: step between windows; defaults to `pool_size` (no overlap).
        padding: "valid" or "same" (ceil(size / stride) outputs).
        data_format: None or "channels_last".

    Returns:
        (batch, *output_sizes, channels).
    """
    return MaxPool.apply(inputs, **_plan("max_pool", inputs, pool_size, strides, padding, data_format))


def average_pool(
    inputs: Tensor,
    pool_size: int | tuple[int, ...],
    strides: int | tuple[int, ...] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """The mean of each window, channel by channel ("same" padding averages real elements only).

    Args:
        inputs: (batch, width, channels), (batch, height, width, channels) or
            (batch, depth, height, width, channels).
        pool_size: the window: an int, or one int per spatial axis.
        strides: step between windows; defaults to `pool_size` (no overlap).
        padding: "valid" or "same" (ceil(size / stride) outputs).
        data_format: None or "channels_last".

    Returns:
        (batch, *output_sizes, channels).
    """
    return AveragePool.apply(inputs, **_plan("average_pool", inputs, pool_size, strides, padding,
                                             data_format))
