"""Hinge losses: the margin losses of support vector machines.

A hinge loss is zero once a prediction is on the right side of the margin
(y_true * y_pred >= 1) and grows linearly (or, squared, quadratically) the
further it falls short. Targets are -1 or 1; targets given as 0/1 are turned
into -1/1 first, as Keras does.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..autograd.tensor import Tensor
from .losses import _BuiltinWrapper, _same_shape_inputs


def _as_plus_minus_one(y_true: Tensor) -> Tensor:
    """0/1 targets as -1/1; any other targets (already -1/1, or soft) unchanged.

    Decided on the whole batch, as Keras does, and without a Python branch on
    the values, so a compiled step replays it for any batch.
    """
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0), ops.equal(y_true, 1)))
    return ops.where(is_binary, 2.0 * y_true - 1.0, y_true)


def _hinge_inputs(loss: str, y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    y_true, y_pred = _same_shape_inputs(
        loss, y_true, y_pred,
        expects=f"{loss} expects one -1/1 (or 0/1) target per predicted value, the same shape as y_pred",
        labels_hint="y_true looks like integer class labels: for several classes use categorical_hinge "
                    "with one-hot targets (keras.utils.to_categorical).",
    )
    return _as_plus_minus_one(y_true), y_pred


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0)) over the last axis.

    Args:
        y_true: -1/1 targets (0/1 are converted to -1/1).
        y_pred: the predicted scores (no sigmoid: a score's sign is its class).

    >>> hinge([[0., 1.]], [[-0.5, 2.]]).numpy()
    array([0.25], dtype=float32)
    """
    y_true, y_pred = _hinge_inputs("hinge", y_true, y_pred)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0) ** 2) over the last axis (targets as for `hinge`)."""
    y_true, y_pred = _hinge_inputs("squared_hinge", y_true, y_pred)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """The multi-class hinge: max(0, 1 + best wrong score - true class's score), per sample.

    Args:
        y_true: one-hot targets, the shape of y_pred.
        y_pred: one score per class.
    """
    y_true, y_pred = _same_shape_inputs(
        "categorical_hinge", y_true, y_pred,
        expects="categorical_hinge expects one-hot y_true with the same shape as y_pred",
    )
    true_score = ops.sum(y_true * y_pred, axis=-1)
    best_wrong = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(best_wrong - true_score + 1.0, 0.0)


# Each loss function above runs the same ops whatever the values, so fit() may record a step
# through it once and replay it (trainers/compiled_step.py); see Loss.supports_jit.
for _fn in (hinge, squared_hinge, categorical_hinge):
    _fn.supports_jit = True


class Hinge(_BuiltinWrapper):
    """mean(max(1 - y_true * y_pred, 0)); 0/1 targets are read as -1/1."""
    supports_jit = True

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "hinge", dtype: Any = None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_BuiltinWrapper):
    """mean(max(1 - y_true * y_pred, 0) ** 2); 0/1 targets are read as -1/1."""
    supports_jit = True

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "squared_hinge",
                 dtype: Any = None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_BuiltinWrapper):
    """max(0, 1 + best wrong score - true class's score), for one-hot targets."""
    supports_jit = True

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "categorical_hinge",
                 dtype: Any = None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)
