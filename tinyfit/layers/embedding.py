"""Embedding: integer ids (words, items, categories) turned into learned vectors.

The layer holds a table of `input_dim` rows, one vector of `output_dim` numbers
per id, and looks rows up: ids of shape (batch, ...) give (batch, ..., output_dim).
Looking up is indexing, so the gradient of the table is the output gradient added
back onto the rows that were read; an id read twice gets both contributions
(the engine's indexing op does that with a scatter-add).
"""

from __future__ import annotations

from typing import Any

from .. import backend, initializers, ops, regularizers
from ..autograd.ops.deferred_checks import check_later
from ..autograd.ops.embedding import EmbeddingLookup
from .core import _serialize
from .layer import Layer
from .output_spec import ShapeByArithmetic


class Embedding(ShapeByArithmetic, Layer):
    """Maps each integer id in [0, input_dim) to a trained vector of length output_dim.

    Args:
        input_dim: how many ids there are (the largest id plus one).
        output_dim: the length of each vector.
        embeddings_initializer: how the table starts (default "uniform": in [-0.05, 0.05]).
        embeddings_regularizer: a penalty on the table, added to `losses`.
        mask_zero: whether id 0 is padding: the output then carries a mask, False
            where the id was 0, which recurrent layers, attention, pooling over time,
            the loss and the metrics respect (see layer_masks.py). Id 0 still has a
            row, so input_dim counts it.

    Inputs are integers, or floats holding whole numbers (they are used as ids).
    """
    supports_jit = True

    output_follows_weights = True

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, mask_zero: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Embedding: {name} must be a whole number >= 1, got {value!r}.")
        self.input_dim, self.output_dim = input_dim, output_dim
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer, name="embeddings")
        self.built = True

    def call(self, inputs):
        # One op checks the ids and looks the rows up, so a compiled step (which replays
        # ops) checks the ids of every batch too.
        return EmbeddingLookup.apply(self.embeddings, inputs, check_ids=self._checked_ids)

    def compute_mask(self, inputs, previous_mask=None):
        """False where the id is 0 (padding), with mask_zero=True; otherwise no mask."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def _checked_ids(self, data):
        """The ids (an array) as integers, after checking every id is a whole number in range.

        On a GPU the test is settled with the step's figures (autograd/ops/deferred_checks.py)
        rather than read back at every step.
        """
        xp = backend.array_module(data)
        if backend.device_of(data) == "gpu" and data.size:
            failed = ~((data.min() >= 0) & (data.max() < self.input_dim))
            if data.dtype.kind == "f":
                failed = failed | ~(data == xp.floor(data)).all()
            check_later(failed, lambda: self._checked_ids(backend.to_numpy(data)))
            return data if data.dtype.kind in "iub" else data.astype("int64")
        if data.dtype.kind not in "iub":
            if data.dtype.kind != "f":
                raise TypeError(f"Embedding {self.name!r}: ids must be integers, got dtype {data.dtype}.")
            fractional = data != xp.floor(data)
            if bool(fractional.any()):
                bad = data[fractional].ravel()[0].item()
                raise ValueError(
                    f"Embedding {self.name!r}: ids must be whole numbers, got {bad!r}. Pass integer ids "
                    "(e.g. x.astype('int64')); values between whole numbers have no row."
                )
            data = data.astype("int64")
        if data.size:
            low, high = int(data.min()), int(data.max())
            if low < 0 or high >= self.input_dim:
                bad = low if low < 0 else high
                raise ValueError(
                    f"Embedding {self.name!r}: id {bad} is out of range: input_dim={self.input_dim} allows "
                    f"ids 0..{self.input_dim - 1}. Raise input_dim to at least {max(high + 1, self.input_dim)} "
                    "or fix the ids." if bad >= 0 else
                    f"Embedding {self.name!r}: id {bad} is out of range: ids must be in 0..{self.input_dim - 1} "
                    f"(input_dim={self.input_dim}); negative ids have no row."
                )
        return data

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": _serialize(initializers, self.embeddings_initializer),
            "embeddings_regularizer": _serialize(regularizers, self.embeddings_regularizer),
            "mask_zero": self.mask_zero,
        }
