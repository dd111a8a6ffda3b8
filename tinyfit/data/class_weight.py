"""class_weight: each training sample weighted by the weight of its class.

The class of a sample is read from its target: an integer label (shape (N,) or
(N, 1)) or an exactly one-hot row (shape (N, classes)). The weights then become
sample weights, multiplied into any sample weights already given, so that
`class_weight` and the equivalent `sample_weight` train identically.
"""

from __future__ import annotations

import warnings
from numbers import Real
from typing import Any

import numpy


class ClassWeighter:
    """Turns the targets of each batch into per-sample weights, for one fit() call.

    Args:
        class_weight: {class index: weight}.
        caller: prefixes messages ("fit", "train_on_batch").
    """

    def __init__(self, class_weight: dict, caller: str = "fit"):
        if not isinstance(class_weight, dict):
            raise TypeError(
                f"{caller}: class_weight must be a dict {{class index: weight}}, got {type(class_weight).__name__}."
            )
        for key, value in class_weight.items():
            if isinstance(key, bool) or not isinstance(key, (int, numpy.integer)) or key < 0:
                raise ValueError(
                    f"{caller}: class_weight keys must be class indices (whole numbers >= 0), got {key!r}; "
                    f"the dict has keys {list(class_weight)}."
                )
            if isinstance(value, bool) or not isinstance(value, Real):
                raise ValueError(f"{caller}: class_weight[{key}] must be a number, got {value!r}.")
        self.class_weight = {int(k): float(v) for k, v in class_weight.items()}
        self.caller = caller
        self._warned: set[int] = set()

    def __call__(self, y: Any, sample_weight: Any = None) -> numpy.ndarray:
        """The weight of each sample of `y`, times `sample_weight` when given."""
        labels = self.labels(self._single_target(y))
        weights = self._lookup(labels)
        if sample_weight is None:
            return weights
        if isinstance(sample_weight, (dict, list, tuple)):
            raise ValueError(
                f"{self.caller}: class_weight with sample_weight given as a {type(sample_weight).__name__}; "
                "for one output pass sample_weight as a single array."
            )
        sample_weight = numpy.asarray(sample_weight)
        if sample_weight.size != len(weights):
            raise ValueError(
                f"{self.caller}: sample_weight holds {sample_weight.size} values for {len(weights)} samples; "
                "give one weight per sample."
            )
        return (weights * sample_weight.reshape(len(weights))).astype("float32")

    def _single_target(self, y: Any) -> numpy.ndarray:
        if isinstance(y, dict) and len(y) == 1:
            y = next(iter(y.values()))
        elif isinstance(y, (list, tuple)) and len(y) == 1:
            y = y[0]
        if y is None:
            raise ValueError(f"{self.caller}: class_weight needs targets y (class labels) to weigh each sample by.")
        if isinstance(y, (dict, list, tuple)):
            names = list(y) if isinstance(y, dict) else f"{len(y)} outputs"
            raise ValueError(
                f"{self.caller}: class_weight needs a single y array of class labels (one output), but y holds "
                f"{names}. For several outputs pass sample_weight instead: a dict keyed by output name, with "
                "one weight per sample for each output."
            )
        return numpy.asarray(y)

    def labels(self, y: numpy.ndarray) -> numpy.ndarray:
        """The class index of each sample, from integer labels or exactly one-hot rows."""
        if y.ndim == 0 or y.ndim > 2:
            raise ValueError(
                f"{self.caller}: class_weight reads classes from targets of shape (N,), (N, 1) or (N, classes); "
                f"got targets of shape {y.shape}. Pass sample_weight instead."
            )
        if y.ndim == 2 and y.shape[1] > 1:
            return self._one_hot_labels(y)
        labels = y.reshape(len(y))
        if not numpy.all(numpy.equal(numpy.mod(labels, 1), 0)) or numpy.any(labels < 0):
            bad = labels[(numpy.mod(labels, 1) != 0) | (labels < 0)][:3].tolist()
            raise ValueError(
                f"{self.caller}: class_weight needs whole-number class labels >= 0 in y, found {bad}. "
                "Pass integer labels, or one-hot rows of shape (N, classes)."
            )
        return labels.astype("int64")

    def _one_hot_labels(self, y: numpy.ndarray) -> numpy.ndarray:
        ones = y == 1
        exact = numpy.all(ones | (y == 0), axis=1) & (ones.sum(axis=1) == 1)
        if not numpy.all(exact):
            row = int(numpy.argmin(exact))
            raise ValueError(
                f"{self.caller}: class_weight with targets of shape {y.shape} reads them as one-hot rows, but "
                f"row {row} is {numpy.array2string(y[row], precision=3, threshold=8)}, not exactly one 1 and "
                "zeros elsewhere (soft labels?). Pass integer labels or exact one-hot targets, or weigh the "
                "samples with sample_weight."
            )
        return numpy.argmax(y, axis=1)

    def _lookup(self, labels: numpy.ndarray) -> numpy.ndarray:
        present = numpy.unique(labels).tolist()
        missing = [c for c in present if c not in self.class_weight and c not in self._warned]
        if missing:
            self._warned.update(missing)
            warnings.warn(
                f"{self.caller}: class_weight has no entry for class(es) {missing} found in y; those samples get "
                f"weight 1.0. The dict covers classes {sorted(self.class_weight)}.",
                UserWarning, stacklevel=2,
            )
        table = numpy.ones(max(present + list(self.class_weight)) + 1, dtype="float32")
        for c, w in self.class_weight.items():
            table[c] = w
        return table[labels]
