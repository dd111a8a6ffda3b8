"""Fitting a progress line to the width it is shown in.

A bar redrawn with "\\r" must never be wider than the terminal: a wrapped
line cannot be returned to with "\\r", so each redraw would leave a stale copy
behind. Such a line is shortened instead (`fit_line`): names abbreviated,
then trailing metrics dropped, then the bar narrowed; "step/steps", the bar
and the time always stay.

A finished line is never redrawn, so it keeps every figure under its own
name, wherever it is shown: where the width is known (a terminal, a
notebook's output) it is broken between its " - " items into rows that fit
(`wrap_line`), never in the middle of a name or a number. Files and pipes
get one line, however wide.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Mapping, Sequence

__all__ = ["NOTEBOOK_COLUMNS", "abbreviate", "fit_line", "is_terminal", "stream_columns", "wrap_line"]

# Characters in a notebook's text output before the front end wraps the line
# (JupyterLab breaks it anywhere, mid-number included); the COLUMNS variable overrides.
NOTEBOOK_COLUMNS = 100
SEPARATOR = " - "
CONTINUATION = "    - "  # starts each further row of a wrapped line
_LEADS = (CONTINUATION, CONTINUATION.lstrip(), "")  # ever shorter, for a piece that nearly fills a row


def is_terminal(stream: Any) -> bool:
    """Whether `stream` says it is an interactive terminal."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def _is_notebook_output(stream: Any) -> bool:
    # The kernel replaces sys.stdout/sys.stderr with its own stream class; never import it to ask.
    return type(stream).__module__.startswith("ipykernel") and "ipykernel" in sys.modules


def _columns_variable(environ: Mapping[str, str]) -> int | None:
    try:
        columns = int(environ.get("COLUMNS", ""))
    except ValueError:
        return None
    return columns if columns > 0 else None


def stream_columns(stream: Any, environ: Mapping[str, str] | None = None) -> int | None:
    """How many characters a line written to `stream` may hold without being wrapped.

    A terminal: its width less one (a character in the last column makes some
    terminals wrap at once); a notebook's output: NOTEBOOK_COLUMNS; both give
    way to the COLUMNS variable, as `shutil.get_terminal_size` does. A file or
    a pipe, or a terminal that cannot tell its size: None, lines are not
    limited there (logs stay one line per epoch).

    Args:
        stream: the text stream written to.
        environ: defaults to os.environ.
    """
    environ = os.environ if environ is None else environ
    if is_terminal(stream):
        columns = _columns_variable(environ)
        if columns is None:
            try:
                columns = os.get_terminal_size(stream.fileno()).columns
            except (AttributeError, ValueError, OSError):  # io.UnsupportedOperation is an OSError
                return None
        # A size of 0 comes from a pseudo-terminal nobody sized: unknown.
        return max(columns - 1, 1) if columns > 0 else None
    if _is_notebook_output(stream):
        return _columns_variable(environ) or NOTEBOOK_COLUMNS
    return None


def abbreviate(name: str) -> str:
    """A shorter metric name: each word but the last cut to its initial, "val_" kept.

    "sparse_categorical_accuracy" -> "sc_accuracy",
    "val_mean_absolute_error" -> "val_ma_error", "loss" -> "loss".
    """
    prefix = ""
    if name.startswith("val_"):
        prefix, name = "val_", name[4:]
    words = [word for word in name.split("_") if word]
    if len(words) < 2:
        return prefix + name
    return prefix + "".join(word[0] for word in words[:-1]) + "_" + words[-1]


def _join(head: str, items: Sequence[tuple[str, str]]) -> str:
    return SEPARATOR.join([head, *(f"{name}: {value}" for name, value in items)])


def fit_line(head: Callable[[int], str], bar_width: int, items: Sequence[tuple[str, str]],
             limit: int, ellipsis: str = "…") -> str:
    """The progress line, shortened to at most `limit` characters.

    Tries in turn: the full line; metric names abbreviated; trailing metrics
    dropped (an `ellipsis` item says some are hidden); the bar narrowed;
    finally a plain cut of what is left.

    Args:
        head: builds "step/steps bar time per-step" for a given bar width.
        bar_width: the bar's usual width.
        items: the (name, formatted value) pairs after the head.
        limit: the most characters the line may have.
        ellipsis: the item standing for dropped metrics.
    """
    full = _join(head(bar_width), items)
    if len(full) <= limit:
        return full
    short = [(abbreviate(name), value) for name, value in items]
    start = head(bar_width)
    for kept in range(len(short), -1, -1):
        line = _join(start, short[:kept])
        if kept < len(short):
            line += SEPARATOR + ellipsis
        if len(line) <= limit:
            return line
    if len(start) <= limit:  # no room for the ellipsis item: the head alone
        return start
    # Not even the head fits: narrow the bar (down to nothing), then cut.
    fixed = len(head(0))  # a bar of width w adds w characters and a space
    line = head(max(min(bar_width, limit - fixed - 1), 0))
    return line[:limit]


def wrap_line(line_items: Sequence[str], limit: int | None) -> list[str]:
    """The pieces of a line joined by " - " into rows of at most `limit` characters where possible.

    Rows are broken only between pieces; each further row starts with "    - ",
    cut to "- " or nothing where the indent alone would make the row too wide.
    A piece wider than `limit` on its own keeps a row to itself, whole.
    `limit=None` gives one row.

    Args:
        line_items: the head ("step/steps bar time per-step") and then each "name: value".
        limit: the most characters a row should have, or None for no limit.
    """
    if not line_items:
        return [""]
    if limit is None:
        return [SEPARATOR.join(line_items)]
    rows = [line_items[0]]
    for piece in line_items[1:]:
        joined = rows[-1] + SEPARATOR + piece
        if len(joined) <= limit:
            rows[-1] = joined
        else:
            lead = next((lead for lead in _LEADS if len(lead) + len(piece) <= limit), CONTINUATION)
            rows.append(lead + piece)
    return rows
