"""categorical: class indices drawn from the softmax of logits, row by row."""

from __future__ import annotations

from typing import Any

import numpy

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..ops import convert_to_tensor
from ._draw import check_dtype
from ._seed_generator import SeedGenerator, check_seed, generator_for


class Categorical(Function):
    """Class indices drawn from softmax(logits) row by row (no gradient: the draws are integers)."""

    name = "categorical"

    def forward(self, logits: Any, seed: Any, num_samples: int, dtype: numpy.dtype) -> Any:
        rng = generator_for(seed)
        values = backend.to_numpy(logits).astype(numpy.float64)
        probabilities = numpy.exp(values - values.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        classes = probabilities.shape[1]
        samples = numpy.stack([rng.choice(classes, size=num_samples, p=row) for row in probabilities])
        return backend.to_device(samples.reshape(len(probabilities), num_samples).astype(dtype),
                                 backend.device_of(logits))


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: int | SeedGenerator | None = None):
    """Draws class indices from categorical distributions given by unnormalized log-probabilities.

    Args:
        logits: a 2-D tensor (batch_size, num_classes); each row is one
            distribution, softmax(row) its probabilities.
        num_samples: how many independent samples to draw per row (>= 1).
        dtype: an integer dtype for the indices, int32 by default.
        seed: an int, a `keras.random.SeedGenerator` or None.

    Returns:
        A Tensor (batch_size, num_samples) of class indices.
    """
    check_seed(seed, "categorical")
    logits = convert_to_tensor(logits)
    if logits.ndim != 2:
        raise ValueError(f"categorical: logits must be 2-D (batch_size, num_classes), got shape {logits.shape}.")
    if logits.shape[1] < 1:
        raise ValueError(f"categorical: logits of shape {logits.shape} have no class to draw from.")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, numpy.integer)) or num_samples < 1:
        raise ValueError(f"categorical: num_samples must be a whole number >= 1, got {num_samples!r}.")
    dtype = check_dtype(dtype, "i", "categorical")
    # detach(): the draws are integers, no gradient flows back to the logits.
    return Categorical.apply(logits.detach(), seed=seed, num_samples=int(num_samples), dtype=dtype)
