"""Accuracy metrics: how often the prediction is right, in each of its forms.

Which one fits depends on what the model outputs and how the labels are written:

    y_pred                  y_true                      metric
    values                  the same values             Accuracy
    sigmoid probabilities   0/1                         BinaryAccuracy
    class scores (N, C)     one-hot (N, C)              CategoricalAccuracy, TopKCategoricalAccuracy
    class scores (N, C)     class indices (N,) or (N,1) SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy

Each function returns 0/1 values (one per sample; `accuracy` and `binary_accuracy`
one per element, as in Keras 3); each class averages them over everything seen
(a MeanMetricWrapper), weighing samples or elements by `sample_weight`.
"""

from __future__ import annotations

from typing import Any

from .. import backend, ops
from ..autograd.tensor import Tensor
from .reduction_metrics import _BuiltinMeanWrapper


def _float_pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = ops.cast(y_pred, "float32")
    return ops.convert_to_tensor(y_true, dtype=y_pred.dtype), y_pred


def _float_arrays(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """The backend arrays of y_true and y_pred, both in y_pred's floating dtype, on y_pred's device.

    The accuracies that run at every step compare arrays directly: a comparison
    has no gradient, so Tensor ops would only add their bookkeeping.
    """
    pred = ops.convert_to_tensor(y_pred).data
    if pred.dtype.kind != "f":
        pred = pred.astype("float32")
    true = ops.convert_to_tensor(y_true).data
    true = backend.to_device(true, backend.device_of(pred)).astype(pred.dtype, copy=False)
    return true, pred


def _same_rank(a: Any, b: Any) -> tuple[Any, Any]:
    """squeeze_or_expand_to_same_rank on arrays: (N,) against (N, 1) line up instead of broadcasting."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[..., None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[..., None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


def _hits(equal: Any) -> Tensor:
    """0/1 float32 values from a boolean array, as a Tensor outside any graph."""
    return Tensor._make(equal.astype("float32"), False)


def _shape_error(metric: str, y_true: Tensor, y_pred: Tensor, expects: str, hint: str = "") -> ValueError:
    return ValueError(
        f"{metric}: y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; "
        f"{expects}.{' ' + hint if hint else ''}"
    )


def _is_sparse_against(y_true: Tensor, y_pred: Tensor) -> bool:
    """True when y_true holds one entry per sample for y_pred's class scores."""
    if y_pred.ndim == 0:
        return False
    per_sample = y_pred.shape[:-1]
    return y_true.shape == per_sample or (y_true.shape == per_sample + (1,) and y_pred.shape[-1] != 1)


def accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where y_pred equals y_true exactly, else 0.0 (element by element)."""
    y_true, y_pred = _same_rank(*_float_arrays(y_true, y_pred))
    if y_true.shape != y_pred.shape:
        raise _shape_error("accuracy", y_true, y_pred, "Accuracy compares them element by element",
                           "For class scores use SparseCategoricalAccuracy (integer labels) or "
                           "CategoricalAccuracy (one-hot labels).")
    return _hits(y_true == y_pred)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Tensor:
    """1.0 where the prediction falls on the label's side of `threshold`, else 0.0, element by element.

    As in Keras 3, nothing is averaged here: the result has the shape of the (lined up)
    inputs, so a weight may be given per sample or per element. `BinaryAccuracy` averages.
    """
    y_true, y_pred = _same_rank(*_float_arrays(y_true, y_pred))
    if y_true.shape != y_pred.shape:
        hint = ("y_true looks like integer class labels: use SparseCategoricalAccuracy."
                if _is_sparse_against(y_true, y_pred) else "")
        raise _shape_error("binary_accuracy", y_true, y_pred,
                           "BinaryAccuracy expects one 0/1 target per predicted value", hint)
    return _hits(y_true == (y_pred > threshold))


def categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where the highest score's class is the one-hot target's class, per sample."""
    y_true, y_pred = _float_arrays(y_true, y_pred)
    if y_true.shape != y_pred.shape or y_pred.ndim == 0:
        hint = ("y_true looks like integer class labels: use SparseCategoricalAccuracy "
                "(metrics=[\"sparse_categorical_accuracy\"])." if _is_sparse_against(y_true, y_pred) else "")
        raise _shape_error("categorical_accuracy", y_true, y_pred,
                           "CategoricalAccuracy expects one-hot y_true with the same shape as y_pred", hint)
    return _hits(y_true.argmax(axis=-1) == y_pred.argmax(axis=-1))


def _sparse_labels(metric: str, y_true: Any, y_pred: Tensor) -> Tensor:
    """y_true as shape y_pred.shape[:-1], checked to be one label per sample."""
    y_true = ops.convert_to_tensor(y_true)
    per_sample = y_pred.shape[:-1]
    if y_true.shape == per_sample + (1,):  # labels need no gradient: the array is reshaped as is
        y_true = Tensor._make(y_true.data.reshape(per_sample), False)
    if y_pred.ndim == 0 or y_true.shape != per_sample:
        hint = ""
        if y_true.shape == y_pred.shape:
            hint = ("y_true looks one-hot encoded: use CategoricalAccuracy "
                    "(metrics=[\"categorical_accuracy\"]), or pass class indices.")
        raise _shape_error(metric, y_true, y_pred,
                           f"it expects one integer class label per sample, shape {per_sample} "
                           f"or {per_sample + (1,)}", hint)
    return y_true


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where the highest score's class equals the integer label, per sample.

    Computed on the backend arrays: argmax has no gradient, so graph ops would only
    add their bookkeeping (about half the time of this metric, which runs at every step).
    """
    y_pred = ops.convert_to_tensor(y_pred)
    labels = _sparse_labels("sparse_categorical_accuracy", y_true, y_pred)
    labels = backend.to_device(labels.data, y_pred.device)
    predicted = y_pred.data.argmax(axis=-1)
    if labels.dtype.kind == "f":  # compare as floats, so a label of 1.5 matches nothing
        predicted = predicted.astype(labels.dtype)
    hits = backend.array_module(y_pred.data).asarray(labels == predicted, dtype="float32")
    return Tensor._make(hits, False)


def _in_top_k(labels: Tensor, y_pred: Tensor, k: int) -> Tensor:
    """1.0 where the label's score is among the k highest (ties count as in, as in Keras)."""
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = ops.cast(y_pred, "float32")
    label_score = ops.sum(y_pred * ops.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype),
                          axis=-1, keepdims=True)
    beaten_by = ops.sum(ops.cast(ops.greater(y_pred, label_score), "int32"), axis=-1)
    return ops.cast(ops.less(beaten_by, k), "float32")


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Tensor:
    """1.0 where the one-hot target's class is among the k highest scores, per sample."""
    y_true, y_pred = _float_pair(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        hint = ("y_true looks like integer class labels: use SparseTopKCategoricalAccuracy."
                if _is_sparse_against(y_true, y_pred) else "")
        raise _shape_error("top_k_categorical_accuracy", y_true, y_pred,
                           "TopKCategoricalAccuracy expects one-hot y_true with the same shape as y_pred", hint)
    return _in_top_k(ops.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5,
                                      from_sorted_ids: bool = False) -> Tensor:
    """1.0 where the integer label is among the k highest-scoring classes, per sample.

    Args:
        from_sorted_ids: y_pred already holds class ids, best first (e.g. from a
            top-k search); the label must then be among its first k.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    if from_sorted_ids:
        labels = _sparse_labels("sparse_top_k_categorical_accuracy", y_true, y_pred)
        top = y_pred[..., :k]
        hits = ops.equal(ops.cast(top, "int64"), ops.expand_dims(ops.cast(labels, "int64"), -1))
        return ops.cast(ops.greater(ops.sum(ops.cast(hits, "int32"), axis=-1), 0), "float32")
    labels = _sparse_labels("sparse_top_k_categorical_accuracy", y_true, y_pred)
    return _in_top_k(labels, y_pred, k)


class Accuracy(_BuiltinMeanWrapper):
    """How often y_pred equals y_true exactly.

    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(_BuiltinMeanWrapper):
    """How often a thresholded prediction matches its 0/1 label.

    Every predicted value counts (a model with 3 sigmoid outputs gives 3 per sample);
    `sample_weight` may weigh samples (shape (N,)), single values (the shape of y_pred)
    or columns (shape (1, ...), spread over the rows).

    Args:
        threshold: predictions above it count as 1; between 0 and 1.

    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        if not backend.is_number(threshold) or not 0 < threshold < 1:
            raise ValueError(
                f"BinaryAccuracy: threshold must be a number strictly between 0 and 1, got {threshold!r}. "
                "Predictions above it count as 1; 0.5 suits probabilities."
            )
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(_BuiltinMeanWrapper):
    """How often the highest-scoring class is the one-hot label's class."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(_BuiltinMeanWrapper):
    """How often the highest-scoring class is the integer label."""
    class_index_targets = True

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(_BuiltinMeanWrapper):
    """How often the one-hot label's class is among the `k` highest scores.

    Args:
        k: how many of the best-scoring classes count as a hit.
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(_BuiltinMeanWrapper):
    """How often the integer label is among the `k` highest-scoring classes.

    Args:
        k: how many of the best-scoring classes count as a hit.
        from_sorted_ids: y_pred holds class ids sorted best first, not scores.
    """
    class_index_targets = True

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: Any = None,
                 from_sorted_ids: bool = False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
