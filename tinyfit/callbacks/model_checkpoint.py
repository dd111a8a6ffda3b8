"""ModelCheckpoint: save the model (or its weights) during fit(), every epoch, every n batches, or when it improves."""

from __future__ import annotations

import os
import string
from typing import Any

from ._save_freq import check_save_freq
from .callback import Logs
from .monitor_callback import MonitorCallback

class ModelCheckpoint(MonitorCallback):
    """Saves the model, or only its weights, while fit() runs.

    >>> checkpoint = ModelCheckpoint("ckpt/model_{epoch:02d}-{val_loss:.2f}.keras", save_best_only=True)

    The fields of `filepath` are checked when training starts, against the
    values fit() will log, so a misspelt name fails at once rather than after
    the first epoch. Every file is written atomically: a run killed during a
    save leaves the previous file intact.

    Args:
        filepath: where to save. It may name `{epoch}` (counting from 1),
            `{batch}` (from 1, with an integer `save_freq`) and any logged value
            (`{loss}`, `{val_loss:.2f}`, `{sparse_categorical_accuracy}`), with
            a format spec. Missing folders are created.
        monitor: the logged value that decides, with `save_best_only`, which
            model is the best.
        verbose: 1 prints each save, and with `save_best_only` each epoch that
            did not improve.
        save_best_only: save only when `monitor` improves on the best so far
            (the best is kept across fit() calls on the same callback).
        save_weights_only: save with `model.save_weights` instead of `model.save`.
        mode: "min", "max" or "auto" (max for accuracy-like names).
        save_freq: "epoch" to save after each epoch, or an integer n to save
            after every n training batches (counted across epochs).
        initial_value_threshold: with `save_best_only`, a value that the
            monitored value has to beat before the first save.
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str | int = "epoch", initial_value_threshold: float | None = None):
        super().__init__(monitor, mode, baseline=None)
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"ModelCheckpoint: filepath must be a path (str), got {type(filepath).__name__} "
                            f"{filepath!r}.")
        self.filepath = os.fspath(filepath)
        self.fields = _fields_of(self.filepath)
        self.save_freq = check_save_freq("ModelCheckpoint", save_freq)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.initial_value_threshold = initial_value_threshold
        self.best = initial_value_threshold
        self._epoch = 0
        self._batches_since_save = 0

    # -- checks before the first epoch
    def on_train_begin(self, logs: Logs = None) -> None:
        self._batches_since_save = 0
        logged = self._logged_keys()
        if logged is None:  # a custom train_step decides its keys: checked at the first save instead
            return
        by_batch = self.save_freq != "epoch"
        # Batch logs hold training values only; validation runs at the end of an epoch.
        available = [k for k in logged if not (by_batch and k.startswith("val_"))]
        counters = ["epoch", "batch"] if by_batch else ["epoch"]
        unknown = [f for f in self.fields if f not in available and f not in counters]
        if unknown:
            raise ValueError(
                f"ModelCheckpoint: filepath {self.filepath!r} names {_names(unknown)}, which "
                f"{'is' if len(unknown) == 1 else 'are'} not logged{self._when()}. Fields it can name: "
                f"{', '.join(counters + available)}.{self._fix(unknown)}")
        if self.save_best_only and self.monitor not in available:
            raise ValueError(
                f"ModelCheckpoint: monitor={self.monitor!r} is not logged{self._when()}; logged values: "
                f"{', '.join(available) or '(none)'}.{self._fix([self.monitor])}")

    def _logged_keys(self) -> list[str] | None:
        """The keys fit() will log, or None when the model's own step code decides them."""
        names = self.model.logged_metric_names
        if names is None:
            return None
        names = list(names)
        if (self.params or {}).get("do_validation"):
            names += [f"val_{name}" for name in names]
        return names

    def _when(self) -> str:
        if self.save_freq != "epoch":
            return f" at the end of a batch (save_freq={self.save_freq})"
        return " in this fit()"

    def _fix(self, names: list[str]) -> str:
        if not any(name.startswith("val_") for name in names):
            return ""
        if self.save_freq != "epoch":
            return " Validation values exist only at the end of an epoch: use save_freq='epoch'."
        if not (self.params or {}).get("do_validation"):
            return " Validation values are logged when fit() validates: pass validation_data or validation_split."
        return ""

    # -- saving
    # -- backups (BackupAndRestore): the best so far and the batch count go with the run
    def get_state(self) -> dict | None:
        return {**super().get_state(), "batches_since_save": self._batches_since_save}

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        self._batches_since_save = state["batches_since_save"]

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch: int, batch: int | None, logs: Logs) -> None:
        logs = {key: _as_number(value) for key, value in (logs or {}).items()}
        where = f"Epoch {epoch + 1}" + (f", batch {batch + 1}" if batch is not None else "")
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = self.get_monitor_value(logs)
            if current is None:
                return
            if not self._is_improvement(current, self.best):
                if self.verbose > 0:
                    print(f"{where}: {self.monitor} did not improve from {self._best_text()}")
                return
            if self.verbose > 0:
                print(f"{where}: {self.monitor} improved from {self._best_text()} to {current:.5f}, "
                      f"saving {self._what()} to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"{where}: saving {self._what()} to {path}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)

    def _path(self, epoch: int, batch: int | None, logs: dict) -> str:
        values = dict(logs, epoch=epoch + 1)
        if batch is not None:
            values["batch"] = batch + 1
        missing = [f for f in self.fields if f not in values]
        if missing:
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} names {_names(missing)}, which "
                             f"{'is' if len(missing) == 1 else 'are'} not in the logs; fields it can name: "
                             f"{', '.join(values)}.")
        try:
            return self.filepath.format(**values)
        except (ValueError, TypeError) as error:
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} cannot be filled in with "
                             f"{values}: {error}.") from None

    def _best_text(self) -> str:
        if self.best is None:
            return "-inf" if self.direction == "max" else "inf"
        return f"{self.best:.5f}"

    def _what(self) -> str:
        return "weights" if self.save_weights_only else "model"


def _fields_of(filepath: str) -> list[str]:
    """The names of the `{...}` fields of `filepath`, checked for well-formed braces."""
    try:
        parsed = list(string.Formatter().parse(filepath))
    except ValueError as error:
        raise ValueError(f"ModelCheckpoint: filepath {filepath!r} is not a valid pattern ({error}). Fields "
                         f"are written {{epoch}} or {{val_loss:.2f}}; write a literal brace as {{{{ or }}}}.") from None
    fields = []
    for _, name, _, _ in parsed:
        if name is None:
            continue
        if not name or not name.isidentifier():
            raise ValueError(f"ModelCheckpoint: filepath {filepath!r} has the field {{{name}}}; a field names "
                             f"a counter or a logged value, e.g. {{epoch}} or {{val_loss:.2f}}.")
        if name not in fields:
            fields.append(name)
    return fields


def _names(names: list[str]) -> str:
    return ", ".join("{" + name + "}" for name in names)


def _as_number(value: Any) -> Any:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if isinstance(value, int) and not isinstance(value, bool) else number

