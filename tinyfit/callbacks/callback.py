"""Callback: code that fit(), evaluate() and predict() call at fixed points of their loops.

The loops call, in this order (fit shown; evaluate and predict have the same
shape with "test" and "predict"):

    on_train_begin
        on_epoch_begin(epoch)
            on_train_batch_begin(batch) ... on_train_batch_end(batch, logs)   for each batch
            [validation: on_test_begin, on_test_batch_begin/end ..., on_test_end]
        on_epoch_end(epoch, logs)          logs: {"loss": ..., "val_loss": ..., ...} as floats
    on_train_end

A callback sees the model as `self.model` and the loop's settings as
`self.params` ({"verbose", "epochs", "steps"}, and in fit "do_validation" and
"validation_steps"). It stops training by setting `self.model.stop_training = True`.
"""

from __future__ import annotations

from typing import Any

Logs = dict[str, Any] | None


class Callback:
    """Base class: override the hooks you need; every hook does nothing by default.

    >>> class LossHistory(Callback):
    ...     def on_train_begin(self, logs=None):
    ...         self.per_batch_losses = []
    ...     def on_batch_end(self, batch, logs=None):
    ...         self.per_batch_losses.append(logs.get("loss"))
    """

    # Class-level defaults, so a subclass whose __init__ forgets super().__init__() still works.
    model: Any = None
    params: dict | None = None

    def __init__(self) -> None:
        self.model = None
        self.params = None

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    # -- backups (BackupAndRestore)
    def get_state(self) -> dict | None:
        """What this callback has gathered during fit, for a backup; None when it keeps nothing.

        Values are plain data (numbers, strings, lists, dicts) or NumPy arrays.
        """
        return None

    def set_state(self, state: dict) -> None:
        """Puts back what get_state() returned, when fit resumes from a backup."""

    # -- fit
    def on_train_begin(self, logs: Logs = None) -> None:
        """Called once, before the first epoch."""

    def on_train_end(self, logs: Logs = None) -> None:
        """Called once, after the last epoch (also after an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Called before each epoch; `epoch` counts from 0."""

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Called after each epoch with the epoch's training and validation results."""

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each training batch with the running results of the epoch so far."""
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """The older name of on_train_batch_begin (the default on_train_batch_begin calls it)."""

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        """The older name of on_train_batch_end (the default on_train_batch_end calls it)."""

    # -- evaluate (and validation inside fit)
    def on_test_begin(self, logs: Logs = None) -> None:
        """Called at the start of evaluate() and of each validation run."""

    def on_test_end(self, logs: Logs = None) -> None:
        """Called at the end of evaluate() and of each validation run."""

    def on_test_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each evaluation batch."""

    # -- predict
    def on_predict_begin(self, logs: Logs = None) -> None:
        """Called at the start of predict()."""

    def on_predict_end(self, logs: Logs = None) -> None:
        """Called at the end of predict()."""

    def on_predict_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each prediction batch; logs hold {"outputs": ...}."""
