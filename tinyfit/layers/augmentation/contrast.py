"""RandomContrast: each image's contrast scaled by a random factor, channel by channel."""

from __future__ import annotations

from typing import Any, Callable

import numpy

from ... import backend
from ...autograd.function import Function
from .base import BaseImageAugmentation


class AdjustContrast(Function):
    """(x - mean) * factor + mean per image and channel, clipped to `value_range`; factors drawn in forward.

    The mean is taken over height and width, so each output reads every pixel
    of its channel: d out / d x = factor * grad + (1 - factor) * mean(grad),
    where the clip let the value through (0 where it cut it).
    """

    name = "random_contrast"

    def forward(self, images: Any, draw_factors: Callable[[int], Any], value_range: tuple) -> Any:
        factors = numpy.asarray(draw_factors(images.shape[0])).astype(images.dtype).reshape(-1, 1, 1, 1)
        self.factors = backend.to_device(factors, backend.device_of(images))
        mean = images.mean(axis=(1, 2), keepdims=True)
        out = (images - mean) * self.factors + mean
        low, high = value_range
        self.kept = (out >= low) & (out <= high)
        return out.clip(low, high)

    def backward(self, grad: Any) -> Any:
        grad = grad * self.kept
        return grad * self.factors + grad.mean(axis=(1, 2), keepdims=True) * (1 - self.factors)


class RandomContrast(BaseImageAugmentation):
    """Scales each image's contrast by a random factor while training; the identity at inference.

    Each channel of each image becomes (x - mean) * c + mean, the mean taken
    over the image's pixels, then clipped to `value_range`.

    Args:
        factor: a number f in [0, 1] draws c from [1 - f, 1 + f]; a pair
            (lower, upper), each in [0, 1], from [1 - lower, 1 + upper].
        value_range: (low, high), the range of the pixel values (default (0, 255));
            outputs are clipped to it.
        seed: an int for the same sequence of contrasts on every run.
    """
    supports_jit = True  # draws inside its ops, so a replayed step draws afresh

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.factor = _contrast_factor(factor)
        self.value_range = _value_range(value_range)

    def _draw_factors(self, batch: int):
        lower, upper = self.factor
        return self.draw_rng().uniform(1 - lower, 1 + upper, size=batch)

    def augment(self, images):
        return AdjustContrast.apply(images, draw_factors=self._draw_factors, value_range=self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


def _number(v: Any) -> bool:
    return isinstance(v, (int, float, numpy.number)) and not isinstance(v, (bool, numpy.bool_))


def _contrast_factor(factor: Any) -> tuple[float, float]:
    if _number(factor):
        values = (float(factor), float(factor))
    elif isinstance(factor, (tuple, list)) and len(factor) == 2 and all(_number(v) for v in factor):
        values = tuple(sorted(float(v) for v in factor))
    else:
        raise ValueError(f"RandomContrast: factor must be a number or a pair (lower, upper) of numbers, "
                         f"got {factor!r}.")
    if not all(0 <= v <= 1 for v in values):
        raise ValueError(f"RandomContrast: factor={factor!r} is out of range: each value must lie in [0, 1] "
                         "(the contrast is scaled by a number between 1 - lower and 1 + upper).")
    return values


def _value_range(value_range: Any) -> tuple[float, float]:
    if (isinstance(value_range, (tuple, list)) and len(value_range) == 2 and all(_number(v) for v in value_range)
            and value_range[0] < value_range[1]):
        return (float(value_range[0]), float(value_range[1]))
    raise ValueError(f"RandomContrast: value_range must be a pair (low, high) with low < high, such as "
                     f"(0, 255) or (0, 1), got {value_range!r}.")
