"""Regression losses for errors on other scales: log-cosh, squared log error, and Poisson.

- log_cosh: like squared error for small errors and absolute error for large
  ones (a smooth Huber), without a threshold to choose.
- mean_squared_logarithmic_error: squared error between log(1 + y) values, so
  a prediction off by 10% costs the same for large and small targets.
- poisson: the negative log-likelihood of counts drawn with rate y_pred.
"""

from __future__ import annotations

import math
from typing import Any

from .. import ops
from ..autograd.tensor import Tensor
from .losses import EPSILON, _BuiltinWrapper, _same_shape_inputs


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """mean(log(cosh(y_pred - y_true))) over the last axis.

    Computed as x + softplus(-2x) - log(2), which equals log(cosh(x)) without
    overflowing cosh for large errors.
    """
    y_true, y_pred = _same_shape_inputs("log_cosh", y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """mean((log(1 + y_pred) - log(1 + y_true)) ** 2) over the last axis.

    Both are first raised to at least epsilon (1e-7), as in Keras, so negative
    values do not reach the logarithm.
    """
    y_true, y_pred = _same_shape_inputs("mean_squared_logarithmic_error", y_true, y_pred)
    first = ops.log(ops.maximum(y_pred, EPSILON) + 1.0)
    second = ops.log(ops.maximum(y_true, EPSILON) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """mean(y_pred - y_true * log(y_pred + epsilon)) over the last axis.

    Args:
        y_true: observed counts.
        y_pred: predicted rates, > 0 (an exponential or softplus output).
    """
    y_true, y_pred = _same_shape_inputs("poisson", y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + EPSILON), axis=-1)


# Each loss function above runs the same ops whatever the values, so fit() may record a step
# through it once and replay it (trainers/compiled_step.py); see Loss.supports_jit.
for _fn in (log_cosh, mean_squared_logarithmic_error, poisson):
    _fn.supports_jit = True


class LogCosh(_BuiltinWrapper):
    """mean(log(cosh(y_pred - y_true))): quadratic for small errors, linear for large ones."""
    supports_jit = True

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "log_cosh", dtype: Any = None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_BuiltinWrapper):
    """mean((log(1 + y_pred) - log(1 + y_true)) ** 2): relative errors, for targets >= 0."""
    supports_jit = True

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_squared_logarithmic_error", dtype: Any = None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype)


class Poisson(_BuiltinWrapper):
    """mean(y_pred - y_true * log(y_pred)): for count targets and predicted rates."""
    supports_jit = True

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "poisson", dtype: Any = None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)
