"""Correlation metrics: how well predictions follow the targets, whatever their scale.

Both are computed per sample along `axis` (each row is a series), then averaged
over every sample seen, as Keras does.

- Pearson's r: the correlation of y_true and y_pred; 1 for any increasing
  linear relation, so a prediction off by a constant factor still scores 1.
- Lin's concordance: like r, but also penalises a shift or a change of scale;
  1 only when y_pred equals y_true.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..autograd.tensor import Tensor
from ..losses.losses import EPSILON, _same_shape_inputs
from .reduction_metrics import _BuiltinMeanWrapper


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Pearson's correlation coefficient of y_true and y_pred along `axis`, per sample.

    >>> pearson_correlation([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]).numpy().round(4)
    array([1.    , 0.9934], dtype=float32)
    """
    y_true, y_pred = _same_shape_inputs("pearson_correlation", y_true, y_pred)
    true_centred = y_true - ops.mean(y_true, axis=axis, keepdims=True)
    pred_centred = y_pred - ops.mean(y_pred, axis=axis, keepdims=True)
    true_scaled = true_centred / ops.std(true_centred, axis=axis, keepdims=True)
    pred_scaled = pred_centred / ops.std(pred_centred, axis=axis, keepdims=True)
    return ops.mean(true_scaled * pred_scaled, axis=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Lin's concordance correlation coefficient along `axis`, per sample:
    2 cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p)) ** 2).

    >>> concordance_correlation([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]).numpy().round(4)
    array([0.9756, 0.9877], dtype=float32)
    """
    y_true, y_pred = _same_shape_inputs("concordance_correlation", y_true, y_pred)
    true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    covariance = ops.mean((y_true - true_mean) * (y_pred - pred_mean), axis=axis)
    spread = ops.var(y_true, axis=axis) + ops.var(y_pred, axis=axis) + \
        ops.squeeze(ops.square(true_mean - pred_mean), axis=axis)
    return 2.0 * covariance / (spread + EPSILON)


class PearsonCorrelation(_BuiltinMeanWrapper):
    """The mean, over every sample seen, of Pearson's r between y_true and y_pred along `axis`.

    Args:
        axis: the axis each series lies along.
    """

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class ConcordanceCorrelation(_BuiltinMeanWrapper):
    """The mean, over every sample seen, of Lin's concordance correlation along `axis`.

    Args:
        axis: the axis each series lies along.
    """

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
