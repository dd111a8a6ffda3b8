"""Resampling images through one affine map per image: what the geometric augmentations share.

Each output pixel (row i, column j) of image b reads the input at the point

    x = a0 * j + a1 * i + a2        y = b0 * j + b1 * i + b2

where [[a0, a1, a2], [b0, b1, b2]] is image b's transform. The transform maps
output coordinates to input coordinates (as Keras's `affine_transform` does):
to shift an image right by 3 pixels, each output pixel reads 3 pixels to its left.

The point rarely falls on a pixel. "nearest" reads the closest pixel;
"bilinear" weighs the four pixels around the point by how close it is to each.
Pixels that lie outside the image are found by the fill mode, which extends the
image beyond its edges:

    reflect    d c b a | a b c d | d c b a    (mirrored about the edge)
    wrap       a b c d | a b c d | a b c d
    nearest    a a a a | a b c d | d d d d
    constant   k k k k | a b c d | k k k k    (k = fill_value)

For a fixed transform the output is a linear function of the input (plus
fill_value where a constant fill is read): each output pixel is a weighted sum
of at most four input pixels. The op keeps those (index, weight) pairs; forward
gathers along them and backward scatters the gradient back along the same pairs.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy

from ... import backend
from ...autograd.function import Function

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


# ---------------------------------------------------------------- the transforms
def rotation_transforms(angles: Any, height: int, width: int) -> numpy.ndarray:
    """Transforms rotating each image by `angles` (radians) about its centre.

    A positive angle turns the picture counter-clockwise as it is displayed
    (rows growing downwards), as in Keras.
    """
    angles = numpy.asarray(angles, dtype=numpy.float64)
    cos, sin = numpy.cos(angles), numpy.sin(angles)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    # Rotate the output point about the centre: x' - cx = cos (x - cx) - sin (y - cy), ...
    rows_x = numpy.stack([cos, -sin, cx - cx * cos + cy * sin], axis=-1)
    rows_y = numpy.stack([sin, cos, cy - cx * sin - cy * cos], axis=-1)
    return numpy.stack([rows_x, rows_y], axis=-2)


def translation_transforms(shift_y: Any, shift_x: Any) -> numpy.ndarray:
    """Transforms moving each image down by `shift_y` and right by `shift_x` pixels."""
    shift_y, shift_x = numpy.broadcast_arrays(numpy.asarray(shift_y, numpy.float64),
                                              numpy.asarray(shift_x, numpy.float64))
    ones, zeros = numpy.ones_like(shift_x), numpy.zeros_like(shift_x)
    return numpy.stack([numpy.stack([ones, zeros, -shift_x], axis=-1),
                        numpy.stack([zeros, ones, -shift_y], axis=-1)], axis=-2)


def zoom_transforms(zoom_y: Any, zoom_x: Any, height: int, width: int) -> numpy.ndarray:
    """Transforms scaling the area read by `zoom_y`, `zoom_x` about the centre.

    A zoom above 1 reads a larger area into the same pixels (the picture looks
    smaller: zoomed out); below 1, a smaller area (zoomed in).
    """
    zoom_y, zoom_x = numpy.broadcast_arrays(numpy.asarray(zoom_y, numpy.float64),
                                            numpy.asarray(zoom_x, numpy.float64))
    zeros = numpy.zeros_like(zoom_x)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    return numpy.stack([numpy.stack([zoom_x, zeros, cx * (1 - zoom_x)], axis=-1),
                        numpy.stack([zeros, zoom_y, cy * (1 - zoom_y)], axis=-1)], axis=-2)


# ---------------------------------------------------------------- where each output pixel reads
def fold_index(index: numpy.ndarray, size: int, fill_mode: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Integer positions along one axis brought inside [0, size) as `fill_mode` extends the image.

    Returns the folded positions and whether each one reads the image (False
    only under "constant", where the position reads fill_value instead).
    """
    inside = numpy.ones(index.shape, dtype=bool)
    if fill_mode == "reflect":
        index = index % (2 * size)  # the mirrored image repeats every 2 * size pixels
        index = numpy.where(index >= size, 2 * size - 1 - index, index)
    elif fill_mode == "wrap":
        index = index % size
    else:
        if fill_mode == "constant":
            inside = (index >= 0) & (index < size)
        index = numpy.clip(index, 0, size - 1)
    return index, inside


def sampling_plan(transforms: numpy.ndarray, height: int, width: int, interpolation: str,
                  fill_mode: str) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """For every output pixel, the input pixels it reads and their weights.

    Args:
        transforms: (batch, 2, 3), output coordinates to input coordinates.

    Returns:
        index: (batch * height * width, taps) positions in the batch's pixels,
            flattened as (batch, height, width).
        weight: the same shape: how much each tap counts (0 for a constant fill).
        fill: (batch * height * width,): the weight given to fill_value.
    """
    batch = transforms.shape[0]
    rows, cols = numpy.meshgrid(numpy.arange(height, dtype=numpy.float64),
                                numpy.arange(width, dtype=numpy.float64), indexing="ij")
    grid = numpy.stack([cols, rows, numpy.ones_like(rows)]).reshape(3, -1)  # (3, height * width)
    x, y = numpy.einsum("bij,jp->bip", transforms, grid).transpose(1, 0, 2)  # each (batch, height * width)
    if interpolation == "nearest":
        taps = [(numpy.floor(y + 0.5), numpy.floor(x + 0.5), numpy.ones_like(x))]
    else:
        y0, x0 = numpy.floor(y), numpy.floor(x)
        fy, fx = y - y0, x - x0
        taps = [(y0, x0, (1 - fy) * (1 - fx)), (y0, x0 + 1, (1 - fy) * fx),
                (y0 + 1, x0, fy * (1 - fx)), (y0 + 1, x0 + 1, fy * fx)]
    offsets = (numpy.arange(batch) * height * width)[:, None]
    indices, weights = [], []
    fill = numpy.zeros_like(x)
    for row, col, weight in taps:
        row, row_inside = fold_index(row.astype(numpy.int64), height, fill_mode)
        col, col_inside = fold_index(col.astype(numpy.int64), width, fill_mode)
        inside = row_inside & col_inside
        indices.append(offsets + row * width + col)
        weights.append(numpy.where(inside, weight, 0.0))
        fill += numpy.where(inside, 0.0, weight)
    return (numpy.stack(indices, axis=-1).reshape(batch * height * width, -1),
            numpy.stack(weights, axis=-1).reshape(batch * height * width, -1), fill.reshape(-1))


# ---------------------------------------------------------------- the op
class AffineResample(Function):
    """Images (batch, height, width, channels) resampled through transforms drawn by `draw_transforms`.

    `draw_transforms(batch, height, width)` returns the (batch, 2, 3) transforms
    as a NumPy array. It is called inside forward, so a recorded step that is
    replayed (autograd/recorder.py) draws new transforms each time, as eager
    code does. The gradient with respect to the images flows back along the
    same taps; the transforms themselves get none.
    """

    name = "affine_resample"

    def forward(self, images: Any, draw_transforms: Callable[[int, int, int], Any], interpolation: str,
                fill_mode: str, fill_value: float) -> Any:
        batch, height, width, channels = images.shape
        transforms = numpy.asarray(draw_transforms(batch, height, width), dtype=numpy.float64)
        index, weight, fill = sampling_plan(transforms, height, width, interpolation, fill_mode)
        device = backend.device_of(images)
        self.index = backend.to_device(index, device)
        self.weight = backend.to_device(weight.astype(images.dtype), device)
        self.shape = images.shape
        flat = images.reshape(batch * height * width, channels)
        out = (flat[self.index] * self.weight[..., None]).sum(axis=1)
        if fill_mode == "constant" and fill_value != 0:
            out = out + backend.to_device((fill * fill_value).astype(images.dtype), device)[:, None]
        return out.reshape(images.shape)

    def backward(self, grad: Any) -> Any:
        batch, height, width, channels = self.shape
        flat = grad.reshape(batch * height * width, 1, channels) * self.weight[..., None]
        d_images = backend.array_module(grad).zeros((batch * height * width, channels), dtype=grad.dtype)
        backend.scatter_add(d_images, self.index.reshape(-1), flat.reshape(-1, channels))
        return d_images.reshape(self.shape)
