"""Resizing and CenterCrop: images brought to a fixed height and width.

Resizing maps each output pixel back onto the input with half-pixel centres,
as Keras 3 (antialias=False) and tf.image.resize do: output row i reads input
row (i + 0.5) * in / out - 0.5. "bilinear" mixes the two nearest rows by
distance (clamped at the edges); "nearest" reads row floor((i + 0.5) * in / out).
Columns the same. For fixed sizes either is a fixed (out, in) matrix per axis,
so a resize is two matrix products (an einsum each) and its gradient is the
engine's. With crop_to_aspect_ratio=True the largest centred window of the
target's aspect ratio is cut out first, so nothing is stretched;
pad_to_aspect_ratio=True pads with fill_value instead.

CenterCrop cuts the centred (height, width) window; an input smaller than
that on either axis is resized to it instead (after cropping to its aspect ratio),
as Keras does.
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import ops
from .convolutional import check_data_format
from .layer import Layer
from .output_spec import ShapeByArithmetic

INTERPOLATIONS = ("bilinear", "nearest")
# Keras 3 also offers these; tinyfit does not compute them.
_KERAS_ONLY = ("bicubic", "lanczos3", "lanczos5", "area")


def interpolation_matrix(in_size: int, out_size: int, interpolation: str) -> numpy.ndarray:
    """The (out_size, in_size) matrix that resizes one axis (see the module docstring)."""
    scale = in_size / out_size
    centres = (numpy.arange(out_size) + 0.5) * scale
    matrix = numpy.zeros((out_size, in_size))
    if interpolation == "nearest":
        matrix[numpy.arange(out_size), numpy.minimum(numpy.floor(centres).astype(int), in_size - 1)] = 1.0
        return matrix
    source = numpy.clip(centres - 0.5, 0, in_size - 1)
    # The triangle ("tent") kernel: each input within one step of the source gets 1 - distance.
    return numpy.maximum(1.0 - numpy.abs(source[:, None] - numpy.arange(in_size)[None, :]), 0.0)


def aspect_window(height: int, width: int, target_height: int, target_width: int) -> tuple[int, int, int, int]:
    """(top, left, rows, cols) of the largest centred window with the target's aspect ratio."""
    rows = max(min(height, int(width * target_height / target_width)), 1)
    cols = max(min(width, int(height * target_width / target_height)), 1)
    return int((height - rows) / 2), int((width - cols) / 2), rows, cols


def resize_images(images, height: int, width: int, interpolation: str = "bilinear",
                  crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False, fill_value: float = 0.0):
    """A float batch (batch, h, w, channels) resized to (batch, height, width, channels)."""
    in_height, in_width = images.shape[1], images.shape[2]
    if crop_to_aspect_ratio:
        top, left, rows, cols = aspect_window(in_height, in_width, height, width)
        if (rows, cols) != (in_height, in_width):
            images = images[:, top:top + rows, left:left + cols]
    elif pad_to_aspect_ratio:
        # Keras pads the same amount on both sides: twice the centred window's offset in all.
        rows = max(in_height, int(in_width * height / width))
        cols = max(in_width, int(in_height * width / height))
        top, left = int((rows - in_height) / 2), int((cols - in_width) / 2)
        if top or left:
            images = ops.pad(images, ((0, 0), (top, top), (left, left), (0, 0)), constant_values=fill_value)
    for axis, size, pattern in ((1, height, "oh,bhwc->bowc"), (2, width, "ow,bhwc->bhoc")):
        if images.shape[axis] != size:
            matrix = interpolation_matrix(images.shape[axis], size, interpolation)
            images = ops.einsum(pattern, ops.convert_to_tensor(matrix, dtype=images.dtype), images)
    return images


def _check_size(layer: str, height: Any, width: Any) -> tuple[int, int]:
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
            raise ValueError(f"{layer}: {name} must be a positive int (pixels), got {value!r}.")
    return int(height), int(width)


def check_images(layer: Layer, shape: tuple) -> None:
    if len(shape) not in (3, 4):
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r} expects images of shape (batch, height, width, channels) "
            f"or one image (height, width, channels), got shape {tuple(shape)} (rank {len(shape)}). "
            "Grayscale images need a channel axis of size 1: x[..., None]."
        )


class _Sized(ShapeByArithmetic, Layer):
    """Shared by the layers that output images of a fixed (height, width)."""

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        what = type(self).__name__
        self.height, self.width = _check_size(what, height, width)
        self.data_format = check_data_format(what, data_format)

    def call(self, inputs):
        check_images(self, inputs.shape)
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        if inputs.ndim == 3:  # one image: a batch of one
            return ops.squeeze(self.transform(ops.expand_dims(inputs, 0)), 0)
        return self.transform(inputs)

    def transform(self, images):
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        check_images(self, input_shape)
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}


class Resizing(_Sized):
    """Resizes images to (height, width): (batch, h, w, channels) -> (batch, height, width, channels).

    Args:
        height, width: the output size in pixels.
        interpolation: "bilinear" (the default) or "nearest".
        crop_to_aspect_ratio: cut out the largest centred window with the
            target's aspect ratio first, so the image is not stretched.
        pad_to_aspect_ratio: pad with `fill_value` to the target's aspect ratio
            first, instead (not with crop_to_aspect_ratio).
        fill_mode: "constant", the only one Keras allows.
        fill_value: the value padding adds (default 0.0).
        antialias: False (tinyfit does not filter before shrinking, as Keras's default).
        data_format: None or "channels_last" (the only layout supported).
    """
    supports_jit = True

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 pad_to_aspect_ratio: bool = False, fill_mode: str = "constant", fill_value: float = 0.0,
                 antialias: bool = False, data_format: str | None = None, **kwargs: Any):
        super().__init__(height, width, data_format, **kwargs)
        name = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if name not in INTERPOLATIONS:
            known = " (Keras 3 has it; tinyfit does not)" if name in _KERAS_ONLY else ""
            raise ValueError(f"Resizing: unknown interpolation {interpolation!r}{known}; choose one of "
                             f"{', '.join(map(repr, INTERPOLATIONS))}.")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be True; "
                             "pick one way to keep the aspect ratio.")
        if fill_mode != "constant":
            raise ValueError(f"Resizing: fill_mode must be 'constant' (padding with fill_value), got {fill_mode!r}.")
        if antialias:
            raise ValueError("Resizing: antialias=True is not supported in tinyfit; leave it False (Keras's "
                             "default), or blur the images before shrinking them.")
        self.interpolation = name
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = bool(crop_to_aspect_ratio), bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value, self.antialias = fill_mode, float(fill_value), False

    def transform(self, images):
        return resize_images(images, self.height, self.width, self.interpolation, self.crop_to_aspect_ratio,
                             self.pad_to_aspect_ratio, self.fill_value)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio, "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                "fill_mode": self.fill_mode, "fill_value": self.fill_value, "antialias": self.antialias}


class CenterCrop(_Sized):
    """Cuts the centred (height, width) window out of each image.

    An image smaller than the window on either axis is resized to it instead
    (bilinear, after cropping it to the window's aspect ratio), so every output
    has the same size.

    Args:
        height, width: the window's size in pixels.
        data_format: None or "channels_last" (the only layout supported).
    """
    supports_jit = True

    def transform(self, images):
        in_height, in_width = images.shape[1], images.shape[2]
        if in_height >= self.height and in_width >= self.width:
            top, left = (in_height - self.height) // 2, (in_width - self.width) // 2
            return images[:, top:top + self.height, left:left + self.width]
        return resize_images(images, self.height, self.width, crop_to_aspect_ratio=True)
