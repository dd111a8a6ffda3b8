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
from ..losses.loss import squeeze_or_expand_to_same_rank
from .metric import Metric, divide_no_nan


def reduce_to_samplewise_values(values: Any, sample_weight: Any, reduce_fn: Callable, dtype: str,
                                where: str) -> tuple[Tensor, Tensor | None]:
    """One value per sample (shape (N,)), weighted, and the weight of each sample.

    Values with more axes than the weights are first reduced (with `reduce_fn`)
    down to the weights' rank, so that weights of shape (N,) weigh whole samples.
    """
    values = ops.convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
        values, weight = squeeze_or_expand_to_same_rank(values, weight)
        if values.ndim > weight.ndim:
            values = reduce_fn(values, axis=tuple(range(weight.ndim, values.ndim)))
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
        weight = weight * ops.ones_like(values)  # spread it over the values it weighs
        values = values * weight
        if weight.ndim > 1:
            weight = reduce_fn(weight, axis=tuple(range(1, weight.ndim)))
    else:
        weight = None
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, weight


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
        with no_grad():
            values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype, self.name)
            self.total.assign_add(ops.sum(values))

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
        with no_grad():
            if sample_weight is None or _is_number(sample_weight):
                self._update_unweighted(ops.convert_to_tensor(values, dtype=self.dtype), sample_weight)
                return
            values, weight = reduce_to_samplewise_values(values, sample_weight, ops.mean, self.dtype, self.name)
            self.total.assign_add(ops.sum(values))
            self.count.assign_add(ops.sum(weight))

    def _update_unweighted(self, values: Tensor, weight: float | None) -> None:
        """The cases of every training step, kept cheap: no sample weights (a metric's
        0/1 values), or one number for the whole batch (the loss, weighted by the batch
        size). The same sums as the general path, written straight into the state
        arrays (both are this metric's own, on one device)."""
        if weight is None:
            if values.ndim > 1:  # a value per sample: the mean of its row
                values = ops.mean(values, axis=tuple(range(1, values.ndim)))
            self.total.data += values.data.sum()
            self.count.data += values.shape[0] if values.ndim else 1
        else:  # as Keras: a single weight weighs the batch's mean as one sample
            # The loss of each step is one number, its own mean: .mean() on a 0-d
            # array would cost more than the rest of this update.
            batch_mean = values.data if values.ndim == 0 else values.data.mean()
            self.total.data += batch_mean * weight
            self.count.data += weight

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
        with no_grad():
            values = self._fn(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred), **self._fn_kwargs)
            super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        from . import serialize_function

        return {**super().get_config(), "fn": serialize_function(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "MeanMetricWrapper":
        from . import deserialize_function

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
