"""The geometric augmentations' common part: draw one transform per image, resample through it."""

from __future__ import annotations

from typing import Any

import numpy

from .base import BaseImageAugmentation, check_fill
from .sampling import AffineResample

FILL_ARGS = """
        fill_mode: how points outside the image are read: "reflect" (default;
            d c b a | a b c d | d c b a), "wrap" (a b c d | a b c d), "constant"
            (k k k k | a b c d, k = fill_value) or "nearest" (a a a a | a b c d | d d d d).
        interpolation: "bilinear" (default: the four nearest pixels, weighed) or "nearest".
        seed: an int for the same sequence of augmentations on every run.
        fill_value: the value read outside the image when fill_mode="constant" (default 0).
        data_format: None or "channels_last" (the only layout supported).
"""


class BaseRandomAffine(BaseImageAugmentation):
    """Shared by RandomTranslation, RandomRotation and RandomZoom.

    Subclasses write `transforms(rng, batch, height, width)`: one (2, 3)
    output-to-input transform per image (see sampling.py), drawn from `rng`.
    """

    def __init__(self, fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None, **kwargs: Any):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode, self.interpolation, self.fill_value = check_fill(
            type(self).__name__, fill_mode, interpolation, fill_value)

    def transforms(self, rng: numpy.random.Generator, batch: int, height: int, width: int) -> numpy.ndarray:
        raise NotImplementedError

    def _draw_transforms(self, batch: int, height: int, width: int) -> numpy.ndarray:
        return self.transforms(self.draw_rng(), batch, height, width)

    def augment(self, images):
        return AffineResample.apply(images, draw_transforms=self._draw_transforms, interpolation=self.interpolation,
                                    fill_mode=self.fill_mode, fill_value=self.fill_value)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}
