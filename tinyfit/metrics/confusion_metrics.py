"""Metrics built on the confusion matrix: precision, recall, AUC, F-scores.

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


_CURVES = ("ROC", "PR")
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    """The area under the ROC or precision-recall curve, from counts at fixed thresholds.

    The curve is known only at the thresholds, so the area is a Riemann sum
    between neighbouring ones; `num_thresholds` sets its resolution.

    Args:
        num_thresholds: how many thresholds (evenly spaced over [0, 1]); more
            thresholds, a finer curve.
        curve: "ROC" (recall against false-positive rate) or "PR" (precision
            against recall).
        summation_method: "interpolation" (trapezoids for ROC; for PR the
            interpolation of Davis & Goadrich, 2006), "minoring" (the lower of
            the two neighbouring heights) or "majoring" (the higher).
        thresholds: explicit thresholds in [0, 1] instead of num_thresholds.
        multi_label: one curve per label column, their AUCs averaged (else all
            values are pooled into one curve).
        num_labels: the number of label columns with multi_label (found from the
            first batch when left out).
        label_weights: weights per label column: they weigh the values (pooled)
            or the per-label AUCs (multi_label).
        from_logits: whether y_pred holds logits (a sigmoid is applied first).

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.75
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: str = "auc", dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None, from_logits: bool = False):
        super().__init__(name=name, dtype=dtype)
        curve_name = str(curve).upper()
        if curve_name not in _CURVES:
            raise ValueError(f"{name}: unknown curve {curve!r}; use 'ROC' or 'PR'.")
        if summation_method not in _SUMMATIONS:
            raise ValueError(
                f"{name}: unknown summation_method {summation_method!r}; use one of "
                f"{', '.join(map(repr, _SUMMATIONS))}."
            )
        self.curve = curve_name
        self.summation_method = summation_method
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.from_logits = from_logits
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, 0.5, name))
            self._init_thresholds = list(inner)
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"{name}: num_thresholds must be an int > 1, got {num_thresholds!r}.")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._init_thresholds = None
        # The end points sit just outside [0, 1], so every score is above the first
        # and below the last: the curve always runs from (1, 1) to (0, 0).
        self.thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        self.num_thresholds = len(self.thresholds)
        self._built = False
        if not multi_label:
            self._build(None)
        elif num_labels is not None:
            self._build(num_labels)

    def _build(self, num_labels: int | None) -> None:
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        for count in _COUNT_NAMES:
            setattr(self, count, self.add_variable(shape=shape, initializer="zeros", name=count))
        self.num_labels = num_labels
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        with no_grad():
            y_pred = ops.convert_to_tensor(y_pred)
            if self.from_logits:
                y_pred = ops.sigmoid(y_pred)
            if not self._built:
                if y_pred.ndim < 2:
                    raise ValueError(
                        f"{self.name}: multi_label=True needs y_pred of shape (batch, labels); got {y_pred.shape}."
                    )
                self._build(y_pred.shape[-1])
            if self.multi_label and y_pred.ndim and y_pred.shape[-1] != self.num_labels:
                raise ValueError(
                    f"{self.name}: y_pred has {y_pred.shape[-1]} label columns (shape {y_pred.shape}) "
                    f"but this metric was built for {self.num_labels}."
                )
            counts = confusion_counts(
                self.name, y_true, y_pred, self.thresholds, sample_weight, multi_label=self.multi_label,
                label_weights=None if self.multi_label else self.label_weights,
            )
            for count in _COUNT_NAMES:
                getattr(self, count).assign_add(counts[count])

    def result(self) -> Tensor:
        if not self._built:
            return ops.zeros((), dtype=self.dtype)
        xp = backend.array_module(self.true_positives.data)
        tp, fp, tn, fn = (getattr(self, c).data.astype("float64") for c in _COUNT_NAMES)
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = _interpolated_pr_areas(xp, tp, fp, fn)
        else:
            recall = _safe_divide(xp, tp, tp + fn)
            if self.curve == "ROC":
                x, y = _safe_divide(xp, fp, fp + tn), recall
            else:
                x, y = recall, _safe_divide(xp, tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2
            elif self.summation_method == "minoring":
                heights = xp.minimum(y[:-1], y[1:])
            else:
                heights = xp.maximum(y[:-1], y[1:])
            # Thresholds rise, so x falls: each step is a rectangle of width x[i] - x[i+1].
            areas = (x[:-1] - x[1:]) * heights
        by_label = areas.sum(axis=0)
        if not self.multi_label:
            value = by_label
        elif self.label_weights is None:
            value = by_label.mean()
        else:
            weights = xp.asarray(self.label_weights, dtype="float64")
            value = _safe_divide(xp, (by_label * weights).sum(), weights.sum())
        return ops.convert_to_tensor(xp.asarray(value), dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_thresholds": self.num_thresholds if self._init_thresholds is None else 200,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "thresholds": self._init_thresholds,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self.from_logits,
        }


def _safe_divide(xp: Any, a: Any, b: Any) -> Any:
    """a / b on arrays, 0 where b is 0 (and no warning)."""
    zero = b == 0
    return xp.where(zero, 0.0, a / xp.where(zero, 1.0, b))


def _interpolated_pr_areas(xp: Any, tp: Any, fp: Any, fn: Any) -> Any:
    """Areas under the PR curve between neighbouring thresholds, interpolated as Davis & Goadrich (2006).

    Between two thresholds, true positives and predicted positives P = TP + FP
    change together linearly, so precision TP / P is not linear in recall; the
    exact area under that hyperbola is slope * (dTP + intercept * log(P_i / P_{i+1})),
    divided by the number of real positives.
    """
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    slope = _safe_divide(xp, dtp, xp.maximum(dp, 0))
    intercept = tp[1:] - slope * p[1:]
    both_positive = (p[:-1] > 0) & (p[1:] > 0)
    ratio = xp.where(both_positive, p[:-1] / xp.where(both_positive, p[1:], 1.0), 1.0)
    return _safe_divide(xp, slope * (dtp + intercept * xp.log(ratio)), xp.maximum(tp[1:] + fn[1:], 0))


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
