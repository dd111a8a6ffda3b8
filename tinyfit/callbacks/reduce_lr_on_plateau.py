"""ReduceLROnPlateau: cut the learning rate when the monitored value stops improving."""

from __future__ import annotations

import numpy

from ._learning_rate import check_learning_rate_settable, read_learning_rate, write_learning_rate
from .callback import Logs
from .monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by `factor` after `patience` epochs without improvement.

    Each epoch's logs get the learning rate used in that epoch as
    "learning_rate" (so History records it). After a cut, the next `cooldown`
    epochs are not counted (Keras 3 counts the last of them; tinyfit follows
    its documentation: they are all skipped). The rate never goes below `min_lr`,
    and once there the callback does nothing more.

    The optimizer needs a float learning rate: with a LearningRateSchedule
    there is no single rate to cut, and fit() fails at once saying so.

    Args:
        monitor: the logged value to watch. Defaults to "val_loss".
        factor: the multiplier, 0 < factor < 1. Defaults to 0.1.
        patience: epochs without improvement before a cut. Defaults to 10.
        verbose: 1 prints each cut.
        mode: "min", "max" or "auto".
        min_delta: the least change that counts as an improvement. Defaults to 1e-4.
        cooldown: epochs to wait after a cut before counting again.
        min_lr: the lower bound of the learning rate.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0):
        super().__init__(monitor, mode, min_delta=min_delta)
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be between 0 and 1 (exclusive), got factor={factor!r}.")
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.wait = 0
        self.cooldown_counter = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: Logs = None) -> None:
        self._reset_monitor()
        self.wait = 0
        self.cooldown_counter = 0
        check_learning_rate_settable(self.model, "ReduceLROnPlateau")

    def get_state(self) -> dict | None:
        return {**super().get_state(), "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        self.wait, self.cooldown_counter = state["wait"], state["cooldown_counter"]

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        logs = {} if logs is None else logs
        learning_rate = read_learning_rate(self.model, "ReduceLROnPlateau")
        logs["learning_rate"] = learning_rate
        current = self.get_monitor_value(logs)
        if current is None:
            return
        improved = self._is_improvement(current, self.best)
        if improved:
            self.best = current
        if self.in_cooldown():
            # The `cooldown` epochs after a cut do not count towards patience.
            self.cooldown_counter -= 1
            self.wait = 0
            return
        if improved:
            self.wait = 0
            return
        self.wait += 1
        # The rate is a float32: compare in float32, or min_lr=1e-3 would look below a rate of 1e-3.
        if self.wait >= self.patience and learning_rate > numpy.float32(self.min_lr):
            new_rate = max(learning_rate * self.factor, self.min_lr)
            write_learning_rate(self.model, new_rate, "ReduceLROnPlateau")
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_rate:.6g}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0
