"""AdditiveAttention: Bahdanau-style attention, as Keras 3 has it.

scores = sum(scale * tanh(query + key)) over the features, with `scale` a learned
vector of the feature size (use_scale=True) or 1; the rest is `Attention`'s:
softmax over the value steps the value mask keeps, times the value.
"""

from __future__ import annotations

from typing import Any

from ... import ops
from .attention import Attention


class AdditiveAttention(Attention):
    """Additive attention: `AdditiveAttention()([query, value])` or `([query, value, key])`.

    Args:
        use_scale: whether to learn a vector `scale` (one entry per feature) weighting
            the tanh terms; default True.
        dropout: the fraction of attention weights dropped in training.
        seed: a seed of its own for the dropout.

    Call arguments: as `Attention`'s.
    """
    supports_jit = True

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        self._check_shapes(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(input_shape[0][-1],), initializer="glorot_uniform", name="scale")
        self.built = True

    def _scores(self, query, key):
        summed = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        return ops.sum(summed if self.scale is None else self.scale * summed, axis=-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]
        return config
