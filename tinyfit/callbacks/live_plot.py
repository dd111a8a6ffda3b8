"""LivePlot: the training curves redrawn while fit() runs, in the notebook or in a PNG file."""

from __future__ import annotations

import numbers
import os
import time
from collections.abc import Sequence
from typing import Any

from ..utils.history_plot import (
    Curve, check_figsize, check_log_scale, check_metrics, draw_curves, metric_names, new_figure, png_bytes,
    require_matplotlib,
)
from ..utils.kernel import in_notebook_kernel
from .callback import Callback, Logs

DEFAULT_FILE = "live_plot.png"


def _now() -> float:
    return time.monotonic()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real) or getattr(value, "ndim", None) == 0:
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return None


class LivePlot(Callback):
    """Draws the loss and metric curves as fit() runs, one axes per metric.

    Each axes holds the training and the validation curve of one metric; the
    legend gives their current and best values. The plot is redrawn at the end
    of each epoch (and every `every_n_batches` batches, with the epoch under
    way drawn dashed), at most once per `min_interval` seconds; the last update
    is always drawn when fit() ends. Each fit() starts a fresh plot.

    In a notebook the plot is one image in the cell, updated in place. Elsewhere
    (a script, a terminal) it is a PNG file, rewritten at each update; LivePlot
    says once where the file is.

    >>> model.fit(x, y, epochs=20, validation_split=0.2, callbacks=[LivePlot()])

    Args:
        metrics: the metrics to draw, e.g. ["loss", "accuracy"]; None draws every
            logged metric. "val_loss" and "loss" both mean the loss axes.
        every_n_batches: also redraw every this many training batches; None
            redraws once per epoch.
        log_scale: a logarithmic y axis.
        min_interval: the least number of seconds between two redraws.
        figsize: (width, height) in inches; by default about 5 x 3.4 per axes.
        to_file: the PNG file to write; by default "live_plot.png" outside a
            notebook and no file inside one.
    """

    def __init__(self, metrics: Sequence[str] | None = None, every_n_batches: int | None = None,
                 log_scale: bool = False, min_interval: float = 1.0,
                 figsize: tuple[float, float] | None = None, to_file: str | os.PathLike | None = None):
        super().__init__()
        require_matplotlib("LivePlot")
        if every_n_batches is not None and (
                isinstance(every_n_batches, bool) or not isinstance(every_n_batches, int) or every_n_batches < 1):
            raise ValueError(
                f"LivePlot: every_n_batches must be a whole number of batches, 1 or more (or None to redraw "
                f"once per epoch), got {every_n_batches!r}."
            )
        if isinstance(min_interval, bool) or not isinstance(min_interval, numbers.Real) or min_interval < 0:
            raise ValueError(f"LivePlot: min_interval must be a number of seconds, 0 or more, got {min_interval!r}.")
        if to_file is not None and os.path.splitext(os.fspath(to_file))[1].lower() != ".png":
            raise ValueError(f"LivePlot: to_file={os.fspath(to_file)!r} must name a .png file, e.g. 'curves.png'.")
        self.metrics = check_metrics(metrics, "LivePlot")
        self.every_n_batches = every_n_batches
        self.log_scale = check_log_scale(log_scale, "LivePlot")
        self.min_interval = float(min_interval)
        self.figsize = check_figsize(figsize, "LivePlot")
        self.to_file = os.fspath(to_file) if to_file is not None else None
        self.figure: Any = None
        self._curves: dict[str, Curve] = {}
        self._running: dict[str, tuple[int, float]] = {}
        self._epoch = 0
        self._last_draw: float | None = None
        self._pending = False
        self._handle: Any = None
        self._notebook = False
        self._told_where = False

    # -- the fit loop's hooks
    def on_train_begin(self, logs: Logs = None) -> None:
        self.figure = None
        self._curves, self._running = {}, {}
        self._last_draw, self._pending, self._handle = None, False, None
        self._notebook = in_notebook_kernel()
        if not self._notebook and not self._told_where:
            print(f"LivePlot: the training curves are drawn in {os.path.abspath(self._file())} "
                  "(redrawn as training runs).")
            self._told_where = True

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        if self.every_n_batches is None or (batch + 1) % self.every_n_batches:
            return
        for name, value in (logs or {}).items():
            number = _number(value)
            if number is not None and not name.startswith("val_"):
                self._running[name] = (self._epoch + 1, number)
        if self._running:
            self._update()

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self._running = {}
        for name, value in (logs or {}).items():
            number = _number(value)
            if number is not None:
                epochs, values = self._curves.setdefault(name, ([], []))
                epochs.append(epoch + 1)
                values.append(number)
        self._update()

    def on_train_end(self, logs: Logs = None) -> None:
        if self._pending:
            self._draw()

    # -- drawing
    def _file(self) -> str:
        return self.to_file if self.to_file is not None else DEFAULT_FILE

    def _update(self) -> None:
        """Draws now unless the last drawing is younger than min_interval; then on_train_end draws it."""
        now = _now()
        if self._last_draw is not None and now - self._last_draw < self.min_interval:
            self._pending = True
            return
        self._draw()
        self._last_draw = now

    def _draw(self) -> None:
        self._pending = False
        logged = list(self._curves) + [name for name in self._running if name not in self._curves]
        if not logged:
            return
        names = metric_names(logged, self.metrics, "LivePlot")
        if self.figure is None or len(self.figure.axes) != len(names):
            self.figure = new_figure(len(names), self.figsize)
        draw_curves(self.figure, names, self._curves, self.log_scale, self._running)
        png = png_bytes(self.figure)
        if self._notebook:
            self._show(png)
        if not self._notebook or self.to_file is not None:
            self._write(png)

    def _show(self, png: bytes) -> None:
        from IPython.display import Image, display

        image = Image(data=png, format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)

    def _write(self, png: bytes) -> None:
        # Written beside the target, then renamed: an image viewer never reads half a file.
        path = self._file()
        partial = f"{path}.partial"
        with open(partial, "wb") as f:
            f.write(png)
        os.replace(partial, path)
