"""BackupAndRestore: a training run that survives being killed, and resumes exactly where it stopped.

The backup is one archive (tinyfit's model-file format, written atomically: the old
backup stays whole until the new one is complete) holding everything the rest of the
run depends on: the weights, the optimizer's state, the epoch and the batch within it,
the epoch's running metric values, every random state (tinyfit's generator, NumPy's
global one, Python's), where the data's pass stands (the random states that drew its
shuffling order, and how many batches it had given) and the state of the other
callbacks (their get_state()). Restarted with the same script, fit() skips to the
batch after the last backup, so the resumed run is the run that was interrupted.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..saving.archive import read_archive, write_archive
from ..utils.random import get_random_states
from ._save_freq import check_save_freq
from .callback import Callback, Logs

_FORMAT = "tinyfit training backup"
_VERSION = 1
_ARRAY = "__array__"  # marks where an array taken out into the archive's state/ members stood


class BackupAndRestore(Callback):
    """Backs up training to `backup_dir`; a fit() restarted with the same script resumes from it.

    Args:
        backup_dir: the folder for the backup (created if missing). Use one folder per run.
        save_freq: "epoch" to back up at the end of every epoch, or an int N to back up
            every N training batches (counted across epochs).
        double_checkpoint: keep two backups, written in turn, so the one before the
            latest is still there (e.g. if the latest is damaged on disk).
        delete_checkpoint: delete the backup when fit() finishes, so the next run
            starts afresh.
    """

    def __init__(self, backup_dir: str | os.PathLike, save_freq: str | int = "epoch",
                 double_checkpoint: bool = False, delete_checkpoint: bool = True):
        super().__init__()
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(backup_dir):
            raise TypeError(f"BackupAndRestore: backup_dir must be a folder path (a str), got {backup_dir!r}.")
        backup_dir = os.fspath(backup_dir)
        if os.path.exists(backup_dir) and not os.path.isdir(backup_dir):
            raise ValueError(f"BackupAndRestore: backup_dir='{backup_dir}' is a file; it must be a folder "
                             "(the backup is written inside it). Pass a folder path, e.g. "
                             f"'{backup_dir}_backup'.")
        self.backup_dir = backup_dir
        self.save_freq = check_save_freq("BackupAndRestore", save_freq, action="back up")
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._epoch = 0
        self._batches_seen = 0
        self._sequence = 0
        self._resume: dict | None = None
        self._callbacks: list = []

    # -- files
    def _paths(self) -> list[str]:
        names = ["backup-0.tinyfit", "backup-1.tinyfit"] if self.double_checkpoint else ["backup.tinyfit"]
        return [os.path.join(self.backup_dir, name) for name in names]

    def _latest(self) -> tuple[dict, dict] | None:
        """The newest readable backup as (state, arrays), or None when there is none."""
        found, errors = [], []
        for path in self._paths():
            if not os.path.exists(path):
                continue
            try:
                state, _, arrays = read_archive(path)
            except ValueError as error:
                errors.append(error)
                continue
            if not isinstance(state, dict) or state.get("format") != _FORMAT:
                errors.append(ValueError(f"'{path}' is not a training backup; BackupAndRestore writes its "
                                         "own files in backup_dir. Use a folder of its own."))
                continue
            found.append((state, arrays))
        if not found and errors:
            raise errors[0]
        return max(found, key=lambda item: item[0]["sequence"]) if found else None

    # -- the fit loop's hooks
    def on_train_begin(self, logs: Logs = None) -> None:
        if os.path.exists(self.backup_dir) and not os.path.isdir(self.backup_dir):
            raise ValueError(f"BackupAndRestore: backup_dir='{self.backup_dir}' is a file; it must be a folder. "
                             "Move the file or pass another folder.")
        os.makedirs(self.backup_dir, exist_ok=True)
        self._epoch, self._batches_seen, self._sequence = 0, 0, 0
        latest = self._latest()
        self._resume = None if latest is None else self._restore(*latest)

    def resume_point(self, callbacks: list) -> dict | None:
        """Where fit() continues: None to start at the beginning.

        fit() asks once, after on_train_begin, passing all its callbacks: their state
        is put back here (from the backup) and saved with every backup.
        """
        self._callbacks = list(callbacks)
        point, self._resume = self._resume, None
        if point is not None:
            saved = point.pop("callbacks")
            for name, cb in self._others():
                if name in saved:
                    cb.set_state(saved[name])
        return point

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._batches_seen += 1
        if self.save_freq != "epoch" and self._batches_seen % self.save_freq == 0:
            self._save(epoch=self._epoch, step=batch + 1)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch=epoch + 1, step=0)

    def on_train_end(self, logs: Logs = None) -> None:
        if not self.delete_checkpoint:
            return
        for path in self._paths():
            if os.path.exists(path):
                os.remove(path)
        if os.path.isdir(self.backup_dir) and not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)

    # -- writing and reading a backup
    def _others(self) -> list[tuple[str, Callback]]:
        """The other callbacks of this fit, each under a name that is the same in a restarted run."""
        named, counts = [], {}
        for cb in self._callbacks:
            if cb is self:
                continue
            kind = type(cb).__name__
            named.append((f"{kind}-{counts.get(kind, 0)}", cb))
            counts[kind] = counts.get(kind, 0) + 1
        return named

    def _save(self, epoch: int, step: int) -> None:
        model = self.model
        arrays: list[np.ndarray] = []
        batches = getattr(model, "_train_batches", None)
        callbacks = {}
        for name, cb in self._others():
            state = cb.get_state()
            if state is not None:
                callbacks[name] = _pack(state, arrays)
        self._sequence += 1
        state = {
            "format": _FORMAT, "version": _VERSION, "sequence": self._sequence,
            "epoch": epoch, "step": step, "batches_seen": self._batches_seen,
            "random": _pack(get_random_states(), arrays),
            "data": _pack(batches.state() if batches is not None else None, arrays),
            # Mid-epoch, the epoch's running results so far; a new epoch starts them afresh.
            "metrics": _pack([v.numpy() for m in model.metrics for v in m.variables] if step else [], arrays),
            "callbacks": callbacks,
            # The BLAS thread count in use: a resumed run on another would differ in the last bits.
            "threads": dict(getattr(model, "_blas_thread_choices", {})),
        }
        paths = self._paths()
        path = paths[self._sequence % len(paths)]
        write_archive(path, state, None, {"weights": model.get_weights(), "optimizer": _optimizer_state(model),
                                          "state": arrays})

    def _restore(self, state: dict, arrays: dict) -> dict:
        model = self.model
        weights = model.get_weights()
        if len(weights) != len(arrays["weights"]) or any(
                w.shape != a.shape for w, a in zip(weights, arrays["weights"])):
            raise ValueError(
                f"BackupAndRestore: the backup in '{self.backup_dir}' holds weights of shapes "
                f"{[tuple(a.shape) for a in arrays['weights']]}, but this model's are "
                f"{[tuple(w.shape) for w in weights]}. It belongs to another model: delete the folder "
                "or pass another backup_dir.")
        model.set_weights(arrays["weights"])
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and arrays["optimizer"]:
            if not optimizer.built:
                optimizer.build(model.trainable_variables)
            optimizer.load_own_variables({str(i): a for i, a in enumerate(arrays["optimizer"])})
        extra = arrays["state"]
        self._sequence = state["sequence"]
        self._batches_seen = state["batches_seen"]
        return {"epoch": state["epoch"], "step": state["step"], "data": _unpack(state["data"], extra),
                "random": _unpack(state["random"], extra), "metrics": _unpack(state["metrics"], extra),
                "callbacks": _unpack(state["callbacks"], extra), "threads": state.get("threads", {})}


def _optimizer_state(model: Any) -> list:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return [variable.numpy() for variable in optimizer.variables]


def _pack(value: Any, arrays: list) -> Any:
    """`value` as plain JSON data, its arrays moved to `arrays` (and marked by their index)."""
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return {_ARRAY: len(arrays) - 1}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(key): _pack(item, arrays) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_pack(item, arrays) for item in value]
    return value


def _unpack(value: Any, arrays: list) -> Any:
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            return arrays[value[_ARRAY]]
        return {key: _unpack(item, arrays) for key, item in value.items()}
    if isinstance(value, list):
        return [_unpack(item, arrays) for item in value]
    return value
