"""RandomRotation: each image turned by a random angle about its centre."""

from __future__ import annotations

import math
from typing import Any

import numpy

from .affine import FILL_ARGS, BaseRandomAffine
from .base import factor_range
from .sampling import rotation_transforms


class RandomRotation(BaseRandomAffine):
    __doc__ = """Rotates each image by a random angle while training; the identity at inference.

    Args:
        factor: the angle as a fraction of a full turn (2 pi): a number f draws
            from [-f, f], a pair (lower, upper) from [lower, upper]; each within
            [-1, 1]. Positive angles turn the picture counter-clockwise, negative
            ones clockwise. factor=0.1 turns by up to 36 degrees either way.
""" + FILL_ARGS
    supports_jit = True  # draws inside its ops, so a replayed step draws afresh

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, data_format: str | None = None, **kwargs: Any):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.factor = factor_range("RandomRotation", "factor", factor, -1.0, 1.0)

    def transforms(self, rng: numpy.random.Generator, batch: int, height: int, width: int) -> numpy.ndarray:
        lower, upper = self.factor
        turns = rng.uniform(lower, upper, size=batch)
        return rotation_transforms(turns * 2 * math.pi, height, width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}
