"""History: the per-epoch record that fit() returns."""

from __future__ import annotations

from .callback import Callback, Logs


class History(Callback):
    """Records every epoch's logs; fit() adds one and returns it.

    `history.history` maps each logged name to its per-epoch values,
    e.g. {"loss": [0.34, 0.16], "val_loss": [0.20, 0.14]}; `history.epoch`
    lists the epoch numbers (from 0).
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: Logs = None) -> None:
        self.epoch = []

    def get_state(self) -> dict | None:
        return {"history": self.history, "epoch": self.epoch}

    def set_state(self, state: dict) -> None:
        self.history = {name: list(values) for name, values in state["history"].items()}
        self.epoch = list(state["epoch"])

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        # The model's `history` attribute points at the latest record.
        if self.model is not None:
            self.model.history = self
