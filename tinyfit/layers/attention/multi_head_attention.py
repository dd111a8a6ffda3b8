"""MultiHeadAttention: scaled dot-product attention in several heads, as Keras 3 has it.

Each head projects the query to (T_q, key_dim), the key to (T_v, key_dim) and the
value to (T_v, value_dim), and takes softmax(q k^T / sqrt(key_dim)) v; the heads'
outputs are projected together back to the query's feature size (or `output_shape`).
The four projections are sub-layers named query, key, value and attention_output
with Keras's kernel shapes, held as query_dense, key_dense, value_dense and
output_dense as in Keras, so weights copy one to one with Keras's layer and sit
where Keras's .keras files keep them.

Masks (True where a step is real) combine as Keras combines them:
attention_mask AND the causal mask AND query_mask[:, :, None] AND
value_mask[:, None, :] AND key_mask[:, None, :]. A query step that may see no
value step gets all-zero attention weights, and its output is the output bias (Keras's
scores path does the same; its fused path, taken when no scores are asked for, spreads
such a row evenly instead).
"""

from __future__ import annotations

import math
from typing import Any

from ... import initializers, ops, regularizers
from ..core import _serialize
from ..layer import Layer
from . import scores as _scores
from .projection import Projection


def _positive_int(name: str, value: Any, optional: bool = False) -> int | None:
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"MultiHeadAttention: {name} must be an integer >= 1{' or None' if optional else ''}, "
                         f"got {value!r}.")
    return value


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017) with Keras 3's arguments and weights.

    Args:
        num_heads: the number of heads.
        key_dim: the size of each head's query and key (per head: no need to divide anything).
        value_dim: the size of each head's value; default key_dim.
        dropout: the fraction of attention weights dropped in training.
        use_bias: whether the four projections add a bias.
        output_shape: the shape of each output step (an int or a tuple); default the
            query's last dimension.
        attention_axes: None (or the sequence axis, 1 / -2): attention runs over the one
            sequence axis of (batch, time, features) inputs.
        sliding_window: None, or w: each query step sees value steps less than w away.
        kernel_initializer, bias_initializer: how the projections' weights start.
        kernel_regularizer, bias_regularizer: penalties on them, added to `losses`.
        seed: a seed of its own for the dropout.

    Call arguments:
        query: (batch, T_q, dim). value: (batch, T_v, dim_v). key: (batch, T_v, dim_k);
            default the value.
        query_mask, value_mask, key_mask: (batch, T) booleans, True where a step is real;
            filled in from the masks the tensors carry (Embedding(mask_zero=True)). A
            query_mask given by hand counts too (Keras 3.15 reads it only from the query).
        attention_mask: booleans broadcasting to (batch, num_heads, T_q, T_v), usually
            (batch, T_q, T_v): True where a query step may attend to a value step.
        return_attention_scores: also return the attention weights (batch, num_heads, T_q, T_v).
        training: whether dropout is on.
        use_causal_mask: hide from each query step the value steps after it.
    """
    supports_jit = True
    keras_sublayer_names = True  # query_dense, key_dense, ...: where Keras's files keep their weights

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None, dropout: float = 0.0,
                 use_bias: bool = True, output_shape: Any = None, attention_axes: Any = None,
                 sliding_window: int | None = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, use_gate: bool = False,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.num_heads = _positive_int("num_heads", num_heads)
        self.key_dim = _positive_int("key_dim", key_dim)
        self.value_dim = _positive_int("value_dim", value_dim, optional=True) or self.key_dim
        self.dropout = _scores.dropout_rate("MultiHeadAttention", dropout)
        self.use_bias = bool(use_bias)
        if isinstance(output_shape, int) and not isinstance(output_shape, bool):
            output_shape = (output_shape,)
        if output_shape is not None and (not isinstance(output_shape, (list, tuple)) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in output_shape)):
            raise ValueError(f"MultiHeadAttention: output_shape must be an int or a tuple of ints >= 1, "
                             f"got {output_shape!r}.")
        self.output_shape_arg = tuple(output_shape) if output_shape else None
        self.attention_axes = self._sequence_axis_only(attention_axes)
        self.sliding_window = _positive_int("sliding_window", sliding_window, optional=True)
        if kernel_constraint is not None or bias_constraint is not None:
            raise NotImplementedError("MultiHeadAttention: constraints are not supported in tinyfit; leave "
                                      "kernel_constraint and bias_constraint as None.")
        if use_gate:
            raise NotImplementedError("MultiHeadAttention: use_gate=True is not supported in tinyfit; leave it "
                                      "False.")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.seed = seed
        self.supports_masking = True
        self._weight_dropout = _scores.WeightDropout(self.dropout, seed)

    @staticmethod
    def _sequence_axis_only(attention_axes: Any) -> tuple | None:
        if attention_axes is None:
            return None
        axes = (attention_axes,) if isinstance(attention_axes, int) else attention_axes
        if isinstance(axes, (list, tuple)) and tuple(axes) in ((1,), (-2,)):
            return tuple(axes)
        raise NotImplementedError(
            f"MultiHeadAttention: attention_axes={attention_axes!r} is not supported in tinyfit, which attends over "
            "the one sequence axis of (batch, time, features) inputs (attention_axes=None, 1 or -2). For "
            "attention over other axes, move them into the time axis with ops.reshape first."
        )

    # ------------------------------------------------------------ weights
    def build(self, query_shape: tuple, value_shape: tuple | None = None, key_shape: tuple | None = None) -> None:
        """Makes the four projections; given the value's (and key's) shape too, builds them now."""
        common = dict(use_bias=self.use_bias, kernel_initializer=self.kernel_initializer,
                      bias_initializer=self.bias_initializer, kernel_regularizer=self.kernel_regularizer,
                      bias_regularizer=self.bias_regularizer, dtype=self.dtype)
        self._check_rank("query", query_shape)
        output_axes = self.output_shape_arg or (query_shape[-1],)
        # Made in Keras's order, which is the order of get_weights().
        self.query_dense = Projection(1, (self.num_heads, self.key_dim), name="query", **common)
        self.key_dense = Projection(1, (self.num_heads, self.key_dim), name="key", **common)
        self.value_dense = Projection(1, (self.num_heads, self.value_dim), name="value", **common)
        self.output_dense = Projection(2, output_axes, name="attention_output", **common)
        if value_shape is not None:
            key_shape = value_shape if key_shape is None else key_shape
            self._check_shapes(tuple(query_shape), tuple(value_shape), tuple(key_shape))
            self.query_dense.build(tuple(query_shape))
            self.key_dense.build(tuple(key_shape))
            self.value_dense.build(tuple(value_shape))
            self.output_dense.build(tuple(query_shape[:-1]) + (self.num_heads, self.value_dim))
        self.built = True

    # ------------------------------------------------------------ checks
    def _check_rank(self, name: str, shape: tuple) -> None:
        if len(shape) != 3:
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: {name} must have shape (batch, time, features), got shape "
                f"{tuple(shape)} ({len(shape)} axes). "
                + ("Add a time axis with ops.expand_dims(x, 1)." if len(shape) < 3 else
                   "Attention over several axes is not supported in tinyfit; reshape them into one time axis.")
            )

    def _check_shapes(self, query: tuple, value: tuple, key: tuple) -> None:
        for name, shape in (("query", query), ("value", value), ("key", key)):
            self._check_rank(name, shape)
        if value[1] != key[1] and None not in (value[1], key[1]):
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: value {value} and key {key} must have one length (axis 1): "
                "each value step needs its key."
            )
        batches = {n for n in (query[0], value[0], key[0]) if n is not None}
        if len(batches) > 1:
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: query {query}, value {value} and key {key} must have one "
                "batch size (axis 0)."
            )

    def _check_step_mask(self, name: str, mask: Any, tensor_name: str, shape: tuple):
        mask = _scores.as_bool(mask)
        if tuple(mask.shape) != tuple(shape[:2]):
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: {name} must have shape (batch, time) = {tuple(shape[:2])}, "
                f"one entry per step of the {tensor_name} of shape {tuple(shape)}; got shape {tuple(mask.shape)}."
            )
        return mask

    def _check_attention_mask(self, mask: Any, scores_shape: tuple):
        """The mask as (batch or 1, heads or 1, T_q, T_v): a mask of fewer axes serves every head."""
        mask = _scores.as_bool(mask)
        shape = tuple(mask.shape)
        if 2 <= len(shape) <= 4:
            # As Keras: the missing axes go before the last two, so (batch, T_q, T_v) spans the heads.
            mask = ops.reshape(mask, shape[:-2] + (1,) * (4 - len(shape)) + shape[-2:])
        if not 2 <= len(shape) <= 4 or not _scores.broadcasts(tuple(mask.shape), scores_shape):
            batch, heads, t_q, t_v = scores_shape
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: attention_mask of shape {shape} does not broadcast "
                f"to the attention scores (batch, num_heads, T_q, T_v) = {scores_shape}. Give it shape "
                f"(batch, T_q, T_v) = {(batch, t_q, t_v)}, or (T_q, T_v) = {(t_q, t_v)} for every sample, "
                "with 1 along any axis it shares."
            )
        return mask

    # ------------------------------------------------------------ the call
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        key = value if key is None else key
        q_shape, v_shape, k_shape = tuple(query.shape), tuple(value.shape), tuple(key.shape)
        self._check_shapes(q_shape, v_shape, k_shape)
        keep = self._attention_mask(q_shape, v_shape, k_shape, query_mask, value_mask, key_mask, attention_mask,
                                    use_causal_mask, query.device)
        q = self.query_dense(query) * (1.0 / math.sqrt(self.key_dim))
        k = self.key_dense(key)
        v = self.value_dense(value)
        # Heads moved before the steps, so both products are batched matmuls (BLAS), not einsums.
        scores = ops.matmul(ops.transpose(q, (0, 2, 1, 3)), ops.transpose(k, (0, 2, 3, 1)))
        weights = _scores.softmax_zeroing_masked(scores, keep)
        attended = ops.matmul(self._weight_dropout(weights, training), ops.transpose(v, (0, 2, 1, 3)))
        attended = ops.transpose(attended, (0, 2, 1, 3))
        output = self.output_dense(attended)
        return (output, weights) if return_attention_scores else output

    def _attention_mask(self, q_shape, v_shape, k_shape, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask, device):
        """The (broadcastable) boolean mask of the scores, (batch, 1, T_q, T_v) or smaller; None for none."""
        scores_shape = (q_shape[0], self.num_heads, q_shape[1], v_shape[1])
        step = self._check_step_mask
        keep = None
        if query_mask is not None:
            keep = ops.expand_dims(step("query_mask", query_mask, "query", q_shape), -1)
        if value_mask is not None:
            keep = _scores.both(keep, ops.expand_dims(step("value_mask", value_mask, "value", v_shape), 1))
        if key_mask is not None:
            keep = _scores.both(keep, ops.expand_dims(step("key_mask", key_mask, "key", k_shape), 1))
        if use_causal_mask:
            keep = _scores.both(keep, _scores.causal_mask(q_shape[1], v_shape[1], device))
        if self.sliding_window is not None:
            keep = _scores.both(keep, _scores.band_mask(q_shape[1], v_shape[1], self.sliding_window, device))
        if keep is not None:
            keep = ops.expand_dims(keep, 1)  # (batch, 1, T_q, T_v): the heads share it
        if attention_mask is not None:
            keep = _scores.both(self._check_attention_mask(attention_mask, scores_shape), keep)
        return keep

    def compute_mask(self, inputs, previous_mask=None):
        """The output's mask is the query's."""
        return previous_mask

    def compute_output_shape(self, query_shape: tuple, value_shape: tuple | None = None,
                             key_shape: tuple | None = None) -> tuple:
        return tuple(query_shape[:-1]) + (self.output_shape_arg or (query_shape[-1],))

    # ------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "use_gate": False, "output_shape": self.output_shape_arg, "attention_axes": self.attention_axes,
                "sliding_window": self.sliding_window,
                "kernel_initializer": _serialize(initializers, self.kernel_initializer),
                "bias_initializer": _serialize(initializers, self.bias_initializer),
                "kernel_regularizer": _serialize(regularizers, self.kernel_regularizer),
                "bias_regularizer": _serialize(regularizers, self.bias_regularizer),
                "activity_regularizer": _serialize(regularizers, self.activity_regularizer),
                "kernel_constraint": None, "bias_constraint": None, "seed": self.seed}
