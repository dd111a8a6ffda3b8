"""BackupAndRestore: a training run that survives being killed, and resumes exactly where it stopped.

The backup is one archive (tinyfit's model-file format, written atomically: the old
backup stays whole until the new one is complete) holding everything the rest of the
run depends on: the weights, the optimizer's state, the epoch and the batch within it,
the epoch's running metric values, every random state (tinyfit's generator, NumPy's
global one, Python's), where the data's pass stands (the random states that drew its
shuffling order, and how many batches it had given) and the state of the other
callbacks (their get_state()); what only the trainer knows comes from the model's
get_training_state(), and fit() hands it back to set_training_state(). Restarted with
the same script, fit() skips to the batch after the last backup, so the resumed run is
the run that was interrupted.

A restore is all or nothing: the backup is read and checked whole before anything is
assigned, and a refused one leaves the model, its optimizer, the random states and the
callbacks as they were. With two backups, the newest that passes every check is used.
"""

from __future__ import annotations

import copy
import os

from ..utils.random import get_random_states
from ._backup_file import Backup, pack, read_backup, refuse, write_backup
from ._save_freq import check_save_freq
from .callback import Callback, Logs


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
        self._candidates: list[Backup] = []
        self._callbacks: list = []

    # -- files
    def _paths(self) -> list[str]:
        names = ["backup-0.tinyfit", "backup-1.tinyfit"] if self.double_checkpoint else ["backup.tinyfit"]
        return [os.path.join(self.backup_dir, name) for name in names]

    def _readable(self) -> list[Backup]:
        """The backups that read and check cleanly, newest first; a ValueError when there are only damaged ones."""
        found, errors = [], []
        for path in self._paths():
            try:
                found.append(read_backup(path, self.model))
            except FileNotFoundError:
                continue
            except ValueError as error:
                errors.append(error)
        if not found and len(errors) == 1:
            raise errors[0]
        if not found and errors:
            causes = "\n".join(f"  - {error}" for error in errors)
            raise ValueError(f"BackupAndRestore: no backup in '{self.backup_dir}' can be resumed from:\n{causes}\n"
                             "Delete the folder to start afresh, or pass another backup_dir.")
        return sorted(found, key=lambda backup: -backup.sequence)

    # -- the fit loop's hooks
    def on_train_begin(self, logs: Logs = None) -> None:
        if os.path.exists(self.backup_dir) and not os.path.isdir(self.backup_dir):
            raise ValueError(f"BackupAndRestore: backup_dir='{self.backup_dir}' is a file; it must be a folder. "
                             "Move the file or pass another folder.")
        os.makedirs(self.backup_dir, exist_ok=True)
        self._epoch, self._batches_seen, self._sequence = 0, 0, 0
        self._candidates = self._readable()  # nothing is assigned until resume_point

    def resume_point(self, callbacks: list) -> dict | None:
        """Where fit() continues: None to start at the beginning.

        fit() asks once, after on_train_begin, passing all its callbacks: their state
        is put back here (from the backup) and saved with every backup. The backup chosen
        on_train_begin (the newest that read cleanly) is assigned here, whole or not at all;
        if it cannot be, the next one is tried.
        """
        self._callbacks = list(callbacks)
        candidates, self._candidates = self._candidates, []
        errors = []
        for backup in candidates:
            try:
                self._restore(backup)
            except ValueError as error:
                errors.append(error)
                continue
            return dict(backup.point)
        if errors:
            raise errors[0]
        return None

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
        arrays: list = []
        training = model.get_training_state()  # the data's pass, running metrics, threads
        callbacks = {}
        for name, cb in self._others():
            state = cb.get_state()
            if state is not None:
                callbacks[name] = pack(state, arrays)
        self._sequence += 1
        state = {
            "sequence": self._sequence, "epoch": epoch, "step": step, "batches_seen": self._batches_seen,
            "random": pack(get_random_states(), arrays),
            "data": pack(training["data"], arrays),
            # Mid-epoch, the epoch's running results so far; a new epoch starts them afresh.
            "metrics": pack(training["metrics"] if step else [], arrays),
            "callbacks": callbacks,
            # The BLAS thread count in use: a resumed run on another would differ in the last bits.
            "threads": training["threads"],
        }
        paths = self._paths()
        write_backup(paths[self._sequence % len(paths)], state, model.get_weights(), _optimizer_state(model), arrays)

    def _restore(self, backup: Backup) -> None:
        """Assigns a checked backup: the callbacks' states, the weights, the optimizer's; all or none."""
        model = self.model
        others = self._others()
        # Deep copies: a set_state may change in place what get_state handed out.
        before = [(cb, copy.deepcopy(cb.get_state())) for _, cb in others]
        weights = model.get_weights()
        try:
            for name, cb in others:
                if name in backup.callbacks:
                    cb.set_state(backup.callbacks[name])
            model.set_weights(backup.weights)
        except Exception as error:  # whatever failed, the refusal undoes what was set
            for cb, state in before:
                if state is not None:
                    cb.set_state(state)
            model.set_weights(weights)
            raise refuse(backup.path, f"it could not be restored ({type(error).__name__}: {error}).") from error
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and backup.optimizer:
            if not optimizer.built:
                optimizer.build(model.trainable_variables)
            # Shapes were checked on reading: this cannot fail half way.
            optimizer.load_own_variables({str(i): a for i, a in enumerate(backup.optimizer)})
        self._sequence = backup.sequence
        self._batches_seen = backup.batches_seen


def _optimizer_state(model) -> list:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return [variable.numpy() for variable in optimizer.variables]
