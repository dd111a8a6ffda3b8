"""RandomZoom: each image zoomed in or out by a random amount about its centre."""

from __future__ import annotations

from typing import Any

import numpy

from .affine import FILL_ARGS, BaseRandomAffine
from .base import factor_range
from .sampling import zoom_transforms


class RandomZoom(BaseRandomAffine):
    __doc__ = """Zooms each image in or out by a random amount while training; the identity at inference.

    Args:
        height_factor: the vertical zoom as a fraction: a number f draws from
            [-f, f], a pair (lower, upper) from [lower, upper]; each within (-1, 1].
            A positive value zooms out (the picture gets smaller, the border is
            filled), a negative one zooms in: height_factor=(-0.3, -0.2) zooms in
            by 20% to 30%.
        width_factor: the same for the horizontal zoom; None (the default) uses
            the vertical zoom for both, keeping the aspect ratio.
""" + FILL_ARGS
    supports_jit = True  # draws inside its ops, so a replayed step draws afresh

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        # A zoom of -1 would read a single point: the bounds stop short of it.
        self.height_range = factor_range("RandomZoom", "height_factor", height_factor, -1.0, 1.0, low_included=False)
        self.width_range = None if width_factor is None else factor_range(
            "RandomZoom", "width_factor", width_factor, -1.0, 1.0, low_included=False)

    def transforms(self, rng: numpy.random.Generator, batch: int, height: int, width: int) -> numpy.ndarray:
        zoom_y = 1 + rng.uniform(*self.height_range, size=batch)
        zoom_x = zoom_y if self.width_range is None else 1 + rng.uniform(*self.width_range, size=batch)
        return zoom_transforms(zoom_y, zoom_x, height, width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
