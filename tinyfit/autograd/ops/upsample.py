"""Upsampling ops: repeat each value along an axis, or interpolate linearly between values.

Both grow one axis by a whole factor. Repeat copies each value `factor` times
(nearest-neighbour upsampling), so its backward sums each block of copies back
into the value they came from. LinearUpsample places output i at input
coordinate (i + 0.5) / factor - 0.5 ("half-pixel centres", as Keras's bilinear
UpSampling2D and tf.image.resize do), clamped to the first and last values, and
mixes the two nearest inputs by distance. That is a fixed matrix W of shape
(out, in) applied along the axis, so the backward applies W's transpose.
"""

from __future__ import annotations

from ... import backend
from ..function import Function


class Repeat(Function):
    """Each value repeated `repeats` times along `axis`: [a, b] -> [a, a, b, b] for 2."""

    name = "repeat"

    def forward(self, a, repeats: int, axis: int):
        self.axis = axis % a.ndim
        self.repeats = repeats
        return backend.array_module(a).repeat(a, repeats, axis=self.axis)

    def backward(self, grad):
        # Split the grown axis into (value, copy) and add up the copies of each value.
        blocks = grad.shape[:self.axis] + (grad.shape[self.axis] // self.repeats, self.repeats) \
            + grad.shape[self.axis + 1:]
        return grad.reshape(blocks).sum(axis=self.axis + 1)


def linear_weights(xp, size: int, factor: int, dtype):
    """The (size * factor, size) matrix of linear interpolation with half-pixel centres."""
    source = xp.clip((xp.arange(size * factor, dtype="float64") + 0.5) / factor - 0.5, 0, size - 1)
    # The triangle ("tent") kernel: input j gets 1 - |distance| when it lies within one
    # step of the source coordinate, so the two nearest inputs share the weight by distance.
    distance = xp.abs(source[:, None] - xp.arange(size, dtype="float64")[None, :])
    return xp.maximum(1.0 - distance, 0.0).astype(dtype)


class LinearUpsample(Function):
    """`axis` grown `factor` times by linear interpolation (see the module docstring)."""

    name = "linear_upsample"

    def forward(self, a, factor: int, axis: int):
        xp = backend.array_module(a)
        self.axis = axis % a.ndim
        self.weights = linear_weights(xp, a.shape[self.axis], factor, a.dtype)
        moved = xp.moveaxis(a, self.axis, -1) @ self.weights.T
        return xp.ascontiguousarray(xp.moveaxis(moved, -1, self.axis))

    def backward(self, grad):
        xp = backend.array_module(grad)
        moved = xp.moveaxis(grad, self.axis, -1) @ self.weights
        return xp.ascontiguousarray(xp.moveaxis(moved, -1, self.axis))
