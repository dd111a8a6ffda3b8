"""RandomBrightness: a random amount added to every pixel of each image, clipped to the value range."""

from __future__ import annotations

from typing import Any, Callable

import numpy

from ... import backend
from ...autograd.function import Function
from .base import BaseImageAugmentation, factor_range
from .contrast import _value_range


class AdjustBrightness(Function):
    """images + delta per image, clipped to `value_range`; the deltas drawn in forward.

    The gradient passes where the clip let the value through, and is 0 where it cut it.
    """

    name = "random_brightness"

    def forward(self, images: Any, draw_deltas: Callable[[int], Any], value_range: tuple) -> Any:
        deltas = numpy.asarray(draw_deltas(images.shape[0])).astype(images.dtype).reshape(-1, 1, 1, 1)
        out = images + backend.to_device(deltas, backend.device_of(images))
        low, high = value_range
        self.kept = (out >= low) & (out <= high)
        return out.clip(low, high)

    def backward(self, grad: Any) -> Any:
        return grad * self.kept


class RandomBrightness(BaseImageAugmentation):
    """Brightens or darkens each image by a random amount while training; the identity at inference.

    Each image gets delta * (high - low) added to all its pixels, delta drawn
    uniformly from the factor's range, and is then clipped to value_range.

    Args:
        factor: a number f in [0, 1] draws delta from [-f, f]; a pair (lower,
            upper), each in [-1, 1], from [lower, upper] (e.g. (0, 0.3): only brighter).
        value_range: (low, high), the range of the pixel values (default (0, 255)).
        seed: an int for the same sequence of brightness changes on every run.
    """
    supports_jit = True  # draws inside its ops, so a replayed step draws afresh

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range("RandomBrightness", "factor", factor, -1.0, 1.0)
        if isinstance(value_range, (tuple, list)) and len(value_range) == 2:
            value_range = sorted(value_range)  # as Keras: (255, 0) means (0, 255)
        self.value_range = _value_range(value_range)

    def _draw_deltas(self, batch: int):
        lower, upper = self.factor
        low, high = self.value_range
        return self.draw_rng().uniform(lower, upper, size=batch) * (high - low)

    def augment(self, images):
        return AdjustBrightness.apply(images, draw_deltas=self._draw_deltas, value_range=self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
