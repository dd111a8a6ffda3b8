"""ProgbarLogger: prints the "Epoch 1/2" headers and the progress bars of fit/evaluate/predict."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from ..utils.progbar import Progbar, progress_mode
from .callback import Callback, Logs


class ProgbarLogger(Callback):
    """Shows progress as `progress_mode` decides from params["verbose"] and the output stream.

    verbose=0 prints nothing (validation included); 1 a live bar on a terminal;
    2 one line per epoch; "auto" is 1 on a terminal and one line per epoch
    elsewhere. TINYFIT_PROGRESS=off silences it; see tinyfit.utils.progbar.

    Inside fit(), the validation run's own bar is not shown: its results join
    the epoch's line as val_... values.

    Args:
        stream: where to print; sys.stdout (looked up at each print) by default.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.verbose: Any = "auto"
        self.epochs = 1
        self.target: int | None = None
        self.progbar: Progbar | None = None
        self.seen = 0
        self._in_fit = False

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        self.verbose = params.get("verbose", "auto")
        self.epochs = params.get("epochs") or 1
        self.target = params.get("steps")

    def _print(self, text: str) -> None:
        out = self.stream if self.stream is not None else sys.stdout
        out.write(text + "\n")
        out.flush()

    def _new_bar(self) -> None:
        self.seen = 0
        self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step", stream=self.stream)

    def _update(self, batch: int, logs: Logs) -> None:
        if self.progbar is None:
            self._new_bar()
        self.seen = batch + 1
        values = list((logs or {}).items())
        # The loop's logs are already running means: show them as they are.
        self.progbar.stateful_metrics.update(name for name, _ in values)
        self.progbar.update(self.seen, values, finalize=False)

    def _finish(self, logs: Logs) -> None:
        if self.progbar is None:
            self._new_bar()
        if self.target is None:  # a stream of unknown length: now we know it
            self.target = self.progbar.target = self.seen
        self.progbar.update(self.progbar.target, list((logs or {}).items()), finalize=True)
        self.progbar = None

    # -- fit
    def on_train_begin(self, logs: Logs = None) -> None:
        self._in_fit = True

    def on_train_end(self, logs: Logs = None) -> None:
        self._in_fit = False

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._new_bar()
        if self.epochs > 1 and self.progbar.mode != "off":
            self._print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self._finish(logs)

    # -- evaluate (silent inside fit: validation results go on the epoch's line)
    def on_test_begin(self, logs: Logs = None) -> None:
        if not self._in_fit:
            self._new_bar()

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs: Logs = None) -> None:
        if not self._in_fit:
            self._finish(logs)

    # -- predict (the bar shows steps and time only)
    def on_predict_begin(self, logs: Logs = None) -> None:
        self._new_bar()

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._update(batch, None)

    def on_predict_end(self, logs: Logs = None) -> None:
        self._finish(None)

    @property
    def mode(self) -> str:
        """"off", "live" or "epoch": what this logger shows with its current params."""
        return progress_mode(self.verbose, self.stream)
