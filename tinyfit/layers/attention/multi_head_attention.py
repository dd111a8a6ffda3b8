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
from .axes import Layout, normalized
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
        attention_axes: the axes attention runs over, jointly (an int or a tuple); the
            others between the batch and the features attend separately. Default: all of
            them, the time axis of (batch, time, features) inputs.
        sliding_window: None, or w: each query step sees value steps less than w away.
        kernel_initializer, bias_initializer: how the projections' weights start.
        kernel_regularizer, bias_regularizer: penalties on them, added to `losses`.
        seed: a seed of its own for the dropout.

    Call arguments:
        query: (batch, T_q, dim). value: (batch, T_v, dim_v). key: (batch, T_v, dim_k);
            default the value. (Or of higher rank, with attention_axes.)
        query_mask, value_mask, key_mask: (batch, T) booleans, True where a step is real;
            filled in from the masks the tensors carry (Embedding(mask_zero=True)). A
            query_mask given by hand counts too (Keras 3.15 reads it only from the query).
        attention_mask: booleans broadcasting to (batch, num_heads, T_q, T_v), usually
            (batch, T_q, T_v): True where a query step may attend to a value step.
        return_attention_scores: also return the attention weights (batch, num_heads, T_q, T_v);
            with attention_axes, (batch, other axes..., num_heads, query's attention axes...,
            key's attention axes...).
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
        self.attention_axes = self._attention_axes(attention_axes)
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
    def _attention_axes(attention_axes: Any) -> tuple | None:
        if attention_axes is None:
            return None
        axes = (attention_axes,) if isinstance(attention_axes, int) else attention_axes
        if not isinstance(axes, (list, tuple)) or not axes or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise ValueError(f"MultiHeadAttention: attention_axes must be None, an int or a tuple of ints, "
                             f"got {attention_axes!r}.")
        return tuple(axes)

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
            self._layout(tuple(query_shape), tuple(value_shape), tuple(key_shape))
            self.query_dense.build(tuple(query_shape))
            self.key_dense.build(tuple(key_shape))
            self.value_dense.build(tuple(value_shape))
            self.output_dense.build(tuple(query_shape[:-1]) + (self.num_heads, self.value_dim))
        self.built = True

    # ------------------------------------------------------------ checks
    def _check_rank(self, name: str, shape: tuple) -> None:
        if len(shape) < 3:
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: {name} must have shape (batch, time, features), got shape "
                f"{tuple(shape)} ({len(shape)} axes). Add a time axis with ops.expand_dims(x, 1)."
            )

    def _layout(self, query: tuple, value: tuple, key: tuple) -> Layout:
        """Checks that the shapes fit together; how to lay them out for the products."""
        for name, shape in (("query", query), ("value", value), ("key", key)):
            self._check_rank(name, shape)
        where = f"MultiHeadAttention {self.name!r}"
        if len({len(query), len(value), len(key)}) > 1:
            raise ValueError(f"{where}: query {query}, value {value} and key {key} must have one rank.")
        layout = Layout(len(query), normalized(self.attention_axes, len(query), where))

        def differ(a, b):
            return a is not None and b is not None and a != b

        if any(differ(a, b) for a, b in zip(value[1:-1], key[1:-1])):
            raise ValueError(f"{where}: value {value} and key {key} must have one shape but for the last axis: "
                             "each value step needs its key.")
        if any(differ(query[0], n) for n in (value[0], key[0])):
            raise ValueError(f"{where}: query {query}, value {value} and key {key} must have one batch size "
                             "(axis 0).")
        if any(differ(query[i], value[i]) for i in layout.groups):
            raise ValueError(f"{where}: query {query} and value {value} must have one size along the axes "
                             f"attention does not run over, {layout.groups}; it runs over {layout.axes}.")
        return layout

    def _check_step_mask(self, name: str, mask: Any, tensor_name: str, shape: tuple):
        mask = _scores.as_bool(mask)
        if tuple(mask.shape) != tuple(shape[:2]):
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: {name} must have shape (batch, time) = {tuple(shape[:2])}, "
                f"one entry per step of the {tensor_name} of shape {tuple(shape)}; got shape {tuple(mask.shape)}."
            )
        return mask

    def _check_attention_mask(self, mask: Any, scores_shape: tuple, layout: Layout):
        """The mask with Keras's axes added: those it lacks go before the attention axes, so that
        (batch, T_q, T_v) serves every head."""
        mask = _scores.as_bool(mask)
        shape, pairs = tuple(mask.shape), 2 * len(layout.axes)
        if pairs <= len(shape) <= len(scores_shape):
            mask = ops.reshape(mask, shape[:-pairs] + (1,) * (len(scores_shape) - len(shape)) + shape[-pairs:])
        if not pairs <= len(shape) <= len(scores_shape) or not _scores.broadcasts(tuple(mask.shape), scores_shape):
            if layout.sequence:
                batch, heads, t_q, t_v = scores_shape
                fix = (f"Give it shape (batch, T_q, T_v) = {(batch, t_q, t_v)}, or (T_q, T_v) = {(t_q, t_v)} "
                       "for every sample, with 1 along any axis it shares.")
                named = "(batch, num_heads, T_q, T_v)"
            else:
                fix = ("Give it the scores' shape without the heads, with 1 along any axis it shares.")
                named = "(batch, other axes..., num_heads, query axes..., key axes...)"
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: attention_mask of shape {shape} does not broadcast "
                f"to the attention scores {named} = {scores_shape}. {fix}"
            )
        return mask

    # ------------------------------------------------------------ the call
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        key = value if key is None else key
        q_shape, v_shape, k_shape = tuple(query.shape), tuple(value.shape), tuple(key.shape)
        layout = self._layout(q_shape, v_shape, k_shape)
        scores_shape = layout.scores_shape(q_shape, k_shape, self.num_heads)
        keep = self._attention_mask(q_shape, v_shape, k_shape, query_mask, value_mask, key_mask, attention_mask,
                                    use_causal_mask, query.device, layout, scores_shape)
        # (groups, heads, steps, features), so that both products are batched matmuls (BLAS)
        q = layout.to_plain(self.query_dense(query) * (1.0 / math.sqrt(self.key_dim)))
        k = layout.to_plain(self.key_dense(key))
        v = layout.to_plain(self.value_dense(value))
        scores = ops.matmul(q, ops.swapaxes(k, -1, -2))
        if keep is not None and not layout.sequence:
            keep = ops.reshape(ops.broadcast_to(keep, scores_shape), tuple(scores.shape))
        weights = _scores.softmax_zeroing_masked(scores, keep)
        attended = ops.matmul(self._weight_dropout(weights, training), v)
        output = self.output_dense(layout.from_plain(attended, q_shape))
        if not return_attention_scores:
            return output
        return output, weights if layout.sequence else ops.reshape(weights, scores_shape)

    def _attention_mask(self, q_shape, v_shape, k_shape, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask, device, layout, scores_shape):
        """The boolean mask of the scores, broadcasting to Keras's scores shape; None for none."""
        steps = {"query_mask": query_mask, "value_mask": value_mask, "key_mask": key_mask,
                 "use_causal_mask": use_causal_mask or None, "sliding_window": self.sliding_window}
        if not layout.sequence and any(v is not None for v in steps.values()):
            given = [name for name, v in steps.items() if v is not None]
            raise ValueError(
                f"MultiHeadAttention {self.name!r}: {', '.join(given)} describe the steps of (batch, time, "
                f"features) inputs, but these have shape {q_shape}; give attention_mask instead (Keras's "
                "scores shape without the heads, 1 along any axis it shares)."
            )
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
            keep = _scores.both(self._check_attention_mask(attention_mask, scores_shape, layout), keep)
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
