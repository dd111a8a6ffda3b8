"""Attention over chosen axes: inputs of any rank laid out as (groups, heads, steps, features).

MultiHeadAttention's projected tensors have shape (batch, d_1, ..., d_k, heads, features).
Attention runs over the `attention_axes` among d_1..d_k jointly; the other d's are groups
that attend separately, like the batch. Moving the groups first and flattening the
attention axes into one step axis makes every case the plain one, (groups, heads,
steps, features), computed with batched matmuls; the scores are then shown in Keras's
shape, (batch, other axes..., heads, query attention axes..., key attention axes...).
"""

from __future__ import annotations

import math
from typing import Any

from ... import ops


def normalized(attention_axes: Any, rank: int, layer: str) -> tuple:
    """The attention axes of inputs of `rank` as positive axes, sorted; all of 1..rank-2 for None."""
    if attention_axes is None:
        return tuple(range(1, rank - 1))
    axes = tuple(a + rank if a < 0 else a for a in attention_axes)
    if not all(1 <= a <= rank - 2 for a in axes) or len(set(axes)) != len(axes):
        raise ValueError(
            f"{layer}: attention_axes={tuple(attention_axes)} does not fit inputs of rank {rank}: each axis must "
            f"be one of 1..{rank - 2} (or -{rank - 1}..-2), the axes between the batch and the features, "
            "named once."
        )
    return tuple(sorted(axes))


class Layout:
    """How the projected tensors of inputs of one rank are moved to (groups, heads, steps, features)."""

    def __init__(self, rank: int, axes: tuple):
        self.axes = axes
        self.groups = (0,) + tuple(a for a in range(1, rank - 1) if a not in axes)
        # on the projected tensor: the input's axes, then heads (rank - 1) and features (rank)
        self.order = self.groups + (rank - 1,) + axes + (rank,)
        self.sequence = rank == 3  # (batch, time, features): the one layout step masks describe

    def to_plain(self, x):
        """(batch, d..., heads, features) -> (groups, heads, steps, features)."""
        moved = ops.transpose(x, self.order)
        shape = tuple(moved.shape)
        groups = len(self.groups)
        return ops.reshape(moved, (math.prod(shape[:groups]), shape[groups], -1, shape[-1]))

    def from_plain(self, x, query_shape: tuple):
        """(groups, heads, steps, features) -> (batch, d..., heads, features), d's of the query."""
        moved = tuple(query_shape[i] for i in self.groups) + (x.shape[1],) + tuple(
            query_shape[i] for i in self.axes) + (x.shape[-1],)
        inverse = [0] * len(self.order)
        for position, axis in enumerate(self.order):
            inverse[axis] = position
        return ops.transpose(ops.reshape(x, moved), tuple(inverse))

    def scores_shape(self, query_shape: tuple, key_shape: tuple, heads: int) -> tuple:
        """Keras's shape of the scores: (batch, other axes..., heads, query axes..., key axes...)."""
        return (tuple(query_shape[i] for i in self.groups) + (heads,) + tuple(query_shape[i] for i in self.axes)
                + tuple(key_shape[i] for i in self.axes))
