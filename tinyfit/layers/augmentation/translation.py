"""RandomTranslation: each image shifted by a random fraction of its height and width."""

from __future__ import annotations

from typing import Any

import numpy

from .affine import FILL_ARGS, BaseRandomAffine
from .base import factor_range
from .sampling import translation_transforms


class RandomTranslation(BaseRandomAffine):
    __doc__ = """Shifts each image by a random amount while training; the identity at inference.

    Args:
        height_factor: the vertical shift as a fraction of the height: a number f
            draws from [-f, f], a pair (lower, upper) from [lower, upper]; each
            within [-1, 1]. Negative values shift the picture up, positive down.
        width_factor: the same for the horizontal shift (negative: left, positive: right).
""" + FILL_ARGS
    supports_jit = True  # draws inside its ops, so a replayed step draws afresh

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = factor_range("RandomTranslation", "height_factor", height_factor, -1.0, 1.0)
        self.width_range = factor_range("RandomTranslation", "width_factor", width_factor, -1.0, 1.0)

    def transforms(self, rng: numpy.random.Generator, batch: int, height: int, width: int) -> numpy.ndarray:
        # Both draws come from one generator, one after the other: heights first, as in Keras.
        shift_y = rng.uniform(*self.height_range, size=batch) * height
        shift_x = rng.uniform(*self.width_range, size=batch) * width
        return translation_transforms(shift_y, shift_x)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
