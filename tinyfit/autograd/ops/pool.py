"""Max and average pooling (1-D, 2-D and 3-D, channels_last).

Pooling slides a window the way convolution does (the window arithmetic is
conv.py's), but instead of a matmul per window position it keeps a running
max or a running sum. Each window position meets the input through one strided
slice, so a 2x2 pool is four slices compared or added together:

    max:      out = max over taps of x_slice(tap)  (an elementwise maximum per tap);
              the gradient goes to the winning tap of each window: the first one
              in row-major order on ties; none where the window's maximum is NaN
    average:  out = sum over taps of x_slice(tap) / count;  every tap gets g / count

With padding="same", padded elements never win a max and are not counted in an
average: only real elements are averaged, as TensorFlow does.
"""

from __future__ import annotations

from typing import Any

from ... import backend
from ..function import Function
from ..tensor import Tensor
from . import workspace
from .conv import (check_inputs, check_padding, pad_spatial, per_axis, plan_windows, tap_slices,
                   unpad_spatial, window_taps)


class MaxPool(Function):
    name = "max_pool"

    def forward(self, x, window, strides, pads, out_sizes):
        xp = backend.array_module(x)
        self.window, self.strides, self.pads, self.out_sizes = window, strides, pads, out_sizes
        lowest = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min  # never wins a max
        self.padded = pad_spatial(x, pads, lowest)
        taps = [self.padded[where] for where in self._tap_slices()]
        if len(taps) == 1:  # a copy: the output must not share memory with the input
            return taps[0].copy()
        # maximum, not a comparison and a select: one pass per tap, written in place.
        # It propagates NaN, so a NaN anywhere in a window shows in its output.
        best = xp.maximum(taps[0], taps[1])
        for tap in taps[2:]:
            xp.maximum(best, tap, out=best)
        self.best = best
        return best

    def backward(self, grad):
        # Which tap won each window is found again here, by comparing each tap with
        # the output: cheaper than tracking winners during forward, which also runs
        # alone (evaluation, prediction). On ties the first tap in row-major order
        # wins; `free` marks the windows whose winner is still to be found.
        xp = backend.array_module(grad)
        slices = self._tap_slices()
        best = getattr(self, "best", None)
        if best is None:  # a 1x1 window: every element read is its own window's winner
            dx = xp.zeros(self.padded.shape, dtype=grad.dtype)
            dx[slices[0]] = grad
            return unpad_spatial(dx, self.pads)
        # Windows that overlap may share a winner, whose gradients must then add up;
        # windows side by side never do, and each tap's slice is written once. When they
        # also tile the input exactly (a 2x2 pool over an even size), those writes cover
        # every element, and dx needs no zeros first.
        overlap = any(s < k for s, k in zip(self.strides, self.window))
        tiled = not overlap and all(o * s == n and s == k for o, s, k, n in
                                    zip(self.out_sizes, self.strides, self.window, self.padded.shape[1:-1]))
        dx = (xp.empty if tiled else xp.zeros)(self.padded.shape, dtype=grad.dtype)
        masks = workspace.take(xp, (2,) + best.shape, bool)  # two masks, kept between calls
        free, hit = masks[0], masks[1]
        free[...] = True
        for where in slices:
            xp.equal(self.padded[where], best, out=hit)
            hit &= free
            free ^= hit
            if tiled:
                xp.multiply(grad, hit, out=dx[where])
            elif overlap:
                dx[where] += grad * hit
            else:
                xp.copyto(dx[where], grad, where=hit)
        workspace.give(xp, masks)
        return unpad_spatial(dx, self.pads)

    def _tap_slices(self):
        ones = (1,) * len(self.window)
        return [tap_slices(tap, self.strides, ones, self.out_sizes) for tap in window_taps(self.window)]


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
