"""The text bar as a user sees it on a terminal: what is left on the screen of a terminal
emulator (pyte) fed everything the bar wrote.

The bar writes to a stream that says it is a terminal, 80 columns wide (the COLUMNS variable,
as `stream_columns` reads it); the emulator gets the same text with each "\\n" made "\\r\\n",
as a terminal's driver does (onlcr) before the screen sees it.
"""

import io
import random
import re

import pytest

from tinyfit.utils.progbar import Progbar

pyte = pytest.importorskip("pyte", reason="the terminal emulator comes with the dev extra: pip install -e .[dev]")

GUIDE = [("loss", 0.5740), ("sparse_categorical_accuracy", 0.8400), ("val_loss", 0.6012),
         ("val_sparse_categorical_accuracy", 0.8125)]
GUIDE_TEXT = ["loss: 0.5740", "sparse_categorical_accuracy: 0.8400", "val_loss: 0.6012",
              "val_sparse_categorical_accuracy: 0.8125"]


class Tty(io.StringIO):
    """A terminal: keeps each write apart, to look at the screen after any of them."""

    def __init__(self):
        super().__init__()
        self.writes = []

    def isatty(self):
        return True

    def write(self, text):
        self.writes.append(text)
        return super().write(text)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Screen:
    """A terminal emulator `columns` wide, fed what a Tty received."""

    def __init__(self, columns, lines=24):
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.Stream(self.screen)

    def feed(self, text):
        self.stream.feed(text.replace("\n", "\r\n"))

    def rows(self):
        """The screen's rows down to the cursor's, trailing spaces dropped."""
        return [row.rstrip() for row in self.screen.display[:self.screen.cursor.y + 1]]

    @property
    def cursor(self):
        return self.screen.cursor.x, self.screen.cursor.y


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    # The root conftest exports TINYFIT_PROGRESS=text for the lessons; a shell may export COLUMNS.
    for name in ("TINYFIT_PROGRESS", "CI", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def columns_80(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def run(bar, clock, steps, values, seconds_per_step=0.04, screen=None, tty=None):
    """Updates `bar` for steps 1..`steps` with `values`; with a `screen`, checks after each redraw
    that the line under way holds one row of it and returns the widest redraw."""
    widest = 0
    for step in range(1, steps + 1):
        clock.now += seconds_per_step
        seen = len(tty.writes) if tty is not None else 0
        bar.update(step, values)
        if screen is not None:
            for text in tty.writes[seen:]:
                row = screen.cursor[1]
                screen.feed(text)
                assert screen.cursor[1] == row, f"a redraw wrapped to the next row: {text!r}"
                widest = max(widest, len(text.lstrip("\r")))
    return widest


# ------------------------------------------------------------------ the guide's line at 80 columns
def test_the_finished_line_shows_every_figure_in_full_at_80_columns(columns_80):
    tty, clock, screen = Tty(), Clock(), Screen(80)
    bar = Progbar(782, stream=tty, clock=clock, interval=0)
    widest = run(bar, clock, 781, GUIDE[:2], 0.001, screen, tty)
    assert widest <= 79  # the line under way was shortened to the terminal, never wrapped
    assert screen.rows()[0].endswith(" - sc_accuracy: 0.8400")  # shortened, where the finished line is not
    clock.now += 0.001
    seen = len(tty.writes)
    bar.update(782, GUIDE)
    screen.feed("".join(tty.writes[seen:]))
    rows = screen.rows()
    assert rows[-1] == "" and screen.cursor == (0, len(rows) - 1)  # the next text starts a row of its own
    rows = rows[:-1]
    assert re.fullmatch(r"782/782 ━{20} 1s 1ms/step - loss: 0\.5740", rows[0]), rows
    assert rows[1:] == ["    - sparse_categorical_accuracy: 0.8400 - val_loss: 0.6012",
                        "    - val_sparse_categorical_accuracy: 0.8125"]
    shown = " ".join(rows)
    for text in GUIDE_TEXT:
        assert text in shown
    assert "…" not in shown and "sc_" not in shown


def test_a_bar_that_reaches_its_end_on_a_narrow_terminal_keeps_every_figure(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    tty, clock, screen = Tty(), Clock(), Screen(40)
    bar = Progbar(50, stream=tty, clock=clock, interval=0)
    assert run(bar, clock, 49, GUIDE, screen=screen, tty=tty) <= 39
    seen = len(tty.writes)
    bar.update(50, GUIDE)
    screen.feed("".join(tty.writes[seen:]))
    rows = screen.rows()[:-1]
    assert all(len(row) <= 39 for row in rows), rows
    assert rows[1:] == ["    - loss: 0.5740",
                        "- sparse_categorical_accuracy: 0.8400",  # the indent gave way: 37 + 6 > 39
                        "    - val_loss: 0.6012",
                        "val_sparse_categorical_accuracy: 0.8125"]  # 39: no room for any lead


# ------------------------------------------------------------------ stop()
def test_stop_ends_the_line_under_way_and_what_follows_starts_a_row(columns_80):
    tty, clock, screen = Tty(), Clock(), Screen(80)
    bar = Progbar(782, stream=tty, clock=clock, interval=0)
    run(bar, clock, 300, GUIDE, 0.001, screen, tty)
    seen = len(tty.writes)
    bar.stop()
    bar.stop()  # once is enough
    screen.feed("".join(tty.writes[seen:]))
    screen.feed("Traceback (most recent call last):\n")
    rows = screen.rows()
    assert rows[-2] == "Traceback (most recent call last):" and rows[-1] == ""
    bar_rows = rows[:-2]
    assert bar_rows[-1].endswith(" (stopped)"), bar_rows
    assert re.match(r"300/782 ━{7}─{13} 0s 1ms/step - loss: 0\.5740", bar_rows[0]), bar_rows
    shown = " ".join(bar_rows)
    for text in GUIDE_TEXT:
        assert text in shown
    assert "…" not in shown and all(len(row) <= 79 for row in bar_rows)


def test_a_stopped_line_shorter_than_the_line_under_way_wipes_it(columns_80):
    tty, clock, screen = Tty(), Clock(), Screen(80)
    bar = Progbar(10, stream=tty, clock=clock, interval=0)
    run(bar, clock, 3, GUIDE, screen=screen, tty=tty)
    assert screen.rows()[0].endswith(" - loss: 0.5740 - …")
    seen = len(tty.writes)
    bar.stop()
    screen.feed("".join(tty.writes[seen:]))
    assert screen.rows() == [" 3/10 " + "━" * 6 + "─" * 14 + " 0s 40ms/step - loss: 0.5740",  # the " - …" wiped
                             "    - sparse_categorical_accuracy: 0.8400 - val_loss: 0.6012",
                             "    - val_sparse_categorical_accuracy: 0.8125 (stopped)", ""]


def test_stop_after_the_end_or_when_off_prints_nothing(columns_80):
    tty, clock = Tty(), Clock()
    bar = Progbar(5, stream=tty, clock=clock, interval=0)
    run(bar, clock, 5, GUIDE)
    printed = tty.getvalue()
    bar.stop()
    assert tty.getvalue() == printed and "(stopped)" not in printed
    for verbose in (0, 1):
        tty = Tty()
        bar = Progbar(5, verbose=verbose, stream=tty, clock=clock, interval=0)
        if verbose == 0:
            run(bar, clock, 2, GUIDE)
        bar.stop()  # off; or live with nothing drawn and no step made
        assert tty.getvalue() == ""


def test_stop_in_a_file_prints_the_line_at_the_step_reached():
    out, clock = io.StringIO(), Clock()
    bar = Progbar(50, stream=out, clock=clock)
    run(bar, clock, 12, [("loss", 0.5)])
    assert out.getvalue() == ""
    bar.stop()
    assert out.getvalue() == "12/50 " + "━" * 4 + "─" * 16 + " 0s 40ms/step - loss: 0.5000 (stopped)\n"
    bar.stop()
    assert out.getvalue().count("\n") == 1
    out = io.StringIO()
    Progbar(50, stream=out, clock=clock).stop()  # never moved
    assert out.getvalue() == ""


# ------------------------------------------------------------------ data that ran out early
@pytest.mark.parametrize("terminal", [True, False])
def test_a_bar_finished_before_its_target_shows_the_steps_made(columns_80, terminal):
    out, clock = (Tty() if terminal else io.StringIO()), Clock()
    bar = Progbar(50, stream=out, clock=clock, interval=0)
    run(bar, clock, 30, [("loss", 0.5)])
    bar.update(30, [("loss", 0.5)], finalize=True)
    last = out.getvalue().split("\r")[-1]
    assert re.match(r"30/50 ━{12}─{8} 1s 40ms/step - loss: 0\.5000 *\n\Z", last), last


# ------------------------------------------------------------------ drawn at random
def random_name(rng):
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 12)))
             for _ in range(rng.randint(1, 4))]
    return ("val_" if rng.random() < 0.3 else "") + "_".join(words)


def random_value(rng):
    """(value given to the bar, text it shows) for a float, a word or a long text."""
    kind = rng.random()
    if kind < 0.6:
        value = round(rng.uniform(0.01, 999), 4)
        return value, f"{value:.4f}"
    text = "".join(rng.choice("abcdefgh ") for _ in range(rng.randint(1, 120 if kind < 0.7 else 12))).strip() or "x"
    return text, text


LEADS = ("    - ", "- ", "")


@pytest.mark.parametrize("seed", range(40))
def test_random_lines_keep_every_figure_and_fit_the_terminal(monkeypatch, seed):
    rng = random.Random(seed)
    columns = rng.randint(20, 200)
    limit = columns - 1
    monkeypatch.setenv("COLUMNS", str(columns))
    names = list(dict.fromkeys(random_name(rng) for _ in range(rng.randint(1, 8))))
    values = {name: random_value(rng) for name in names}  # name -> (given, shown)
    target = rng.randint(1, 300)
    stop_at = rng.randint(1, target - 1) if target > 1 and rng.random() < 0.5 else None
    tty, clock, screen = Tty(), Clock(), Screen(columns, 400)
    bar = Progbar(target, width=rng.randint(5, 40), stream=tty, clock=clock, interval=0)
    given = [(name, value) for name, (value, _) in values.items()]
    widest = run(bar, clock, stop_at or target - 1, given, rng.uniform(1e-5, 3), screen, tty)
    assert widest <= limit
    seen = len(tty.writes)
    if stop_at is None:
        bar.update(target, given)
    else:
        bar.stop()
    screen.feed("".join(tty.writes[seen:]))
    assert screen.cursor[0] == 0 and screen.rows()[-1] == ""  # what comes next starts a row

    *rows, after = tty.getvalue().split("\r")[-1].split("\n")
    assert after == ""
    rows[0] = rows[0].rstrip(" ")  # the padding over the line under way
    shown = [rows[0]] + [row[len(next(lead for lead in LEADS if row.startswith(lead))):] for row in rows[1:]]
    items = [f"{name}: {text}" for name, (_, text) in values.items()]
    items[-1] += " (stopped)" if stop_at is not None else ""
    line = " - ".join(shown)
    assert line.endswith(" - " + " - ".join(items)), (line, items)
    head = line[:-len(" - " + " - ".join(items))]
    done = stop_at or target
    assert head.startswith(f"{done:>{len(str(target))}}/{target} "), head
    for item in items:  # each figure whole, on one row
        assert any(item in row for row in rows), (item, rows)
    for row, content in zip(rows, shown):
        if len(row) > limit:  # only a single piece wider than the terminal, alone on its row
            assert content in [head, *items] and len(content) > limit, (row, limit)
    if all(len(row) <= limit for row in rows):
        assert screen.rows()[-len(rows) - 1:-1] == [row.rstrip() for row in rows]
