"""Attention: dot-product (Luong-style) attention of a query over a value, as Keras 3 has it.

scores = query . key^T (times a learned `scale` with use_scale=True), or with
score_mode="concat", concat_score_weight * sum(tanh(scale * (query + key)));
the output is softmax(scores) . value. A value mask hides value steps by taking
1e9 off their scores (so a fully masked row spreads evenly, as in Keras); a query
mask zeroes the output at the query's padded steps and is the output's mask.
"""

from __future__ import annotations

from typing import Any

from ... import ops
from ..layer import Layer
from . import scores as _scores


class Attention(Layer):
    """Dot-product attention: `Attention()([query, value])` or `([query, value, key])`.

    Args:
        use_scale: whether to learn a scalar `scale` the scores are multiplied by.
        score_mode: "dot" (query . key) or "concat" (tanh of query + key, summed).
        dropout: the fraction of attention weights dropped in training.
        seed: a seed of its own for the dropout.

    Call arguments:
        inputs: [query (batch, T_q, dim), value (batch, T_v, dim_v)] and optionally
            key (batch, T_v, dim); the key defaults to the value.
        mask: [query_mask (batch, T_q), value_mask (batch, T_v)] booleans, True where a
            step is real; either may be None.
        training: whether dropout is on.
        return_attention_scores: also return the attention weights (batch, T_q, T_v).
        use_causal_mask: hide from each query step the value steps after it.
    """
    supports_jit = True

    score_modes = ("dot", "concat")

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if score_mode not in self.score_modes:
            raise ValueError(f"{type(self).__name__}: score_mode must be one of {self.score_modes}, "
                             f"got {score_mode!r}.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = _scores.dropout_rate(type(self).__name__, dropout)
        self.seed = seed
        self.supports_masking = True
        self._weight_dropout = _scores.WeightDropout(self.dropout, seed)

    def build(self, input_shape: Any) -> None:
        self._check_shapes(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(shape=(), initializer="ones", name="concat_score_weight")
        self.built = True

    def _scores(self, query, key):
        """(batch, T_q, T_v) scores of each query step against each key step."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            return scores if self.scale is None else scores * self.scale
        summed = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)
        if self.scale is not None:
            summed = self.scale * summed
        return self.concat_score_weight * ops.sum(ops.tanh(summed), axis=-1)

    # ------------------------------------------------------------ checks
    def _check_list(self, what: str, items: Any, lengths: tuple) -> None:
        name = type(self).__name__
        if not isinstance(items, (list, tuple)) or len(items) not in lengths:
            got = f"{len(items)} items" if isinstance(items, (list, tuple)) else type(items).__name__
            expected = "[query, value] or [query, value, key]" if what == "inputs" else "[query_mask, value_mask]"
            raise ValueError(f"{name} {self.name!r}: {what} must be a list {expected}, got {got}.")

    def _check_shapes(self, shapes: Any) -> None:
        if isinstance(shapes, (list, tuple)) and not all(isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(f"{type(self).__name__} {self.name!r}: inputs must be a list [query, value] or "
                             f"[query, value, key], got one tensor of shape {tuple(shapes)}.")
        self._check_list("inputs", shapes, (2, 3))
        shapes = [tuple(s) for s in shapes]
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) == 3 else value
        name = f"{type(self).__name__} {self.name!r}"
        ranks = [len(s) for s in (query, value, key)]
        if min(ranks) < 3:
            raise ValueError(f"{name}: query {query}, value {value} and key {key} must each have shape "
                             "(batch, time, features); add a time axis with ops.expand_dims(x, 1).")

        def differ(a, b):
            return a is not None and b is not None and a != b

        if differ(query[-1], key[-1]):
            raise ValueError(f"{name}: query {query} and key {key} must have one feature size (last axis) to "
                             "score each pair of steps; project one of them with a Dense layer first.")
        if differ(value[-2], key[-2]):
            raise ValueError(f"{name}: value {value} and key {key} must have one length (axis -2): each value "
                             "step needs its key.")
        if any(differ(a, b) for a, b in ((query[0], value[0]), (query[0], key[0]))):
            raise ValueError(f"{name}: query {query}, value {value} and key {key} must have one batch size.")

    def _step_mask(self, which: str, mask: Any, shape: tuple):
        mask = _scores.as_bool(mask)
        if tuple(mask.shape) != tuple(shape[:-1]):
            raise ValueError(f"{type(self).__name__} {self.name!r}: the {which} mask must have shape "
                             f"{tuple(shape[:-1])} (one entry per step of the {which} of shape {shape}), got "
                             f"{tuple(mask.shape)}.")
        return mask

    # ------------------------------------------------------------ the call
    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._check_shapes([tuple(t.shape) for t in inputs] if isinstance(inputs, (list, tuple)) else inputs)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) == 3 else value
        if mask is not None:
            self._check_list("mask", mask, (2, 3))
        query_mask = None if not mask or mask[0] is None else self._step_mask("query", mask[0], query.shape)
        value_mask = None if not mask or mask[1] is None else self._step_mask("value", mask[1], value.shape)
        scores = self._scores(query, key)
        keep = None if value_mask is None else ops.expand_dims(value_mask, -2)
        if use_causal_mask:
            keep = _scores.both(keep, _scores.causal_mask(scores.shape[-2], scores.shape[-1], scores.device))
        weights = _scores.softmax_shifting_masked(scores, keep)
        output = ops.matmul(self._weight_dropout(weights, training), value)
        if query_mask is not None:
            output = ops.where(ops.expand_dims(query_mask, -1), output, 0.0)
        return (output, weights) if return_attention_scores else output

    def compute_mask(self, inputs, mask=None):
        """The output's mask is the query's."""
        if mask is not None:
            self._check_list("mask", mask, (2, 3))
        return None if not mask or mask[0] is None else _scores.as_bool(mask[0])

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check_shapes(input_shape)
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}
