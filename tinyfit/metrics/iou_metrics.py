"""Intersection over union (IoU): the segmentation metric, from a confusion matrix kept across batches.

For a class c: IoU = TP / (TP + FP + FN), the overlap of the pixels predicted
as c with the pixels that are c, over their union. Every batch adds to one
(num_classes, num_classes) matrix of counts (rows: true class, columns:
predicted class), so the result is the IoU of all the data seen. The result is
the mean IoU over `target_class_ids`; a class that appears neither in the
targets nor in the predictions is left out of the mean.

As in Keras, the counts are int32 unless a dtype is given: sample weights are
then whole numbers (fractions are cut off, with a warning); pass
dtype="float32" for fractional weights. The result is a float either way.

    IoU          integer labels and predictions, chosen classes
    MeanIoU      integer labels and predictions, every class
    BinaryIoU    0/1 labels, probabilities cut at `threshold`
    OneHotIoU    one-hot labels, per-class scores (argmax), chosen classes
    OneHotMeanIoU  one-hot labels, per-class scores, every class
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy

from .. import backend, ops
from ..autograd.tensor import Tensor
from .metric import Metric, add_to_state
from .reduction_metrics import _array_of


class IoU(Metric):
    """The mean IoU of the classes `target_class_ids`, over all the data seen.

    Args:
        num_classes: how many classes there are.
        target_class_ids: the classes whose IoU is averaged (one id gives that class's IoU).
        name: the metric's name.
        dtype: the dtype of the counts: "int32" by default, as in Keras.
        ignore_class: a class id whose pixels are left out (a "void" label), or None.
        sparse_y_true: whether y_true holds class ids (True) or one score per class (argmax taken).
        sparse_y_pred: whether y_pred holds class ids (True) or one score per class (argmax taken).
        axis: the class axis, for the inputs that are not sparse.

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> float(m.result())
    0.3333333432674408
    """

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(name=name, dtype=dtype or "int32")
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"{type(self).__name__}: num_classes must be an int >= 1, got {num_classes!r}.")
        target_class_ids = [int(c) for c in target_class_ids]
        bad = [c for c in target_class_ids if not 0 <= c < num_classes]
        if bad or not target_class_ids:
            raise ValueError(
                f"{type(self).__name__}: target_class_ids {target_class_ids} must be class ids in "
                f"[0, {num_classes}) (num_classes={num_classes}); give at least one."
            )
        self.num_classes = num_classes
        self.target_class_ids = target_class_ids
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(shape=(num_classes, num_classes), name="total_confusion_matrix")

    def _class_ids(self, values: Any, sparse: bool) -> Any:
        values = _array_of(values, "float64")
        if not sparse:
            values = values.argmax(axis=self.axis)
        return values.reshape(-1)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds a batch's (weighted) counts to the confusion matrix."""
        true = self._class_ids(y_true, self.sparse_y_true)
        pred = self._class_ids(y_pred, self.sparse_y_pred)
        if true.shape != pred.shape:
            raise ValueError(
                f"{self.name}: y_true gives {true.size} class ids and y_pred {pred.size}; they must "
                "label the same pixels (one-hot or score inputs need sparse_y_true/sparse_y_pred=False)."
            )
        xp = backend.array_module(true)
        weight = xp.ones(true.shape, dtype="float64") if sample_weight is None else \
            xp.broadcast_to(self._weight(sample_weight).reshape(-1), true.shape)
        # Ids outside [0, num_classes), and the ignored class, add nothing.
        valid = (true >= 0) & (true < self.num_classes) & (pred >= 0) & (pred < self.num_classes)
        if self.ignore_class is not None:
            valid &= true != self.ignore_class
        cell = xp.where(valid, true, 0).astype("int64") * self.num_classes + xp.where(valid, pred, 0).astype("int64")
        counts = xp.bincount(cell, weights=xp.where(valid, weight, 0), minlength=self.num_classes ** 2)
        add_to_state(self.total_cm, counts.reshape(self.num_classes, self.num_classes).astype(self.dtype))

    def _weight(self, sample_weight: Any) -> Any:
        """The weights in the counts' dtype (as Keras casts them), as float64 for counting."""
        weight = _array_of(sample_weight, "float64")
        if numpy.dtype(self.dtype).kind in "iu" and (weight % 1).any():
            warnings.warn(
                f"{self.name}: sample weights with fractions are cut to whole numbers, since the counts are "
                f"{self.dtype}; create the metric with dtype='float32' to keep them.", UserWarning, stacklevel=3)
        return weight.astype(self.dtype).astype("float64")

    def result(self) -> Tensor:
        cm = self.total_cm.data.astype("float64")
        xp = backend.array_module(cm)
        true_positives = xp.diagonal(cm)
        union = cm.sum(axis=0) + cm.sum(axis=1) - true_positives
        ids = xp.asarray(self.target_class_ids)
        true_positives, union = true_positives[ids], union[ids]
        present = union > 1e-9
        iou = xp.where(present, true_positives / xp.where(present, union, 1), 0)
        count = int(present.sum())
        dtype = self.dtype if numpy.dtype(self.dtype).kind == "f" else "float32"
        return ops.convert_to_tensor(xp.asarray(iou.sum() / count if count else 0.0, dtype=dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": list(self.target_class_ids), "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class MeanIoU(IoU):
    """The mean IoU over every class (integer labels and predictions by default).

    Args: as for `IoU`, without target_class_ids.
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """IoU for 0/1 targets and predicted probabilities, cut at `threshold`.

    Args:
        target_class_ids: (0, 1) averages both classes' IoU (the default); [1] gives the foreground's.
        threshold: a prediction >= threshold counts as class 1. Defaults to 0.5.
        name, dtype: as for `Metric`.
    """

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype: Any = None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        predicted = _array_of(y_pred, "float32") >= self.threshold
        super().update_state(y_true, predicted.astype(self.dtype), sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {"target_class_ids": list(self.target_class_ids), "threshold": self.threshold,
                **Metric.get_config(self)}


class OneHotIoU(IoU):
    """IoU for one-hot targets and per-class scores (argmax over `axis`), for `target_class_ids`.

    Args: as for `IoU`; sparse_y_pred=True takes predictions that are already class ids.
    """

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """The mean IoU over every class, for one-hot targets and per-class scores (argmax over `axis`).

    Args: as for `MeanIoU`; sparse_y_pred=True takes predictions that are already class ids.
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config
