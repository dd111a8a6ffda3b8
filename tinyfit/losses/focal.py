"""Focal cross-entropies: cross-entropy that down-weights the examples already learned.

Lin et al. (2017) multiply each cross-entropy term by (1 - p_t) ** gamma, where
p_t is the probability given to the true class. An example predicted with
p_t = 0.9 keeps 1% of its loss (gamma = 2), a hard one with p_t = 0.1 keeps
81%: training spends its effort on the rare and the misclassified, which helps
with heavily imbalanced classes. gamma = 0 gives plain cross-entropy back.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..autograd.tensor import Tensor
from .losses import EPSILON, _BuiltinWrapper, _check_smoothing, _same_shape_inputs


def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                              label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Binary cross-entropy scaled by (1 - p_t) ** gamma, averaged over `axis`.

    Args:
        y_true: 0/1 targets (or soft targets in [0, 1]), the shape of y_pred.
        y_pred: probabilities, or logits when `from_logits=True` (computed stably).
        apply_class_balancing: also weigh positives by `alpha` and negatives by `1 - alpha`.
        alpha: the positives' weight when balancing. Defaults to 0.25.
        gamma: the focusing exponent; 0 gives binary cross-entropy. Defaults to 2.
        from_logits: whether y_pred holds logits.
        label_smoothing: in [0, 1]; targets move towards 0.5 by this fraction.
        axis: the axis averaged over.

    >>> binary_focal_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).numpy().round(3)
    array([0.33 , 0.206], dtype=float32)
    """
    y_true, y_pred = _same_shape_inputs(
        "binary_focal_crossentropy", y_true, y_pred,
        expects="binary_focal_crossentropy expects one 0/1 target per predicted value, the same shape as y_pred",
        labels_hint="y_true looks like integer class labels: use categorical_focal_crossentropy with "
                    "one-hot targets (keras.utils.to_categorical) and a softmax output.",
    )
    _check_smoothing("binary_focal_crossentropy", label_smoothing)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    # From logits, the cross-entropy is taken from the logits themselves: no log of a rounded 0.
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits)
    p = ops.sigmoid(y_pred) if from_logits else y_pred
    miss = y_true * (1.0 - p) + (1.0 - y_true) * p  # 1 - p_t
    focal = ops.power(miss, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: float = 0.25, gamma: float = 2.0,
                                   from_logits: bool = False, label_smoothing: float = 0.0,
                                   axis: int = -1) -> Tensor:
    """Categorical cross-entropy with each class's term scaled by alpha * (1 - p) ** gamma, per sample.

    Args:
        y_true: one-hot (or soft) targets, the shape of y_pred.
        y_pred: class probabilities (rescaled to sum to 1), or logits when `from_logits=True`.
        alpha: a weight on every term. Defaults to 0.25.
        gamma: the focusing exponent. Defaults to 2.
        from_logits: whether y_pred holds logits; then log-probabilities come from
            log_softmax, finite for any finite logits.
        label_smoothing: in [0, 1]; with C classes, targets become
            y_true * (1 - label_smoothing) + label_smoothing / C.
        axis: the class axis.
    """
    y_true, y_pred = _same_shape_inputs(
        "categorical_focal_crossentropy", y_true, y_pred,
        expects="categorical_focal_crossentropy expects one-hot y_true with the same shape as y_pred",
    )
    _check_smoothing("categorical_focal_crossentropy", label_smoothing)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=axis)
        p = ops.exp(log_p)
    else:
        # Probabilities that do not sum to one are rescaled, then kept off 0 and 1 (as Keras does).
        p = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), EPSILON, 1.0 - EPSILON)
        log_p = ops.log(p)
    weight = alpha * ops.power(1.0 - p, gamma)
    return ops.sum(weight * -y_true * log_p, axis=axis)


# Each loss function above runs the same ops whatever the values, so fit() may record a step
# through it once and replay it (trainers/compiled_step.py); see Loss.supports_jit.
for _fn in (binary_focal_crossentropy, categorical_focal_crossentropy):
    _fn.supports_jit = True


class BinaryFocalCrossentropy(_BuiltinWrapper):
    """Binary cross-entropy that focuses on hard examples: each term scaled by (1 - p_t) ** gamma.

    Args:
        apply_class_balancing: weigh positives by `alpha`, negatives by `1 - alpha`.
        alpha: defaults to 0.25.  gamma: defaults to 2.0.
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: in [0, 1]; targets move towards 0.5 by this fraction.
        axis: the axis averaged over.
    """
    supports_jit = True

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25, gamma: float = 2.0,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str = "binary_focal_crossentropy",
                 dtype: Any = None):
        _check_smoothing("BinaryFocalCrossentropy", label_smoothing)
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.apply_class_balancing, self.alpha, self.gamma = apply_class_balancing, alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class CategoricalFocalCrossentropy(_BuiltinWrapper):
    """Categorical cross-entropy that focuses on hard examples: alpha * (1 - p) ** gamma per term.

    Args:
        alpha: defaults to 0.25.  gamma: defaults to 2.0.
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: in [0, 1], as for CategoricalCrossentropy.
        axis: the class axis.
    """
    supports_jit = True

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_focal_crossentropy", dtype: Any = None):
        _check_smoothing("CategoricalFocalCrossentropy", label_smoothing)
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         alpha=alpha, gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)
        self.alpha, self.gamma = alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
