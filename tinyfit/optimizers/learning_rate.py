"""The learning rate of an optimizer: a float (a Variable training can change), a schedule, or a function.

`optimizer.learning_rate` always reads as a 0-d float32 Variable, whatever it comes
from, so a callback or a student can print it the same way. Only a float rate can be
set during training (ReduceLROnPlateau, LearningRateScheduler): a schedule decides
its own rate from `iterations`.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.tensor import Tensor
from ..autograd.variable import Variable
from .schedules import LearningRateSchedule


def _is_scalar(value: Any) -> bool:
    """A number, or a one-element Tensor or array: something float() reads as a learning rate."""
    if isinstance(value, Tensor) or backend.is_array(value):
        return value.size == 1 and value.dtype.kind in "fiu"
    return backend.is_number(value)


class LearningRateHandling:
    """The learning-rate half of Optimizer: making, reading and setting the rate.

    Optimizer.__init__ sets `_learning_rate` with `_make_learning_rate(...)` and
    `_shown_learning_rate` to None; `_iterations` and `_on_cpu` come from OptimizerVariables.
    """

    def _make_learning_rate(self, value: Any) -> Any:
        if isinstance(value, LearningRateSchedule):
            return value
        if _is_scalar(value):
            return self._on_cpu(Variable(float(value), dtype="float32", trainable=False, name="learning_rate"))
        if callable(value):
            return value
        raise TypeError(
            f"{type(self).__name__}: learning_rate must be a float, a LearningRateSchedule or a "
            f"function with no arguments; got {value!r}."
        )

    @property
    def learning_rate(self) -> Variable:
        """The current learning rate as a 0-d float32 Variable (read it with float(...))."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        if self._shown_learning_rate is None:
            self._shown_learning_rate = self._on_cpu(
                Variable(0.0, dtype="float32", trainable=False, name="learning_rate"))
        return self._shown_learning_rate.assign(self._current_learning_rate())

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(value, LearningRateSchedule) or (callable(value) and not isinstance(value, Tensor)):
            self._learning_rate = value
            return
        if not isinstance(self._learning_rate, Variable):
            kind = type(self._learning_rate).__name__
            what = f"the schedule {kind}" if isinstance(self._learning_rate, LearningRateSchedule) else \
                "a function"
            shown = f"{float(value):.6g}" if _is_scalar(value) else repr(value)
            raise TypeError(
                f"{self.name}: the learning rate comes from {what}, so it cannot be set to {shown}. "
                "Create the optimizer with a float learning_rate to change it during training "
                "(ReduceLROnPlateau and LearningRateScheduler need one), or keep the schedule and "
                "drop the callback."
            )
        if not _is_scalar(value):
            raise TypeError(f"{self.name}: learning_rate must be set to a number, got {value!r}.")
        self._learning_rate.assign(float(value))

    def _current_learning_rate(self) -> float:
        rate = self._learning_rate
        if isinstance(rate, Variable):
            return float(rate.data)
        if isinstance(rate, LearningRateSchedule):
            return float(rate(int(self._iterations.data)))
        return float(rate())
