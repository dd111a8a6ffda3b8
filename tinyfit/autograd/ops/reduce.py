"""Reductions: sum, max, min, prod and cumsum are primitives; mean, var, std and
logsumexp are built from them, so they need no backward of their own."""

from __future__ import annotations

import operator
from typing import Any

from ... import backend
from ..function import Function
from ..tensor import Tensor  # after ..function, which loads tensor.py whichever came first


def normalize_axis(op: str, axis: Any, ndim: int) -> tuple[int, ...] | None:
    """`axis` as a tuple of non-negative ints (None means every axis)."""
    if axis is None:
        return None
    if isinstance(axis, int):
        axes = (axis,)
    else:
        try:
            axes = (operator.index(axis),)  # a NumPy integer
        except TypeError:
            try:
                axes = tuple(axis)
            except TypeError:
                raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {axis!r}.") from None
    out = []
    for a in axes:
        if not isinstance(a, int):
            try:
                a = operator.index(a)
            except TypeError:
                raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {axis!r}.") from None
        if not -ndim <= a < ndim:
            valid = f"valid axes are {-ndim}..{ndim - 1}" if ndim else "it has no axes; use axis=None"
            raise ValueError(
                f"{op}: axis {a!r} is out of range for a tensor with {ndim} dimension(s); {valid}."
            )
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis!r} repeats an axis.")
    return tuple(out)


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    """The output shape as if keepdims=True: reduced axes become 1."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """The sum over `axis`, times `scale` (1/n makes it the mean).

    The scale lives inside the op rather than in a multiply after it because a
    mean ends nearly every loss: one graph node fewer on every training step.
    """

    name = "sum"

    def forward(self, a, axis=None, keepdims=False, scale=1.0):
        self.axes = normalize_axis(self.name, axis, a.ndim)
        self.shape = a.shape
        self.scale = scale
        out = a.sum(axis=self.axes, keepdims=keepdims)
        if scale == 1.0:
            return out
        if out.dtype.kind != "f":
            out = out.astype("float32")  # the mean of integers is a float, as in Keras
        return out * out.dtype.type(scale)

    def backward(self, grad):
        # Every input element contributed once, so each gets the output's gradient
        # (times the scale). Filled into a new array rather than returned as a
        # broadcast_to view: a view is read-only and costs more to make.
        out = backend.array_module(grad).empty(self.shape, dtype=grad.dtype)
        out[...] = grad if grad.ndim == 0 else grad.reshape(_kept_shape(self.shape, self.axes))
        if self.scale != 1.0:
            out *= grad.dtype.type(self.scale)
        return out


class _Extreme(Function):
    """max/min: the gradient goes to the winning elements, split evenly on ties."""

    def forward(self, a, axis=None, keepdims=False):
        self.axes = normalize_axis(self.name, axis, a.ndim)
        if a.size == 0:
            raise ValueError(f"{self.name}: cannot reduce an empty tensor of shape {a.shape}.")
        out = self.pick(a, axis=self.axes, keepdims=True)
        self.winners = a == out
        return out if keepdims else out.reshape(self._dropped(a.shape))

    def _dropped(self, shape):
        if self.axes is None:
            return ()
        return tuple(n for i, n in enumerate(shape) if i not in self.axes)

    def backward(self, grad):
        winners = self.winners
        count = winners.sum(axis=self.axes, keepdims=True)
        grad = grad.reshape(_kept_shape(winners.shape, self.axes))
        return grad * winners / count.astype(grad.dtype)


class Max(_Extreme):
    name = "max"

    @staticmethod
    def pick(a, **kw):
        return a.max(**kw)


class Min(_Extreme):
    name = "min"

    @staticmethod
    def pick(a, **kw):
        return a.min(**kw)


class Prod(Function):
    """The product over `axis`. Each element's gradient is the product of the others,
    computed from running products on both sides, so that zeros need no special case."""

    name = "prod"

    def forward(self, a, axis=None, keepdims=False):
        self.axes = normalize_axis(self.name, axis, a.ndim)
        self.a = a
        return a.prod(axis=self.axes, keepdims=keepdims, dtype=a.dtype)

    def backward(self, grad):
        a, xp = self.a, backend.array_module(grad)
        reduced = tuple(range(a.ndim)) if self.axes is None else self.axes
        order = [i for i in range(a.ndim) if i not in reduced] + list(reduced)
        moved = xp.transpose(a, order)
        rows = moved.reshape(moved.shape[:a.ndim - len(reduced)] + (-1,))
        one = xp.ones_like(rows[..., :1])
        before = xp.cumprod(xp.concatenate([one, rows[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([rows[..., 1:], one], axis=-1), -1), axis=-1), -1)
        back = [0] * a.ndim
        for position, axis in enumerate(order):
            back[axis] = position
        others = xp.transpose((before * after).reshape(moved.shape), back)
        return others * grad.reshape(_kept_shape(a.shape, self.axes))


class Cumsum(Function):
    """Running sums along `axis`; the gradient is the running sum of the gradient from the end."""

    name = "cumsum"

    def forward(self, a, axis):
        self.axis = axis
        return backend.array_module(a).cumsum(a, axis=axis, dtype=a.dtype)

    def backward(self, grad):
        xp = backend.array_module(grad)
        return xp.flip(xp.cumsum(xp.flip(grad, self.axis), axis=self.axis), self.axis)


def _count(x, axis) -> int:
    axes = normalize_axis("mean", axis, x.ndim)
    n = 1
    for i in range(x.ndim) if axes is None else axes:
        n *= x.shape[i]
    return n


def mean(x, axis=None, keepdims=False):
    """The average over `axis`: the sum divided by how many elements were summed."""
    n = _count(x, axis)
    if n == 0:
        raise ValueError(f"mean: cannot average over zero elements (shape {x.shape}, axis {axis}).")
    return Sum.apply(x, axis=axis, keepdims=keepdims, scale=1.0 / n)


def var(x, axis=None, keepdims=False):
    """Population variance (divides by n, as NumPy and Keras do)."""
    centered = x - mean(x, axis, keepdims=True)
    return mean(centered * centered, axis, keepdims)


def std(x, axis=None, keepdims=False):
    return var(x, axis, keepdims).sqrt()


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) without overflow: shift by the max first.

    The shift is a constant as far as the gradient goes (it cancels out), so it
    is detached: the result's gradient is then exactly softmax(x).
    """
    shift = Max.apply(x.detach(), axis=axis, keepdims=True)
    # A slice that is all -inf has sum(exp) = 0 and logsumexp -inf; shifting it by
    # -inf would compute -inf - -inf = nan instead, so such slices are not shifted.
    xp = backend.array_module(shift.data)
    shift.data = xp.where(xp.isfinite(shift.data), shift.data, 0).astype(shift.dtype)
    out = (x - shift).exp().sum(axis=axis, keepdims=True).log() + shift
    if keepdims:
        return out
    axes = normalize_axis("logsumexp", axis, x.ndim)
    kept = tuple(n for i, n in enumerate(x.shape) if axes is not None and i not in axes)
    return out.reshape(kept)


def arg(op: str, x, axis=None):
    """argmax/argmin: integer positions, no gradient."""
    if axis is not None:
        normalize_axis(op, axis, x.ndim)
        if not isinstance(axis, int):
            raise ValueError(f"{op}: axis must be one int or None, got {axis!r}.")
    if x.size == 0:
        raise ValueError(f"{op}: cannot search an empty tensor of shape {x.shape}.")
    result = getattr(x.data, op)(axis=axis)
    return Tensor._make(backend.array_module(x.data).asarray(result), False)
