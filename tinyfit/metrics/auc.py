"""AUC: the area under the ROC or precision-recall curve, from confusion counts at fixed thresholds."""

from __future__ import annotations

from typing import Any

from .. import backend, ops
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from .metric import Metric
from .confusion_metrics import _COUNT_NAMES, EPSILON, _parse_thresholds, confusion_counts

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
