"""Permute and RepeatVector: rearrange each sample's axes, or repeat a vector into a sequence.

Both leave the batch axis where it is, and both only move values: the
gradient goes back to where each value came from (a transpose back, or the
sum over the copies), as the engine's ops compute it.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from .layer import Layer
from .output_spec import ShapeByArithmetic


class Permute(ShapeByArithmetic, Layer):
    """Reorders the axes of each sample: Permute((2, 1)) turns (batch, 10, 64) into (batch, 64, 10).

    Args:
        dims: the new order of the sample's axes, counted from 1 (the batch axis 0
            stays first): a permutation of 1..rank-1.
    """
    supports_jit = True

    def __init__(self, dims: Any, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(dims, int) or not isinstance(dims, (tuple, list)) \
                or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
            raise ValueError(f"Permute: dims must be a tuple of ints (axes counted from 1), got {dims!r}.")
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"Permute: dims={tuple(dims)} is not a permutation of the sample's axes 1..{len(dims)}; each of "
                f"{tuple(range(1, len(dims) + 1))} must appear once (axis 0, the batch, cannot move)."
            )
        self.dims = tuple(dims)

    def _check(self, input_shape: tuple) -> None:
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(
                f"Permute {self.name!r} with dims={self.dims} expects inputs of rank {len(self.dims) + 1} "
                f"(batch and {len(self.dims)} axes), got shape {tuple(input_shape)}."
            )

    def build(self, input_shape: tuple) -> None:
        self._check(input_shape)
        self.built = True

    def call(self, inputs):
        self._check(inputs.shape)
        return ops.transpose(inputs, (0,) + self.dims)

    def output_dtype(self, inputs: Any):
        return inputs.dtype  # values are only moved: integers stay integers

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(ShapeByArithmetic, Layer):
    """Repeats each sample's vector `n` times: (batch, features) -> (batch, n, features).

    Args:
        n: how many copies (a positive int).
    """
    supports_jit = True

    def __init__(self, n: int, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"RepeatVector: n must be a positive int (the number of copies), got {n!r}.")
        self.n = n

    def _check(self, input_shape: tuple) -> None:
        if len(input_shape) != 2:
            raise ValueError(
                f"RepeatVector {self.name!r} expects inputs of rank 2 (batch, features), got shape "
                f"{tuple(input_shape)}. Flatten the sample first (layers.Flatten())."
            )

    def build(self, input_shape: tuple) -> None:
        self._check(input_shape)
        self.built = True

    def call(self, inputs):
        self._check(inputs.shape)
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def output_dtype(self, inputs: Any):
        return inputs.dtype

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}
