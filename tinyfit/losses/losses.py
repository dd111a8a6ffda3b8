"""The built-in losses: plain functions, and Loss classes that wrap them.

Each function takes `(y_true, y_pred)` and returns one loss per sample (the
last axis is reduced), exactly like its `keras.losses` namesake; it is what you
would write by hand in a custom loss. Each class (`MeanSquaredError`, ...) is a
`LossFunctionWrapper` around its function: it adds the sample weights, the
reduction and a config for saving.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

from .. import ops
from ..autograd.ops import nn as _nn
from ..autograd.tensor import Tensor
from ..utils.declared import overrides
from .loss import OP_REDUCTIONS, Loss, per_sample_weight, squeeze_or_expand_to_same_rank

EPSILON = 1e-7  # Keras's backend.epsilon()


# ************************************************************ input handling
def _prepare(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    """Both as tensors, y_true in y_pred's floating dtype."""
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = ops.cast(y_pred, "float32")
    return ops.convert_to_tensor(y_true, dtype=y_pred.dtype), y_pred


def _looks_like_class_labels(y_true: Tensor, y_pred: Tensor) -> bool:
    """True when y_true has one entry per sample and y_pred one per class."""
    if y_pred.ndim == 0 or y_pred.shape[-1] < 2:
        return False
    per_sample = y_pred.shape[:-1]
    return y_true.shape in (per_sample, per_sample + (1,))


def _check_same_shape(loss: str, y_true: Tensor, y_pred: Tensor, expects: str, labels_hint: str) -> None:
    """Raises a ValueError naming both shapes unless y_true and y_pred have the same shape."""
    if y_true.shape == y_pred.shape:
        return
    hint = f" {labels_hint}" if _looks_like_class_labels(y_true, y_pred) else _feature_map_hint(y_true, y_pred)
    raise ValueError(
        f"{loss}: y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; "
        f"{expects}.{hint}"
    )


def _feature_map_hint(y_true: Tensor, y_pred: Tensor) -> str:
    """A hint when y_pred still has spatial axes that y_true lacks: a convnet's feature map
    reached the last Dense layer unflattened (Dense acts on the last axis only)."""
    if y_pred.ndim < 3 or y_true.ndim >= y_pred.ndim - 1 or y_true.shape[:1] != y_pred.shape[:1]:
        return ""
    return (f" y_pred keeps the axes {y_pred.shape[1:-1]} between the batch and the last axis, as a "
            "convolution's feature map does: Dense acts on the last axis only, so put layers.Flatten() "
            "or layers.GlobalAveragePooling2D() (1D for sequences) before the last Dense layer.")


def _to_categorical_hint(y_pred: Tensor) -> str:
    return (f"y_true looks like integer class labels: one-hot encode them with "
            f"keras.utils.to_categorical(y, num_classes={y_pred.shape[-1]}) (or ops.one_hot)")


def _same_shape_inputs(loss: str, y_true: Any, y_pred: Any, expects: str | None = None,
                       labels_hint: str | None = None) -> tuple[Tensor, Tensor]:
    """Converted inputs, lined up ((N,) meets (N, 1)) and checked to have one shape."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_same_shape(
        loss, y_true, y_pred,
        expects or f"{loss} compares them element by element, so they must have the same shape",
        labels_hint or f"{_to_categorical_hint(y_pred)}, or use sparse_categorical_crossentropy for a classifier.",
    )
    return y_true, y_pred


# ************************************************************** regression
def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """mean((y_true - y_pred) ** 2) over the last axis.

    >>> mean_squared_error([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]]).numpy()
    array([0.5, 0.5], dtype=float32)
    """
    y_true, y_pred = _same_shape_inputs("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """mean(|y_true - y_pred|) over the last axis."""
    y_true, y_pred = _same_shape_inputs("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """100 * mean(|(y_true - y_pred) / y_true|) over the last axis.

    |y_true| is kept at least epsilon (1e-7), so a zero target gives a very large
    loss rather than infinity, as in Keras.
    """
    y_true, y_pred = _same_shape_inputs("mean_absolute_percentage_error", y_true, y_pred)
    diff = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), EPSILON))
    return 100.0 * ops.mean(diff, axis=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Quadratic for small errors, linear for large ones, averaged over the last axis.

    For an error e: 0.5 * e**2 when |e| <= delta, else delta * (|e| - 0.5 * delta).
    """
    y_true, y_pred = _same_shape_inputs("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return ops.mean(ops.where(abs_error <= delta, quadratic, linear), axis=-1)


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1]."""
    y_true, y_pred = _same_shape_inputs(
        "kl_divergence", y_true, y_pred,
        expects="kl_divergence compares two probability distributions, so they must have the same shape",
    )
    y_true = ops.clip(y_true, EPSILON, 1.0)
    y_pred = ops.clip(y_pred, EPSILON, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(squares, 1e-12))  # a zero vector stays zero


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Minus the cosine of the angle between y_true and y_pred along `axis`.

    The loss lies in [-1, 1]: -1 when they point the same way (best), 0 when
    orthogonal, 1 when opposite; minimising it brings them into line.
    """
    y_true, y_pred = _same_shape_inputs("cosine_similarity", y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


# ********************************************************* classification
def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Binary cross-entropy of each 0/1 target, averaged over `axis`.

    Args:
        y_true: 0/1 targets (or soft targets in [0, 1]), the shape of y_pred.
        y_pred: probabilities (a sigmoid output), or logits when `from_logits=True`.
        from_logits: whether y_pred holds unnormalised scores; computed stably.
        label_smoothing: in [0, 1]; targets move towards 0.5 by this fraction.
        axis: the axis averaged over.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_same_shape(
        "binary_crossentropy", y_true, y_pred,
        "BinaryCrossentropy expects one 0/1 target per predicted value, the same shape as y_pred",
        f"y_true looks like integer class labels for {y_pred.shape[-1] if y_pred.ndim else 1} classes: "
        "use SparseCategoricalCrossentropy with a softmax output.",
    )
    _check_smoothing("binary_crossentropy", label_smoothing)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Cross-entropy between one-hot targets and predicted class probabilities, per sample.

    A softmax output is computed from its logits, so it is as stable as
    `from_logits=True`.

    Args:
        y_true: one-hot (or soft) targets, the shape of y_pred.
        y_pred: class probabilities, or logits when `from_logits=True`.
        from_logits: whether y_pred holds unnormalised scores.
        label_smoothing: in [0, 1]; the targets become
            y_true * (1 - label_smoothing) + label_smoothing / num_classes.
        axis: the class axis.
    """
    y_true, y_pred = _categorical_inputs(y_true, y_pred, label_smoothing, axis)
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _categorical_inputs(y_true: Any, y_pred: Any, label_smoothing: float, axis: Any) -> tuple[Tensor, Tensor]:
    """categorical_crossentropy's inputs converted, checked and smoothed."""
    if isinstance(axis, bool):
        raise ValueError(f"categorical_crossentropy: axis must be an int, got {axis!r}.")
    y_true, y_pred = _prepare(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        hint = ""
        if _looks_like_class_labels(y_true, y_pred):
            hint = (f" y_true looks like integer class labels: use SparseCategoricalCrossentropy "
                    f"(loss=\"sparse_categorical_crossentropy\"), or one-hot encode them with "
                    f"keras.utils.to_categorical(y, num_classes={y_pred.shape[-1]}).")
        hint = hint or _feature_map_hint(y_true, y_pred)
        raise ValueError(
            f"categorical_crossentropy: y_true has shape {y_true.shape} but y_pred has shape "
            f"{y_pred.shape}; CategoricalCrossentropy expects one-hot y_true with the same shape "
            f"as y_pred (one probability per class).{hint}"
        )
    if y_pred.ndim and y_pred.shape[axis] == 1:
        warnings.warn(
            f"categorical_crossentropy: y_pred has shape {y_pred.shape}, a single class, so the "
            "loss is always 0. For two classes with one output unit use BinaryCrossentropy.",
            UserWarning, stacklevel=2,
        )
    _check_smoothing("categorical_crossentropy", label_smoothing)
    if label_smoothing:
        num_classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return y_true, y_pred


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    axis: int = -1) -> Tensor:
    """Cross-entropy between integer class labels and predicted class probabilities, per sample.

    A softmax output is computed from its logits, so it is as stable as
    `from_logits=True`.

    Args:
        y_true: class indices, shape (N,) or (N, 1) for y_pred of shape (N, C)
            (integer-valued floats are fine).
        y_pred: class probabilities, or logits when `from_logits=True`.
        from_logits: whether y_pred holds unnormalised scores.
        axis: the class axis.
    """
    y_true, y_pred = _sparse_inputs(y_true, y_pred, axis)
    return ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _sparse_inputs(y_true: Any, y_pred: Any, axis: Any) -> tuple[Tensor, Tensor]:
    """sparse_categorical_crossentropy's inputs converted, their shapes checked."""
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = ops.cast(y_pred, "float32")
    y_true = ops.convert_to_tensor(y_true)
    if y_pred.ndim and not isinstance(axis, bool) and isinstance(axis, int) and -y_pred.ndim <= axis < y_pred.ndim:
        k = axis % y_pred.ndim
        per_sample = y_pred.shape[:k] + y_pred.shape[k + 1:]
        with_one = y_pred.shape[:k] + (1,) + y_pred.shape[k + 1:]
        if y_true.shape not in (per_sample, with_one):
            hint = ""
            if y_true.shape == y_pred.shape:
                hint = (" y_true looks one-hot encoded: use CategoricalCrossentropy "
                        "(loss=\"categorical_crossentropy\"), or pass the class indices "
                        "(e.g. y.argmax(axis=-1)).")
            hint = hint or _feature_map_hint(y_true, y_pred)
            raise ValueError(
                f"sparse_categorical_crossentropy: y_true has shape {y_true.shape} but y_pred has "
                f"shape {y_pred.shape}; SparseCategoricalCrossentropy expects one integer class "
                f"label per sample, shape {per_sample} or {with_one}.{hint}"
            )
    return y_true, y_pred


# The cross-entropies that weight and reduce inside their fused op, with what the loss
# classes call for that: fn(y_true, y_pred, weight, reduction, **the loss's arguments).
def _reduced_categorical_crossentropy(y_true: Tensor, y_pred: Tensor, weight: Tensor | None,
                                      reduction: str | None, from_logits: bool = False,
                                      label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    y_true, y_pred = _categorical_inputs(y_true, y_pred, label_smoothing, axis)
    return _nn.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis, weight=weight,
                                        reduction=reduction)


def _reduced_sparse_categorical_crossentropy(y_true: Tensor, y_pred: Tensor, weight: Tensor | None,
                                             reduction: str | None, from_logits: bool = False,
                                             axis: int = -1) -> Tensor:
    y_true, y_pred = _sparse_inputs(y_true, y_pred, axis)
    return _nn.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis,
                                               weight=weight, reduction=reduction)


_REDUCED_IN_OP = ((categorical_crossentropy, _reduced_categorical_crossentropy),
                  (sparse_categorical_crossentropy, _reduced_sparse_categorical_crossentropy))
def _check_smoothing(loss: str, label_smoothing: float) -> None:
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError(f"{loss}: label_smoothing must be in [0, 1], got {label_smoothing!r}.")


# Each loss function above runs the same ops whatever the values, so fit() may record a step
# through it once and replay it (trainers/compiled_step.py); see Loss.supports_jit.
for _fn in (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, huber, kl_divergence,
            cosine_similarity, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy):
    _fn.supports_jit = True
# It reads y_true only as class indices (along the last axis unless given another): fit() may check
# them once and pass them on as int64 (trainers/compile_utils.class_index_outputs).
sparse_categorical_crossentropy.class_index_targets = True


# ********************************************************************* classes
class LossFunctionWrapper(Loss):
    """A Loss made from a function `fn(y_true, y_pred, **kwargs)` returning per-sample losses.

    Args:
        fn: the loss function.
        reduction, name, dtype: as for `Loss`.
        **kwargs: extra arguments passed to `fn` on every call.
    """
    supports_jit = True  # call() only calls fn: the wrapper replays where fn says it does
    class_index_targets = True  # and it reads class indices where fn says it does

    def __init__(self, fn: Callable, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        # Class indices skip the cast to float (and the check that the floats are whole).
        self.integer_targets = fn is sparse_categorical_crossentropy
        # A cross-entropy weights and reduces inside its own op, unless a subclass's own call() computes the loss.
        self._plain_fn, self._reduced_fn = fn, None
        if not overrides(type(self), LossFunctionWrapper, "call"):
            self._reduced_fn = next((reduced for plain, reduced in _REDUCED_IN_OP if fn is plain), None)
        self._reduces_itself = self._reduced_fn is not None

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _weighted_and_reduced(self, y_true: Tensor, y_pred: Tensor, sample_weight: Any) -> Tensor | None:
        reduction = OP_REDUCTIONS.get(self.reduction, False)
        if reduction is False or self.fn is not self._plain_fn:
            return None  # "mean_with_sample_weight" (its divisor is read back from the weights), or a new fn
        weight = None
        if sample_weight is not None:
            weight = per_sample_weight(sample_weight, y_pred, self._fn_kwargs.get("axis", -1))
            if weight is None:
                return None
        return self._reduced_fn(y_true, y_pred, weight, reduction, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        from .loss_registry import serialize

        return {**super().get_config(), "fn": serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "LossFunctionWrapper":
        from .loss_registry import deserialize

        config = dict(config)
        if "fn" in config and not callable(config["fn"]):
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        fn = getattr(self.fn, "__name__", repr(self.fn))
        return f"<{type(self).__name__} fn={fn} name={self.name!r} reduction={self.reduction!r}>"


class _BuiltinWrapper(LossFunctionWrapper):
    """A wrapper whose config lists its own arguments (the function is implied by the class)."""

    def get_config(self) -> dict[str, Any]:
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Loss":
        return cls(**config)


class MeanSquaredError(_BuiltinWrapper):
    """The mean of the squared errors: mean((y_true - y_pred) ** 2)."""
    supports_jit = True

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_squared_error",
                 dtype: Any = None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(_BuiltinWrapper):
    """The mean of the absolute errors: mean(|y_true - y_pred|)."""
    supports_jit = True

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_absolute_error",
                 dtype: Any = None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_BuiltinWrapper):
    """100 * mean(|(y_true - y_pred) / y_true|)."""
    supports_jit = True

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_absolute_percentage_error", dtype: Any = None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype)


class Huber(_BuiltinWrapper):
    """Squared error for errors up to `delta`, absolute error beyond: robust to outliers.

    Args:
        delta: where the loss turns from quadratic to linear.
    """
    supports_jit = True

    def __init__(self, delta: float = 1.0, reduction: str | None = "sum_over_batch_size",
                 name: str = "huber_loss", dtype: Any = None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class KLDivergence(_BuiltinWrapper):
    """Kullback-Leibler divergence: sum(y_true * log(y_true / y_pred))."""
    supports_jit = True

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "kl_divergence",
                 dtype: Any = None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(_BuiltinWrapper):
    """Minus the cosine similarity between y_true and y_pred along `axis` (-1 is best).

    Args:
        axis: the axis along which the vectors lie.
    """
    supports_jit = True

    def __init__(self, axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str = "cosine_similarity", dtype: Any = None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)


class BinaryCrossentropy(_BuiltinWrapper):
    """Cross-entropy for 0/1 targets (one sigmoid output per target).

    Args:
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: in [0, 1]; 0.1 turns targets 0/1 into 0.05/0.95.
        axis: the axis averaged over.
    """
    supports_jit = True

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str = "binary_crossentropy",
                 dtype: Any = None):
        _check_smoothing("BinaryCrossentropy", label_smoothing)
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(_BuiltinWrapper):
    """Cross-entropy for one-hot targets (a softmax over the classes).

    Args:
        from_logits: whether y_pred holds logits rather than probabilities.
        label_smoothing: in [0, 1]; with C classes, targets become
            y_true * (1 - label_smoothing) + label_smoothing / C.
        axis: the class axis.
    """
    supports_jit = True

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str = "categorical_crossentropy",
                 dtype: Any = None):
        _check_smoothing("CategoricalCrossentropy", label_smoothing)
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(_BuiltinWrapper):
    """Cross-entropy for integer class labels (a softmax over the classes).

    Args:
        from_logits: whether y_pred holds logits rather than probabilities.
    """
    supports_jit = True
    class_index_targets = True

    def __init__(self, from_logits: bool = False, reduction: str | None = "sum_over_batch_size",
                 name: str = "sparse_categorical_crossentropy", dtype: Any = None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits)
        self.from_logits = from_logits
