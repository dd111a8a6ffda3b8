"""Mean, Sum, and MeanMetricWrapper: the metrics that fold values into a running total.

Most metrics are "the average of something per sample": accuracy is the
average of 0/1 hits, MSE the average squared error. `MeanMetricWrapper` turns
any per-sample function `fn(y_true, y_pred)` into such a metric, keeping two
numbers (the weighted total and the total weight) across batches.
"""

from __future__ import annotations

from typing import Any, Callable

from .. import backend, ops
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..losses.loss import apply_mask
from .metric import Metric, add_to_state, divide_no_nan
from .metric_registry import deserialize_function, serialize_function


def reduce_to_samplewise_values(values: Any, sample_weight: Any, reduce: str, dtype: str,
                                where: str) -> tuple[Any, Any]:
    """One value per sample (shape (N,)), weighted, and the weight of each sample.

    Values with more axes than the weights are first reduced (`reduce` is "sum" or
    "mean") down to the weights' rank, so that weights of shape (N,) weigh whole
    samples; weights of the values' own shape weigh each value, and weights of
    shape (1, ...) are spread over the rows. The weight is None when none was given.

    The work is done on the backend arrays: metric state needs no gradients, and
    this runs for every metric at every step, where graph bookkeeping would cost
    more than the sums.
    """
    values = _array_of(values, dtype)
    weight = None
    if sample_weight is not None:
        if type(sample_weight) in (int, float):  # a plain number, often the batch size at every step
            weight = values.dtype.type(sample_weight)  # a NumPy scalar mixes with CuPy arrays: no copy
        else:
            weight = backend.to_device(_array_of(sample_weight, dtype), backend.device_of(values))
        values, weight = _drop_trailing_unit_axis(values, weight)
        if values.ndim > weight.ndim:
            values = _reduce(values, reduce, start=weight.ndim)
        if weight.shape != values.shape:
            weight = _spread(weight, values, where)
        values = values * weight
        weight = _reduce(weight, reduce, start=1)
    return _reduce(values, reduce, start=1), weight


def _array_of(value: Any, dtype: str) -> Any:
    """The backend array behind `value` (a Tensor, array, list or number), in `dtype`."""
    if isinstance(value, Tensor):
        return value.data.astype(dtype, copy=False)
    if backend.is_array(value) or backend.is_number(value):  # a batch size as the weight, at every step
        return backend.array_module(value).asarray(value, dtype=dtype)
    return ops.convert_to_tensor(value, dtype=dtype).data


def _spread(weight: Any, values: Any, where: str) -> Any:
    """`weight` repeated over the values it weighs (a row of weights over every row)."""
    try:
        fits = backend.broadcast_shapes(values.shape, weight.shape) == values.shape
    except ValueError:
        fits = False
    if not fits:
        n = values.shape[0] if values.ndim else 1
        raise ValueError(
            f"{where}: sample_weight has shape {weight.shape}, which does not fit values of "
            f"shape {values.shape}. Give one weight per sample, shape ({n},), or a single number."
        )
    return weight * backend.array_module(values).ones_like(values)


def _drop_trailing_unit_axis(values: Any, weight: Any) -> tuple[Any, Any]:
    """(N,) against (N, 1): the size-1 axis goes, so they line up instead of broadcasting to (N, N)."""
    if values.ndim == weight.ndim + 1 and values.shape[-1] == 1:
        values = values.reshape(values.shape[:-1])
    elif weight.ndim == values.ndim + 1 and weight.shape[-1] == 1:
        weight = weight.reshape(weight.shape[:-1])
    return values, weight


def _total(array: Any) -> Any:
    # A single number (the loss of a step) is its own total; .sum() on a 0-d array
    # would cost as much as the rest of the update.
    return array.sum() if array.ndim else array


def _reduce(array: Any, reduce: str, start: int) -> Any:
    """`array` summed or averaged over its axes from `start` on (unchanged when it has none)."""
    if array.ndim <= start:
        return array
    return getattr(array, reduce)(axis=tuple(range(start, array.ndim)))


class Sum(Metric):
    """The (weighted) sum of all values seen.

    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7])
    >>> float(m.result())
    16.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, "sum", self.dtype, self.name)
        add_to_state(self.total, _total(values))

    def result(self) -> Tensor:
        # A copy: the result must not change when the state is next updated.
        return ops.convert_to_tensor(self.total.data.copy(), dtype=self.dtype)


class Mean(Metric):
    """The (weighted) mean of all values seen: total / count.

    Values of shape (N, ...) count as N samples, each the mean of its row.

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, name: str = "mean", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, weight = reduce_to_samplewise_values(values, sample_weight, "mean", self.dtype, self.name)
        add_to_state(self.total, _total(values))
        # Without weights every sample counts once; a single number is one sample.
        add_to_state(self.count, _total(weight) if weight is not None else values.size)

    def result(self) -> Tensor:
        return divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean over all samples of `fn(y_true, y_pred, **kwargs)`.

    Args:
        fn: a function returning one value per sample (a loss function, an
            accuracy function, or your own).
        name: the metric's name (defaults to the function's name).
        dtype: the dtype of the state and result.
        **kwargs: extra arguments passed to `fn`.
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", None) or "mean_metric_wrapper", dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        mask = getattr(y_pred, "_keras_mask", None)  # padded steps count for nothing (layers/layer_masks.py)
        with no_grad():
            values = self._fn(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred), **self._fn_kwargs)
            if mask is not None:
                dtype = values.dtype if values.dtype.kind == "f" else self.dtype
                sample_weight = apply_mask(sample_weight, mask, dtype, "sum")
            super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "fn": serialize_function(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "MeanMetricWrapper":
        config = dict(config)
        config["fn"] = deserialize_function(config["fn"])
        return cls(**config)


class _BuiltinMeanWrapper(MeanMetricWrapper):
    """A MeanMetricWrapper whose config lists its own arguments (the function is implied by the class)."""

    def get_config(self) -> dict[str, Any]:
        return {**Metric.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Metric":
        return cls(**config)
