"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and the global poolings.

A pooling layer shrinks the spatial axes: each window of `pool_size` becomes
one number per channel, its largest value or its mean. The global poolings
take the whole spatial extent as one window, leaving (batch, channels). They
have no weights; the arithmetic is the engine's `max_pool`/`average_pool` ops.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..autograd.ops.conv import check_padding, per_axis
from .convolutional import check_data_format, check_rank, spatial_output_shape
from .layer import Layer
from .output_spec import ShapeByArithmetic


def _floating(layer: Layer, inputs):
    """Integer inputs (pixels, say) as the layer's float dtype: a mean of integers is no integer."""
    return inputs if inputs.dtype.kind == "f" else ops.cast(inputs, layer.dtype)


class BasePooling(ShapeByArithmetic, Layer):
    """Shared by the windowed poolings; `rank` is the number of spatial axes, `pool` the op."""

    rank = 2
    pool = staticmethod(ops.max_pool)

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        what = type(self).__name__
        self.pool_size = per_axis(what, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else per_axis(what, "strides", strides, self.rank)
        self.padding = check_padding(what, padding)
        self.data_format = check_data_format(what, data_format)

    def build(self, input_shape: tuple) -> None:
        check_rank(self, input_shape, self.rank)
        self.built = True

    def call(self, inputs):
        check_rank(self, inputs.shape, self.rank)
        return self.pool(_floating(self, inputs), self.pool_size, strides=self.strides, padding=self.padding)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        check_rank(self, input_shape, self.rank)
        sizes = spatial_output_shape(f"{type(self).__name__} {self.name!r}", tuple(input_shape[1:-1]),
                                     self.pool_size, self.strides, (1,) * self.rank, self.padding,
                                     "pool window")
        return (input_shape[0],) + sizes + (input_shape[-1],)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format}


_ARGS = """
    Args:
        pool_size: the window: an int, or one int per spatial axis (default 2).
        strides: the step between windows; None (the default) means pool_size.
        padding: "valid" (only windows that fit) or "same" (ceil(size / stride) outputs;
            padded positions never win a max and are not counted in a mean).
        data_format: None or "channels_last" (the only layout supported).
"""


class MaxPooling1D(BasePooling):
    __doc__ = "The largest value of each window of (batch, steps, channels), channel by channel.\n" + _ARGS
    supports_jit = True
    rank = 1


class MaxPooling2D(BasePooling):
    __doc__ = "The largest value of each window of (batch, height, width, channels), channel by channel.\n" + _ARGS
    supports_jit = True
    rank = 2


class MaxPooling3D(BasePooling):
    __doc__ = "The largest value of each window of (batch, depth, height, width, channels).\n" + _ARGS
    supports_jit = True
    rank = 3


class AveragePooling1D(BasePooling):
    __doc__ = "The mean of each window of (batch, steps, channels), channel by channel.\n" + _ARGS
    supports_jit = True
    rank = 1
    pool = staticmethod(ops.average_pool)


class AveragePooling2D(BasePooling):
    __doc__ = "The mean of each window of (batch, height, width, channels), channel by channel.\n" + _ARGS
    supports_jit = True
    rank = 2
    pool = staticmethod(ops.average_pool)


class AveragePooling3D(BasePooling):
    __doc__ = "The mean of each window of (batch, depth, height, width, channels).\n" + _ARGS
    supports_jit = True
    rank = 3
    pool = staticmethod(ops.average_pool)


class BaseGlobalPooling(ShapeByArithmetic, Layer):
    """Shared by the global poolings: one window covering every spatial axis."""

    rank = 2
    reduce = staticmethod(ops.max)

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = check_data_format(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)

    def build(self, input_shape: tuple) -> None:
        check_rank(self, input_shape, self.rank)
        self.built = True

    def call(self, inputs):
        check_rank(self, inputs.shape, self.rank)
        axes = tuple(range(1, self.rank + 1))
        return self.reduce(_floating(self, inputs), axis=axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        check_rank(self, input_shape, self.rank)
        middle = (1,) * self.rank if self.keepdims else ()
        return (input_shape[0],) + middle + (input_shape[-1],)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


_GLOBAL_ARGS = """
    Args:
        data_format: None or "channels_last" (the only layout supported).
        keepdims: keep the spatial axes with size 1 (default False: (batch, channels)).
"""


class GlobalMaxPooling1D(BaseGlobalPooling):
    __doc__ = "The largest value over all steps: (batch, steps, channels) -> (batch, channels).\n" + _GLOBAL_ARGS
    supports_jit = True
    rank = 1


class GlobalMaxPooling2D(BaseGlobalPooling):
    __doc__ = "The largest value over each image: (batch, h, w, channels) -> (batch, channels).\n" + _GLOBAL_ARGS
    supports_jit = True
    rank = 2


class GlobalMaxPooling3D(BaseGlobalPooling):
    __doc__ = "The largest value over each volume: (batch, d, h, w, channels) -> (batch, channels).\n" + _GLOBAL_ARGS
    supports_jit = True
    rank = 3


class GlobalAveragePooling1D(BaseGlobalPooling):
    __doc__ = ("The mean over all steps: (batch, steps, channels) -> (batch, channels).\n\n"
               "    With a mask (from Embedding(mask_zero=True) or Masking), the mean over the real steps only;\n"
               "    a sequence with no real step gives zeros.\n" + _GLOBAL_ARGS)
    supports_jit = True
    supports_masking = True
    rank = 1
    reduce = staticmethod(ops.mean)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        check_rank(self, inputs.shape, self.rank)
        if tuple(mask.shape) != tuple(inputs.shape[:2]):
            raise ValueError(
                f"GlobalAveragePooling1D {self.name!r}: the mask must be (batch, steps) = {tuple(inputs.shape[:2])} "
                f"for inputs of shape {tuple(inputs.shape)}, got a mask of shape {tuple(mask.shape)}."
            )
        inputs = _floating(self, inputs)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        # where() as well as the weights: a padded step holding inf or nan must not leak in.
        total = ops.sum(ops.where(ops.expand_dims(mask, -1), inputs, 0.0) * weights, axis=1, keepdims=self.keepdims)
        count = ops.sum(weights, axis=1, keepdims=self.keepdims)
        return total / ops.maximum(count, 1.0)

    def compute_mask(self, inputs, previous_mask=None):
        return None  # the steps are averaged away


class GlobalAveragePooling2D(BaseGlobalPooling):
    __doc__ = "The mean over each image: (batch, h, w, channels) -> (batch, channels).\n" + _GLOBAL_ARGS
    supports_jit = True
    rank = 2
    reduce = staticmethod(ops.mean)


class GlobalAveragePooling3D(BaseGlobalPooling):
    __doc__ = "The mean over each volume: (batch, d, h, w, channels) -> (batch, channels).\n" + _GLOBAL_ARGS
    supports_jit = True
    rank = 3
    reduce = staticmethod(ops.mean)
