"""Hinge metrics: the hinge losses' own functions, averaged over every sample seen."""

from __future__ import annotations

from typing import Any

from ..losses import hinge_losses as _hinge
from .reduction_metrics import _BuiltinMeanWrapper


class Hinge(_BuiltinMeanWrapper):
    """The mean of max(1 - y_true * y_pred, 0); 0/1 targets are read as -1/1."""

    def __init__(self, name: str = "hinge", dtype: Any = None):
        super().__init__(_hinge.hinge, name=name, dtype=dtype)


class SquaredHinge(_BuiltinMeanWrapper):
    """The mean of max(1 - y_true * y_pred, 0) ** 2; 0/1 targets are read as -1/1."""

    def __init__(self, name: str = "squared_hinge", dtype: Any = None):
        super().__init__(_hinge.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(_BuiltinMeanWrapper):
    """The mean of max(0, 1 + best wrong score - true class's score), for one-hot targets."""

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None):
        super().__init__(_hinge.categorical_hinge, name=name, dtype=dtype)
