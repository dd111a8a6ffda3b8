"""EarlyStopping: stop fit() when the monitored value has stopped improving."""

from __future__ import annotations

from .callback import Logs
from .monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stops training after `patience` epochs without improvement of `monitor`.

    Args:
        monitor: the logged value to watch. Defaults to "val_loss".
        min_delta: the least change that counts as an improvement.
        patience: how many epochs without improvement to allow before stopping.
        verbose: 1 prints when it stops and when it restores weights.
        mode: "min", "max" or "auto" (max for accuracy-like names).
        baseline: training stops if the value does not beat this within
            `patience` epochs.
        restore_best_weights: at the end of training, put back the weights of
            the best epoch, whether training stopped early or ran all its epochs.
            `best_epoch` says which epoch that was (from 0).
        start_from_epoch: epochs to let pass before watching (a warm-up).
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0):
        super().__init__(monitor, mode, baseline=baseline, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs: Logs = None) -> None:
        # Reset, so that one instance serves several fit() calls.
        self._reset_monitor()
        self.best = None
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def get_state(self) -> dict | None:
        return {**super().get_state(), "wait": self.wait, "stopped_epoch": self.stopped_epoch,
                "best_epoch": self.best_epoch, "best_weights": self.best_weights}

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        self.wait, self.stopped_epoch = state["wait"], state["stopped_epoch"]
        self.best_epoch, self.best_weights = state["best_epoch"], state["best_weights"]

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing better seen yet: the weights now are the best there are.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience starts over only when the value also beats the baseline.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
