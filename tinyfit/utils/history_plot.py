"""plot_history: training curves on one matplotlib Figure; LivePlot draws with the same code.

One axes per metric (loss, accuracy, ...), the training and the validation
curve of that metric on it, and a legend giving each curve's current and best
value. The Figure is made without pyplot (a Figure with its own Agg canvas), so
drawing opens no window and adds nothing to a notebook's list of open figures.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .. import backend
from .metric_direction import higher_is_better

# A curve: the epochs it has values for (counted from 1, as the progress bar counts) and the values.
Curve = tuple[list[int], list[float]]

TRAIN_COLOR, VALIDATION_COLOR = "C0", "C1"


def require_matplotlib(caller: str) -> None:
    """Raises an ImportError naming the pip command when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            f"{caller} draws with matplotlib, which is not installed: pip install matplotlib "
            "(or pip install \"tinyfit[notebook]\")."
        ) from None


def curves_from_history(history: Any) -> dict[str, Curve]:
    """The curves recorded in a History or in its `.history` dict, keyed by logged name.

    Values that are not single numbers (a per-class metric logs a list) are left out.
    A validation curve shorter than the training one (fit(..., validation_freq=k))
    is placed every k-th epoch, where fit ran it.
    """
    record = getattr(history, "history", history)
    if not isinstance(record, Mapping):
        raise TypeError(
            f"plot_history: expected a History (what fit() returns) or its .history dict, "
            f"got {type(history).__name__}."
        )
    # A list per name, as History keeps them; a 1-D array (from a saved or rebuilt record) counts as one.
    record = {name: list(v) if getattr(v, "ndim", None) == 1 else v for name, v in record.items()}
    epochs_run = max((len(v) for v in record.values() if isinstance(v, Sequence)), default=0)
    # History.epoch knows where fit started (initial_epoch); a bare dict starts at epoch 1.
    recorded = list(getattr(history, "epoch", None) or [])
    all_epochs = [e + 1 for e in recorded] if len(recorded) == epochs_run else list(range(1, epochs_run + 1))
    curves: dict[str, Curve] = {}
    for name, values in record.items():
        if not isinstance(values, Sequence) or not values or not all(backend.is_number(v) for v in values):
            continue
        every = max(epochs_run // len(values), 1)
        epochs = [all_epochs[every * (i + 1) - 1] for i in range(len(values))]
        curves[str(name)] = (epochs, [float(v) for v in values])
    return curves


def check_metrics(metrics: Any, caller: str) -> list[str] | None:
    """None, or the requested metric names as a list (one name may be given as a string)."""
    if metrics is None:
        return None
    if isinstance(metrics, str):
        return [metrics]
    if not isinstance(metrics, Sequence) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise TypeError(
            f"{caller}: metrics must be a list of logged names such as ['loss', 'accuracy'], or None for all; "
            f"got {metrics!r}."
        )
    return list(metrics)


def metric_names(logged: Sequence[str], metrics: Sequence[str] | None, caller: str) -> list[str]:
    """The metrics to draw, one axes each: the requested ones, or every metric logged (loss first).

    A requested "val_loss" means the loss axes (which shows training and validation).
    """
    logged_bases = []
    for key in logged:
        base = key.removeprefix("val_")
        if base not in logged_bases:
            logged_bases.append(base)
    if metrics is None:
        return sorted(logged_bases, key=lambda name: name != "loss")  # stable: loss first, the rest in order
    names: list[str] = []
    for requested in check_metrics(metrics, caller):
        base = requested.removeprefix("val_")
        if base not in logged_bases:
            raise ValueError(
                f"{caller}: metric {requested!r} was not logged; the logged values are "
                f"{', '.join(map(repr, logged)) if logged else '(none)'}. "
                "Pass one of these names (without 'val_': the axes show both curves) or metrics=None for all."
            )
        if base not in names:
            names.append(base)
    return names


def check_figsize(figsize: Any, caller: str) -> tuple[float, float] | None:
    """None, or (width, height) in inches, both positive."""
    if figsize is None:
        return None
    if (not isinstance(figsize, Sequence) or len(figsize) != 2
            or not all(backend.is_number(v) and v > 0 for v in figsize)):
        raise ValueError(f"{caller}: figsize must be (width, height) in inches, both above 0, e.g. (10, 4); "
                         f"got {figsize!r}.")
    return float(figsize[0]), float(figsize[1])


def check_log_scale(log_scale: Any, caller: str) -> bool:
    if not isinstance(log_scale, bool):
        raise TypeError(f"{caller}: log_scale must be True or False, got {log_scale!r}.")
    return log_scale


def png_bytes(figure: Any) -> bytes:
    """The figure drawn as a PNG, by its Agg canvas."""
    buffer = io.BytesIO()
    figure.canvas.print_png(buffer)
    return buffer.getvalue()


_figure_class: Any = None


def _curves_figure_class() -> Any:
    # Made on first use so that importing tinyfit never imports matplotlib.
    global _figure_class
    if _figure_class is None:
        from matplotlib.figure import Figure

        class CurvesFigure(Figure):
            """A Figure that a notebook shows as a PNG even when pyplot was never imported."""

            def _repr_png_(self) -> bytes:
                return png_bytes(self)

        _figure_class = CurvesFigure
    return _figure_class


def new_figure(n_axes: int, figsize: tuple[float, float] | None = None) -> Any:
    """A Figure with its Agg canvas (no pyplot), sized for n_axes side by side, two to a row."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    columns = 1 if n_axes <= 1 else 2
    rows = max(math.ceil(n_axes / columns), 1)
    figure = _curves_figure_class()(figsize=figsize or (5.0 * columns, 3.4 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _best(name: str, values: list[float]) -> int | None:
    """The index of the best value: the lowest loss, the highest accuracy; None where "best" means nothing."""
    if "learning_rate" in name or not values:
        return None
    finite = [(v, i) for i, v in enumerate(values) if math.isfinite(v)]
    if not finite:
        return None
    return (max(finite) if higher_is_better(name) else min(finite, key=lambda pair: (pair[0], -pair[1])))[1]


def _label(role: str, name: str, curve: Curve, running: tuple[int, float] | None = None) -> str:
    epochs, values = curve
    if running is None:
        label = f"{role}: {values[-1]:.4g} now"
    else:
        label = f"{role}: {running[1]:.4g} (epoch {running[0]} so far)"
    best = _best(name, values)
    if best is not None:
        label += f", best {values[best]:.4g} (epoch {epochs[best]})"
    return label


def _set_log_scale(axes: Any) -> None:
    """A log y axis; a symmetric one (linear near zero) when a value is zero or negative, which log cannot show."""
    values = [float(v) for line in axes.lines for v in line.get_ydata() if math.isfinite(float(v))]
    if all(v > 0 for v in values):
        axes.set_yscale("log")
    else:
        nonzero = [abs(v) for v in values if v != 0]
        axes.set_yscale("symlog", linthresh=min(nonzero) if nonzero else 1.0)


def draw_curves(figure: Any, names: Sequence[str], curves: Mapping[str, Curve], log_scale: bool = False,
                running: Mapping[str, tuple[int, float]] | None = None) -> None:
    """Draws (or redraws) the figure: one axes per name, training and validation curves on it.

    Args:
        figure: a Figure from new_figure(); its axes are replaced.
        names: the metrics, one axes each, titled by name.
        curves: logged name -> (epochs, values), e.g. "loss" and "val_loss".
        log_scale: a logarithmic y axis on every axes (symmetric-log where a value is <= 0).
        running: name -> (epoch, value) for the epoch under way (its running value),
            drawn dashed from the last finished epoch and named in the legend.
    """
    from matplotlib.ticker import MaxNLocator

    running = running or {}
    figure.clear()
    columns = 1 if len(names) <= 1 else 2
    rows = max(math.ceil(len(names) / columns), 1)
    for index, name in enumerate(names):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(True, alpha=0.3)
        train = curves.get(name)
        now = running.get(name)
        if train is not None:
            axes.plot(*train, color=TRAIN_COLOR, marker="o", markersize=3,
                      label=_label("train", name, train, now))
        if now is not None:
            # The epoch under way, dashed: its value still moves until the epoch ends.
            xs = [train[0][-1], now[0]] if train else [now[0]]
            ys = [train[1][-1], now[1]] if train else [now[1]]
            label = "_running" if train else f"train: {now[1]:.4g} (epoch {now[0]} so far)"
            axes.plot(xs, ys, color=TRAIN_COLOR, linestyle="--", marker="o", markersize=3,
                      markerfacecolor="none", label=label)
        validation = curves.get(f"val_{name}")
        if validation is not None:
            axes.plot(*validation, color=VALIDATION_COLOR, marker="o", markersize=3,
                      label=_label("validation", name, validation))
        if log_scale:
            _set_log_scale(axes)
        if axes.lines:
            axes.legend(loc="best", fontsize="small")


def plot_history(history: Any, metrics: Sequence[str] | None = None, log_scale: bool = False,
                 figsize: tuple[float, float] | None = None) -> Any:
    """Draws a History's curves: one axes per metric, training and validation together.

    Args:
        history: what fit() returns, or its `.history` dict.
        metrics: the metrics to draw, e.g. ["loss", "accuracy"]; None draws every
            metric logged. "val_loss" and "loss" both mean the loss axes.
        log_scale: a logarithmic y axis (useful when the loss falls by decades). An axes
            with a value at or below zero gets a symmetric log axis, linear near zero.
        figsize: (width, height) in inches; by default about 5 x 3.4 per axes.

    Returns:
        A matplotlib Figure (a notebook shows it inline; `.savefig("curves.png")` writes it).
    """
    require_matplotlib("plot_history")
    log_scale = check_log_scale(log_scale, "plot_history")
    figsize = check_figsize(figsize, "plot_history")
    curves = curves_from_history(history)
    names = metric_names(list(curves), metrics, "plot_history")
    if not names:
        raise ValueError("plot_history: the history holds no values to draw (did fit() run at least one epoch?).")
    figure = new_figure(len(names), figsize)
    draw_curves(figure, names, curves, log_scale)
    return figure
