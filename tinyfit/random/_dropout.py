"""dropout: zero a random fraction of a tensor's values and scale the rest up, differentiably."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy

from ..autograd.ops.dropout import Dropout
from ..autograd.tensor import Tensor
from ..ops import convert_to_tensor
from ._seed_generator import SeedGenerator, check_seed, generator_for


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: int | SeedGenerator | None = None) -> Tensor:
    """Sets each value to 0 with probability `rate` and scales the kept ones by 1 / (1 - rate).

    The expected value of every element stays the same. Gradients flow through
    the kept values, scaled the same way; the dropped ones get none.

    Args:
        inputs: a floating tensor (or array).
        rate: the probability of dropping a value, in [0, 1).
        noise_shape: the shape of the mask, broadcast over `inputs`, e.g.
            (batch, 1, features) drops the same features at every time step;
            None entries take the size of `inputs` on that axis.
        seed: an int, a `keras.random.SeedGenerator` or None.

    Returns:
        A Tensor shaped like `inputs`.
    """
    check_seed(seed, "dropout")
    if isinstance(rate, bool) or not isinstance(rate, (int, float, numpy.floating)) or not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be a number in [0, 1), got {rate!r}.")
    x = convert_to_tensor(inputs)
    if x.dtype.kind != "f":
        raise ValueError(f"dropout: inputs must be floating point, got dtype {x.dtype}. Cast them first, "
                         "e.g. keras.ops.cast(x, 'float32').")
    if rate == 0:
        return x
    return Dropout.apply(x, draw_mask=_Mask(float(rate), seed), mask_shape=_mask_shape(noise_shape, x.shape))


@dataclass(frozen=True)
class _Mask:
    """Draws one dropout mask: 0 where dropped, 1 / (1 - rate) where kept.

    A value, not a closure: a compiled step compares each step's ops, and two
    masks with the same rate and seed are the same op.
    """

    rate: float
    seed: Any

    def __call__(self, shape: tuple, dtype: Any) -> numpy.ndarray:
        keep_prob = 1.0 - self.rate
        kept = generator_for(self.seed).uniform(size=shape) < keep_prob
        return (kept / numpy.asarray(keep_prob, dtype=dtype)).astype(dtype)


def _mask_shape(noise_shape: Any, shape: tuple) -> tuple:
    if noise_shape is None:
        return shape
    noise_shape = tuple(noise_shape)
    if len(noise_shape) != len(shape) or not all(
            m is None or m == 1 or m == n for m, n in zip(noise_shape, shape)):
        raise ValueError(f"dropout: noise_shape {noise_shape} must have one entry per axis of the inputs {shape}, "
                         "each equal to the input's size, 1 (the same mask along that axis) or None.")
    return tuple(n if m is None else m for m, n in zip(noise_shape, shape))
