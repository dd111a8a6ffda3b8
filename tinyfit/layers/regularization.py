"""Regularization layers: Dropout and ActivityRegularization."""

from __future__ import annotations

from typing import Any

import numpy

from .. import regularizers
from ..autograd.ops.dropout import Dropout as DropoutOp
from ..utils import random as _random
from .layer import Layer


class Dropout(Layer):
    """Sets a random fraction `rate` of the inputs to 0 during training.

    The values kept are scaled by 1 / (1 - rate), so the expected sum stays the
    same and nothing needs rescaling at inference, where the layer is the identity.

    Args:
        rate: the fraction to drop, in [0, 1).
        noise_shape: the shape of the mask, broadcast over the inputs (e.g.
            (batch, 1, features) drops the same features at every time step);
            None axes take the input's size.
        seed: a seed of its own; by default the masks come from tinyfit's generator
            (`tinyfit.utils.set_random_seed`).
    """
    supports_jit = True
    supports_masking = True

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a number in [0, 1), got {rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        # The op draws the mask itself (see autograd/ops/dropout.py): a replayed step draws afresh.
        return DropoutOp.apply(inputs, draw_mask=self._draw_mask, mask_shape=self._mask_shape(inputs.shape))

    def _draw_mask(self, shape: tuple, dtype: Any):
        """A NumPy mask of `shape`: 0 where dropped, 1 / (1 - rate) where kept."""
        rng = self._generator or _random.rng()
        keep = rng.random(shape) >= self.rate
        return (keep * numpy.asarray(1.0 / (1.0 - self.rate), dtype=dtype)).astype(dtype)

    def _mask_shape(self, shape: tuple) -> tuple:
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape):
            raise ValueError(
                f"Dropout {self.name!r}: noise_shape {self.noise_shape} has {len(self.noise_shape)} axes but "
                f"the inputs have shape {shape}."
            )
        return tuple(n if m is None else m for m, n in zip(self.noise_shape, shape))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}


class ActivityRegularization(Layer):
    """Passes its input through and adds `l1 * sum(|x|) + l2 * sum(x ** 2)` to the losses."""
    supports_jit = True
    supports_masking = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
