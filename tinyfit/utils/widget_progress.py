"""WidgetProgress: the notebook progress of fit/evaluate/predict drawn with ipywidgets.

The widgets live only while the kernel does: a saved notebook holding a widget
view shows "Error displaying widget" once reopened. So the finished lines are
not a widget but an output of their own (HTML and text) below the bar, made
when the first line finishes and updated at the end of each epoch: a kernel
killed mid-run leaves them readable in the saved notebook. `close()` closes
every widget and leaves the static summary of NotebookProgress as the one thing
shown: in the finished lines' output, the widget's emptied.

A restart from JupyterLab is another matter: the page drops every message of the
kernel it restarts, so nothing the kernel does then reaches the cell, and the
bar's widget is left behind. The HTML bar, the notebook default, has no such
weakness: its last state is plain HTML in the cell.
"""

from __future__ import annotations

import html
import warnings
from typing import Any

from .notebook_progress import _TEXT_STYLE, NotebookProgress, ProgressSummary, html_line

__all__ = ["WidgetProgress", "notebook_progress"]

_warned_no_widgets = False


class WidgetProgress(NotebookProgress):
    """Progress as ipywidgets: a label, an IntProgress bar and the figures, with the finished lines (HTML) below.

    Args: as NotebookProgress; `widgets` is the ipywidgets module.
    """

    def __init__(self, widgets: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self._widgets = widgets
        self._label = widgets.HTML(value="")
        self._progress = widgets.IntProgress(value=0, min=0, max=1)
        self._figures = widgets.HTML(value="")
        self._box = widgets.HBox([self._label, self._progress, self._figures])
        self._parts = [self._label, self._progress, self._figures, self._box]
        self._record: Any = None  # the display handle of the finished lines
        self._recorded = 0  # how many finished lines it shows

    def begin(self, label: str, target: int | None, *, header: str = "", nested: bool = False,
              unit: str = "step") -> None:
        with self._progress.hold_sync():
            # Unknown length: the bar fills as steps come, and finish() completes it.
            self._progress.max = target if target else 1
            self._progress.value = 0
            self._progress.bar_style = ""
        self._label.value = _label_html(label)
        super().begin(label, target, header=header, nested=nested, unit=unit)

    def _show_box(self) -> None:
        if self._handle is None:
            self._show(self._box)

    def _draw_bar(self) -> None:
        self._last_draw = self._clock()
        self._show_box()
        bar = self.bar
        if bar is None:
            return
        line = bar.line()
        with self._progress.hold_sync():
            if bar.target is None and bar.current > self._progress.max:
                self._progress.max = bar.current * 2
            self._progress.value = min(bar.current, self._progress.max)
        self._figures.value = f'<span style="{_TEXT_STYLE}">{html_line(line)}</span>'

    def _draw_finished(self) -> None:
        self._show_box()
        if len(self.finished) != self._recorded:  # an epoch ended (a validation bar ending adds no line)
            self._recorded = len(self.finished)
            if self._record is None:
                self._record = self._new_display(self.summary())
            else:
                self._record.update(self.summary())
        if self.bar is not None:  # a validation bar ended: the epoch's bar is back, as it was
            self._label.value = _label_html(self.bar.label)
            with self._progress.hold_sync():
                self._progress.max = self.bar.target if self.bar.target else max(self.bar.current, 1)
                self._progress.value = min(self.bar.current, self._progress.max)
            return
        with self._progress.hold_sync():
            self._progress.value = self._progress.max
            self._progress.bar_style = "success"

    def _release(self) -> None:
        # A widget's layout and style are widgets of their own: close them too, or their state stays behind.
        for part in self._parts:
            for model in (getattr(part, "layout", None), getattr(part, "style", None), part):
                if model is not None:
                    model.close()

    def _show_summary(self, summary: ProgressSummary) -> None:
        if self._record is None:  # no line finished before the end (evaluate, predict): one output
            self._show(summary)
            return
        self._record.update(summary)
        self._handle.update({}, raw=True)  # the widget's place: nothing left to draw there


def notebook_progress(mode: str, interval: float = 0.1) -> NotebookProgress:
    """The notebook front end for `mode` ("widget" or "html").

    "widget" needs ipywidgets; without it the HTML bar is used, and a warning
    (once per session) says how to get the widget.
    """
    if mode == "html":
        return NotebookProgress(interval=interval)
    if mode != "widget":
        raise ValueError(f"notebook progress mode must be 'widget' or 'html'; got mode={mode!r}.")
    try:
        import ipywidgets
    except ImportError as error:
        global _warned_no_widgets
        if not _warned_no_widgets:
            _warned_no_widgets = True
            warnings.warn(
                f"tinyfit shows progress as an HTML bar because ipywidgets cannot be imported ({error}). "
                "For the widget bar: pip install ipywidgets, then restart the kernel. "
                "TINYFIT_PROGRESS=html chooses the HTML bar without this message.",
                stacklevel=2,
            )
        return NotebookProgress(interval=interval)
    return WidgetProgress(ipywidgets, interval=interval)


def _label_html(label: str) -> str:
    # nowrap: "Epoch 2/3" stays on one line beside the bar, however narrow the page.
    return f'<b style="white-space: nowrap">{html.escape(label)}</b>' if label else ""
