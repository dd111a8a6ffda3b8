"""Gathers along an axis and their inverse, segment reductions.

take_along_axis picks one element per position; its gradient scatters back,
adding where an element was picked twice. segment_sum and segment_max reduce
the rows of `data` that share a segment id; their gradients gather back.
"""

from __future__ import annotations

from ... import backend
from ..function import Function


def _positions(xp, indices, axis: int, shape: tuple) -> tuple:
    """The full index of x[...] that take_along_axis(x, indices, axis) reads."""
    index = []
    for d, n in enumerate(shape):
        if d == axis:
            index.append(indices)
        else:
            along = [1] * len(shape)
            along[d] = n
            index.append(xp.arange(n).reshape(along))
    return tuple(index)


class TakeAlongAxis(Function):
    """x at `indices` along `axis`, where `indices` has x's number of axes."""

    name = "take_along_axis"

    def forward(self, a, indices, axis):
        self.shape, self.indices, self.axis = a.shape, indices, axis
        return backend.array_module(a).take_along_axis(a, indices, axis)

    def backward(self, grad):
        xp = backend.array_module(grad)
        out = xp.zeros(self.shape, dtype=grad.dtype)
        backend.scatter_add(out, _positions(xp, self.indices, self.axis, self.shape), grad)
        return out


class SegmentSum(Function):
    """Row i of the result is the sum of the rows of `data` whose id is i (ids < 0 are skipped)."""

    name = "segment_sum"

    def forward(self, data, segment_ids, num_segments):
        xp = backend.array_module(data)
        self.kept = segment_ids >= 0
        self.ids, self.rows = segment_ids[self.kept], data.shape[0]
        out = xp.zeros((num_segments,) + data.shape[1:], dtype=data.dtype)
        backend.scatter_add(out, self.ids, data[self.kept])
        return out

    def backward(self, grad):
        out = backend.array_module(grad).zeros((self.rows,) + grad.shape[1:], dtype=grad.dtype)
        out[self.kept] = grad[self.ids]
        return out


class SegmentMax(Function):
    """Row i of the result is the elementwise max of the rows whose id is i.

    An empty segment holds the lowest value of the dtype (-inf for floats). The
    gradient goes to the rows that hold the max, split evenly on ties, as max does.
    """

    name = "segment_max"

    def forward(self, data, segment_ids, num_segments):
        xp = backend.array_module(data)
        kept = segment_ids >= 0
        ids, rows = segment_ids[kept], data[kept]
        lowest = -xp.inf if data.dtype.kind == "f" else xp.iinfo(data.dtype).min
        out = xp.full((num_segments,) + data.shape[1:], lowest, dtype=data.dtype)
        backend.scatter_max(out, ids, rows)
        winners = xp.zeros(data.shape, dtype=bool)
        winners[kept] = rows == out[ids]
        counts = xp.zeros(out.shape, dtype=data.dtype if data.dtype.kind == "f" else "float32")
        backend.scatter_add(counts, ids, winners[kept].astype(counts.dtype))
        self.kept, self.ids, self.winners, self.counts = kept, ids, winners, counts
        return out

    def backward(self, grad):
        out = backend.array_module(grad).zeros(self.winners.shape, dtype=grad.dtype)
        out[self.kept] = grad[self.ids] / self.counts[self.ids].astype(grad.dtype)
        return out * self.winners
