"""Cross-entropy and KL-divergence as metrics: the losses' own functions, averaged over every sample seen.

Handy to watch a second loss during training, e.g. `metrics=["binary_crossentropy"]`.
"""

from __future__ import annotations

from typing import Any

from ..losses import losses
from .reduction_metrics import _BuiltinMeanWrapper


class BinaryCrossentropy(_BuiltinMeanWrapper):
    """The mean binary cross-entropy over every sample seen.

    Args:
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: in [0, 1]; targets move towards 0.5 by this fraction.
    """

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0.0):
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(_BuiltinMeanWrapper):
    """The mean categorical cross-entropy (one-hot targets) over every sample seen.

    Args:
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: in [0, 1], as for the loss.
        axis: the class axis.
    """

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1):
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_BuiltinMeanWrapper):
    """The mean sparse categorical cross-entropy (integer labels) over every sample seen.

    Args:
        from_logits: whether y_pred holds logits rather than probabilities.
        axis: the class axis.
    """
    class_index_targets = True

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, axis: int = -1):
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, axis=axis)


class KLDivergence(_BuiltinMeanWrapper):
    """The mean Kullback-Leibler divergence over every sample seen."""

    def __init__(self, name: str = "kl_divergence", dtype: Any = None):
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)
