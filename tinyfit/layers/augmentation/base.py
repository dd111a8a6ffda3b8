"""What every random image layer shares: its seed, the training switch, the input checks.

An augmentation layer changes its images only while training. Called directly
(`layer(images)`) it augments, as Keras's do, since `call` defaults to
training=True; inside a model, fit() trains with it and evaluate()/predict()
pass training=False, where the layer returns the images unchanged (as floats).

The random numbers are drawn inside the layer's op (its forward), never in
`call`: a compiled training step replays the ops it recorded, and each replay
must draw afresh from the layer's SeedGenerator, as eager code would.
"""

from __future__ import annotations

from typing import Any

import numpy

from ... import ops
from ...random import SeedGenerator
from ...random._seed_generator import check_seed, generator_for
from ..convolutional import check_data_format
from ..layer import Layer
from ..output_spec import ShapeByArithmetic
from .sampling import FILL_MODES, INTERPOLATIONS


class BaseImageAugmentation(ShapeByArithmetic, Layer):
    """Base of the random image layers: images (height, width, channels) or batches of them.

    Subclasses write `augment(images)` for a float batch of rank 4, drawing
    their random numbers from `self.draw_rng()` inside their op.

    Args:
        seed: an int for the same sequence of augmentations on every run; None
            takes one from tinyfit's global generator (`tinyfit.utils.set_random_seed`).
        data_format: None or "channels_last" (the only layout supported).
    """

    def __init__(self, seed: int | None = None, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        what = type(self).__name__
        if seed is not None:
            check_seed(seed, f"{what}(seed=...)")
        self.seed = seed
        self.data_format = check_data_format(what, data_format)
        self.seed_generator = SeedGenerator(seed)

    def draw_rng(self) -> numpy.random.Generator:
        """The NumPy generator of one draw: each call moves the layer's SeedGenerator on."""
        return generator_for(self.seed_generator)

    def call(self, inputs, training=True):
        self.check_images(inputs.shape)
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        if not training:
            return inputs
        if inputs.ndim == 3:  # one image: augment it as a batch of one
            return ops.squeeze(self.augment(ops.expand_dims(inputs, 0)), 0)
        return self.augment(inputs)

    def augment(self, images):
        raise NotImplementedError

    def check_images(self, shape: tuple) -> None:
        if len(shape) not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expects images of shape (batch, height, width, channels) "
                f"or one image (height, width, channels), got shape {tuple(shape)} (rank {len(shape)}). "
                "Grayscale images need a channel axis of size 1: x[..., None]."
            )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self.check_images(input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


def check_choice(layer: str, argument: str, value: Any, choices: tuple) -> str:
    """`value` when it is one of `choices`; a ValueError naming them otherwise."""
    if isinstance(value, str) and value in choices:
        return value
    raise ValueError(f"{layer}: unknown {argument} {value!r}; choose one of {', '.join(map(repr, choices))}.")


def check_fill(layer: str, fill_mode: Any, interpolation: Any, fill_value: Any) -> tuple[str, str, float]:
    """The geometric layers' fill_mode, interpolation and fill_value, checked."""
    fill_mode = check_choice(layer, "fill_mode", fill_mode, FILL_MODES)
    interpolation = check_choice(layer, "interpolation", interpolation, INTERPOLATIONS)
    if isinstance(fill_value, bool) or not isinstance(fill_value, (int, float, numpy.number)):
        raise ValueError(f"{layer}: fill_value must be a number (used where fill_mode='constant'), "
                         f"got {fill_value!r}.")
    return fill_mode, interpolation, float(fill_value)


def factor_range(layer: str, argument: str, factor: Any, low: float, high: float,
                 low_included: bool = True) -> tuple[float, float]:
    """A factor as (lower, upper): a number f means (-|f|, |f|), a pair is sorted; each within [low, high]."""
    inside = (lambda v: low <= v <= high) if low_included else (lambda v: low < v <= high)
    bounds = f"{'[' if low_included else '('}{low}, {high}]"

    def number(v: Any) -> bool:
        return isinstance(v, (int, float, numpy.number)) and not isinstance(v, (bool, numpy.bool_))

    if number(factor):
        values = (-abs(float(factor)), abs(float(factor)))
    elif isinstance(factor, (tuple, list)) and len(factor) == 2 and all(number(v) for v in factor):
        values = tuple(sorted(float(v) for v in factor))
    else:
        raise ValueError(f"{layer}: {argument} must be a number or a pair (lower, upper) of numbers, "
                         f"got {factor!r}.")
    if not all(inside(v) for v in values):
        raise ValueError(f"{layer}: {argument}={factor!r} is out of range: each bound must lie in {bounds}.")
    return values
