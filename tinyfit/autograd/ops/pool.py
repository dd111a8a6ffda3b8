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

When windows sit side by side (stride = window, the usual 2x2 pool), a reshape
shows the input as (batch, o1, k1, o2, k2, ..., channels), each window's taps on
axes of their own, and max pooling works on whole arrays: the maximum one
spatial axis at a time, the winners in one comparison. Outputs, gradients and
scratch arrays come from the workspace (workspace.py).
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
        best = workspace.take(xp, taps[0].shape, x.dtype)
        if len(taps) == 1:  # a copy: the output must not share memory with the input
            xp.copyto(best, taps[0])
            return best
        # maximum, not a comparison and a select: one pass per tap, written in place.
        # It propagates NaN, so a NaN anywhere in a window shows in its output.
        if tuple(strides) == tuple(window) and len(window) > 1:
            self.best = self._side_by_side_max(xp, best)
            return self.best
        xp.maximum(taps[0], taps[1], out=best)
        for tap in taps[2:]:
            xp.maximum(best, tap, out=best)
        self.best = best
        return best

    def _side_by_side_max(self, xp, best):
        """The windows' maxima when stride = window, one spatial axis at a time.

        A 2x2 pool takes the larger of each pair of rows (long contiguous runs),
        then of each pair of columns in that half-size result: two passes, the
        first of them fast, instead of three strided ones. The maximum is the same.
        """
        covered = (slice(None),) + tuple(slice(0, o * k) for o, k in zip(self.out_sizes, self.window))
        part = self.padded[covered]
        for axis, (o, k) in enumerate(zip(self.out_sizes, self.window), start=1):
            split = part.reshape(part.shape[:axis] + (o, k) + part.shape[axis + 1:])
            first = (slice(None),) * (axis + 1)
            reduced = best if axis == len(self.window) else workspace.take(
                xp, part.shape[:axis] + (o,) + part.shape[axis + 1:], part.dtype)
            if k == 1:
                xp.copyto(reduced, split[first + (0,)])
            else:
                xp.maximum(split[first + (0,)], split[first + (1,)], out=reduced)
            for tap in range(2, k):
                xp.maximum(reduced, split[first + (tap,)], out=reduced)
            part = reduced
        return best

    def backward(self, grad):
        # Which tap won each window is found again here, by comparing each tap with
        # the output: cheaper than tracking winners during forward, which also runs
        # alone (evaluation, prediction). On ties the first tap in row-major order
        # wins; none wins a window whose maximum is NaN (NaN equals nothing).
        xp = backend.array_module(grad)
        slices = self._tap_slices()
        best = getattr(self, "best", None)
        if best is None:  # a 1x1 window: every element read is its own window's winner
            dx = workspace.zeros(xp, self.padded.shape, grad.dtype)
            dx[slices[0]] = grad
            return unpad_spatial(dx, self.pads)
        # Windows side by side (stride = window, the common 2x2 pool) are shown by a
        # reshape with each window's taps on axes of their own, and all of the work is
        # a few whole-array passes.
        if tuple(self.strides) == tuple(self.window):
            return unpad_spatial(self._side_by_side_backward(xp, grad, best), self.pads)
        # Otherwise tap by tap; `free` marks the windows whose winner is still to be
        # found. Windows that overlap may share a winner, whose gradients add up;
        # windows apart (stride > window) never meet, and each tap's slice is written once.
        overlap = any(s < k for s, k in zip(self.strides, self.window))
        dx = workspace.zeros(xp, self.padded.shape, grad.dtype)
        free, hit = workspace.take(xp, best.shape, bool), workspace.take(xp, best.shape, bool)
        free[...] = True
        share = workspace.take(xp, best.shape, grad.dtype) if overlap else None
        for where in slices:
            xp.equal(self.padded[where], best, out=hit)
            hit &= free
            free ^= hit
            if overlap:
                dx[where] += xp.multiply(grad, hit, out=share)
            else:
                xp.multiply(grad, hit, out=dx[where])
        return unpad_spatial(dx, self.pads)

    def _side_by_side_backward(self, xp, grad, best):
        """dx when stride = window: the part of the input the windows cover, viewed as
        (batch, o1, k1, o2, k2, ..., channels); a remainder no window reaches gets 0."""
        split = (grad.shape[0],) + sum(((o, k) for o, k in zip(self.out_sizes, self.window)), ()) + (grad.shape[-1],)
        spread = (slice(None),) + (slice(None), None) * len(self.window) + (slice(None),)
        covered = (slice(None),) + tuple(slice(0, o * k) for o, k in zip(self.out_sizes, self.window)) + (slice(None),)
        exact = all(o * k == n for o, k, n in zip(self.out_sizes, self.window, self.padded.shape[1:-1]))
        hits = workspace.take(xp, split, bool)
        # Splitting axes never copies, so these reshapes are views of the arrays themselves.
        xp.equal(self.padded[covered].reshape(split), best[spread], out=hits)
        # A maximum found at several taps of a window goes to the first of them only:
        # each later tap keeps a hit where no earlier tap has taken the window
        # (hit > taken, on booleans, is "hit and not taken").
        taps = [(slice(None),) + sum(((slice(None), t) for t in tap), ()) + (slice(None),)
                for tap in window_taps(self.window)]
        taken = workspace.take(xp, best.shape, bool)
        xp.copyto(taken, hits[taps[0]])
        for i, where in enumerate(taps[1:], start=2):
            hit = hits[where]
            xp.greater(hit, taken, out=hit)
            if i < len(taps):
                xp.logical_or(taken, hit, out=taken)
        dx = (workspace.take if exact else workspace.zeros)(xp, self.padded.shape, grad.dtype)
        # Each window's gradient spread over its taps, then kept at the winner only: two
        # passes over arrays of one shape run faster than one that broadcasts (and the
        # mask as bytes converts to floats faster than as booleans).
        spread_grad = dx[covered].reshape(split)
        xp.copyto(spread_grad, grad[spread])
        xp.multiply(spread_grad, hits.view(xp.uint8), out=spread_grad)
        return dx

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
        total = _window_sum(padded, window, strides, out_sizes)
        if total.dtype.kind == "f" and total.dtype == xp.result_type(total, self.count):  # in place
            return xp.divide(total, self.count, out=total)
        return total / self.count

    def backward(self, grad):
        xp = backend.array_module(grad)
        dx = workspace.zeros(xp, self.padded_shape, grad.dtype)
        share = xp.divide(grad, self.count, out=workspace.take(xp, grad.shape, grad.dtype))
        ones = (1,) * len(self.window)
        for tap in window_taps(self.window):
            dx[tap_slices(tap, self.strides, ones, self.out_sizes)] += share
        return unpad_spatial(dx, self.pads)


def _window_sum(padded: Any, window, strides, out_sizes) -> Any:
    xp = backend.array_module(padded)
    ones = (1,) * len(window)
    total = None
    for tap in window_taps(window):
        part = padded[tap_slices(tap, strides, ones, out_sizes)]
        if total is None:
            total = workspace.take(xp, part.shape, part.dtype)
            xp.copyto(total, part)
        else:
            total += part
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
