"""Loss: the base class of every loss, and the reduction that turns many losses into one.

A loss is computed in two steps, as in Keras:

    call(y_true, y_pred)            one loss per sample (each subclass writes this)
    __call__(y_true, y_pred, sample_weight)
                                    converts the inputs, calls `call`, multiplies
                                    by the sample weights, then reduces

Keeping the steps apart lets the same per-sample code serve training (reduced to
one number), inspection (`reduction=None`) and weighting, and lets a subclass
written in a few lines get all of that for free:

    class MyMSE(Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.square(y_true - y_pred), axis=-1)
"""

from __future__ import annotations

import re
from typing import Any

from .. import backend, ops
from ..autograd.tensor import Tensor, as_dtype

# "mean" is Keras's older name for "sum_over_batch_size"; both divide by the number of elements.
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction: Any) -> str | None:
    """The reduction name, checked; "none" and None both mean "no reduction"."""
    if reduction not in REDUCTIONS:
        shown = ", ".join(repr(r) for r in REDUCTIONS)
        raise ValueError(f"Unknown reduction {reduction!r}. Use one of {shown}.")
    return None if reduction == "none" else reduction


def to_snake_case(name: str) -> str:
    """"SparseCategoricalCrossentropy" -> "sparse_categorical_crossentropy"."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Loss:
    """Base class of losses: subclasses write `call(y_true, y_pred)`.

    Args:
        name: the loss's name (defaults to the class name in snake_case).
        reduction: how the per-sample losses become the result:
            "sum_over_batch_size" (the default): their (weighted) sum divided by
                how many there are, i.e. the mean over the batch;
            "sum": their (weighted) sum;
            "mean": the same as "sum_over_batch_size";
            "mean_with_sample_weight": the weighted sum divided by the sum of the weights;
            None or "none": no reduction, one loss per sample.
        dtype: the dtype the loss is computed in; by default the predictions' own
            floating dtype (float32 unless you work in float64).
    """

    # True for losses of class indices (sparse cross-entropy): integer targets are
    # then passed to `call` as they are, instead of being cast to the predictions' dtype.
    integer_targets = False
    # True for losses that read their targets only as class indices along the last axis of y_pred:
    # fit() may then check the labels once and pass them on as int64
    # (trainers/compile_utils.class_index_outputs). Each class says so in its own body, since a
    # subclass may compute differently; a loss made from a function needs the function's word too.
    class_index_targets = False
    # True for losses that can weight and reduce inside their own op (the built-in
    # cross-entropies): `__call__` then asks `_weighted_and_reduced` first.
    _reduces_itself = False
    # Whether `call` runs the same ops whatever the values, so fit() may record a step through
    # it once and replay it (trainers/compiled_step.py). Each class says so in its own body,
    # since a subclass may compute differently; one that says nothing keeps its model eager.
    supports_jit = False

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: Any = None):
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = None if dtype is None else as_dtype(dtype, type(self).__name__).name

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """The loss of `y_pred` against `y_true`, weighted and reduced.

        Args:
            y_true: the targets.
            y_pred: the predictions (a Tensor keeps its graph: gradients flow back).
            sample_weight: None, a number, or one weight per sample (shape (N,) or (N, 1)).

        Returns:
            A 0-d Tensor, or the per-sample losses when the reduction is None.
        """
        if "reduction" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: Loss.__init__ was not run. Call super().__init__() "
                "(optionally with name=...) at the start of your __init__."
            )
        mask = getattr(y_pred, "_keras_mask", None)  # padded steps of a sequence (layers/layer_masks.py)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        if y_pred.dtype.kind != "f":
            y_pred = ops.cast(y_pred, "float32")
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, y_pred.dtype, self.reduction)
        # Targets are compared with predictions, so they take the predictions' dtype
        # (as in Keras), except class indices, which stay integers.
        y_true = ops.convert_to_tensor(y_true)
        if not (self.integer_targets and y_true.dtype.kind in "iu"):
            y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
        if self._reduces_itself:
            reduced = self._weighted_and_reduced(y_true, y_pred, sample_weight)
            if reduced is not None:
                return reduced
        losses = ops.convert_to_tensor(self.call(y_true, y_pred))
        return reduce_weighted_values(losses, sample_weight, self.reduction, where=self.name)

    @property
    def read_outside_ops(self) -> str | None:
        """What this loss reads back as a Python number while it reduces (a recorded step would
        replay that number, not the next batch's); None when everything stays in the ops."""
        if self.reduction == "mean_with_sample_weight":
            return "the sum of the sample weights, its divisor"
        return None

    def _weighted_and_reduced(self, y_true: Tensor, y_pred: Tensor, sample_weight: Any) -> Tensor | None:
        """The loss weighted and reduced in one op, or None where that op cannot do it (the
        general path then runs). Only losses with `_reduces_itself` are asked."""
        return None

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        """The loss of each sample; every subclass writes this."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(self, y_true, y_pred), returning one "
            "loss per sample (e.g. ops.mean(ops.square(y_true - y_pred), axis=-1))."
        )

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this loss with `from_config`."""
        return {"name": self.name, "reduction": self.reduction, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Loss":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


def squeeze_or_expand_to_same_rank(x1: Tensor, x2: Tensor, expand_rank_1: bool = True) -> tuple[Tensor, Tensor]:
    """Lines up two tensors whose ranks differ by a trailing axis of size 1.

    (N,) against (N, 1): the (N,) one gains the axis when it is 1-d (and
    `expand_rank_1`), otherwise the size-1 axis is dropped from the other. This
    is what lets labels of shape (N,) meet a Dense(1) output of shape (N, 1)
    without broadcasting into an (N, N) matrix.
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def align_sample_weight(values: Tensor, sample_weight: Any, where: str) -> Tensor:
    """`sample_weight` as a tensor that broadcasts against `values` (per-sample losses or metric values).

    Weights of shape (N,) or (N, 1) both work against values of shape (N,), and
    weights of lower rank than the values apply along the leading axes (a weight
    per sample of per-timestep losses).
    """
    weight = ops.convert_to_tensor(sample_weight, dtype=values.dtype)
    values_aligned, weight = squeeze_or_expand_to_same_rank(values, weight)
    if weight.ndim < values_aligned.ndim:
        weight = ops.reshape(weight, weight.shape + (1,) * (values_aligned.ndim - weight.ndim))
    try:
        combined = backend.broadcast_shapes(values_aligned.shape, weight.shape)
    except ValueError:
        combined = None
    if combined is None or (values_aligned.ndim > 0 and combined != values_aligned.shape):
        n = values.shape[0] if values.ndim else 1
        raise ValueError(
            f"{where}: sample_weight has shape {tuple(ops.convert_to_tensor(sample_weight).shape)}, "
            f"which does not fit the per-sample values of shape {values.shape}. Give one weight "
            f"per sample: shape ({n},) or ({n}, 1), or a single number."
        )
    return weight


def apply_mask(sample_weight: Any, mask: Tensor, dtype: Any, reduction: str | None) -> Tensor:
    """`sample_weight` with the masked steps weighted 0, as Keras folds a mask into the weights.

    For an average ("sum_over_batch_size"), the real steps are weighted up by
    total / real, so that the average is over the real steps only, whatever the
    padding: the loss of a sentence does not shrink because its batch holds longer ones.
    """
    weights = ops.cast(mask, dtype)
    if standardize_reduction(reduction) in ("sum_over_batch_size", "mean"):
        real = ops.sum(weights)
        weights = weights * (float(weights.size) / ops.maximum(real, 1.0))
    if sample_weight is None:
        return weights
    sample_weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
    weights, sample_weight = squeeze_or_expand_to_same_rank(weights, sample_weight)
    if sample_weight.ndim < weights.ndim:
        sample_weight = ops.reshape(sample_weight, sample_weight.shape + (1,) * (weights.ndim - sample_weight.ndim))
    return weights * sample_weight


# The reductions the fused cross-entropy ops do themselves (autograd/ops/weighted_reduction.py),
# under their names there ("mean" is the older name of "sum_over_batch_size").
OP_REDUCTIONS = {None: None, "sum": "sum", "sum_over_batch_size": "sum_over_batch_size",
                 "mean": "sum_over_batch_size"}


def per_sample_weight(sample_weight: Any, y_pred: Tensor, axis: Any) -> Tensor | None:
    """`sample_weight` as one weight per sample (y_pred's shape without the class axis) or a
    single number; None when it is something else (the general path then lines it up, or says
    what is wrong)."""
    weight = ops.convert_to_tensor(sample_weight, dtype=y_pred.dtype)
    if weight.ndim == 0:
        return weight
    if isinstance(axis, bool) or not isinstance(axis, int) or not -y_pred.ndim <= axis < y_pred.ndim:
        return None
    k = axis % y_pred.ndim
    per_sample = y_pred.shape[:k] + y_pred.shape[k + 1:]
    if weight.shape == per_sample:
        return weight
    if weight.shape == per_sample + (1,):
        return ops.reshape(weight, per_sample)
    return None


def reduce_weighted_values(values: Tensor, sample_weight: Any = None,
                           reduction: str | None = "sum_over_batch_size", where: str = "loss") -> Tensor:
    """Multiplies `values` by `sample_weight` (when given), then reduces them.

    "sum_over_batch_size" divides the weighted sum by the number of values, not by
    the sum of the weights: a weight of 0 removes a sample's loss but still counts
    it, as Keras does. "mean_with_sample_weight" divides by the sum of the weights.
    """
    reduction = standardize_reduction(reduction)
    weight = None
    if sample_weight is not None:
        weight = align_sample_weight(values, sample_weight, where)
        if values.ndim < weight.ndim and values.ndim > 0:
            values = ops.reshape(values, values.shape + (1,) * (weight.ndim - values.ndim))
        values = values * weight
    if reduction is None or values.ndim == 0:
        return values
    if reduction == "sum_over_batch_size" and values.size:
        # The usual case, as one op (a Sum that scales by 1/n): one graph node
        # fewer than a sum and a multiply, on every training step.
        return ops.mean(values)
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weight is not None:
        divisor = float(ops.convert_to_numpy(ops.sum(weight * ops.ones_like(values))))
    else:
        divisor = values.size
    # An empty batch, or weights that are all zero, give 0 rather than nan.
    return total * (1.0 / divisor) if divisor else total * 0.0
