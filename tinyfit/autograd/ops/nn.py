"""Neural-network ops: softmax, log-softmax, the cross-entropies and one-hot.

The cross-entropies follow keras.ops: they return one loss per sample (reduced
over the class axis only; binary cross-entropy is elementwise) and leave the
batch mean to the Loss object. The loss classes may instead hand the categorical
ones a weight per sample and a reduction, which the fused ops then apply inside
themselves (one graph node where a multiply and a mean would make two more).
Each comes in two flavours:

    from_logits=True    fused Functions that never take the log of a number
                        near zero: log-softmax = x - max - log(sum(exp(x - max)))
    from_logits=False   probabilities, rescaled to sum to 1 and clipped to
                        [1e-7, 1 - 1e-7] first as Keras does, so a confident
                        mistake costs about 16.1, not infinity

A tensor made by `softmax` remembers its logits (`_softmax_logits`). When such
a tensor reaches a cross-entropy as probabilities, the logits path is taken
instead: exact, stable, and no clipping. This is what makes the usual
`Dense(10, activation="softmax")` + "sparse_categorical_crossentropy" pair train
as well as `from_logits=True` does.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

from ... import backend
from ..function import Function
from .deferred_checks import check_later
from ..tensor import Tensor, as_dtype
from .elementwise import Clip
from .reduce import normalize_axis
from .weighted_reduction import WeightedReduction, check_folding, weighted_and_reduced

EPSILON = 1e-7  # Keras's backend.epsilon(): how far probabilities are kept from 0 and 1


# ----------------------------------------------------------------- softmax
class Softmax(Function):
    """exp(x) / sum(exp(x)) over `axis`, shifted by the max so exp never overflows."""

    name = "softmax"

    def forward(self, x, axis):
        xp = backend.array_module(x)
        self.axis = axis
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        self.out = e / e.sum(axis=axis, keepdims=True)
        return self.out

    def backward(self, grad):
        # Jacobian-vector product of softmax: s * (g - <g, s>), never the full Jacobian.
        s = self.out
        return s * (grad - (grad * s).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """x - logsumexp(x) over `axis`."""

    name = "log_softmax"

    def forward(self, x, axis):
        self.axis = axis
        self.out = _log_softmax(x, axis)
        return self.out

    def backward(self, grad):
        xp = backend.array_module(grad)
        return grad - xp.exp(self.out) * grad.sum(axis=self.axis, keepdims=True)


def _log_softmax(x: Any, axis: Any) -> Any:
    xp = backend.array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x: Tensor, axis: int | tuple[int, ...] = -1) -> Tensor:
    """Softmax over `axis`: non-negative values that sum to 1 along it.

    The result remembers `x` as its logits, so that a cross-entropy given this
    output as probabilities can work from the logits instead (stable and exact).

    >>> softmax(Tensor([-1.0, 0.0, 1.0])).numpy().round(4)
    array([0.09  , 0.2447, 0.6652], dtype=float32)
    """
    axes = _softmax_axes("softmax", x, axis)
    out = Softmax.apply(x, axis=axes)
    out._softmax_logits = (x, axes)
    return out


def log_softmax(x: Tensor, axis: int | tuple[int, ...] = -1) -> Tensor:
    """log(softmax(x)) over `axis`, computed without ever taking log(0)."""
    return LogSoftmax.apply(x, axis=_softmax_axes("log_softmax", x, axis))


def _softmax_axes(op: str, x: Tensor, axis: Any) -> tuple[int, ...]:
    if axis is None or x.ndim == 0:
        raise ValueError(
            f"{op}: needs an axis to normalise over; got axis={axis!r} for a tensor of shape "
            f"{x.shape}. Use axis=-1 (the class axis) on a tensor with at least one axis."
        )
    return normalize_axis(op, axis, x.ndim)


def _logits_behind(output: Tensor, axis: int) -> Tensor | None:
    """The logits `output` was computed from by softmax over `axis`, if it was."""
    found = getattr(output, "_softmax_logits", None)
    if found is None:
        return None
    logits, axes = found
    return logits if axes == (axis,) and logits.shape == output.shape else None


def _warn_softmax_as_logits(op: str, output: Tensor, axis: int) -> None:
    if _logits_behind(output, axis) is not None:
        warnings.warn(
            f"{op}: from_logits=True, but the output was produced by a softmax, so it holds "
            "probabilities, not logits. Pass from_logits=False, or drop the softmax "
            "activation and keep from_logits=True.",
            UserWarning,
            stacklevel=3,
        )


# ------------------------------------------------- categorical cross-entropy
class CategoricalCrossentropyFromLogits(WeightedReduction, Function):
    """-sum(target * log_softmax(logits)) over `axis`, with its gradient in closed form.

    Inputs (target, logits) or (target, logits, weight); `reduction` as in weighted_reduction.py.
    """

    name = "categorical_crossentropy"

    def forward(self, target, logits, weight=None, axis=-1, reduction=None):
        if weight is not None or reduction is not None:
            kept = axis % target.ndim
            check_folding(self.name, target.shape[:kept] + target.shape[kept + 1:], weight, reduction)
        self.axis = axis
        self.target = target
        self.log_probs = _log_softmax(logits, axis)
        return self._weight_and_reduce(-(target * self.log_probs).sum(axis=axis), weight, reduction)

    def backward(self, grad):
        xp = backend.array_module(grad)
        need_target, need_logits = self.needs_grad[:2]
        grad, d_weight = self._loss_grads(grad)
        g = xp.expand_dims(grad, self.axis) if grad.ndim else grad
        # d/dx_j of -sum_i t_i (x_i - lse) is softmax_j * sum_i t_i - t_j.
        total = self.target.sum(axis=self.axis, keepdims=True)
        d_logits = g * (xp.exp(self.log_probs) * total - self.target) if need_logits else None
        d_target = -g * self.log_probs if need_target else None
        if self.weight is None:
            return d_target, d_logits
        return d_target, d_logits, d_weight


def categorical_crossentropy(
    target: Tensor, output: Tensor, from_logits: bool = False, axis: int = -1,
    weight: Tensor | None = None, reduction: str | None = None,
) -> Tensor:
    """Cross-entropy between one-hot (or soft) targets and predictions, per sample.

    Args:
        target: the true class probabilities, the same shape as `output`.
        output: predicted probabilities, or logits when `from_logits=True`.
        from_logits: whether `output` holds unnormalised scores.
        axis: the class axis.
        weight: a weight per sample (`output`'s shape without `axis`) or one
            number, multiplying each sample's loss; None for none.
        reduction: None (one loss per sample), "sum", or "sum_over_batch_size"
            (the weighted sum divided by the number of samples).

    Returns:
        The loss of each sample: `output`'s shape without `axis`; a 0-d tensor
        when reduced.
    """
    op = "categorical_crossentropy"
    if target.shape != output.shape:
        hint = ""
        if target.ndim == output.ndim - 1 or (target.ndim == output.ndim and target.shape[-1:] == (1,)):
            hint = " The target looks like integer class labels: use sparse_categorical_crossentropy."
        raise ValueError(
            f"{op}: target shape {target.shape} and output shape {output.shape} differ; they must "
            f"be equal (one probability per class).{hint}"
        )
    axis = _class_axis(op, output, axis)
    target = _as_dtype_of(target, output)
    weights = () if weight is None else (_as_dtype_of(weight, output),)
    if from_logits:
        _warn_softmax_as_logits(op, output, axis)
        return CategoricalCrossentropyFromLogits.apply(target, output, *weights, axis=axis, reduction=reduction)
    logits = _logits_behind(output, axis)
    if logits is not None:
        return CategoricalCrossentropyFromLogits.apply(target, logits, *weights, axis=axis, reduction=reduction)
    losses = -(target * _clipped_log_probs(output, axis)).sum(axis=axis)
    return weighted_and_reduced(op, losses, weights, reduction)


def _clipped_log_probs(output: Tensor, axis: int) -> Tensor:
    """log of `output` rescaled to sum to 1 along `axis` and kept in [eps, 1 - eps], as Keras does."""
    probs = output / output.sum(axis=axis, keepdims=True)
    return Clip.apply(probs, low=EPSILON, high=1.0 - EPSILON).log()


# ------------------------------------------ sparse categorical cross-entropy
class SparseCategoricalCrossentropyFromLogits(WeightedReduction, Function):
    """-log_softmax(logits)[label] over `axis`: the hot path of classifier training.

    loss = logsumexp(logits) - logits[label], and its gradient is softmax minus
    the label's indicator. For the usual (batch, classes) logits each row's
    label is picked by plain indexing; other layouts use a boolean indicator
    shaped like the logits. Inputs (logits, labels) or (logits, labels, weight);
    `reduction` as in weighted_reduction.py.
    """

    name = "sparse_categorical_crossentropy"
    pick = None  # (rows, labels) when the logits are (batch, classes)

    def forward(self, logits, labels, weight=None, axis=-1, reduction=None):
        if weight is not None or reduction is not None:
            check_folding(self.name, labels.shape, weight, reduction)
        xp = backend.array_module(logits)
        axis %= logits.ndim
        shifted = logits - logits.max(axis=axis, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=axis, keepdims=True)
        if self.needs_grad:
            self.probs = e / total
        if logits.ndim == 2 and axis == 1:
            self.pick = (xp.arange(len(labels)), labels)  # (row, label) of each sample
            return self._weight_and_reduce(xp.log(total[:, 0]) - shifted[self.pick], weight, reduction)
        # The labels' shape with a size-1 class axis, where per-sample values meet the logits.
        self.kept_shape = labels.shape[:axis] + (1,) + labels.shape[axis:]
        classes = [1] * logits.ndim
        classes[axis] = logits.shape[axis]
        self.is_label = xp.arange(logits.shape[axis]).reshape(classes) == labels.reshape(self.kept_shape)
        picked = xp.where(self.is_label, shifted, 0).sum(axis=axis, keepdims=True)
        return self._weight_and_reduce((xp.log(total) - picked).reshape(labels.shape), weight, reduction)

    def backward(self, grad):
        grad, d_weight = self._loss_grads(grad)
        if self.pick is not None:  # softmax * g, minus g at each row's label
            d_logits = self.probs * (grad[:, None] if grad.ndim else grad)
            d_logits[self.pick] -= grad
        else:
            d_logits = (self.probs - self.is_label) * (grad.reshape(self.kept_shape) if grad.ndim else grad)
        if self.weight is None:
            return d_logits, None
        return d_logits, None, d_weight


def sparse_categorical_crossentropy(
    target: Tensor, output: Tensor, from_logits: bool = False, axis: int = -1,
    weight: Tensor | None = None, reduction: str | None = None,
) -> Tensor:
    """Cross-entropy between integer class labels and predictions, per sample.

    Args:
        target: class indices in [0, num_classes): `output`'s shape without
            `axis` (e.g. (64,) for an output of (64, 10)), or with a size-1 axis
            in its place ((64, 1)). Integer-valued floats are accepted.
        output: predicted probabilities, or logits when `from_logits=True`.
        from_logits: whether `output` holds unnormalised scores.
        axis: the class axis.
        weight: a weight per sample (the labels' shape) or one number,
            multiplying each sample's loss; None for none.
        reduction: None (one loss per sample), "sum", or "sum_over_batch_size"
            (the weighted sum divided by the number of samples).

    Returns:
        The loss of each sample: `output`'s shape without `axis`; a 0-d tensor
        when reduced.

    Uniform logits over 10 classes cost log(10) for every sample:

    >>> float(sparse_categorical_crossentropy(Tensor([3]), Tensor([[0.0] * 10]), from_logits=True)[0])
    2.302585...
    """
    op = "sparse_categorical_crossentropy"
    axis_given = axis
    axis = _class_axis(op, output, axis)
    labels = _sparse_target(op, target, output, axis)
    num_classes = output.shape[axis]
    labels = class_indices(op, labels, num_classes,
                           f"for an output with {num_classes} classes (axis {axis_given})",
                           "for one-hot targets use categorical_crossentropy")
    weights = () if weight is None else (_as_dtype_of(weight, output),)
    if from_logits:
        _warn_softmax_as_logits(op, output, axis)
        return SparseCategoricalCrossentropyFromLogits.apply(output, labels, *weights, axis=axis,
                                                             reduction=reduction)
    logits = _logits_behind(output, axis)
    if logits is not None:
        return SparseCategoricalCrossentropyFromLogits.apply(logits, labels, *weights, axis=axis,
                                                             reduction=reduction)
    # Probabilities from elsewhere: the (rarer) clipped path, built from primitives.
    indicator = _one_hot_array(labels.data, num_classes, axis, output.dtype)
    losses = -(Tensor._make(indicator, False) * _clipped_log_probs(output, axis)).sum(axis=axis)
    return weighted_and_reduced(op, losses, weights, reduction)


def _sparse_target(op: str, target: Tensor, output: Tensor, axis: int) -> Tensor:
    """`target` with the shape of `output` minus its class axis (a size-1 class axis is dropped)."""
    expected = output.shape[:axis] + output.shape[axis + 1:]
    if target.shape == expected:
        return target
    if target.ndim == output.ndim and target.shape[axis] == 1 and \
            target.shape[:axis] + target.shape[axis + 1:] == expected:
        return target.reshape(expected)
    with_one = output.shape[:axis] + (1,) + output.shape[axis + 1:]
    hint = ""
    if target.shape == output.shape:
        hint = " The target looks one-hot encoded: use categorical_crossentropy, or pass argmax labels."
    raise ValueError(
        f"{op}: target shape {target.shape} does not fit output shape {output.shape}: sparse "
        f"targets hold one class index per sample, shape {expected} or {with_one}.{hint}"
    )


def class_indices(op: str, labels: Tensor, num_classes: int, where: str, fix: str) -> Tensor:
    """`labels` as an int64 Tensor, after checking they are whole numbers in [0, num_classes).

    Args:
        op: the op's name, for messages.
        labels: integer (or integer-valued float) labels.
        num_classes: how many classes there are.
        where: says where `num_classes` comes from, e.g. "for num_classes=10".
        fix: what to do instead when the labels are of the wrong kind.
    """
    return ClassIndices.apply(labels.detach(), num_classes=num_classes, op=op, where=where, fix=fix)


class ClassIndices(Function):
    """Labels checked to be class indices and cast to int64 (see class_indices); no gradient.

    An op rather than plain code, so that a compiled step, which replays ops,
    checks and converts the labels of every batch.
    """

    name = "class_indices"

    def forward(self, data, num_classes, op, where, fix):
        # data's dtype is floating, integer or bool
        if data.size and backend.device_of(data) == "gpu":
            # Reading the test back would make every step wait for the device: it is settled
            # with the step's figures instead (deferred_checks.py).
            xp = backend.array_module(data)
            low, high = data.min(), data.max()
            failed = ~((low >= 0) & (high < num_classes))  # a NaN fails both
            if data.dtype.kind == "f":
                failed = failed | ~(data == xp.floor(data)).all()
            check_later(failed, lambda: _raise_for_bad_label(op, data, num_classes, where, fix))
        elif data.size:
            # One cheap test for the usual case (runs at every step); the messages
            # below find out what exactly is wrong only when something is.
            low, high = data.min(), data.max()  # a NaN shows in both
            fine = bool(low >= 0) and bool(high < num_classes)
            if fine and data.dtype.kind == "f":
                fine = bool((data == backend.array_module(data).floor(data)).all())
            if not fine:
                _raise_for_bad_label(op, data, num_classes, where, fix)
        return data.astype("int64", copy=False)

    def backward(self, grad):
        return None


def _raise_for_bad_label(op: str, data: Any, num_classes: int, where: str, fix: str) -> None:
    if data.dtype.kind == "f":
        xp = backend.array_module(data)
        fractional = ~xp.isfinite(data) | (data != xp.floor(data))
        if bool(fractional.any()):
            bad = data[fractional].reshape(-1)[:1].item()
            raise ValueError(
                f"{op}: label {bad!r} is not a whole number. Labels must be class indices "
                f"0..{num_classes - 1} {where}; cast them with .astype('int32'), or {fix}."
            )
    data = data.astype("int64", copy=False)
    low, high = int(data.min()), int(data.max())
    bad = high if high >= num_classes else low
    raise ValueError(
        f"{op}: label {bad} is outside [0, {num_classes}) {where}. Labels must be class "
        f"indices 0..{num_classes - 1}; {fix}."
    )


# ------------------------------------------------------ binary cross-entropy
class BinaryCrossentropyFromLogits(Function):
    """max(x, 0) - x*z + log(1 + exp(-|x|)): -z log sigmoid(x) - (1-z) log(1 - sigmoid(x)), stably."""

    name = "binary_crossentropy"

    def forward(self, target, logits):
        xp = backend.array_module(logits)
        self.target, self.logits = target, logits
        return xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-abs(logits)))

    def backward(self, grad):
        xp = backend.array_module(grad)
        need_target, need_logits = self.needs_grad
        sigmoid = 0.5 * (1 + xp.tanh(0.5 * self.logits))
        d_target = -grad * self.logits if need_target else None
        d_logits = grad * (sigmoid - self.target) if need_logits else None
        return d_target, d_logits


def binary_crossentropy(target: Tensor, output: Tensor, from_logits: bool = False) -> Tensor:
    """Binary cross-entropy of each element (keras.ops semantics: no reduction at all).

    Args:
        target: the true values in [0, 1], the same shape as `output`.
        output: predicted probabilities, or logits when `from_logits=True`.
        from_logits: whether `output` holds unnormalised scores.

    Returns:
        A tensor of `output`'s shape.
    """
    op = "binary_crossentropy"
    if target.shape != output.shape:
        raise ValueError(
            f"{op}: target shape {target.shape} and output shape {output.shape} differ; they must "
            f"be equal (one target per prediction). Reshape the target, e.g. "
            f"y.reshape({output.shape})."
        )
    target = _as_dtype_of(target, output)
    if from_logits:
        return BinaryCrossentropyFromLogits.apply(target, output)
    probs = Clip.apply(output, low=EPSILON, high=1.0 - EPSILON)
    return -(target * probs.log() + (1 - target) * (1 - probs).log())


# ------------------------------------------------------------------ one-hot
def one_hot(x: Tensor, num_classes: int, axis: int = -1, dtype: Any = "float32") -> Tensor:
    """Integer labels as one-hot vectors along a new `axis` (no gradient).

    >>> one_hot(Tensor([2, 0]), 3).numpy()
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    op = "one_hot"
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"{op}: num_classes must be a positive int, got {num_classes!r}.")
    ndim = x.ndim + 1
    if not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise ValueError(
            f"{op}: axis {axis!r} is out of range for the {ndim}-d result of labels of shape "
            f"{x.shape}; valid axes are {-ndim}..{ndim - 1}."
        )
    labels = class_indices(op, x, num_classes, f"for num_classes={num_classes}",
                           "raise num_classes or fix the labels")
    dtype = as_dtype("float32" if dtype is None else dtype, op)
    return Tensor._make(_one_hot_array(labels.data, num_classes, axis % ndim, dtype), False)


def _one_hot_array(labels: Any, num_classes: int, axis: int, dtype: Any) -> Any:
    """labels (checked int array) -> array with a new class `axis` of size num_classes."""
    xp = backend.array_module(labels)
    shape = [1] * (labels.ndim + 1)
    shape[axis] = num_classes
    classes = xp.arange(num_classes).reshape(shape)
    return (xp.expand_dims(labels, axis) == classes).astype(dtype)


# ------------------------------------------------------------------ helpers
def _class_axis(op: str, output: Tensor, axis: Any) -> int:
    if output.ndim == 0:
        raise ValueError(
            f"{op}: output must have at least one axis (the classes); got a 0-d tensor."
        )
    if type(axis) is int and -output.ndim <= axis < output.ndim:
        return axis % output.ndim  # the usual case, checked cheaply
    try:
        if isinstance(axis, bool):
            raise TypeError
        axis = operator.index(axis)  # an int, or a NumPy integer
    except TypeError:
        raise ValueError(f"{op}: axis must be one int (the class axis), got {axis!r}.") from None
    return normalize_axis(op, axis, output.ndim)[0]


def _as_dtype_of(target: Tensor, output: Tensor) -> Tensor:
    """The target in the output's floating dtype, so the loss keeps the model's precision."""
    if target.dtype == output.dtype or output.dtype.kind != "f":
        return target
    return target.astype(output.dtype)
