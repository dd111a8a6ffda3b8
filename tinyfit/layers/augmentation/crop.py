"""RandomCrop: a random (height, width) window of the images while training, a centred one otherwise."""

from __future__ import annotations

from typing import Any, Callable

from ... import backend, ops
from ...autograd.function import Function
from ..resizing import _check_size, resize_images
from .base import BaseImageAugmentation


class CropWindow(Function):
    """The (height, width) window of images (batch, h, w, channels) at the offset `draw_offset(h, w)` gives.

    The offset is drawn in forward, so a replayed training step draws afresh.
    The gradient goes back to the window's pixels; the rest of the input gets 0.
    """

    name = "random_crop"

    def forward(self, images: Any, draw_offset: Callable[[int, int], tuple[int, int]], height: int, width: int):
        top, left = draw_offset(images.shape[1], images.shape[2])
        self.window = (slice(None), slice(top, top + height), slice(left, left + width))
        self.shape = images.shape
        return images[self.window].copy()

    def backward(self, grad: Any) -> Any:
        d_images = backend.array_module(grad).zeros(self.shape, dtype=grad.dtype)
        d_images[self.window] = grad
        return d_images


class RandomCrop(BaseImageAugmentation):
    """Crops images to (height, width) at a random place while training; at inference, the centre.

    While training, one random window per batch (as Keras draws it) is cut
    out, when the images are at least (height, width). Otherwise, and at
    inference, the largest centred window with the target's aspect ratio is
    cut out and resized (bilinear) to (height, width), so every output has the
    same size in training and inference.

    Args:
        height, width: the output size in pixels.
        seed: an int for the same sequence of windows on every run.
        data_format: None or "channels_last" (the only layout supported).
    """
    supports_jit = True  # draws inside its ops, so a replayed step draws afresh

    def __init__(self, height: int, width: int, seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height, self.width = _check_size("RandomCrop", height, width)

    def _draw_offset(self, in_height: int, in_width: int) -> tuple[int, int]:
        rng = self.draw_rng()
        return (int(rng.integers(0, in_height - self.height + 1)), int(rng.integers(0, in_width - self.width + 1)))

    def call(self, inputs, training=True):
        self.check_images(inputs.shape)
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        single = inputs.ndim == 3
        images = ops.expand_dims(inputs, 0) if single else inputs
        if training and images.shape[1] >= self.height and images.shape[2] >= self.width:
            images = CropWindow.apply(images, draw_offset=self._draw_offset, height=self.height, width=self.width)
        else:
            images = resize_images(images, self.height, self.width, crop_to_aspect_ratio=True)
        return ops.squeeze(images, 0) if single else images

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self.check_images(input_shape)
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}
