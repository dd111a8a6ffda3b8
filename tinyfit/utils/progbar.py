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


def _format_per_step(seconds: float, unit: str) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _joined(*parts: str) -> str:
    """The head's parts with a space between, empty ones (no bar) left out."""
    return " ".join(part for part in parts if part)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    if hasattr(value, "tolist"):  # a per-class metric (an array): one line, however long
        value = value.tolist()
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(float(v)) if isinstance(v, (int, float)) else str(v)
                               for v in value) + "]"
    return str(value)


class Progbar:
    """A progress bar over `target` steps.

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
    """

    def __init__(self, target: int | None, width: int = 20, verbose: Any = 1, interval: float = 0.05,
                 stateful_metrics: Iterable[str] | None = None, unit_name: str = "step", *,
                 stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self.stream = stream
        self._clock = clock
        self.mode = progress_mode(verbose, self._out())
        self._chars = bar_characters(self._out())
        self._values: dict[str, list] = {}  # name -> [sum of value * steps, steps]
        self._seen_so_far = 0
        self._start = clock()
        self._time_after_first_step: float | None = None
        self._last_draw: float | None = None
        self._drawn_width = 0  # of the line under way on the terminal, for the next redraw to wipe
        self._ended = False

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
        self._record(current, values or (), finalize)
        if current == 1 and self._time_after_first_step is None:
            self._time_after_first_step = now  # the first step pays start-up costs; time the rest
        self._seen_so_far = current
        if finalize:
            self._ended = True
            self._print_finished(current, now)
            return
        if self.mode != "live" or (self._last_draw is not None and now - self._last_draw < self.interval):
            return
        # Never wider than the terminal: a wrapped line cannot be redrawn, each redraw would leave a copy.
        line = self._fitted_line(current, now)
        self._write("\r" + line + self._wipe(line))
        self._drawn_width = len(line)
        self._last_draw = now

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
        if self._ended:
            return
        self._ended = True
        current = self._seen_so_far
        if current > 0 or (self.mode == "live" and self._last_draw is not None):
            self._print_finished(current, self._clock(), " (stopped)")

    def _print_finished(self, current: int, now: float, suffix: str = "") -> None:
        """Prints the finished line, ending with `suffix`, and a newline; on a terminal over the line under way."""
        if self.mode == "off":
            return
        rows = self._rows(current, now, suffix)
        if self.mode == "live":  # the first row overwrites the line under way
            rows[0] = "\r" + rows[0] + self._wipe(rows[0])
            self._drawn_width = 0
        self._write("\n".join(rows) + "\n")

    def _wipe(self, line: str) -> str:
        """The spaces that wipe what a longer line drawn before left on the screen."""
        return " " * max(self._drawn_width - len(line), 0)

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Advances the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def _record(self, current: int, values: Iterable[tuple[str, Any]], finalize: bool) -> None:
        steps = max(current - self._seen_so_far, 1)
        for name, value in values:
            try:
                value = float(value)
            except (TypeError, ValueError):  # not a number (a string, an array): shown as given
                self._values[name] = [value, 1]
                continue
            if finalize or name in self.stateful_metrics:
                # Shown as given; a bar's last update carries the final values (the epoch's logs).
                self._values[name] = [value, 1]
            elif name in self._values and isinstance(self._values[name][0], float):
                self._values[name][0] += value * steps
                self._values[name][1] += steps
            else:
                self._values[name] = [value * steps, steps]

    def _time_per_step(self, current: int, now: float) -> float:
        if current <= 0:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            return (now - self._time_after_first_step) / (current - 1)
        return (now - self._start) / current

    def _head(self, current: int, now: float, finalize: bool, bar_width: int) -> str:
        """ "step/steps bar time per-step", the part of a line under way that is never dropped."""
        per_step = self._time_per_step(current, now)
        if self.target is None:
            count, bar = f"{current:>7}/Unknown", ""
        else:
            count, bar = f"{current:>{len(str(self.target))}}/{self.target}", self._bar(current, bar_width)
        if finalize or self.target is None:
            elapsed = _format_duration(now - self._start)
        else:
            elapsed = _format_duration(per_step * max(self.target - current, 0))  # time left
        return _joined(count, bar, elapsed, _format_per_step(per_step, self.unit_name))

    def _items(self) -> list[tuple[str, str]]:
        items = []
        for name, (total, count) in self._values.items():
            value = total / count if isinstance(total, float) else total
            items.append((name, _format_value(value)))
        return items

    def _line(self, current: int, now: float, finalize: bool) -> str:
        """The whole line, every value in it, however wide."""
        return " - ".join(self._pieces(current, now, finalize))

    def _pieces(self, current: int, now: float, finalize: bool) -> list[str]:
        head = self._head(current, now, finalize, self.width)
        return [head, *(f"{name}: {value}" for name, value in self._items())]

    def _rows(self, current: int, now: float, suffix: str = "") -> list[str]:
        """The finished line, ending with `suffix`: every figure, broken between " - " items into
        rows that fit the stream's width (one row where the width is not limited)."""
        pieces = self._pieces(current, now, finalize=True)
        pieces[-1] += suffix
        return wrap_line(pieces, stream_columns(self._out()))

    def _fitted_line(self, current: int, now: float) -> str:
        """The line under way, shortened to fit the terminal (see tinyfit.utils.line_fit)."""
        limit = stream_columns(self._out())
        if limit is None:
            return self._line(current, now, finalize=False)
        ellipsis = "..." if self._chars == ASCII_BAR else "…"
        return fit_line(lambda bar_width: self._head(current, now, False, bar_width), self.width,
                        self._items(), limit, ellipsis)

    def _bar(self, current: int, width: int | None = None) -> str:
        width = self.width if width is None else width
        done_char, head_char, todo_char = self._chars
        fraction = 1.0 if not self.target else min(max(current / self.target, 0.0), 1.0)
        done = int(width * fraction)
        if done == width:
            return done_char * width
        if done == 0:
            return todo_char * width
        return done_char * (done - 1) + head_char + todo_char * (width - done)

    def _write(self, text: str) -> None:
        out = self._out()
        out.write(text)
        out.flush()
