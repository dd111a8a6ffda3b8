"""Metrics built on the confusion matrix: precision, recall and the raw counts (AUC and
F-scores, built on the same counts, live in auc.py and fbeta_score.py).

A prediction is "positive" when its score is above a threshold. Against the
labels, every (prediction, label) pair is then a true positive (TP), false
positive (FP), true negative (TN) or false negative (FN). These metrics keep
running (weighted) counts of the four, one per threshold, and compute from
them:

    precision = TP / (TP + FP)       of what we flagged, how much was right
    recall    = TP / (TP + FN)       of what was there, how much we found
    AUC       the area under the curve traced as the threshold sweeps 0 -> 1
              (ROC: recall against FP / (FP + TN); PR: precision against recall)

Counting uses a histogram instead of comparing every prediction with every
threshold: `searchsorted` tells how many thresholds lie below each prediction,
`bincount` adds up the weights per such position, and a reversed cumulative
sum turns that into "how much lies above threshold j", in O(N + thresholds).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy

from .. import backend, ops
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..losses.loss import squeeze_or_expand_to_same_rank
from .metric import Metric

EPSILON = 1e-7  # Keras's backend.epsilon()
NEG_INF = -1e10  # the threshold used with top_k: every kept prediction is above it

_COUNT_NAMES = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def _parse_thresholds(thresholds: Any, default: float, where: str) -> list[float]:
    if thresholds is None:
        return [default]
    values = [thresholds] if isinstance(thresholds, (int, float)) else list(thresholds)
    if not values:
        raise ValueError(f"{where}: thresholds is empty; give a number in [0, 1] or a list of them.")
    for t in values:
        if not 0.0 <= float(t) <= 1.0:
            raise ValueError(
                f"{where}: threshold {t!r} is outside [0, 1]. Thresholds are compared with "
                "probabilities; for logits apply a sigmoid first (or AUC(from_logits=True))."
            )
    return [float(t) for t in values]


def _keep_top_k(xp: Any, pred: Any, k: int) -> Any:
    """pred with everything but the k highest scores of each row set to -inf (ties: the first ones)."""
    order = xp.argsort(-pred, axis=-1, kind="stable")
    rank = xp.argsort(order, axis=-1)  # rank[i] = where entry i landed in the sorted order
    return xp.where(rank < k, pred, -xp.inf)


def _confusion_inputs(where: str, y_true: Any, y_pred: Any, sample_weight: Any, *, top_k: int | None = None,
                      class_id: int | None = None, label_weights: Any = None,
                      multi_label: bool = False) -> tuple[Any, Any, Any, Any]:
    """Labels (bool), predictions and weights as 2-d backend arrays of shape (values, labels).

    Without multi_label everything is flattened into one column, as Keras does.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = ops.cast(y_pred, "float32")
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{where}: y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; it "
            "expects one 0/1 label per predicted score, the same shape as y_pred "
            "(one-hot encode class labels with keras.utils.to_categorical)."
        )
    xp = backend.array_module(y_pred.data)
    pred, is_pos = y_pred.data, y_true.data != 0
    weight = xp.ones(pred.shape, dtype="float64")
    if sample_weight is not None:
        w = ops.convert_to_tensor(sample_weight, dtype="float64")
        if w.ndim == pred.ndim + 1 and w.shape[-1] == 1:  # (N, 1) weights for (N,) scores
            w = ops.squeeze(w, -1)
        if w.ndim < pred.ndim:  # one weight per sample weighs every value of that sample
            w = ops.reshape(w, w.shape + (1,) * (pred.ndim - w.ndim))
        try:
            weight = xp.broadcast_to(w.data, pred.shape).astype("float64")
        except ValueError:
            n = pred.shape[0] if pred.ndim else 1
            raise ValueError(
                f"{where}: sample_weight has shape {w.shape}, which does not fit y_pred of shape "
                f"{pred.shape}. Give one weight per sample, shape ({n},), or one per value."
            ) from None
    if top_k is not None:
        pred = _keep_top_k(xp, pred, top_k)
    if class_id is not None:
        classes = pred.shape[-1] if pred.ndim else 0
        if not 0 <= class_id < classes:
            raise ValueError(
                f"{where}: class_id={class_id} is out of range for y_pred of shape {y_pred.shape}; "
                f"choose a class in 0..{classes - 1}."
            )
        pred, is_pos, weight = pred[..., class_id], is_pos[..., class_id], weight[..., class_id]
    if label_weights is not None:
        weight = weight * xp.asarray(label_weights, dtype="float64")
    if multi_label:
        if pred.ndim < 2:
            raise ValueError(
                f"{where}: multi_label=True needs y_pred of shape (batch, labels); got {y_pred.shape}."
            )
        columns = pred.shape[-1]
        return xp, is_pos.reshape(-1, columns), pred.reshape(-1, columns), weight.reshape(-1, columns)
    return xp, is_pos.reshape(-1, 1), pred.reshape(-1, 1), weight.reshape(-1, 1)


def confusion_counts(where: str, y_true: Any, y_pred: Any, thresholds: Sequence[float],
                     sample_weight: Any = None, **options: Any) -> dict[str, Any]:
    """Weighted TP, FP, TN, FN for each threshold ("positive" means pred > threshold).

    Args:
        where: the metric's name, for error messages.
        thresholds: in any order; the counts come back in the same order.
        **options: top_k, class_id, label_weights, multi_label (see `_confusion_inputs`).

    Returns:
        {name: array}, each of shape (len(thresholds),), or (len(thresholds), labels)
        with multi_label=True.
    """
    xp, is_pos, pred, weight = _confusion_inputs(where, y_true, y_pred, sample_weight, **options)
    multi_label = options.get("multi_label", False)
    order = numpy.argsort(thresholds, kind="stable")
    # Thresholds in the predictions' own dtype: a score of 0.3 (float32) is then not
    # "above" a threshold of 0.3, as in Keras, which compares in float32 too.
    ranked = xp.asarray(numpy.asarray(thresholds, dtype=pred.dtype)[order])
    n_t, n_labels = len(thresholds), pred.shape[1]
    # How many thresholds lie strictly below each prediction: it is above exactly those.
    below = xp.searchsorted(ranked, pred.ravel(), side="left").reshape(pred.shape)
    below = xp.where(xp.isnan(pred), 0, below)  # nan is above no threshold
    # One histogram per label column, laid side by side in a single bincount.
    slots = (below + (n_t + 1) * xp.arange(n_labels)[None, :]).ravel()
    size = n_labels * (n_t + 1)

    def above(w: Any) -> Any:
        hist = xp.bincount(slots, weights=w.ravel(), minlength=size).reshape(n_labels, n_t + 1)
        # counts above threshold j = everything in slots j+1 .. n_t
        return xp.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].T

    pos_weight, neg_weight = weight * is_pos, weight * ~is_pos
    tp, fp = above(pos_weight), above(neg_weight)
    fn = pos_weight.sum(axis=0)[None, :] - tp
    tn = neg_weight.sum(axis=0)[None, :] - fp
    unsort = numpy.argsort(order)
    counts = {}
    for name, value in zip(_COUNT_NAMES, (tp, fp, tn, fn)):
        value = value[xp.asarray(unsort)]
        counts[name] = value if multi_label else value[:, 0]
    return counts


class _ConfusionCounter(Metric):
    """Keeps some of the four counts per threshold; subclasses say which and compute the result."""

    _kept: tuple[str, ...] = ()

    def __init__(self, thresholds: Any = None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"{self.name}: top_k must be a positive int, got {top_k!r}.")
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF, self.name)
        for count in self._kept:
            setattr(self, count, self.add_variable(shape=(len(self.thresholds),), initializer="zeros",
                                                   name=count))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        with no_grad():
            counts = confusion_counts(self.name, y_true, y_pred, self.thresholds, sample_weight,
                                      top_k=self.top_k, class_id=self.class_id)
            for count in self._kept:
                getattr(self, count).assign_add(counts[count])

    def _per_threshold(self, values: Tensor) -> Tensor:
        """One value for a single threshold, one per threshold otherwise (as Keras)."""
        return values[0] if len(self.thresholds) == 1 else values

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


def _ratio(numerator: Tensor, other: Tensor) -> Tensor:
    """numerator / (numerator + other), 0 where both are 0."""
    total = numerator + other
    is_zero = ops.equal(total, 0)
    return ops.where(is_zero, 0.0, numerator / ops.where(is_zero, 1.0, total))


class Precision(_ConfusionCounter):
    """TP / (TP + FP): the fraction of predicted positives that are real.

    Args:
        thresholds: a number or list in [0, 1]; a score above it predicts
            "positive". Defaults to 0.5 (or, with top_k, "in the top k").
        top_k: count only the k highest scores of each sample as positive.
        class_id: look at this one class (last axis) only.

    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _kept = ("true_positives", "false_positives")

    def __init__(self, thresholds: Any = None, top_k: int | None = None, class_id: int | None = None,
                 name: str = "precision", dtype: Any = None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)

    def result(self) -> Tensor:
        return self._per_threshold(_ratio(self.true_positives, self.false_positives))


class Recall(_ConfusionCounter):
    """TP / (TP + FN): the fraction of real positives that were found.

    Args:
        thresholds, top_k, class_id: as for Precision.

    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _kept = ("true_positives", "false_negatives")

    def __init__(self, thresholds: Any = None, top_k: int | None = None, class_id: int | None = None,
                 name: str = "recall", dtype: Any = None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)

    def result(self) -> Tensor:
        return self._per_threshold(_ratio(self.true_positives, self.false_negatives))


class _SingleCount(_ConfusionCounter):
    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self) -> Tensor:
        return self._per_threshold(ops.convert_to_tensor(getattr(self, self._kept[0]).data.copy(), dtype=self.dtype))

    def get_config(self) -> dict[str, Any]:
        return {**Metric.get_config(self), "thresholds": self.init_thresholds}


class TruePositives(_SingleCount):
    """The (weighted) number of true positives: label 1, score above the threshold."""

    _kept = ("true_positives",)


class FalsePositives(_SingleCount):
    """The (weighted) number of false positives: label 0, score above the threshold."""

    _kept = ("false_positives",)


class TrueNegatives(_SingleCount):
    """The (weighted) number of true negatives: label 0, score at or below the threshold."""

    _kept = ("true_negatives",)


class FalseNegatives(_SingleCount):
    """The (weighted) number of false negatives: label 1, score at or below the threshold."""

    _kept = ("false_negatives",)
