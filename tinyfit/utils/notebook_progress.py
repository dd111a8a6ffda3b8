"""NotebookProgress: fit/evaluate/predict progress in a notebook cell, as HTML updated in place.

One display handle holds the whole run: the finished bars (one line per epoch,
the text bar's figures, from the same BarFigures) above the bar under way,
which is reset for each epoch rather than shown anew. Redraws are limited to
one per `interval` seconds, however fast the steps come. `close()` leaves a static summary (HTML
and plain text), so a saved notebook shows the run without a live kernel.

WidgetProgress (tinyfit.utils.widget_progress) draws the bar under way with
ipywidgets and shares everything else.
"""

from __future__ import annotations

import html
import time
from typing import Any, Callable, Iterable

from .bar_figures import BarFigures
from .kernel import ipython_shell
from .progress_display import ProgressDisplay

__all__ = ["NotebookProgress", "ProgressSummary"]


class ProgressSummary:
    """A display object with both an HTML and a plain-text form (the notebook keeps both)."""

    def __init__(self, html_text: str, plain_text: str):
        self.html = html_text
        self.text = plain_text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.html, "text/plain": self.text}

    def __repr__(self) -> str:
        return self.text


class NotebookProgress(ProgressDisplay):
    """Progress as one HTML output in the running notebook cell: finished lines and a <progress> bar.

    Args:
        interval: the least number of seconds between two redraws of the bar under way.
        display: IPython.display.display by default; tests pass a recorder.
        clock: a function returning seconds; tests pass a fake one.
    """

    def __init__(self, interval: float = 0.1, display: Callable[..., Any] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0:
            raise ValueError(f"interval must be a number of seconds, 0 or more; got interval={interval!r}.")
        self.interval = float(interval)
        self._display = display
        self._clock = clock
        self.finished: list[tuple[str, str]] = []  # (header, line) of each finished bar
        self.bar: BarFigures | None = None  # the bar under way
        self._outer: BarFigures | None = None  # the epoch's bar while its validation bar runs
        self.closed = False
        self._handle: Any = None
        self._last_draw: float | None = None
        self._shell: Any = None

    # -- the display's interface (see tinyfit.utils.progress_display)
    def begin(self, label: str, target: int | None, *, header: str = "", nested: bool = False,
              unit: str = "step") -> None:
        """Resets the bar under way for a new run of `target` steps (None: unknown); `label` is shown beside it."""
        self._outer = self.bar if nested else None
        self.bar = BarFigures(target, self._clock(), label=label, header=header, unit=unit, averages=False)
        self._last_draw = None
        self._draw_bar()

    def update(self, current: int, values: Iterable[tuple[str, Any]] = ()) -> None:
        """Moves the bar to step `current`; redrawn only when `interval` has passed since the last redraw."""
        if self.bar is None:
            return
        now = self._clock()
        self.bar.record(current, values, now)
        if self._last_draw is not None and now - self._last_draw < self.interval:
            return
        self._draw_bar()

    def finish(self, current: int, values: Iterable[tuple[str, Any]] = (), *, keep: bool = True) -> None:
        """Ends the bar under way at `current`; `keep` lists its final line (under its header) above the bar."""
        if self._end_bar(current, values, keep):
            self._draw_finished()

    def end(self, current: int, values: Iterable[tuple[str, Any]] = ()) -> None:
        """Ends the run's last bar (evaluate, predict) and closes: its line goes straight into the summary."""
        self._end_bar(current, values, keep=True)
        self.close()

    def _end_bar(self, current: int, values: Iterable[tuple[str, Any]], keep: bool) -> bool:
        if self.bar is None:
            return False
        self.bar.record(current, values, self._clock(), final=True)
        if keep:
            self.finished.append((self.bar.header, self.bar.line()))
        self.bar, self._outer = self._outer, None
        return True

    def close(self) -> None:
        """Replaces the live display with the static summary of every finished bar. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        self._forget_cell_end()
        if self.bar is not None and self.bar.current > 0:  # stopped mid-bar (an error, Ctrl-C)
            self.bar.stop(self._clock())
            self.finished.append((self.bar.label, self.bar.line()))
        self.bar = None
        if self._handle is not None or self.finished:
            self._release()
            self._show_summary(self.summary())

    def close_when_cell_ends(self) -> None:
        """Closes this display when the running cell ends, however it ends (an error, Ctrl-C)."""
        shell = _ipython_shell()
        if shell is not None and self._shell is None:
            self._shell = shell
            shell.events.register("post_run_cell", self._on_cell_end)

    # -- the figures as text and HTML
    def summary_text(self) -> str:
        lines = []
        for header, line in self.finished:
            if header:
                lines.append(header)
            lines.append(line)
        return "\n".join(lines)

    def summary(self) -> ProgressSummary:
        text = self.summary_text()
        return ProgressSummary(_pre(text), text)

    def live_view(self) -> ProgressSummary:
        """The finished lines and the bar under way, as one HTML block."""
        text = self.summary_text()
        parts = [_pre(text)] if text else []
        plain = [text] if text else []
        if self.bar is not None:
            line = self.bar.line()
            parts.append(_bar_html(self.bar, line))
            plain.append(f"{self.bar.label} {line}".strip())
        return ProgressSummary("".join(parts), "\n".join(plain))

    # -- drawing (WidgetProgress overrides these five)
    def _draw_bar(self) -> None:
        self._last_draw = self._clock()
        self._show(self.live_view())

    def _draw_finished(self) -> None:
        self._show(self.live_view())

    def _release(self) -> None:
        """Lets go of what only a live kernel can show (nothing, for HTML)."""

    def _show_summary(self, summary: ProgressSummary) -> None:
        """Puts the static summary where the progress was."""
        self._show(summary)

    def _show(self, obj: Any) -> None:
        if self._handle is None:
            self._handle = self._new_display(obj)
        else:
            self._handle.update(obj)

    def _new_display(self, obj: Any) -> Any:
        """A new output of the cell showing `obj`, and the handle that updates it in place."""
        display = self._display
        if display is None:
            from IPython.display import display
        return display(obj, display_id=True)

    def _on_cell_end(self, *args: Any) -> None:
        self.close()

    def _forget_cell_end(self) -> None:
        if self._shell is not None:
            try:
                self._shell.events.unregister("post_run_cell", self._on_cell_end)
            except ValueError:  # already gone
                pass
            self._shell = None


def _ipython_shell() -> Any:
    """The running IPython shell when it can tell us a cell has finished (its `events`), else None."""
    shell = ipython_shell()
    return shell if shell is not None and hasattr(shell, "events") else None


# Notebook front ends break long lines anywhere, mid-word; these break only between " - " items.
_TEXT_STYLE = "margin: 0; font-family: monospace; white-space: pre-wrap; word-break: normal; overflow-wrap: break-word"


def html_line(line: str) -> str:
    """One progress line as HTML that wraps only between its " - " items (each item, with its dash, unbroken).

    Spans rather than non-breaking spaces: text copied from the page has plain spaces.
    """
    items = line.split(" - ")
    return " ".join(f'<span style="white-space: nowrap">{html.escape(item)}{" -" if i < len(items) - 1 else ""}</span>'
                    for i, item in enumerate(items))


def _pre(text: str) -> str:
    if not text:
        return ""
    return f'<pre style="{_TEXT_STYLE}">' + "\n".join(html_line(line) for line in text.split("\n")) + "</pre>"


def _bar_html(bar: BarFigures, line: str) -> str:
    if bar.target:
        progress = f'<progress value="{min(bar.current, bar.target)}" max="{bar.target}" style="width: 20em"></progress>'
    else:  # unknown length: an indeterminate bar
        progress = '<progress style="width: 20em"></progress>'
    label = f"<b>{html.escape(bar.label)}</b> " if bar.label else ""
    return f'<div style="{_TEXT_STYLE}">{label}{progress} {html_line(line)}</div>'

