"""RandomFlip: each image mirrored left-right and/or upside down, or left as it is, at random."""

from __future__ import annotations

from typing import Any, Callable

from ... import backend
from ...autograd.function import Function
from .base import BaseImageAugmentation, check_choice

MODES = ("horizontal", "vertical", "horizontal_and_vertical")
_AXES = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}


class FlipSome(Function):
    """Images (batch, height, width, channels) with those picked by `draw_flips(batch)` flipped on `axes`.

    A flip only moves pixels, and flipping twice restores them: the gradient is
    the incoming gradient flipped the same way.
    """

    name = "random_flip"

    def forward(self, images: Any, draw_flips: Callable[[int], Any], axes: tuple) -> Any:
        picked = backend.to_device(draw_flips(images.shape[0]), backend.device_of(images))
        self.picked, self.axes = picked, axes
        return self._flip(images)

    def _flip(self, images: Any) -> Any:
        xp = backend.array_module(images)
        out = images.copy()
        out[self.picked] = xp.flip(images[self.picked], axis=self.axes)
        return out

    def backward(self, grad: Any) -> Any:
        return self._flip(grad)


class RandomFlip(BaseImageAugmentation):
    """Flips each image with probability 1/2 while training; the identity at inference.

    Args:
        mode: "horizontal" (left-right), "vertical" (upside down) or
            "horizontal_and_vertical" (the default). As in Keras, one draw per
            image decides: with "horizontal_and_vertical" a flipped image is
            flipped both ways (a half turn).
        seed: an int for the same sequence of flips on every run.
        data_format: None or "channels_last" (the only layout supported).
    """
    supports_jit = True  # draws inside its ops, so a replayed step draws afresh

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = check_choice("RandomFlip", "mode", mode, MODES)

    def _draw_flips(self, batch: int):
        return self.draw_rng().uniform(size=batch) <= 0.5

    def augment(self, images):
        return FlipSome.apply(images, draw_flips=self._draw_flips, axes=_AXES[self.mode])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode}
