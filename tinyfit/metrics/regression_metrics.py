"""Regression metrics: the average size of the error, in several measures.

The per-sample functions are the losses' own (`tinyfit.losses.mean_squared_error`
and friends), so a metric and a loss of the same name always agree.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..losses import losses
from ..losses.loss import squeeze_or_expand_to_same_rank
from .reduction_metrics import Mean, _BuiltinMeanWrapper


class MeanSquaredError(_BuiltinMeanWrapper):
    """The mean of (y_true - y_pred) ** 2 over every sample seen."""

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(_BuiltinMeanWrapper):
    """The mean of |y_true - y_pred| over every sample seen."""

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_BuiltinMeanWrapper):
    """The mean of 100 * |(y_true - y_pred) / y_true| over every sample seen."""

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """sqrt of the mean squared error over every sample seen.

    The square root is taken of the running mean, not averaged per batch, so
    the result is the RMSE of all the data, whatever the batch size.
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        with no_grad():
            y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
            y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
            if y_true.shape != y_pred.shape:
                raise ValueError(
                    f"root_mean_squared_error: y_true has shape {y_true.shape} but y_pred has shape "
                    f"{y_pred.shape}; they are compared element by element, so they must have the same shape."
                )
            super().update_state(ops.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> Tensor:
        return ops.sqrt(super().result())


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """The cosine of the angle between y_true and y_pred along `axis` (1 is best).

    This is the metric's sign; the loss `losses.cosine_similarity` is its negative.
    """
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


class CosineSimilarity(_BuiltinMeanWrapper):
    """The mean cosine similarity between y_true and y_pred (1: same direction).

    Args:
        axis: the axis along which the vectors lie.
    """

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
