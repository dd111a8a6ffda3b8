"""Noise layers: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout.

Like Dropout they act only while training and are the identity at inference.
Their random numbers are drawn inside their op's forward, so a compiled step
that replays the op draws new ones each time, as eager code does.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy

from .. import backend
from ..autograd.function import Function
from ..autograd.ops.dropout import Dropout as DropoutOp
from ..random import SeedGenerator
from ..random._seed_generator import check_seed, generator_for
from .convolutional import check_data_format
from .layer import Layer
from .output_spec import ShapeByArithmetic
from .regularization import Dropout


# ---------------------------------------------------------------- spatial dropout
class BaseSpatialDropout(Dropout):
    """Dropout of whole channels: one draw per sample and channel, shared by every position."""

    rank = 1  # spatial axes between the batch and the channels

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        super().__init__(rate, seed=seed, **kwargs)

    def call(self, inputs, training=False):
        self._check_rank(inputs.shape)
        return super().call(inputs, training=training)

    def _mask_shape(self, shape: tuple) -> tuple:
        return (shape[0],) + (1,) * self.rank + (shape[-1],)

    def _check_rank(self, shape: tuple) -> None:
        expected = self.rank + 2
        if len(shape) != expected:
            axes = {1: "steps", 2: "height, width", 3: "depth, height, width"}[self.rank]
            raise ValueError(f"{type(self).__name__} {self.name!r} expects inputs of rank {expected}, "
                             f"(batch, {axes}, channels), got shape {tuple(shape)} (rank {len(shape)}).")

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        return config


class SpatialDropout1D(BaseSpatialDropout):
    """Drops whole channels of (batch, steps, channels) while training, scaling the rest by 1 / (1 - rate).

    Neighbouring steps of a feature map are strongly correlated, so dropping
    single values barely regularizes; dropping a channel at every step does.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        seed: an int for the same masks on every run.
    """
    supports_jit = True  # draws its noise inside its ops, so a replayed step draws afresh

    rank = 1


class _SpatialDropoutND(BaseSpatialDropout):
    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = check_data_format(type(self).__name__, data_format)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout2D(_SpatialDropoutND):
    """Drops whole feature maps of (batch, height, width, channels) while training, scaling the rest by 1 / (1 - rate).

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: None or "channels_last" (the only layout supported).
        seed: an int for the same masks on every run.
    """
    supports_jit = True  # draws its noise inside its ops, so a replayed step draws afresh

    rank = 2


class SpatialDropout3D(_SpatialDropoutND):
    """Drops whole feature maps of (batch, depth, height, width, channels) while training.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: None or "channels_last" (the only layout supported).
        seed: an int for the same masks on every run.
    """
    supports_jit = True  # draws its noise inside its ops, so a replayed step draws afresh

    rank = 3


# ---------------------------------------------------------------- gaussian noise
class AddNoise(Function):
    """x + noise, the noise drawn by `draw_noise(shape, dtype)` (on the host) inside forward."""

    name = "add_noise"

    def forward(self, x: Any, draw_noise: Callable[[tuple, Any], Any]) -> Any:
        return x + backend.to_device(draw_noise(x.shape, x.dtype), backend.device_of(x))

    def backward(self, grad: Any) -> Any:
        return grad


class _GaussianLayer(ShapeByArithmetic, Layer):
    """A layer drawing from its own SeedGenerator; identity at inference."""

    supports_masking = True

    def __init__(self, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if seed is not None:
            check_seed(seed, f"{type(self).__name__}(seed=...)")
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)

    def _normal(self, shape: tuple, dtype: Any, mean: float, stddev: float):
        return generator_for(self.seed_generator).normal(mean, stddev, size=shape).astype(dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


def _check_fraction(layer: str, argument: str, value: Any, high_included: bool) -> float:
    ok = isinstance(value, (int, float, numpy.number)) and not isinstance(value, (bool, numpy.bool_))
    if not ok or not (0 <= value <= 1 if high_included else 0 <= value < 1):
        interval = "[0, 1]" if high_included else "[0, 1)"
        raise ValueError(f"{layer}: {argument} must be a number in {interval}, got {value!r}.")
    return float(value)


class GaussianNoise(_GaussianLayer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` while training.

    A regularizer (noise on the inputs makes memorizing them harder) and a
    simple augmentation for real-valued inputs. The identity at inference.

    Args:
        stddev: the noise's standard deviation, in [0, 1] (as in Keras).
        seed: an int for the same noise on every run.
    """
    supports_jit = True  # draws its noise inside its ops, so a replayed step draws afresh

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _check_fraction("GaussianNoise", "stddev", stddev, high_included=True)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return AddNoise.apply(inputs, draw_noise=self._draw_noise)

    def _draw_noise(self, shape: tuple, dtype: Any):
        return self._normal(shape, dtype, 0.0, self.stddev)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_GaussianLayer):
    """Multiplies the inputs by Gaussian noise of mean 1 while training: dropout's smooth cousin.

    The noise's standard deviation is sqrt(rate / (1 - rate)), that of the mask
    Dropout(rate) multiplies by. The identity at inference.

    Args:
        rate: the drop probability it imitates, in [0, 1).
        seed: an int for the same noise on every run.
    """
    supports_jit = True  # draws its noise inside its ops, so a replayed step draws afresh

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_fraction("GaussianDropout", "rate", rate, high_included=False)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        return DropoutOp.apply(inputs, draw_mask=self._draw_mask, mask_shape=tuple(inputs.shape))

    def _draw_mask(self, shape: tuple, dtype: Any):
        return self._normal(shape, dtype, 1.0, math.sqrt(self.rate / (1.0 - self.rate)))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
