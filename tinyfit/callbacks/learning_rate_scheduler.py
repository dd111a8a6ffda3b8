"""LearningRateScheduler: set the learning rate at the start of each epoch from a function."""

from __future__ import annotations

import inspect
import numbers
from typing import Callable

from ._learning_rate import check_learning_rate_settable, read_learning_rate, write_learning_rate
from .callback import Callback, Logs


def _takes_learning_rate(schedule: Callable) -> bool:
    """True for schedule(epoch, lr), False for the older schedule(epoch)."""
    try:
        parameters = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


class LearningRateScheduler(Callback):
    """Before each epoch, sets the learning rate to schedule(epoch, current_lr).

    >>> def schedule(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.9

    The rate of each epoch is logged as "learning_rate". The epoch counts from
    0. A schedule(epoch) with one argument works too.

    Args:
        schedule: a function (epoch, lr) -> float.
        verbose: 1 prints each change.
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be a function (epoch, lr) -> float, got {schedule!r}.")
        self.schedule = schedule
        self.verbose = verbose

    def on_train_begin(self, logs: Logs = None) -> None:
        check_learning_rate_settable(self.model, "LearningRateScheduler")

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        current = read_learning_rate(self.model, "LearningRateScheduler")
        if _takes_learning_rate(self.schedule):
            new_rate = self.schedule(epoch, current)
        else:
            new_rate = self.schedule(epoch)
        if not isinstance(new_rate, numbers.Real) or isinstance(new_rate, bool):
            raise TypeError(
                f"LearningRateScheduler: schedule({epoch}, {current:.6g}) returned {new_rate!r} "
                f"({type(new_rate).__name__}); it must return the learning rate as a float."
            )
        write_learning_rate(self.model, float(new_rate), "LearningRateScheduler")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new_rate):.6g}.")

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        if logs is not None:
            logs["learning_rate"] = read_learning_rate(self.model, "LearningRateScheduler")
