"""Upsampling layers: UpSampling1D repeats steps, UpSampling2D grows images, UpSampling3D volumes.

"nearest" repeats each value `size` times along each spatial axis (a 2x2
block per pixel for size 2). "bilinear" interpolates instead, as Keras 3 and
tf.image.resize do: output pixel i sits at input coordinate (i + 0.5) / size - 0.5
(half-pixel centres), clamped to the edge pixels, and mixes its two nearest
neighbours on each axis by distance. The arithmetic is the engine's `Repeat`
and `LinearUpsample` ops, one spatial axis at a time.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..autograd.ops.conv import per_axis
from ..autograd.ops.upsample import LinearUpsample, Repeat
from .convolutional import check_data_format, check_rank
from .layer import Layer
from .output_spec import ShapeByArithmetic

INTERPOLATIONS = ("nearest", "bilinear")
# Keras 3 also offers these; tinyfit does not compute them.
_KERAS_ONLY = ("bicubic", "lanczos3", "lanczos5")


class UpSampling1D(ShapeByArithmetic, Layer):
    """Repeats each step `size` times: (batch, steps, channels) -> (batch, steps * size, channels).

    Args:
        size: how many times each step is repeated (a positive int; default 2).
    """
    supports_jit = True

    def __init__(self, size: int = 2, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"UpSampling1D: size must be an int, got {type(size).__name__} {size!r}.")
        if size < 1:
            raise ValueError(f"UpSampling1D: size must be a positive int, got {size}.")
        self.size = size

    def build(self, input_shape: tuple) -> None:
        check_rank(self, input_shape, 1)
        self.built = True

    def call(self, inputs):
        check_rank(self, inputs.shape, 1)
        return Repeat.apply(inputs, repeats=self.size, axis=1)

    def output_dtype(self, inputs: Any):
        return inputs.dtype  # values are only copied: integers stay integers

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        check_rank(self, input_shape, 1)
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(ShapeByArithmetic, Layer):
    """Grows images `size` times: (batch, h, w, channels) -> (batch, h * size[0], w * size[1], channels).

    Args:
        size: the factor for height and width: an int (both) or a tuple of 2
            positive ints; default (2, 2).
        data_format: None or "channels_last" (the only layout supported).
        interpolation: "nearest" (repeat each pixel; the default) or "bilinear"
            (interpolate between pixels, see the module docstring).
    """
    supports_jit = True

    def __init__(self, size: Any = (2, 2), data_format: str | None = None, interpolation: str = "nearest",
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.size = per_axis("UpSampling2D", "size", size, 2)
        self.data_format = check_data_format("UpSampling2D", data_format)
        name = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if name not in INTERPOLATIONS:
            known = " (Keras 3 has it; tinyfit does not)" if name in _KERAS_ONLY else ""
            raise ValueError(
                f"UpSampling2D: unknown interpolation {interpolation!r}{known}; choose one of "
                f"{', '.join(map(repr, INTERPOLATIONS))}."
            )
        self.interpolation = name

    def build(self, input_shape: tuple) -> None:
        check_rank(self, input_shape, 2)
        self.built = True

    def call(self, inputs):
        check_rank(self, inputs.shape, 2)
        nearest = self.interpolation == "nearest"
        if not nearest and inputs.dtype.kind != "f":  # a mix of two pixels is no integer
            inputs = ops.cast(inputs, self.dtype)
        for axis, factor in zip((1, 2), self.size):
            if factor == 1:
                continue
            if nearest:
                inputs = Repeat.apply(inputs, repeats=factor, axis=axis)
            else:
                inputs = LinearUpsample.apply(inputs, factor=factor, axis=axis)
        return inputs

    def output_dtype(self, inputs: Any):
        if self.interpolation == "nearest":
            return inputs.dtype  # values are only copied: integers stay integers
        return super().output_dtype(inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        check_rank(self, input_shape, 2)
        sizes = tuple(None if n is None else n * f for n, f in zip(input_shape[1:3], self.size))
        return (input_shape[0],) + sizes + (input_shape[3],)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class UpSampling3D(ShapeByArithmetic, Layer):
    """Repeats each voxel: (batch, d, h, w, channels) -> (batch, d * s1, h * s2, w * s3, channels).

    Args:
        size: the factor for each spatial axis: an int (all three) or a tuple of 3
            positive ints; default (2, 2, 2).
        data_format: None or "channels_last" (the only layout supported).
    """
    supports_jit = True

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.size = per_axis("UpSampling3D", "size", size, 3)
        self.data_format = check_data_format("UpSampling3D", data_format)

    def build(self, input_shape: tuple) -> None:
        check_rank(self, input_shape, 3)
        self.built = True

    def call(self, inputs):
        check_rank(self, inputs.shape, 3)
        for axis, factor in zip((1, 2, 3), self.size):
            if factor != 1:
                inputs = Repeat.apply(inputs, repeats=factor, axis=axis)
        return inputs

    def output_dtype(self, inputs: Any):
        return inputs.dtype  # values are only copied: integers stay integers

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        check_rank(self, input_shape, 3)
        sizes = tuple(None if n is None else n * f for n, f in zip(input_shape[1:4], self.size))
        return (input_shape[0],) + sizes + (input_shape[4],)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
