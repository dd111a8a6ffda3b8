"""BarFigures: what a progress bar shows, computed once for every display of it.

    Epoch 2/5
    300/782 ━━━━━━━──────────── 2s 3ms/step - loss: 0.5740 - accuracy: 0.8400

- steps done and the target (None while the number of steps is unknown);
- the time: taken so far once the bar has ended (or while its length is
  unknown), else the time left (ETA), followed by the time per step; the
  first update's steps are left out of the time per step, as they pay
  start-up costs (building the model, the first allocations);
- the metric values: averaged over the bar's steps, except those named
  stateful (running means already, shown as given) and a bar's last update;
- whether the bar runs, has finished, or was stopped before its end.

The text bar (Progbar), the notebook's HTML bar (NotebookProgress) and the
widget bar (WidgetProgress) only draw these figures; none computes its own.
"""

from __future__ import annotations

from typing import Any, Iterable

from .log_values import read_logs, unread

__all__ = ["BarFigures"]

RUNNING, FINISHED, STOPPED = "running", "finished", "stopped"


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


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    if hasattr(value, "tolist"):  # a per-class metric (an array): one line, however long
        value = value.tolist()
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(float(v)) if isinstance(v, (int, float)) else str(v)
                               for v in value) + "]"
    return str(value)


class BarFigures:
    """The figures of one bar, as of its latest update.

    Args:
        target: the number of steps, or None when unknown.
        now: the time the bar begins, in the seconds of the caller's clock.
        label: what the bar counts ("Epoch 2/5", "Evaluation"); displays may show it beside the bar.
        header: the heading of the bar's line ("Epoch 2/5"), or "" for none.
        unit: the unit of the time per step ("step", "sample").
        stateful_metrics: names whose values are shown as given, not averaged.
        averages: False shows every value as given (the values are running means already).
    """

    def __init__(self, target: int | None, now: float, *, label: str = "", header: str = "",
                 unit: str = "step", stateful_metrics: Iterable[str] = (), averages: bool = True):
        self.target = target
        self.label = label
        self.header = header
        self.unit = unit
        # The caller's own set is kept, not copied: Keras users add names to Progbar.stateful_metrics.
        self.stateful_metrics = stateful_metrics if isinstance(stateful_metrics, set) else set(stateful_metrics)
        self.averages = averages
        self.start = self.now = now
        self.current = 0
        self.state = RUNNING
        self._values: dict[str, list] = {}  # name -> [sum of value * steps, steps], or [value as given, 1]
        self._timed_from: tuple[int, float] | None = None  # (step, time) of the first update

    def record(self, current: int, values: Iterable[tuple[str, Any]], now: float, final: bool = False) -> None:
        """Moves the bar to step `current` at time `now` with `values` [(name, value), ...];
        `final`: the bar's last update, whose values (the run's results) are shown as given."""
        steps = max(current - self.current, 1)
        for name, value in values:
            shown_as_given = final or not self.averages or name in self.stateful_metrics
            if shown_as_given and unread(value):  # read when drawn, if ever (utils/log_values.py)
                self._values[name] = [value, 1]
                continue
            try:
                value = float(value)
            except (TypeError, ValueError):  # not a number (a string, an array): shown as given
                self._values[name] = [value, 1]
                continue
            if final or not self.averages or name in self.stateful_metrics:
                self._values[name] = [value, 1]
            elif name in self._values and isinstance(self._values[name][0], float):
                self._values[name][0] += value * steps
                self._values[name][1] += steps
            else:
                self._values[name] = [value * steps, steps]
        if self._timed_from is None and current >= 1:
            self._timed_from = (current, now)
        self.current = current
        self.now = now
        self.state = FINISHED if final else RUNNING

    def stop(self, now: float) -> None:
        """Marks the bar stopped before its end (Ctrl-C, an error) at time `now`, at the step reached."""
        self.now = now
        self.state = STOPPED

    @property
    def ended(self) -> bool:
        return self.state != RUNNING

    # -- the figures
    def time_per_step(self) -> float:
        if self.current <= 0:
            return 0.0
        if self._timed_from is not None:
            first_step, first_time = self._timed_from
            if self.current > first_step:
                return (self.now - first_time) / (self.current - first_step)
        return (self.now - self.start) / self.current

    def elapsed(self) -> float:
        return self.now - self.start

    def eta(self) -> float | None:
        """Seconds left at the current time per step; None while the number of steps is unknown."""
        if self.target is None:
            return None
        return self.time_per_step() * max(self.target - self.current, 0)

    def fraction(self) -> float:
        """How much of the bar is done, 0 to 1 (0 while the number of steps is unknown)."""
        if not self.target:
            return 0.0
        return min(max(self.current / self.target, 0.0), 1.0)

    def values(self) -> list[tuple[str, Any]]:
        """The values shown: (name, value), averaged where they are averaged."""
        waiting = {name: entry[0] for name, entry in self._values.items() if unread(entry[0])}
        for name, value in read_logs(waiting).items():  # one copy from a device for all of them
            self._values[name][0] = value
        return [(name, total / count if isinstance(total, float) else total)
                for name, (total, count) in self._values.items()]

    # -- as text
    def count(self, aligned: bool = False) -> str:
        """ "300/782", or "300/Unknown"; `aligned` pads the count so that the line does not jump as it grows."""
        if self.target is None:
            return f"{self.current:>7}/Unknown" if aligned else f"{self.current}/Unknown"
        if aligned:
            return f"{self.current:>{len(str(self.target))}}/{self.target}"
        return f"{self.current}/{self.target}"

    def timing(self) -> str:
        """ "2s 3ms/step": the time taken once the bar has ended or while its length is unknown,
        else the time left; then the time per step."""
        seconds = self.elapsed() if self.ended or self.target is None else self.eta()
        return f"{_format_duration(seconds)} {_format_per_step(self.time_per_step(), self.unit)}"

    def head(self, bar: str = "", aligned: bool = False) -> str:
        """ "300/782 <bar> 2s 3ms/step", the part of a line that is always shown (`bar` drawn by the display)."""
        return " ".join(part for part in (self.count(aligned), bar, self.timing()) if part)

    def items(self) -> list[tuple[str, str]]:
        """The values as (name, text) pairs."""
        return [(name, _format_value(value)) for name, value in self.values()]

    def pieces(self, bar: str = "", aligned: bool = False) -> list[str]:
        """The head, then each "name: value"; a stopped bar's last piece ends with " (stopped)"."""
        pieces = [self.head(bar, aligned), *(f"{name}: {value}" for name, value in self.items())]
        if self.state == STOPPED:
            pieces[-1] += " (stopped)"
        return pieces

    def line(self) -> str:
        """The whole line without a bar: "300/782 2s 3ms/step - loss: 0.5740"."""
        return " - ".join(self.pieces())
