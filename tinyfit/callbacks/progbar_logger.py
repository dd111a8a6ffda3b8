"""ProgbarLogger: prints the "Epoch 1/2" headers and the progress bars of fit/evaluate/predict."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from ..utils.notebook_progress import NotebookProgress
from ..utils.progbar import Progbar, progress_mode
from .callback import Callback, Logs


class ProgbarLogger(Callback):
    """Shows progress as `progress_mode` decides from params["verbose"] and the output stream.

    verbose=0 prints nothing (validation included); 1 a live bar on a terminal;
    2 one line per epoch; "auto" is 1 on a terminal and one line per epoch
    elsewhere. TINYFIT_PROGRESS=off silences it; see tinyfit.utils.progbar.

    Inside fit(), the validation run's own bar is not kept: its results join
    the epoch's line as val_... values.

    In a notebook kernel (TINYFIT_PROGRESS "auto", "html" or "widget") the
    progress is one output of the cell, updated in place: the finished epochs
    above one bar (an HTML <progress> element, or ipywidgets) that is reset
    each epoch and shows validation too. When the run ends, however it ends,
    the output becomes a static summary of every epoch.

    A run stopped by an exception (Ctrl-C, an error in a callback) ends its
    bar with "(stopped)" before the traceback is shown (`stopped()`).

    Args:
        stream: where to print; sys.stdout (looked up at each print) by default.
        notebook_interval: the least number of seconds between two redraws of a
            notebook bar.
    """

    def __init__(self, stream: TextIO | None = None, notebook_interval: float = 0.1) -> None:
        super().__init__()
        if (isinstance(notebook_interval, bool) or not isinstance(notebook_interval, (int, float))
                or notebook_interval < 0):
            raise ValueError(
                f"ProgbarLogger: notebook_interval must be a number of seconds, 0 or more; "
                f"got notebook_interval={notebook_interval!r}."
            )
        self.stream = stream
        self.notebook_interval = float(notebook_interval)
        self.notebook: NotebookProgress | None = None  # the notebook display of the run under way
        self._epoch = 0
        self.verbose: Any = "auto"
        self.epochs = 1
        self.target: int | None = None
        self.progbar: Progbar | None = None
        self.seen = 0
        self._in_fit = False
        self._epoch_seen = 0  # the epoch's step while its validation bar runs
        self._validation_target: int | None = None

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        self.verbose = params.get("verbose", "auto")
        self.epochs = params.get("epochs") or 1
        self.target = params.get("steps")
        self._validation_target = params.get("validation_steps")

    def _print(self, text: str) -> None:
        out = self.stream if self.stream is not None else sys.stdout
        out.write(text + "\n")
        out.flush()

    def _open_notebook(self) -> None:
        """Opens the notebook display when progress_mode chooses one (a fresh one for each run)."""
        self._close_notebook()  # one a failed run left open
        mode = progress_mode(self.verbose, self.stream, notebook=True)
        if mode in ("widget", "html"):
            from ..utils.widget_progress import notebook_progress

            self.notebook = notebook_progress(mode, self.notebook_interval)
            self.notebook.close_when_cell_ends()

    def _close_notebook(self) -> None:
        if self.notebook is not None:
            self.notebook.close()
            self.notebook = None

    def _epoch_header(self) -> str:
        return f"Epoch {self._epoch + 1}/{self.epochs}" if self.epochs > 1 else ""

    def _new_bar(self) -> None:
        self.seen = 0
        self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step", stream=self.stream)

    def _update(self, batch: int, logs: Logs) -> None:
        if self.notebook is not None:
            self.seen = batch + 1
            self.notebook.update(self.seen, list((logs or {}).items()))
            return
        if self.progbar is None:
            self._new_bar()
        self.seen = batch + 1
        values = list((logs or {}).items())
        # The loop's logs are already running means: show them as they are.
        self.progbar.stateful_metrics.update(name for name, _ in values)
        self.progbar.update(self.seen, values, finalize=False)

    def _finish(self, logs: Logs, header: str = "", last: bool = False) -> None:
        """Ends the bar under way; `last`: the run's last bar (evaluate, predict), closed with it."""
        # The bar ends at the step reached: fewer than announced when the data ran out early.
        if self.notebook is not None:
            values = list((logs or {}).items())
            if last:
                self.notebook.end(header, self.seen, values)
                self.notebook = None
            else:
                self.notebook.finish(header, self.seen, values)
        else:
            if self.progbar is None:
                self._new_bar()
            if self.progbar.target is None:  # a stream of unknown length: now we know it
                self.progbar.target = self.seen
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=True)
            self.progbar = None
        if self.target is None:  # the next epoch's bar knows its length
            self.target = self.seen

    def stopped(self) -> None:
        """Ends the display of a run that an exception stopped: the bar's line ends with "(stopped)"."""
        self._in_fit = False
        if self.notebook is not None:
            self._close_notebook()
        elif self.progbar is not None:
            self.progbar.stop()
            self.progbar = None

    # -- fit
    def on_train_begin(self, logs: Logs = None) -> None:
        self._in_fit = True
        self._open_notebook()

    def on_train_end(self, logs: Logs = None) -> None:
        self._in_fit = False
        self._close_notebook()

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._epoch = epoch
        if self.notebook is not None:
            self.seen = 0
            self.notebook.begin(self._epoch_header() or "Training", self.target)
            return
        self._new_bar()
        if self.epochs > 1 and self.progbar.mode != "off":
            self._print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self._finish(logs, header=self._epoch_header())

    # -- evaluate (inside fit, the validation bar is not kept: its results go on the epoch's line)
    def on_test_begin(self, logs: Logs = None) -> None:
        if not self._in_fit:
            self._open_notebook()
        if self.notebook is not None:
            self._epoch_seen, self.seen = self.seen, 0
            label = f"{self._epoch_header()} validation".strip() if self._in_fit else "Evaluation"
            self.notebook.begin(label, self._validation_target if self._in_fit else self.target,
                                nested=self._in_fit)
        elif not self._in_fit:
            self._new_bar()

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        if not self._in_fit or self.notebook is not None:
            self._update(batch, logs)

    def on_test_end(self, logs: Logs = None) -> None:
        if self.notebook is not None and self._in_fit:
            self.notebook.finish("", self.seen, list((logs or {}).items()), keep=False)
            if self._validation_target is None:  # learned: the next validation's bar knows its length
                self._validation_target = self.seen
            self.seen = self._epoch_seen
        elif not self._in_fit:
            self._finish(logs, last=True)

    # -- predict (the bar shows steps and time only)
    def on_predict_begin(self, logs: Logs = None) -> None:
        self._open_notebook()
        if self.notebook is not None:
            self.seen = 0
            self.notebook.begin("Prediction", self.target)
            return
        self._new_bar()

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._update(batch, None)

    def on_predict_end(self, logs: Logs = None) -> None:
        self._finish(None, last=True)

    @property
    def mode(self) -> str:
        """"off", "live", "epoch", "widget" or "html": what this logger shows with its current params."""
        return progress_mode(self.verbose, self.stream, notebook=True)
