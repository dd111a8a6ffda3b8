"""Log-cosh, squared logarithmic error and Poisson as metrics: the losses' functions, averaged over every sample seen."""

from __future__ import annotations

from typing import Any

from ..losses import log_scale
from .reduction_metrics import _BuiltinMeanWrapper


class LogCoshError(_BuiltinMeanWrapper):
    """The mean of log(cosh(y_pred - y_true)) over every sample seen."""

    def __init__(self, name: str = "logcosh", dtype: Any = None):
        super().__init__(log_scale.log_cosh, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_BuiltinMeanWrapper):
    """The mean of (log(1 + y_pred) - log(1 + y_true)) ** 2 over every sample seen."""

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None):
        super().__init__(log_scale.mean_squared_logarithmic_error, name=name, dtype=dtype)


class Poisson(_BuiltinMeanWrapper):
    """The mean of y_pred - y_true * log(y_pred) over every sample seen."""

    def __init__(self, name: str = "poisson", dtype: Any = None):
        super().__init__(log_scale.poisson, name=name, dtype=dtype)
