"""R2Score: the coefficient of determination, over all the data seen.

R^2 = 1 - (sum of squared errors) / (sum of squared deviations from the mean):
1 for perfect predictions, 0 for always predicting the mean, negative for worse.
The sums are kept per output column across batches, so the result is the R^2
of all the data, not an average of per-batch values.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import backend, ops
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..losses.loss import squeeze_or_expand_to_same_rank
from .metric import Metric, add_to_state

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination R^2 of targets of shape (batch_size, outputs).

    Args:
        class_aggregation: how the outputs' scores become one: "uniform_average"
            (their mean, the default), "variance_weighted_average" (weighted by each
            output's variance), or None (one score per output).
        num_regressors: the number of independent variables of a linear model;
            when > 0 the adjusted R^2 is returned, which penalises more regressors.
        name, dtype: as for `Metric`.

    >>> m = R2Score()
    >>> m.update_state([[1.], [4.], [3.]], [[2.], [4.], [4.]])
    >>> round(float(m.result()), 4)
    0.5714
    """

    def __init__(self, class_aggregation: str | None = "uniform_average", num_regressors: int = 0,
                 name: str = "r2_score", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(f"R2Score: class_aggregation must be one of {_AGGREGATIONS}, "
                             f"got {class_aggregation!r}.")
        if not isinstance(num_regressors, int) or num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be an int >= 0, got {num_regressors!r}.")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), name="num_samples")
        self._sums = None  # made at the first batch, when the number of outputs is known

    def _build(self, outputs: int) -> None:
        self.squared_sum = self.add_variable(shape=(outputs,), name="squared_sum")
        self.sum = self.add_variable(shape=(outputs,), name="sum")
        self.total_mse = self.add_variable(shape=(outputs,), name="residual")
        self.count = self.add_variable(shape=(outputs,), name="count")
        self._sums = outputs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds a batch: y_true and y_pred of shape (batch_size, outputs), weights of shape (batch_size,)."""
        with no_grad():
            y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
            y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if y_true.ndim != 2 or y_pred.shape != y_true.shape:
            raise ValueError(
                f"R2Score expects y_true and y_pred of one shape (batch_size, outputs); got "
                f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}. For one output per "
                "sample, reshape to (batch_size, 1)."
            )
        if self._sums is None:
            self._build(y_true.shape[1])
        elif y_true.shape[1] != self._sums:
            raise ValueError(f"R2Score: this metric has seen {self._sums} outputs per sample; this batch has "
                             f"{y_true.shape[1]}. Use a new R2Score (or reset_state()) for other data.")
        t, p = y_true.data, y_pred.data
        xp = backend.array_module(t)
        weight = xp.ones_like(t) if sample_weight is None else \
            ops.convert_to_tensor(sample_weight, dtype=self.dtype).data
        if weight.ndim == 1:
            weight = weight[:, None]  # one weight per sample, spread over its outputs
        weight = xp.broadcast_to(weight, t.shape)
        add_to_state(self.sum, (t * weight).sum(axis=0))
        add_to_state(self.squared_sum, (t * t * weight).sum(axis=0))
        add_to_state(self.total_mse, ((t - p) ** 2 * weight).sum(axis=0))
        add_to_state(self.count, weight.sum(axis=0))
        add_to_state(self.num_samples, t.size)  # Keras counts values, not rows

    def result(self) -> Tensor:
        if self._sums is None:
            return ops.convert_to_tensor(0.0, dtype=self.dtype)
        xp = backend.array_module(self.sum.data)
        count, total_sum = self.count.data, self.sum.data
        mean = total_sum / xp.where(count == 0, 1, count)
        total = self.squared_sum.data - total_sum * mean  # the (weighted) sum of squared deviations
        # A constant target (total 0) has no defined R^2: it scores 0, as in Keras.
        scores = xp.where(total == 0, 0, 1 - self.total_mse.data / xp.where(total == 0, 1, total))
        if self.class_aggregation == "uniform_average":
            score = scores.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * scores).sum() / total.sum() if total.sum() else scores.mean() * 0
        else:
            score = scores
        score = self._adjusted(score)
        return ops.convert_to_tensor(xp.asarray(score, dtype=self.dtype))

    def _adjusted(self, score: Any) -> Any:
        """The adjusted R^2 when num_regressors > 0 (and there are enough samples for it)."""
        if not self.num_regressors:
            return score
        n, p = float(self.num_samples.data), self.num_regressors
        if p >= n - 1:
            warnings.warn(
                f"R2Score: the adjusted R^2 needs more samples than num_regressors + 1 ({n:.0f} samples, "
                f"{p} regressors); returning the plain R^2.", UserWarning, stacklevel=3)
            return score
        return 1 - (1 - score) * (n - 1) / (n - p - 1)

    def reset_state(self) -> None:
        for variable in self.variables:
            variable.assign(0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
