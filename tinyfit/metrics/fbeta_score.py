"""F-scores: the (weighted) harmonic mean of precision and recall, per class or averaged."""

from __future__ import annotations

from typing import Any

from .. import ops
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from .metric import Metric
from .confusion_metrics import EPSILON

class FBetaScore(Metric):
    """The F-beta score per class: (1 + beta^2) * P * R / (beta^2 * P + R).

    Args:
        average: None (one score per class), "micro" (counts pooled over
            classes), "macro" (the plain mean of the class scores) or "weighted"
            (the mean weighted by each class's number of true labels).
        beta: how much more recall counts than precision (1 gives F1).
        threshold: scores above it predict the class; None predicts the
            highest-scoring class of each sample.

    Expects y_true and y_pred of shape (batch, classes).
    """

    def __init__(self, average: str | None = None, beta: float = 1.0, threshold: float | None = None,
                 name: str = "fbeta_score", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                f"{name}: unknown average {average!r}; use None, 'micro', 'macro' or 'weighted'."
            )
        if not isinstance(beta, (int, float)) or isinstance(beta, bool) or beta <= 0:
            raise ValueError(f"{name}: beta must be a number > 0, got {beta!r}.")
        if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"{name}: threshold must be in [0, 1] (or None), got {threshold!r}.")
        self.average = average
        self.beta = float(beta)
        self.threshold = threshold
        self._built = False

    def _build(self, num_classes: int) -> None:
        shape = () if self.average == "micro" else (num_classes,)
        for count in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
            setattr(self, count, self.add_variable(shape=shape, initializer="zeros", name=count))
        self.num_classes = num_classes
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        with no_grad():
            y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
            y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
            if y_pred.ndim != 2 or y_true.shape != y_pred.shape:
                raise ValueError(
                    f"{self.name}: y_true has shape {y_true.shape} and y_pred has shape {y_pred.shape}; "
                    "it expects both of shape (batch, classes), with y_true one-hot (or multi-hot). "
                    "One-hot encode class labels with keras.utils.to_categorical."
                )
            if not self._built:
                self._build(y_pred.shape[-1])
            elif y_pred.shape[-1] != self.num_classes:
                raise ValueError(
                    f"{self.name}: y_pred has {y_pred.shape[-1]} classes (shape {y_pred.shape}) but "
                    f"earlier batches had {self.num_classes}."
                )
            if self.threshold is None:
                # The top class of each row; a row of zeros predicts nothing.
                top = ops.max(y_pred, axis=-1, keepdims=True)
                hit = (ops.cast(y_pred >= top, self.dtype) * ops.cast(ops.abs(y_pred) > 1e-9, self.dtype))
            else:
                hit = ops.cast(y_pred > self.threshold, self.dtype)
            if sample_weight is not None:
                w = ops.convert_to_tensor(sample_weight, dtype=self.dtype)
                if w.ndim == 1:
                    w = ops.expand_dims(w, -1)
                weigh = lambda v: v * w  # noqa: E731
            else:
                weigh = lambda v: v  # noqa: E731
            axis = None if self.average == "micro" else 0
            self.true_positives.assign_add(ops.sum(weigh(hit * y_true), axis=axis))
            self.false_positives.assign_add(ops.sum(weigh(hit * (1 - y_true)), axis=axis))
            self.false_negatives.assign_add(ops.sum(weigh((1 - hit) * y_true), axis=axis))
            self.intermediate_weights.assign_add(ops.sum(weigh(y_true), axis=axis))

    def result(self) -> Tensor:
        if not self._built:
            return ops.zeros((), dtype=self.dtype)
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        b2 = self.beta ** 2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + EPSILON)
        if self.average == "weighted":
            weights = self.intermediate_weights / (ops.sum(self.intermediate_weights) + EPSILON)
            return ops.sum(score * weights)
        if self.average is not None:
            return ops.mean(score)
        return score

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score per class: the harmonic mean of precision and recall, 2PR / (P + R).

    Args:
        average: None (one score per class), "micro", "macro" or "weighted".
        threshold: scores above it predict the class; None predicts the
            highest-scoring class of each sample.

    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> m.result().numpy().round(4)
    array([0.5   , 0.8   , 0.6667], dtype=float32)
    """

    def __init__(self, average: str | None = None, threshold: float | None = None, name: str = "f1_score",
                 dtype: Any = None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config
