"""shuffle: a tensor's slices along an axis in a random order, differentiably."""

from __future__ import annotations

from typing import Any

import numpy

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..ops import convert_to_tensor
from ._seed_generator import SeedGenerator, check_seed, generator_for


class Shuffle(Function):
    """x with its slices along `axis` in a random order; the gradient goes back to where each came from."""

    name = "shuffle"

    def forward(self, x: Any, seed: Any, axis: int) -> Any:
        xp = backend.array_module(x)
        order = generator_for(seed).permutation(x.shape[axis])
        self.axis = axis
        self.order = xp.asarray(order)
        return xp.take(x, self.order, axis=axis)

    def backward(self, grad: Any) -> Any:
        xp = backend.array_module(grad)
        return xp.take(grad, xp.argsort(self.order), axis=self.axis)


def shuffle(x: Any, axis: int = 0, seed: int | SeedGenerator | None = None) -> Tensor:
    """Shuffles a tensor along an axis: its slices along `axis` are put in a random order, each kept whole.

    Args:
        x: the tensor to shuffle.
        axis: the axis whose order changes (default 0: the rows).
        seed: an int, a `keras.random.SeedGenerator` or None.
    """
    check_seed(seed, "shuffle")
    x = convert_to_tensor(x)
    if isinstance(axis, bool) or not isinstance(axis, (int, numpy.integer)) or not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"shuffle: axis {axis!r} is out of range for a tensor of shape {x.shape} "
                         f"({x.ndim} axes).")
    if x.ndim == 0:
        raise ValueError("shuffle: a scalar has no axis to shuffle; pass a tensor with at least one axis.")
    return Shuffle.apply(x, seed=seed, axis=int(axis) % x.ndim)
