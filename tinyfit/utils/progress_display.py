"""ProgressDisplay: the one interface through which a run's progress is shown.

A run (a fit, an evaluate, a predict) shows a sequence of bars: one per
epoch, each with, inside it, a nested bar for validation. ProgbarLogger tells
its display what happens and nothing more; each display keeps the BarFigures
of its bars (tinyfit.utils.bar_figures) and draws them its own way:

- TextProgress (tinyfit.utils.text_progress): text lines, through Progbar;
  a nested bar is not drawn, its results join the outer bar's line;
- NotebookProgress (tinyfit.utils.notebook_progress): one HTML output of the cell;
- WidgetProgress (tinyfit.utils.widget_progress): ipywidgets, finished lines as HTML.
"""

from __future__ import annotations

from typing import Any, Iterable

__all__ = ["ProgressDisplay"]


class ProgressDisplay:
    """What every progress display does; subclasses draw."""

    def begin(self, label: str, target: int | None, *, header: str = "", nested: bool = False,
              unit: str = "step") -> None:
        """Starts a bar of `target` steps (None: unknown).

        Args:
            label: what the bar counts ("Epoch 2/5", "Evaluation").
            header: the heading of the bar's line ("Epoch 2/5"), or "" for none.
            nested: a bar inside the one under way (validation inside an epoch):
                when it finishes, the bar under way is the outer one again.
            unit: the unit of the time per step.
        """
        raise NotImplementedError

    def update(self, current: int, values: Iterable[tuple[str, Any]] = ()) -> None:
        """Moves the bar under way to step `current` with `values` [(name, value), ...], shown as given."""
        raise NotImplementedError

    def finish(self, current: int, values: Iterable[tuple[str, Any]] = (), *, keep: bool = True) -> None:
        """Ends the bar under way at step `current` (the step reached, whatever was announced);
        `keep`: its line stays among the run's finished lines (a display that prints may have no choice)."""
        raise NotImplementedError

    def end(self, current: int, values: Iterable[tuple[str, Any]] = ()) -> None:
        """Ends the run's last bar (evaluate, predict) and closes the display."""
        self.finish(current, values)
        self.close()

    def stop(self) -> None:
        """Ends the display of a run stopped by an exception: a bar under way ends with "(stopped)"."""
        self.close()

    def close(self) -> None:
        """Ends the display of the run, leaving what it showed. Safe to call twice."""
        raise NotImplementedError
