"""ProgbarLogger: prints the "Epoch 1/2" headers and the progress bars of fit/evaluate/predict."""

from __future__ import annotations

from typing import Any, TextIO

from ..utils.progbar import progress_mode
from ..utils.progress_display import ProgressDisplay
from ..utils.text_progress import TextProgress
from ..utils.widget_progress import notebook_progress
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

    # The bar reads the step's values only when it draws them (utils/log_values.py): on a GPU, a
    # step whose figures are not shown costs no wait for the device.
    reads_logs_lazily = True

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
        self.display: ProgressDisplay | None = None  # of the run under way, picked when it begins
        self._epoch = 0
        self.verbose: Any = "auto"
        self.epochs = 1
        self.target: int | None = None
        self.seen = 0  # the step reached by the bar under way
        self._in_fit = False
        self._epoch_seen = 0  # the epoch's step while its validation bar runs
        self._validation_target: int | None = None

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        self.verbose = params.get("verbose", "auto")
        self.epochs = params.get("epochs") or 1
        self.target = params.get("steps")
        self._validation_target = params.get("validation_steps")

    def _open(self) -> None:
        """Picks the display of the run that begins, as progress_mode decides (a fresh one for each run)."""
        self._close()  # one a failed run left open
        mode = progress_mode(self.verbose, self.stream, notebook=True)
        if mode in ("widget", "html"):
            self.display = notebook_progress(mode, self.notebook_interval)
            self.display.close_when_cell_ends()
        else:
            self.display = TextProgress(self.verbose, self.stream)

    def _close(self) -> None:
        if self.display is not None:
            self.display.close()
            self.display = None

    def _begin(self, label: str, target: int | None, header: str = "") -> None:
        if self.display is None:  # hooks called without the run's begin
            self._open()
        self.seen = 0
        self.display.begin(label, target, header=header)

    def _update(self, batch: int, logs: Logs) -> None:
        self.seen = batch + 1
        if self.display is not None:
            self.display.update(self.seen, list((logs or {}).items()))

    def _end(self, logs: Logs) -> None:
        """Ends the run's last bar (evaluate, predict) at the step reached, and its display."""
        if self.display is not None:
            self.display.end(self.seen, list((logs or {}).items()))
            self.display = None

    def _epoch_header(self) -> str:
        return f"Epoch {self._epoch + 1}/{self.epochs}" if self.epochs > 1 else ""

    def stopped(self) -> None:
        """Ends the display of a run that an exception stopped: the bar's line ends with "(stopped)"."""
        self._in_fit = False
        if self.display is not None:
            self.display.stop()
            self.display = None

    # -- fit
    def on_train_begin(self, logs: Logs = None) -> None:
        self._in_fit = True
        self._open()

    def on_train_end(self, logs: Logs = None) -> None:
        self._in_fit = False
        self._close()

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._epoch = epoch
        header = self._epoch_header()
        self._begin(header or "Training", self.target, header)

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        # The bar ends at the step reached: fewer than announced when the data ran out early.
        if self.display is not None:
            self.display.finish(self.seen, list((logs or {}).items()))
        if self.target is None:  # the next epoch's bar knows its length
            self.target = self.seen

    # -- evaluate (inside fit, a nested bar: its results go on the epoch's line)
    def on_test_begin(self, logs: Logs = None) -> None:
        if not self._in_fit:
            self._open()
            self._begin("Evaluation", self.target)
            return
        self._epoch_seen, self.seen = self.seen, 0
        if self.display is not None:
            self.display.begin(f"{self._epoch_header()} validation".strip(), self._validation_target, nested=True)

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._update(batch, logs)

    def on_test_end(self, logs: Logs = None) -> None:
        if not self._in_fit:
            self._end(logs)
            return
        if self.display is not None:
            self.display.finish(self.seen, list((logs or {}).items()), keep=False)
        if self._validation_target is None:  # learned: the next validation's bar knows its length
            self._validation_target = self.seen
        self.seen = self._epoch_seen

    # -- predict (the bar shows steps and time only)
    def on_predict_begin(self, logs: Logs = None) -> None:
        self._open()
        self._begin("Prediction", self.target)

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._update(batch, None)

    def on_predict_end(self, logs: Logs = None) -> None:
        self._end(None)

    @property
    def mode(self) -> str:
        """"off", "live", "epoch", "widget" or "html": what this logger shows with its current params."""
        return progress_mode(self.verbose, self.stream, notebook=True)
