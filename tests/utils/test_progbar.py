"""The text progress bar: which mode, what it prints on a terminal and elsewhere, throttling, ASCII."""

import io

import pytest

from tinyfit.utils import progbar as progbar_module
from tinyfit.utils.progbar import Progbar, progress_mode


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self):
        return True


class Closed(io.StringIO):
    def isatty(self):
        raise ValueError("I/O operation on closed file")


class Clock:
    """A fake clock: tests move time by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    # The root conftest exports TINYFIT_PROGRESS=text for the lessons; these tests set what they need.
    monkeypatch.delenv("TINYFIT_PROGRESS", raising=False)
    monkeypatch.delenv("CI", raising=False)


# ------------------------------------------------------------------ the one decision
@pytest.mark.parametrize("verbose, terminal, environ, expected", [
    (0, True, {}, "off"),
    (0, False, {"TINYFIT_PROGRESS": "text"}, "off"),
    (False, True, {}, "off"),
    (1, True, {}, "live"),
    (True, True, {}, "live"),
    ("auto", True, {}, "live"),
    (1, False, {}, "epoch"),
    ("auto", False, {}, "epoch"),
    (2, True, {}, "epoch"),
    (2, False, {}, "epoch"),
    (1, True, {"TINYFIT_PROGRESS": "off"}, "off"),
    (2, False, {"TINYFIT_PROGRESS": "OFF"}, "off"),
    ("auto", True, {"CI": "true"}, "epoch"),
    (1, True, {"CI": "1"}, "epoch"),
    (1, True, {"CI": "false"}, "live"),
    (1, True, {"CI": "true", "TINYFIT_PROGRESS": "text"}, "live"),
    (1, True, {"CI": "true", "TINYFIT_PROGRESS": "auto"}, "epoch"),
    (1, False, {"TINYFIT_PROGRESS": "text"}, "epoch"),
    (1, True, {"TINYFIT_PROGRESS": "widget"}, "live"),
])
def test_progress_mode(verbose, terminal, environ, expected):
    stream = Terminal() if terminal else io.StringIO()
    assert progress_mode(verbose, stream, environ) == expected


def test_progress_mode_defaults_to_stdout_and_the_environment(monkeypatch, capsys):
    assert progress_mode(1) == "epoch"  # pytest's captured stdout is not a terminal
    monkeypatch.setenv("TINYFIT_PROGRESS", "off")
    assert progress_mode(1) == "off"


def test_a_stream_that_cannot_say_is_not_a_terminal():
    assert progress_mode(1, Closed(), {}) == "epoch"
    assert progress_mode(1, object(), {}) == "epoch"


def test_progress_mode_errors_name_the_bad_value():
    with pytest.raises(ValueError, match=r"verbose must be 'auto', 0, 1 or 2; got verbose=3"):
        progress_mode(3, io.StringIO(), {})
    with pytest.raises(ValueError, match=r"verbose must be .*got verbose='loud'"):
        progress_mode("loud", io.StringIO(), {})
    with pytest.raises(ValueError, match=r"TINYFIT_PROGRESS='bars' is not one of auto, text, widget, html, off"):
        progress_mode(1, io.StringIO(), {"TINYFIT_PROGRESS": "bars"})


# ---------------------------------------------------------------- not a terminal
def run_epoch(bar, clock, steps, seconds_per_step, values=(("loss", 0.574), ("acc", 0.84))):
    for step in range(1, steps + 1):
        clock.now += seconds_per_step
        bar.update(step, list(values))


def test_not_a_terminal_prints_one_line_at_the_end():
    out, clock = io.StringIO(), Clock()
    bar = Progbar(782, stream=out, clock=clock, stateful_metrics=["loss", "sparse_categorical_accuracy"])
    run_epoch(bar, clock, 782, 0.000955, [("loss", 0.5740), ("sparse_categorical_accuracy", 0.84)])
    assert out.getvalue() == ("782/782 ━━━━━━━━━━━━━━━━━━━━ 1s 955us/step - loss: 0.5740 - "
                              "sparse_categorical_accuracy: 0.8400\n")


def test_verbose_2_prints_one_line_even_on_a_terminal():
    out, clock = Terminal(), Clock()
    run_epoch(Progbar(50, verbose=2, stream=out, clock=clock), clock, 50, 0.02)
    assert out.getvalue().count("\n") == 1 and "\r" not in out.getvalue()
    assert out.getvalue().startswith("50/50 ━━━━━━━━━━━━━━━━━━━━ 1s 20ms/step")


@pytest.mark.parametrize("verbose, environ", [(0, {}), (1, {"TINYFIT_PROGRESS": "off"}),
                                              (2, {"TINYFIT_PROGRESS": "off"})])
def test_silence(monkeypatch, verbose, environ):
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    for out in (Terminal(), io.StringIO()):
        clock = Clock()
        bar = Progbar(10, verbose=verbose, stream=out, clock=clock)
        run_epoch(bar, clock, 10, 0.1)
        bar.update(10, [("loss", 1.0)], finalize=True)
        assert out.getvalue() == ""


def test_ci_without_tinyfit_progress_prints_like_a_file(monkeypatch):
    monkeypatch.setenv("CI", "true")
    out, clock = Terminal(), Clock()
    run_epoch(Progbar(100, stream=out, clock=clock), clock, 100, 0.01)
    assert out.getvalue().count("\n") == 1 and "\r" not in out.getvalue()
    monkeypatch.setenv("TINYFIT_PROGRESS", "text")  # an explicit choice wins over CI
    out = Terminal()
    run_epoch(Progbar(100, stream=out, clock=clock), clock, 100, 0.01)
    assert "\r" in out.getvalue()


# --------------------------------------------------------------------- a terminal
def test_a_terminal_gets_one_line_redrawn_in_place():
    out, clock = Terminal(), Clock()
    run_epoch(Progbar(10, stream=out, clock=clock, interval=0.05), clock, 10, 0.1)
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    frames = text.split("\r")[1:]
    assert len(frames) == 10  # 0.1 s apart: every update is drawn
    # Mid-way the time shown is the time left: 9 steps at 0.1 s, then 5.
    assert frames[0].startswith(" 1/10 " + "━" * 2 + "─" * 18 + " 1s 100ms/step - loss: 0.5740 - acc: 0.8400")
    assert frames[4].startswith(" 5/10 " + "━" * 10 + "─" * 10 + " 0s 100ms/step")
    assert frames[-1].startswith("10/10 ━━━━━━━━━━━━━━━━━━━━ 1s 100ms/step")


def test_redraws_are_throttled_by_wall_clock_time():
    out, clock = Terminal(), Clock()
    run_epoch(Progbar(1000, stream=out, clock=clock, interval=0.05), clock, 1000, 0.001)
    frames = out.getvalue().split("\r")[1:]
    # 1 s of updates at most every 0.05 s, plus the final one; not 1000 redraws.
    assert 20 <= len(frames) <= 22
    assert frames[-1].startswith("1000/1000")
    out, clock = Terminal(), Clock()
    run_epoch(Progbar(1000, stream=out, clock=clock, interval=0.5), clock, 1000, 0.001)
    assert 2 <= len(out.getvalue().split("\r")[1:]) <= 4


def test_a_shorter_redraw_wipes_the_longer_one():
    out, clock = Terminal(), Clock()
    bar = Progbar(3, stream=out, clock=clock, interval=0)
    bar.update(1, [("phase", "a long description")])
    clock.now += 1
    bar.update(2, [("phase", "short")])
    first, second = out.getvalue().split("\r")[1:]
    assert len(second) == len(first)
    assert second.rstrip(" ") != second


def test_eta_and_time_per_step_formats():
    out, clock = Terminal(), Clock()
    bar = Progbar(5000, stream=out, clock=clock, interval=0)
    bar.update(1)
    clock.now += 2.5
    bar.update(2)
    assert "2/5000 " in out.getvalue() and " 3:28:15 2s/step" in out.getvalue()  # 4998 steps * 2.5 s
    clock.now += 0.0005 * 100
    bar.update(102)
    assert " 25ms/step" in out.getvalue().split("\r")[-1]


def test_unknown_target_counts_steps():
    out, clock = Terminal(), Clock()
    bar = Progbar(None, stream=out, clock=clock, interval=0)
    run_epoch(bar, clock, 5, 0.2)
    assert out.getvalue().split("\r")[-1].startswith("      5/Unknown 1s 200ms/step - loss: 0.5740")
    bar.update(5, finalize=True)
    assert out.getvalue().endswith("\n")


# --------------------------------------------------------------------- values shown
def test_values_are_averaged_over_steps_unless_stateful():
    out, clock = io.StringIO(), Clock()
    bar = Progbar(4, stream=out, clock=clock, stateful_metrics=["acc"])
    bar.update(1, [("loss", 4.0), ("acc", 0.1)])
    bar.update(3, [("loss", 1.0), ("acc", 0.3)])  # two steps at once weigh twice
    bar.update(4, [("loss", 1.0), ("acc", 0.5)], finalize=False)
    bar.update(4, [("acc", 0.9)], finalize=True)
    assert "loss: 1.7500 - acc: 0.9000" in out.getvalue()


def test_small_values_use_scientific_notation_and_text_is_shown_as_is():
    out, clock = io.StringIO(), Clock()
    Progbar(1, stream=out, clock=clock).update(1, [("lr", 1e-5), ("phase", "warmup")])
    assert "lr: 1.0000e-05 - phase: warmup" in out.getvalue()


def test_per_class_arrays_stay_on_one_line():
    import numpy as np

    out, clock = io.StringIO(), Clock()
    Progbar(1, stream=out, clock=clock).update(1, [("f1_score", np.array([0.5, 0.25, 1e-5] * 20))])
    assert out.getvalue().count("\n") == 1
    assert "f1_score: [0.5000, 0.2500, 1.0000e-05, 0.5000," in out.getvalue()


def test_add_advances_the_bar():
    out, clock = io.StringIO(), Clock()
    bar = Progbar(4, stream=out, clock=clock)
    bar.add(2)
    bar.add(2, [("loss", 0.5)])
    assert out.getvalue().startswith("4/4 ━━━━━━━━━━━━━━━━━━━━")


# ------------------------------------------------------------------ ASCII fallback
def cp1252_stream(terminal):
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252", newline="")
    if terminal:
        stream.isatty = lambda: True
    return stream, raw


def test_ascii_when_the_stream_cannot_encode_the_bar():
    stream, raw = cp1252_stream(terminal=False)
    clock = Clock()
    run_epoch(Progbar(10, stream=stream, clock=clock), clock, 10, 0.1)
    assert raw.getvalue().decode("cp1252") == "10/10 ==================== 1s 100ms/step - loss: 0.5740 - acc: 0.8400\n"


def test_ascii_partial_bar_has_a_head():
    stream, raw = cp1252_stream(terminal=True)
    clock = Clock()
    bar = Progbar(10, stream=stream, clock=clock, interval=0)
    clock.now += 1
    bar.update(5)
    assert raw.getvalue().decode("cp1252").startswith("\r 5/10 =========>..........")


def test_unicode_bar_when_the_encoding_has_it():
    assert progbar_module.bar_characters(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) == \
        progbar_module.UNICODE_BAR
    assert progbar_module.bar_characters(io.StringIO()) == progbar_module.UNICODE_BAR
    assert progbar_module.bar_characters(io.TextIOWrapper(io.BytesIO(), encoding="ascii")) == \
        progbar_module.ASCII_BAR


def test_stdout_is_looked_up_when_writing(capsys):
    clock = Clock()
    run_epoch(Progbar(2, clock=clock), clock, 2, 0.5)
    assert capsys.readouterr().out.startswith("2/2 ━━━━━━━━━━━━━━━━━━━━ 1s 500ms/step")


def test_public_names():
    assert progbar_module.__all__ == ["Progbar", "progress_mode"]
