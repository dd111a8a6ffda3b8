"""Progbar: the text progress bar of fit/evaluate/predict, and the choice of how to show it.

    782/782 ━━━━━━━━━━━━━━━━━━━━ 1s 955us/step - loss: 0.5740 - sparse_categorical_accuracy: 0.8400

`progress_mode` decides, in one place, how progress is shown:

- "off":   nothing at all;
- "live":  one bar redrawn in place with "\\r", at most once per `interval` seconds;
- "epoch": one finished line per bar (per epoch, per evaluate, per predict).

A bar redrawn with "\\r" is only safe on a terminal: files, CI logs and
notebook outputs would keep every redraw (a line per update, thousands per
epoch), so everywhere else the bar prints only its last state.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Iterable, Mapping, TextIO

from .bar_figures import BarFigures
from .kernel import in_notebook_kernel
from .line_fit import fit_line, is_terminal, stream_columns, wrap_line

__all__ = ["Progbar", "progress_mode"]

_ENV = "TINYFIT_PROGRESS"
_ENV_VALUES = ("auto", "text", "widget", "html", "off")
_VERBOSE_VALUES = ("auto", 0, 1, 2)

# (done, head, to do): box drawing where the stream can encode it, ASCII elsewhere.
UNICODE_BAR = ("━", "━", "─")
ASCII_BAR = ("=", ">", ".")


def _ci_is_set(environ: Mapping[str, str]) -> bool:
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def progress_mode(verbose: Any = "auto", stream: TextIO | None = None,
                  environ: Mapping[str, str] | None = None, *, notebook: bool = False) -> str:
    """How progress is shown: "off", "live" (bar redrawn in place), "epoch" (one line per bar),
    or, for callers that can draw in a notebook, "widget" or "html".

    First match wins:

    1. `verbose=0`, or the environment variable TINYFIT_PROGRESS=off: "off".
       Nothing is printed anywhere, validation included.
    2. `verbose=2`: "epoch".
    3. With `notebook=True`, in a running notebook kernel, writing to the
       cell's own output (sys.stdout) and TINYFIT_PROGRESS not "text":
       TINYFIT_PROGRESS=widget gives "widget" (an ipywidgets bar; HTML where
       ipywidgets is missing); "html", or "auto"/unset when the `CI` variable
       is not set, gives "html": a bar drawn as HTML and updated in place,
       whose last state the notebook keeps however the run ends (a kernel
       restarted or killed mid-run included, where a widget would be left
       behind as "Error displaying widget" once the notebook is reopened).
    4. `verbose=1` or "auto": "live" when `stream` is an interactive terminal,
       "epoch" otherwise (a file, a pipe, CI, a notebook's text output).

    `stream` is an interactive terminal when its isatty() is true and the `CI`
    variable is not set; an explicitly set TINYFIT_PROGRESS wins over `CI`.

    Args:
        verbose: "auto", 0, 1 or 2 (True and False count as 1 and 0).
        stream: where the bar is written; defaults to sys.stdout.
        environ: defaults to os.environ.
        notebook: whether the caller can show "widget" and "html" progress.
    """
    environ = os.environ if environ is None else environ
    stream = sys.stdout if stream is None else stream
    if isinstance(verbose, bool):
        verbose = int(verbose)
    if verbose not in _VERBOSE_VALUES:
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2; got verbose={verbose!r}.")
    setting = environ.get(_ENV, "").strip().lower()
    if setting and setting not in _ENV_VALUES:
        raise ValueError(
            f"{_ENV}={environ[_ENV]!r} is not one of {', '.join(_ENV_VALUES)}; fix or unset the variable."
        )
    if verbose == 0 or setting == "off":
        return "off"
    if verbose == 2:
        return "epoch"
    explicit = setting not in ("", "auto")
    if notebook and setting != "text" and stream is sys.stdout and in_notebook_kernel():
        if setting == "widget":
            return "widget"
        if explicit or not _ci_is_set(environ):
            return "html"
    interactive = is_terminal(stream) and (explicit or not _ci_is_set(environ))
    return "live" if interactive else "epoch"


def bar_characters(stream: TextIO | None) -> tuple[str, str, str]:
    """The bar's (done, head, to do) characters: ASCII when the stream's encoding lacks box drawing."""
    encoding = getattr(stream, "encoding", None)
    if encoding:  # in-memory text streams (io.StringIO) have none and take any character
        try:
            "".join(UNICODE_BAR).encode(encoding)
        except (UnicodeEncodeError, LookupError):
            return ASCII_BAR
    return UNICODE_BAR


class Progbar:
    """A progress bar over `target` steps, drawn as text from its BarFigures.

    The line fits where it is shown (see tinyfit.utils.line_fit): on a
    terminal the line under way is shortened to the terminal's width, so that
    redrawing it with "\\r" leaves nothing behind; a finished line keeps every
    figure under its own name and, on a terminal or in a notebook, is broken
    between its " - " items into rows that fit. Files and pipes get one line,
    whatever its width.

    A bar ends with its last update (`finalize`, or reaching `target`), or with
    `stop()` when the work stops before that (Ctrl-C, an error).

    Args:
        target: the number of steps, or None when unknown (the bar then shows "n/Unknown").
        width: the bar's width in characters.
        verbose: 0, 1, 2 or "auto"; see `progress_mode`.
        interval: the least time in seconds between two redraws of a live bar.
        stateful_metrics: names whose values are shown as given; other values
            are averaged over the steps seen so far.
        unit_name: the unit of the time per step ("step", "sample").
        stream: where to write; sys.stdout (looked up at each write) by default.
        clock: a function returning seconds; tests pass a fake one.
        averages: False shows every value as given (values that are running means already).
    """

    def __init__(self, target: int | None, width: int = 20, verbose: Any = 1, interval: float = 0.05,
                 stateful_metrics: Iterable[str] | None = None, unit_name: str = "step", *,
                 stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 averages: bool = True):
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stream = stream
        self._clock = clock
        self.mode = progress_mode(verbose, self._out())
        self._chars = bar_characters(self._out())
        self.figures = BarFigures(target, clock(), unit=unit_name, stateful_metrics=set(stateful_metrics or ()),
                                  averages=averages)
        self._last_draw: float | None = None
        self._drawn_width = 0  # of the line under way on the terminal, for the next redraw to wipe

    @property
    def target(self) -> int | None:
        return self.figures.target

    @target.setter
    def target(self, target: int | None) -> None:
        self.figures.target = target

    @property
    def stateful_metrics(self) -> set[str]:
        return self.figures.stateful_metrics

    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stdout

    def update(self, current: int, values: Iterable[tuple[str, Any]] | None = None,
               finalize: bool | None = None) -> None:
        """Moves the bar to step `current`, recording `values` [(name, value), ...].

        Args:
            finalize: whether this is the bar's last update; by default, when
                `current` reaches `target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = self._clock()
        self.figures.record(current, values or (), now, final=finalize)
        if finalize:
            self._print_finished()
            return
        if self.mode != "live" or (self._last_draw is not None and now - self._last_draw < self.interval):
            return
        # Never wider than the terminal: a wrapped line cannot be redrawn, each redraw would leave a copy.
        line = self._fitted_line()
        self._write("\r" + line + self._wipe(line))
        self._drawn_width = len(line)
        self._last_draw = now

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Advances the bar by `n` steps."""
        self.update(self.figures.current + n, values)

    def stop(self) -> None:
        """Ends a bar stopped before its end (Ctrl-C, an error), so that what is printed next starts on its own line.

        The bar is printed as a finished line at the step reached, every
        figure shown, followed by " (stopped)" and a newline: on a terminal
        ("live") it replaces the line under way, if anything was drawn or a
        step was made; in a file or a pipe ("epoch") it is printed once a
        step was made, a bar that never moved printing nothing. "off" prints
        nothing. A bar that has already ended (finished normally, or stopped)
        prints nothing more.
        """
        if self.figures.ended:
            return
        self.figures.stop(self._clock())
        if self.figures.current > 0 or (self.mode == "live" and self._last_draw is not None):
            self._print_finished()

    def _print_finished(self) -> None:
        """Prints the ended bar's line and a newline; on a terminal over the line under way."""
        if self.mode == "off":
            return
        rows = self._rows()
        if self.mode == "live":  # the first row overwrites the line under way
            rows[0] = "\r" + rows[0] + self._wipe(rows[0])
            self._drawn_width = 0
        self._write("\n".join(rows) + "\n")

    def _wipe(self, line: str) -> str:
        """The spaces that wipe what a longer line drawn before left on the screen."""
        return " " * max(self._drawn_width - len(line), 0)

    def _head(self, bar_width: int) -> str:
        """ "step/steps bar time per-step", the part of a line under way that is never dropped."""
        return self.figures.head(self._bar(bar_width), aligned=True)

    def _rows(self) -> list[str]:
        """The ended line: every figure, broken between " - " items into rows that fit the stream's
        width (one row where the width is not limited)."""
        pieces = self.figures.pieces(self._bar(self.width), aligned=True)
        return wrap_line(pieces, stream_columns(self._out()))

    def _fitted_line(self) -> str:
        """The line under way, shortened to fit the terminal (see tinyfit.utils.line_fit)."""
        limit = stream_columns(self._out())
        if limit is None:
            return " - ".join(self.figures.pieces(self._bar(self.width), aligned=True))
        ellipsis = "..." if self._chars == ASCII_BAR else "…"
        return fit_line(self._head, self.width, self.figures.items(), limit, ellipsis)

    def _bar(self, width: int) -> str:
        """The bar drawn `width` characters wide; none while the number of steps is unknown."""
        if self.target is None:
            return ""
        done_char, head_char, todo_char = self._chars
        done = int(width * self.figures.fraction()) if self.target else width  # 0 steps of 0: done
        if done == width:
            return done_char * width
        if done == 0:
            return todo_char * width
        return done_char * (done - 1) + head_char + todo_char * (width - done)

    def _write(self, text: str) -> None:
        out = self._out()
        out.write(text)
        out.flush()
