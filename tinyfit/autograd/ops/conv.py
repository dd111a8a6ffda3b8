"""Convolution (1-D, 2-D and 3-D, channels_last) as one Function, by im2col.

The idea, for a 2-D kernel W of shape (kh, kw, C, F): write out, for every
output position, the kh*kw*C input values its window covers, as one row of a
matrix ("image to columns", im2col). Then the whole convolution is ONE matrix
product of those rows with W flattened to (kh*kw*C, F):

    cols = windows(x)                  (N*out_h*out_w, kh*kw*C)
    out  = cols @ W.reshape(-1, F)     (N*out_h*out_w, F)  -> (N, out_h, out_w, F)

Writing out the windows costs no arithmetic: a strided *view* (`as_strided`)
already shows x as an array of shape (N, out_h, out_w, kh, kw, C) without
copying anything, because moving one output step or one kernel tap is just a
fixed jump in memory. Reshaping that view into rows is the one copy. One big
product keeps BLAS (or the GPU) busy, where many small ones would not.

Backward is matmul's backward, then the view undone:

    dW    = cols.T @ g                 one product, (kh*kw*C, F)
    dcols = g @ W.T                    a (rows, C) block per tap: g @ W[tap].T
    dx    = col2im(dcols)              every kernel tap adds its block of dcols
                                       back onto the input positions it read

col2im must *add*: with overlapping windows an input value sits under several
taps, and its gradient is the sum of what each of them received.

The large arrays (the matrix, the output, dx, the per-tap block) come from the
workspace (workspace.py), which hands a step the memory the previous step let go.

The three products (forward, input gradient, kernel gradient) are plain
functions of arrays, `correlate`, `spread` and `kernel_product`, because the
transposed convolution (conv_transpose.py) is made of the same three: its
forward is conv's input gradient and its input gradient is conv's forward.

The window arithmetic (sizes, "same" padding, slices) is shared with pooling,
which slides a window the same way.
"""

from __future__ import annotations

import itertools
import math
import operator
from typing import Any

from ... import backend
from ..function import Function
from ..tensor import Tensor
from . import workspace

PADDINGS = ("valid", "same")
_SPATIAL_NAMES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}
_LAYOUTS = {1: "(batch, width, channels)", 2: "(batch, height, width, channels)",
            3: "(batch, depth, height, width, channels)"}


# ------------------------------------------------------- window arithmetic
def check_inputs(op: str, inputs: Tensor, data_format: Any) -> int:
    """The number of spatial axes of channels_last `inputs` (1, 2 or 3)."""
    if data_format == "channels_first":
        n = max(inputs.ndim - 2, 1)
        order = (0,) + tuple(range(2, n + 2)) + (1,)
        raise ValueError(
            f"{op}: only data_format='channels_last' is supported, i.e. inputs shaped "
            f"{_LAYOUTS.get(n, '(batch, ..., channels)')}. Move the channel axis last first, "
            f"e.g. ops.transpose(x, {order}), and leave data_format as None."
        )
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{op}: unknown data_format {data_format!r}; use None or 'channels_last' "
            "('channels_first' is not supported)."
        )
    if inputs.ndim not in (3, 4, 5):
        raise ValueError(
            f"{op}: inputs of shape {inputs.shape} have {inputs.ndim} dimension(s); expected 3 "
            f"{_LAYOUTS[1]} for 1-D, 4 {_LAYOUTS[2]} for 2-D or 5 for 3-D."
        )
    return inputs.ndim - 2


def check_padding(op: str, padding: Any) -> str:
    if isinstance(padding, str) and padding.lower() in PADDINGS:
        return padding.lower()
    raise ValueError(f"{op}: unknown padding {padding!r}; choose one of {PADDINGS}.")


def per_axis(op: str, name: str, value: Any, n: int, minimum: int = 1) -> tuple[int, ...]:
    """`value` (an int or a tuple of n ints, each at least `minimum`: 1 or 0) as a tuple of n ints."""
    try:
        values = (_as_int(value),) * n
    except TypeError:
        try:
            values = tuple(_as_int(v) for v in value)
        except TypeError:
            values = ()
    if len(values) != n or not all(v >= minimum for v in values):
        kind = "positive" if minimum > 0 else "non-negative"
        raise ValueError(
            f"{op}: {name} must be a {kind} int or a tuple of {n} {kind} ints "
            f"(one per spatial axis), got {value!r}."
        )
    return values


def _as_int(v: Any) -> int:
    """An int or a NumPy integer as an int; TypeError for anything else (bool included)."""
    if isinstance(v, bool):
        raise TypeError
    return operator.index(v)


def plan_windows(
    op: str,
    in_sizes: tuple[int, ...],
    window: tuple[int, ...],
    strides: tuple[int, ...],
    dilation: tuple[int, ...],
    padding: str,
    what: str,
) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """Output sizes and (before, after) paddings of a sliding window, per spatial axis.

    "valid" keeps only windows that fit inside the input. "same" gives
    ceil(in / stride) outputs and pads as TensorFlow does: the padding needed in
    all, with the odd element after.
    """
    names = _SPATIAL_NAMES[len(in_sizes)]
    out_sizes, pads = [], []
    for axis, (n, k, s, d) in enumerate(zip(in_sizes, window, strides, dilation)):
        span = (k - 1) * d + 1  # how far one window reaches, dilation included
        if padding == "same":
            out = -(-n // s)
            total = max((out - 1) * s + span - n, 0)
            pads.append((total // 2, total - total // 2))
        else:
            if span > n:
                reach = f"{span} ({what} size {k}, dilation {d})" if d > 1 else f"{span}"
                raise ValueError(
                    f"{op}: the {what} spans {reach} along the {names[axis]} axis but the "
                    f"input has only {n} there (padding='valid'). Use padding='same', a "
                    f"smaller {what}{' or dilation' if d > 1 else ''}, or a larger input."
                )
            out = (n - span) // s + 1
            pads.append((0, 0))
        out_sizes.append(out)
    return tuple(out_sizes), tuple(pads)


def window_taps(window: tuple[int, ...]):
    """Every position inside a window, in row-major order: (0, 0), (0, 1), ..."""
    return itertools.product(*(range(k) for k in window))


def tap_slices(tap, strides, dilation, out_sizes) -> tuple[slice, ...]:
    """The slice of the padded input that window position `tap` meets, for every output."""
    spatial = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                    for t, s, d, o in zip(tap, strides, dilation, out_sizes))
    return (slice(None),) + spatial + (slice(None),)


def pad_spatial(x: Any, pads: tuple[tuple[int, int], ...], value: Any = 0) -> Any:
    """x with its spatial axes padded by `pads` (no copy when there is nothing to pad)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    xp = backend.array_module(x)
    shape = (x.shape[0],) + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[1:-1], pads)) + (x.shape[-1],)
    padded = workspace.take(xp, shape, x.dtype)
    # Only the borders get `value`: the middle is about to be overwritten by x.
    for axis, (lo, hi) in enumerate(pads, start=1):
        edge = [slice(None)] * padded.ndim
        for part in (slice(0, lo), slice(padded.shape[axis] - hi, None)):
            edge[axis] = part
            padded[tuple(edge)] = value
    padded[(slice(None),) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, x.shape[1:-1]))] = x
    return padded


def unpad_spatial(x: Any, pads: tuple[tuple[int, int], ...]) -> Any:
    """The middle of a padded array: what `pad_spatial` added, cut off again."""
    inner = tuple(slice(lo, n - hi) for (lo, hi), n in zip(pads, x.shape[1:-1]))
    return x[(slice(None),) + inner + (slice(None),)]


# ------------------------------------------------------------- convolution
def windows(x: Any, window, strides, dilation, out_sizes) -> Any:
    """A view of padded `x` shaped (batch, *out_sizes, *window, channels): no copy.

    Element [b, *o, *t, c] is x[b, *(o * stride + t * dilation), c]: the value that
    kernel tap t meets at output position o.
    """
    xp = backend.array_module(x)
    spatial = x.strides[1:-1]
    shape = (x.shape[0],) + tuple(out_sizes) + tuple(window) + (x.shape[-1],)
    strides = ((x.strides[0],) + tuple(st * s for st, s in zip(spatial, strides))
               + tuple(st * d for st, d in zip(spatial, dilation)) + (x.strides[-1],))
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


# ------------------------------------------- the three products of one convolution
# A convolution, its input gradient and its kernel gradient are three matrix
# products around one im2col matrix. They are written once, here, for Conv and
# for the transposed convolution (conv_transpose.py), whose forward pass is the
# convolution's input gradient and whose input gradient is the convolution.
def correlate(x, kernel, bias, strides, dilation, pads, out_sizes, relu=False, keep_cols=False):
    """x, padded by `pads`, slid under `kernel`: the convolution's forward, as arrays.

    Returns the output as a (rows, filters) matrix, rows = batch * prod(out_sizes),
    and the im2col matrix when `keep_cols` (the kernel gradient needs it; with a bias
    its last column is ones), else None.
    """
    xp = backend.array_module(x)
    padded = pad_spatial(x, pads)
    window, filters = kernel.shape[:-2], kernel.shape[-1]
    rows, taps_c = x.shape[0] * math.prod(out_sizes), math.prod(window) * kernel.shape[-2]
    weights = kernel.reshape(taps_c, filters)
    # Copying the view into rows of a matrix writes out the overlapping windows:
    # the im2col matrix. A bias rides along as one more column of ones (and one
    # more row of weights): the product adds it, and backward's kernel product
    # sums the bias gradient, with no pass of their own over the output.
    has_bias = bias is not None
    view = windows(padded, window, strides, dilation, out_sizes)
    cols = workspace.take(xp, (rows, taps_c + has_bias), xp.result_type(x, kernel))
    by_window = cols[:, :taps_c].reshape(view.shape)  # a view: splitting axes never copies
    if has_bias:
        weights = xp.concatenate([weights, bias.reshape(1, filters).astype(weights.dtype)])
    out = workspace.take(xp, (rows, filters), cols.dtype)
    # The matrix is written and multiplied a few images at a time, so that each
    # piece is still in the processor's cache when the product reads it (about 10%
    # faster for the MNIST convnet's second layer than writing all of it first).
    per_image = math.prod(out_sizes)
    step = max(1, _PIECE_BYTES // (per_image * cols.shape[1] * cols.itemsize))
    for first in range(0, x.shape[0], step):
        images, part = slice(first, first + step), slice(first * per_image, (first + step) * per_image)
        _write_windows(by_window[images], padded[images], view[images], strides, dilation, out_sizes)
        if has_bias:
            cols[part, taps_c] = 1
        xp.matmul(cols[part], weights, out=out[part])
        if relu:
            xp.maximum(out[part], 0, out=out[part])
    # Without keep_cols the matrix is not kept for backward; inside a step its buffer returns to the
    # workspace when the step ends.
    return out, (cols if keep_cols else None)


def spread(grad, kernel, strides, dilation, pads, in_sizes):
    """What `correlate` reads, sent back: the convolution's input gradient, as arrays.

    `grad` is shaped like the convolution's output (batch, *out_sizes, filters);
    the result is shaped like its input (batch, *in_sizes, channels). Every kernel
    tap adds g @ W[tap].T onto the input positions it read (col2im), and the
    padding is cut off again.
    """
    xp = backend.array_module(grad)
    window, channels, filters = kernel.shape[:-2], kernel.shape[-2], kernel.shape[-1]
    out_sizes = grad.shape[1:-1]
    g = grad.reshape(-1, filters)
    # dcols = g @ W.T, one kernel tap at a time through one (rows, C) block: the
    # same products a single one would make, and each tap's block is contiguous,
    # so its add into dx runs over long rows (a slice of one big dcols would be
    # read 32 values at a time, several times slower).
    per_tap = kernel.reshape(-1, channels, filters).transpose(0, 2, 1)
    block = workspace.take(xp, (g.shape[0], channels), xp.result_type(g, kernel))
    shaped = block.reshape(grad.shape[:-1] + (channels,))
    padded_sizes = tuple(n + lo + hi for n, (lo, hi) in zip(in_sizes, pads))
    dx = workspace.zeros(xp, (grad.shape[0],) + padded_sizes + (channels,), block.dtype)
    for k, tap in enumerate(window_taps(window)):
        xp.matmul(g, per_tap[k], out=block)
        dx[tap_slices(tap, strides, dilation, out_sizes)] += shaped
    return unpad_spatial(dx, pads)


def kernel_product(cols, g):
    """cols.T @ g: the kernel gradient from the im2col matrix and the output gradient (rows, filters)."""
    # Either order gives the same (rows-long) sum; OpenBLAS runs it faster when the
    # result is wide (about 10% for a 3x3x32 kernel with 64 filters), so the wider
    # of the two shapes is made.
    return (g.T @ cols).T if cols.shape[1] > g.shape[1] else cols.T @ g


class Conv(Function):
    """Channels_last convolution: im2col, then one matrix product (bias and relu inside, when asked)."""

    name = "conv"

    def forward(self, x, kernel, *bias, strides, dilation, pads, out_sizes, relu=False):
        self.kernel, self.strides, self.dilation, self.relu = kernel, strides, dilation, relu
        self.pads, self.in_sizes = pads, x.shape[1:-1]
        # Only the kernel's gradient needs the im2col matrix.
        keep_cols = bool(self.needs_grad and self.needs_grad[1])
        out, self.cols = correlate(x, kernel, bias[0] if bias else None, strides, dilation, pads, out_sizes,
                                   relu=relu, keep_cols=keep_cols)
        if relu:
            self.out = out  # backward's mask: where the output is positive
        return out.reshape((x.shape[0],) + tuple(out_sizes) + (kernel.shape[-1],))

    def backward(self, grad):
        xp = backend.array_module(grad)
        need_x, need_kernel, *need_bias = self.needs_grad
        kernel, cols = self.kernel, self.cols
        filters, taps_c = kernel.shape[-1], math.prod(kernel.shape[:-1])
        g = grad.reshape(-1, filters)
        both = dkernel = dbias = dx = None
        if need_kernel and self.relu and cols.shape[1] <= filters and g.shape[0]:
            # A matrix narrower than the output (few input channels: a first layer) makes
            # the kernel product little more than one read of the masked gradient; masked
            # and multiplied a few thousand rows at a time, it is read from cache.
            g, both = _masked_product_in_pieces(xp, g, self.out, cols)
        elif self.relu:
            g = _relu_masked(xp, g, self.out)
        if need_kernel and both is None:
            both = kernel_product(cols, g)
        if need_kernel:  # with a bias column, the product's last row is the bias gradient
            dkernel = both[:taps_c].reshape(kernel.shape)
            dbias = both[taps_c] if need_bias and need_bias[0] else None
        elif need_bias and need_bias[0]:
            dbias = g.sum(axis=0)
        if need_x:
            dx = spread(g.reshape(grad.shape), kernel, self.strides, self.dilation, self.pads, self.in_sizes)
        return (dx, dkernel, dbias)[:len(self.needs_grad)]


_PIECE_BYTES = 1 << 21  # im2col bytes written and multiplied per piece (2 MB measured faster than 4 MB or all)


def _write_windows(by_window, padded, view, strides, dilation, out_sizes):
    """Copies the windows of `padded` (seen through `view`) into rows of the im2col matrix."""
    if padded.shape[-1] == 1:
        # One channel (grayscale images): the view's contiguous runs are only a
        # kernel row long, and copying tap by tap runs along whole output rows.
        window = view.shape[1 + len(out_sizes):-1]
        before = (slice(None),) * (1 + len(window))
        for tap in window_taps(window):
            by_window[before + tap] = padded[tap_slices(tap, strides, dilation, out_sizes)]
    else:
        backend.array_module(view).copyto(by_window, view)


_MASK_PIECE_BYTES = 1 << 18  # masked gradient rows per piece: well inside an L2 cache


def _masked_product_in_pieces(xp, g, out, cols):
    """relu's backward and cols.T @ (masked g), a piece of rows at a time: (masked g, product)."""
    positive = workspace.take(xp, out.shape, bool)
    masked = workspace.take(xp, g.shape, xp.result_type(g, out))
    both = xp.zeros((cols.shape[1], g.shape[1]), dtype=xp.result_type(cols, masked))
    step = max(1, _MASK_PIECE_BYTES // (g.shape[1] * masked.itemsize))
    for first in range(0, g.shape[0], step):
        rows = slice(first, first + step)
        xp.greater(out[rows], 0, out=positive[rows])
        xp.multiply(g[rows], positive[rows].view(xp.uint8), out=masked[rows])
        both += cols[rows].T @ masked[rows]
    return masked, both


def _relu_masked(xp, g, out):
    """g where the relu output `out` is positive, 0 elsewhere (relu's backward)."""
    positive = workspace.take(xp, out.shape, bool)
    xp.greater(out, 0, out=positive)
    masked = workspace.take(xp, g.shape, xp.result_type(g, out))
    # The mask as bytes: NumPy turns uint8 into floats faster than bool (same 0s and 1s).
    return xp.multiply(g, positive.view(xp.uint8), out=masked)


def conv(
    inputs: Tensor,
    kernel: Tensor,
    strides: int | tuple[int, ...] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | tuple[int, ...] = 1,
    bias: Tensor | None = None,
    relu: bool = False,
) -> Tensor:
    """N-D convolution (really cross-correlation, as in every deep-learning library).

    Args:
        inputs: (batch, width, channels) for 1-D, (batch, height, width,
            channels) for 2-D, (batch, depth, height, width, channels) for 3-D.
        kernel: (*kernel_size, channels, filters), e.g. (3, 3, 1, 16).
        strides: step between windows: an int, or one int per spatial axis.
        padding: "valid" (only windows that fit) or "same" (ceil(size / stride)
            outputs, zero-padded as TensorFlow does).
        data_format: None or "channels_last".
        dilation_rate: gap between kernel taps: an int, or one per spatial axis.
        bias: (filters,), added to every output position (a conv layer's bias).
        relu: apply max(0, .) to the result, inside the op (a conv layer with
            activation="relu").

    Returns:
        (batch, *output_sizes, filters).
    """
    op = "conv"
    n = check_inputs(op, inputs, data_format)
    if kernel.ndim != inputs.ndim:
        raise ValueError(
            f"{op}: kernel of shape {kernel.shape} does not fit inputs of shape {inputs.shape}: "
            f"a {n}-D convolution needs a {inputs.ndim}-d kernel shaped "
            f"({', '.join(f'kernel_{a}' for a in _SPATIAL_NAMES[n])}, in_channels, filters)."
        )
    if kernel.shape[-2] != inputs.shape[-1]:
        raise ValueError(
            f"{op}: inputs of shape {inputs.shape} have {inputs.shape[-1]} channels (last axis) "
            f"but the kernel of shape {kernel.shape} expects {kernel.shape[-2]} (its second-to-last "
            f"axis). Give the kernel {inputs.shape[-1]} input channels, or check that the inputs "
            "are channels_last."
        )
    if 0 in kernel.shape or 0 in inputs.shape[1:]:
        raise ValueError(
            f"{op}: inputs of shape {inputs.shape} and a kernel of shape {kernel.shape}: only the "
            "batch axis may have size 0."
        )
    padding = check_padding(op, padding)
    strides = per_axis(op, "strides", strides, n)
    dilation = per_axis(op, "dilation_rate", dilation_rate, n)
    out_sizes, pads = plan_windows(op, inputs.shape[1:-1], kernel.shape[:-2], strides, dilation,
                                   padding, "kernel")
    if bias is not None and tuple(bias.shape) != (kernel.shape[-1],):
        raise ValueError(
            f"{op}: bias of shape {bias.shape} does not fit a kernel of shape {kernel.shape}: it needs "
            f"one value per filter, shape ({kernel.shape[-1]},)."
        )
    extra = () if bias is None else (bias,)
    return Conv.apply(inputs, kernel, *extra, strides=strides, dilation=dilation, pads=pads,
                      out_sizes=out_sizes, relu=bool(relu))
