"""CSVLogger: one CSV row per epoch, with the epoch's logs as columns."""

from __future__ import annotations

import csv
import os
from typing import Any

from .callback import Callback, Logs


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if hasattr(value, "__len__") and getattr(value, "ndim", 1) != 0:  # a list or an array
        return f"[{', '.join(map(str, value))}]"
    return value


class CSVLogger(Callback):
    """Writes `epoch` and every logged value to a CSV file, one row per epoch.

    The columns are fixed at the first epoch: "epoch", then the logged names
    in sorted order. When that epoch ran no validation (validation_freq > 1),
    val_ columns are added for every name, so later rows have room for them;
    a value missing in an epoch is written as "NA".

    Args:
        filename: the CSV file (created or, unless append, overwritten).
        separator: the field separator. Defaults to ",".
        append: add rows to an existing file instead of overwriting it (no second header).
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self.writer: csv.DictWriter | None = None
        self.csv_file = None
        self._write_header = True

    def on_train_begin(self, logs: Logs = None) -> None:
        self._write_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as existing:
                self._write_header = not existing.readline()
        self._close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys], delimiter=self.sep)
            if self._write_header:
                self.writer.writeheader()
        row = {"epoch": epoch, **{key: _cell(logs.get(key, "NA")) for key in self.keys}}
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: Logs = None) -> None:
        self._close()
        self.writer = None

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
