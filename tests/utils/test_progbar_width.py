"""The text bar fits its width: on a terminal the line under way never wraps (no stale lines);
a finished line, on a terminal or in a notebook's output, keeps every figure under its own name
and breaks between items into rows that fit.

The end-to-end tests run a real fit with its output going to a pseudo-terminal
of a given size, and replay what the terminal received in a terminal emulator
(pyte), which shows what a user is left looking at.
"""

import fcntl
import io
import json
import os
import re
import struct
import sys
import termios
import threading

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.utils import line_fit
from tinyfit.utils import progbar as progbar_module
from tinyfit.utils.line_fit import abbreviate, fit_line, stream_columns, wrap_line
from tinyfit.utils.progbar import Progbar

pyte = pytest.importorskip("pyte", reason="the terminal emulator comes with the dev extra: pip install -e .[dev]")


class Terminal(io.StringIO):
    """A text stream that says it is a terminal but cannot tell its size."""

    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    # The root conftest exports TINYFIT_PROGRESS=text for the lessons; a shell may export COLUMNS.
    for name in ("TINYFIT_PROGRESS", "CI", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def head(bar_width):
    return "12/50 " + "━" * bar_width + " 3s 40ms/step" if bar_width else "12/50 3s 40ms/step"


ITEMS = [("loss", "0.5740"), ("sparse_categorical_accuracy", "0.8400"), ("val_loss", "0.6012"),
         ("val_sparse_categorical_accuracy", "0.8125")]


# ------------------------------------------------------------------ shortening a live line
def test_abbreviations_keep_the_last_word_and_val():
    assert abbreviate("sparse_categorical_accuracy") == "sc_accuracy"
    assert abbreviate("val_sparse_categorical_accuracy") == "val_sc_accuracy"
    assert abbreviate("val_mean_absolute_error") == "val_ma_error"
    assert abbreviate("loss") == "loss" and abbreviate("val_loss") == "val_loss"


def test_a_line_that_fits_is_left_whole():
    full = "12/50 " + "━" * 20 + " 3s 40ms/step - loss: 0.5740 - sparse_categorical_accuracy: 0.8400"
    assert fit_line(head, 20, ITEMS[:2], limit=len(full)) == full


def test_names_are_abbreviated_before_anything_is_dropped():
    short = ("12/50 " + "━" * 20 + " 3s 40ms/step - loss: 0.5740 - sc_accuracy: 0.8400 - "
             "val_loss: 0.6012 - val_sc_accuracy: 0.8125")
    assert fit_line(head, 20, ITEMS, limit=len(short)) == short
    assert fit_line(head, 20, ITEMS, limit=len(short) - 1).endswith("val_loss: 0.6012 - …")


@pytest.mark.parametrize("limit", [59, 79])
def test_trailing_metrics_are_dropped_and_marked(limit):
    line = fit_line(head, 20, ITEMS, limit=limit)
    assert len(line) <= limit and line.endswith(" - …")
    assert line.startswith("12/50 " + "━" * 20 + " 3s 40ms/step - loss: 0.5740")
    assert "val_sc_accuracy" not in line
    assert fit_line(head, 20, ITEMS, limit=limit, ellipsis="...").endswith(" - ...")


def test_a_narrow_terminal_keeps_the_head_and_then_narrows_the_bar():
    assert fit_line(head, 20, ITEMS, limit=40) == "12/50 " + "━" * 20 + " 3s 40ms/step"
    line = fit_line(head, 20, ITEMS, limit=30)
    assert line == "12/50 " + "━" * 11 + " 3s 40ms/step" and len(line) == 30
    assert fit_line(head, 20, ITEMS, limit=10) == "12/50 3s 4"  # cut, never wider than the terminal


# ------------------------------------------------------------------ wrapping a finished line
def test_a_finished_line_breaks_between_items_only():
    pieces = ["50/50 " + "━" * 20 + " 2s 40ms/step"] + [f"{name}: {value}" for name, value in ITEMS]
    rows = wrap_line(pieces, 60)
    assert rows == ["50/50 " + "━" * 20 + " 2s 40ms/step - loss: 0.5740",
                    "    - sparse_categorical_accuracy: 0.8400 - val_loss: 0.6012",
                    "    - val_sparse_categorical_accuracy: 0.8125"]
    assert all(len(row) <= 60 for row in rows)
    assert wrap_line(pieces, None) == [" - ".join(pieces)]
    assert wrap_line(pieces, 200) == [" - ".join(pieces)]


def test_an_item_wider_than_the_limit_keeps_a_row_to_itself_whole():
    wide = "f1_score: [" + ", ".join(["0.5000"] * 20) + "]"
    assert wrap_line(["1/1 ━ 0s 1ms/step", wide, "loss: 1.0000"], 60) == [
        "1/1 ━ 0s 1ms/step", "    - " + wide, "    - loss: 1.0000"]


def test_the_indent_gives_way_to_an_item_that_nearly_fills_a_row():
    head, item = "1/1 ━ 0s 1ms/step", "x" * 18
    assert wrap_line([head, item], 24) == [head, "    - " + item]
    assert wrap_line([head, item], 21) == [head, "- " + item]
    assert wrap_line([head, item], 19) == [head, item]
    assert wrap_line([head, item], 17) == [head, "    - " + item]  # wider than the row anyway: alone, marked


# ------------------------------------------------------------------ the width of a stream
def pseudo_terminal(columns):
    """(master fd, slave text stream) of a pseudo-terminal `columns` wide."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    return master, os.fdopen(slave, "w", encoding="utf-8")


def test_a_terminal_is_as_wide_as_it_says_less_one_column(monkeypatch):
    master, stream = pseudo_terminal(73)
    try:
        assert stream_columns(stream) == 72
        assert stream_columns(stream, {"COLUMNS": "120"}) == 119  # COLUMNS wins, as in shutil
        assert stream_columns(stream, {"COLUMNS": "wide"}) == 72  # not a number: ignored
    finally:
        stream.close()
        os.close(master)
    master, stream = pseudo_terminal(0)  # a pseudo-terminal nobody sized
    try:
        assert stream_columns(stream) is None
    finally:
        stream.close()
        os.close(master)


def test_files_and_unsized_terminals_are_not_limited():
    assert stream_columns(io.StringIO()) is None
    assert stream_columns(io.StringIO(), {"COLUMNS": "60"}) is None  # a log keeps one line per epoch
    assert stream_columns(Terminal()) is None
    assert stream_columns(Terminal(), {"COLUMNS": "60"}) == 59


def test_a_notebook_output_is_taken_as_notebook_columns_wide(monkeypatch):
    import ipykernel  # noqa: F401  (the kernel is loaded wherever its stream exists)

    class OutStream(io.StringIO):
        pass

    OutStream.__module__ = "ipykernel.iostream"
    assert stream_columns(OutStream()) == line_fit.NOTEBOOK_COLUMNS
    assert stream_columns(OutStream(), {"COLUMNS": "90"}) == 90


def test_a_notebook_output_breaks_the_epoch_line_between_items(monkeypatch):
    import ipykernel  # noqa: F401

    class OutStream(io.StringIO):
        pass

    OutStream.__module__ = "ipykernel.iostream"
    out, clock = OutStream(), Clock()
    bar = Progbar(782, stream=out, clock=clock)
    clock.now += 1
    bar.update(782, [("loss", 0.574), ("sparse_categorical_accuracy", 0.84), ("val_loss", 0.6012),
                     ("val_sparse_categorical_accuracy", 0.8125)])
    rows = out.getvalue().splitlines()
    assert rows == ["782/782 " + "━" * 20 + " 1s 1ms/step - loss: 0.5740 - sparse_categorical_accuracy: 0.8400",
                    "    - val_loss: 0.6012 - val_sparse_categorical_accuracy: 0.8125"]


# ------------------------------------------------------------------ the Progbar on a sized terminal
def test_every_redraw_fits_and_the_last_line_keeps_every_figure(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out, clock = Terminal(), Clock()
    bar = Progbar(50, stream=out, clock=clock, interval=0)
    values = [("loss", 0.574), ("sparse_categorical_accuracy", 0.84)]
    for step in range(1, 50):
        clock.now += 0.04
        bar.update(step, values)
    clock.now += 0.04
    bar.update(50, values + [("val_loss", 0.6012), ("val_sparse_categorical_accuracy", 0.8125)])
    *live, last = out.getvalue().split("\r")[1:]
    assert len(live) == 49 and all(len(frame) <= 79 for frame in live)
    assert all(re.match(r"[ \d]\d/50 [━─]{20} \d+s 40ms/step - loss: 0.5740", frame) for frame in live)
    assert live[0].rstrip().endswith("- sc_accuracy: 0.8400")
    first, *more = last.split("\n")
    assert len(first) == len(live[-1])  # padded over the line under way
    assert [first.rstrip(" "), *more] == ["50/50 " + "━" * 20 + " 2s 40ms/step - loss: 0.5740",
                                          "    - sparse_categorical_accuracy: 0.8400 - val_loss: 0.6012",
                                          "    - val_sparse_categorical_accuracy: 0.8125", ""]


def test_verbose_2_on_a_terminal_prints_the_line_in_rows_that_fit(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    out, clock = Terminal(), Clock()
    bar = Progbar(50, verbose=2, stream=out, clock=clock)
    for step in range(1, 51):
        clock.now += 0.04
        bar.update(step, [("loss", 0.574), ("sparse_categorical_accuracy", 0.84)])
    assert "\r" not in out.getvalue()
    assert out.getvalue().splitlines() == ["50/50 " + "━" * 20 + " 2s 40ms/step - loss: 0.5740",
                                           "    - sparse_categorical_accuracy: 0.8400"]


def test_an_ascii_terminal_marks_dropped_metrics_in_ascii(monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", newline="")
    stream.isatty = lambda: True
    clock = Clock()
    bar = Progbar(50, stream=stream, clock=clock, interval=0)
    clock.now += 1
    bar.update(10, [("loss", 0.5), ("accuracy", 0.8), ("val_loss", 0.6)])
    stream.flush()
    frame = raw.getvalue().decode("ascii").split("\r")[-1]
    assert frame.startswith("10/50 ") and frame.endswith(" - ...") and len(frame) <= 49


# ------------------------------------------------------------------ a real fit, on a real terminal
def fit_on_terminal(monkeypatch, columns, metrics, validation):
    """Runs a small fit (3 epochs, 25 steps, every step redrawn) with sys.stdout a `columns`-wide
    pseudo-terminal; returns (the bytes the terminal received, the History)."""
    original_init = Progbar.__init__

    def redraw_every_step(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.interval = 0  # the harshest case: every step is a redraw that could leave a copy behind

    monkeypatch.setattr(progbar_module.Progbar, "__init__", redraw_every_step)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(100, 8)).astype("float32"), rng.integers(0, 3, size=100)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=metrics)
    master, stream = pseudo_terminal(columns)
    received = []

    def drain():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed and everything was read
                return
            if not data:
                return
            received.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        history = model.fit(x, y, batch_size=4, epochs=3, verbose=1,
                            validation_data=(x[:20], y[:20]) if validation else None)
    finally:
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        stream.close()
        reader.join(timeout=30)
        os.close(master)
    return b"".join(received), history


def screen_rows(output, columns):
    screen = pyte.Screen(columns, 200)
    pyte.ByteStream(screen).feed(output)
    return [row.rstrip() for row in screen.display if row.strip()]


@pytest.mark.parametrize("columns", [60, 80, 200])
def test_a_short_line_leaves_exactly_one_line_per_epoch(monkeypatch, columns):
    output, history = fit_on_terminal(monkeypatch, columns, metrics=[], validation=False)
    assert output.count(b"\r") > 3 * 25  # every step was redrawn in place
    rows = screen_rows(output, columns)
    assert len(rows) == 6, rows
    for epoch in range(3):
        assert rows[2 * epoch] == f"Epoch {epoch + 1}/3"
        loss = history.history["loss"][epoch]
        assert re.fullmatch(rf"25/25 ━{{20}} \d+s \d+(us|ms|s)/step - loss: {loss:.4f}", rows[2 * epoch + 1])


# How many screen rows each epoch's finished line takes at each width.
GUIDE_ROWS = {60: 4, 80: 3, 200: 1}


@pytest.mark.parametrize("columns", [60, 80, 200])
def test_the_guide_line_keeps_every_figure_and_leaves_no_stale_line(monkeypatch, columns):
    output, history = fit_on_terminal(monkeypatch, columns, metrics=["sparse_categorical_accuracy"],
                                      validation=True)
    rows = screen_rows(output, columns)
    assert all(len(row) < columns for row in rows)
    assert "…" not in "".join(rows)
    per_epoch = 1 + GUIDE_ROWS[columns]
    assert len(rows) == 3 * per_epoch, rows  # a stale copy of the line under way would add a row
    keys = ("loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy")
    for epoch in range(3):
        header, first, *more = rows[epoch * per_epoch:(epoch + 1) * per_epoch]
        assert header == f"Epoch {epoch + 1}/3"
        assert re.match(r"25/25 ━{20} \d+s \d+(us|ms|s)/step - loss: ", first), first
        assert all(row.startswith("    - ") for row in more), more
        line = " - ".join([first, *(row[len("    - "):] for row in more)])
        for key in keys:
            assert f" - {key}: {history.history[key][epoch]:.4f}" in line, line


def test_the_check_sees_stale_lines_when_the_bar_is_wider_than_the_screen(monkeypatch):
    # The bar is told the terminal is 200 wide but the screen shows 60 columns: each redraw of the
    # ~150-character line wraps, and the emulator is left with copies; the tests above would fail.
    output, _ = fit_on_terminal(monkeypatch, 200, metrics=["sparse_categorical_accuracy"], validation=True)
    rows = screen_rows(output, 60)
    assert len(rows) > 6 + 3 * 25


# ------------------------------------------------------------------ a notebook's text output, in a real kernel
NOTEBOOK_FIT = """
import numpy as np
import tinyfit as keras
from tinyfit import layers

rng = np.random.default_rng(0)
x, y = rng.normal(size=(64, 8)).astype("float32"), rng.integers(0, 3, size=64)
model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(3)])
model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=[keras.metrics.SparseCategoricalAccuracy()])
history = model.fit(x, y, batch_size=16, epochs=2, validation_data=(x[:16], y[:16]))
"""


@pytest.mark.slow
def test_a_notebook_text_output_breaks_lines_between_items_not_mid_word(monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("TINYFIT_PROGRESS", "text")  # the kernel inherits this process's environment
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(NOTEBOOK_FIT),
                                               nbformat.v4.new_code_cell("import json; print(json.dumps(history.history))")])
    nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = notebook.cells[0].outputs
    assert all(output.output_type == "stream" and output.name == "stdout" for output in outputs), outputs
    lines = "".join(output.text for output in outputs).splitlines()
    history = json.loads(notebook.cells[1].outputs[0].text)
    assert all(len(line) <= line_fit.NOTEBOOK_COLUMNS for line in lines), lines
    assert lines[0] == "Epoch 1/2" and lines.count("Epoch 2/2") == 1
    second = lines.index("Epoch 2/2")
    for epoch, record in enumerate((lines[1:second], lines[second + 1:])):
        assert len(record) == 2, record  # ~150 characters: one break
        assert record[0].startswith("4/4 ━") and record[1].startswith("    - "), record
        text = record[0] + " - " + record[1][len("    - "):]
        assert re.fullmatch(r"4/4 ━{20} \d+s \d+(us|ms|s)/step - loss: [\d.]+ - sparse_categorical_accuracy: "
                            r"[\d.]+ - val_loss: [\d.]+ - val_sparse_categorical_accuracy: [\d.]+", text), text
        for name in ("loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"):
            assert f" - {name}: {history[name][epoch]:.4f}" in text
