"""What the attention layers share: masks checked and combined, the softmax over masked
scores in Keras's two forms, and dropout on the attention weights.

Masks are boolean tensors, True where a position counts. A masked score gets a large
negative number rather than -inf, so that exp() of it is 0 yet a row with nothing
left to attend to never meets inf - inf (NaN).
"""

from __future__ import annotations

from typing import Any

import numpy

from ... import ops
from ...autograd.ops.dropout import Dropout as DropoutOp
from ...autograd.tensor import Tensor
from ...utils import random as _random

# float16 cannot hold -1e9; the others can, and exp() of it is 0 there.
_LARGE_NEGATIVE = {"float16": -65504.0}


def as_bool(mask: Any) -> Tensor:
    """A mask as a boolean tensor: nonzero is True."""
    mask = ops.convert_to_tensor(mask)
    return mask if mask.dtype.kind == "b" else ops.not_equal(mask, 0)


def broadcasts(shape: tuple, target: tuple) -> bool:
    """Whether `shape` broadcasts to `target`, aligned from the right, without adding size."""
    return len(shape) <= len(target) and all(m in (1, n) for m, n in zip(shape[::-1], target[::-1]))


def causal_mask(query_length: int, value_length: int, device: Any) -> Tensor:
    """(1, T_q, T_v): True where a query step may see a value step, the ones at or before it."""
    return Tensor(numpy.tril(numpy.ones((query_length, value_length), dtype=bool))[None]).to(device)


def band_mask(query_length: int, value_length: int, width: int, device: Any) -> Tensor:
    """(1, T_q, T_v): True where the steps lie less than `width` apart."""
    rows = numpy.arange(query_length)[:, None]
    columns = numpy.arange(value_length)[None, :]
    return Tensor((numpy.abs(rows - columns) < width)[None]).to(device)


def both(first: Tensor | None, second: Tensor | None) -> Tensor | None:
    """first AND second, where a missing mask hides nothing."""
    if first is None:
        return second
    if second is None:
        return first
    # where() is an op a compiled step records and replays; ops.logical_and is computed beside
    # the engine, so a replayed step would keep the first batch's mask.
    return ops.where(first, second, False)


def softmax_zeroing_masked(scores: Tensor, keep: Tensor | None) -> Tensor:
    """Softmax over the last axis; masked positions get 0, so a fully masked row is all 0.

    This is Keras's Softmax layer with a mask, the form MultiHeadAttention uses.
    """
    if keep is None:
        return ops.softmax(scores, axis=-1)
    hidden = ops.where(keep, scores, _LARGE_NEGATIVE.get(scores.dtype.name, -1e9))
    return ops.where(keep, ops.softmax(hidden, axis=-1), 0.0)


def softmax_shifting_masked(scores: Tensor, keep: Tensor | None) -> Tensor:
    """Softmax over the last axis with 1e9 taken off masked scores, the form of Keras's
    Attention and AdditiveAttention: a fully masked row then spreads over its steps."""
    if keep is None:
        return ops.softmax(scores, axis=-1)
    shift = 65504.0 if scores.dtype.name == "float16" else 1e9
    return ops.softmax(ops.where(keep, scores, scores - shift), axis=-1)


class WeightDropout:
    """Dropout of attention weights at `rate`, drawn inside the op (a replayed step draws afresh)."""

    def __init__(self, rate: float, seed: int | None):
        self.rate = rate
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    def __call__(self, weights: Tensor, training: Any) -> Tensor:
        if not training or self.rate == 0:
            return weights
        return DropoutOp.apply(weights, draw_mask=self._draw, mask_shape=tuple(weights.shape))

    def _draw(self, shape: tuple, dtype: Any):
        keep = (self._generator or _random.rng()).random(shape) >= self.rate
        return (keep * numpy.asarray(1.0 / (1.0 - self.rate), dtype=dtype)).astype(dtype)


def dropout_rate(layer: str, rate: Any) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(f"{layer}: dropout must be a number in [0, 1), got {rate!r}.")
    return float(rate)
