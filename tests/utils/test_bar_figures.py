"""BarFigures: the figures of a bar, computed once, and every display showing the same ones."""

import io

from tinyfit.utils.bar_figures import BarFigures
from tinyfit.utils.notebook_progress import NotebookProgress
from tinyfit.utils.progbar import Progbar
from tinyfit.utils.text_progress import TextProgress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_time_per_step_leaves_out_the_first_update_and_eta_uses_it():
    bar = BarFigures(10, 100.0)
    bar.record(3, [], 103.0)  # three steps at once, with the start-up costs: not timed
    assert bar.time_per_step() == 1.0  # nothing but the first update yet: the time since the start
    bar.record(5, [], 103.5)
    assert bar.time_per_step() == 0.25 and bar.eta() == 1.25
    assert bar.timing() == "1s 250ms/step"  # under way: the time left
    bar.record(10, [], 104.75, final=True)
    assert bar.timing() == "5s 250ms/step" and bar.ended  # ended: the time taken
    unknown = BarFigures(None, 0.0)
    unknown.record(4, [], 2.0)
    assert unknown.eta() is None and unknown.count() == "4/Unknown" and unknown.count(aligned=True) == "      4/Unknown"


def test_values_are_averaged_unless_stateful_given_or_final():
    bar = BarFigures(4, 0.0, stateful_metrics={"acc"})
    bar.record(1, [("loss", 4.0), ("acc", 0.1), ("phase", "warmup")], 1.0)
    bar.record(3, [("loss", 1.0), ("acc", 0.3)], 2.0)  # two steps weigh twice
    assert bar.values() == [("loss", 2.0), ("acc", 0.3), ("phase", "warmup")]
    as_given = BarFigures(4, 0.0, averages=False)
    as_given.record(1, [("loss", 4.0)], 1.0)
    as_given.record(2, [("loss", 1.0)], 2.0)
    assert as_given.items() == [("loss", "1.0000")]
    bar.record(4, [("loss", 0.5)], 3.0, final=True)
    assert bar.items()[0] == ("loss", "0.5000")


def test_a_stopped_bar_says_so_after_its_last_figure():
    bar = BarFigures(10, 0.0)
    bar.record(1, [("loss", 0.5)], 1.0)
    bar.stop(2.0)
    assert bar.line() == "1/10 2s 2s/step - loss: 0.5000 (stopped)"
    assert BarFigures(10, 0.0).pieces() == ["0/10 0s 0s/step"]


def test_the_text_bar_and_the_notebook_show_the_same_figures():
    clock, out = Clock(), io.StringIO()
    text = Progbar(10, stream=out, clock=clock, averages=False)
    notebook = NotebookProgress(display=lambda obj, display_id=None: None, clock=clock)
    notebook.begin("Epoch 1/1", 10, header="Epoch 1/1")
    for step, seconds in ((3, 3.0), (4, 0.1), (7, 0.3), (10, 0.3)):
        clock.now += seconds
        values = [("loss", 1.0 / step)]
        if step < 10:
            text.update(step, values)
            notebook.update(step, values)
    text.update(10, values, finalize=True)
    notebook.finish(10, values)
    line = "10/10 4s 100ms/step - loss: 0.1000"  # 0.7 s over the 7 steps after the first update (3 steps)
    assert out.getvalue() == "10/10 " + "━" * 20 + line[5:] + "\n"
    assert notebook.finished == [("Epoch 1/1", line)]


def test_text_progress_prints_the_header_first_and_no_nested_bar():
    out = io.StringIO()
    display = TextProgress(verbose=1, stream=out)
    display.begin("Epoch 1/2", 3, header="Epoch 1/2")
    assert out.getvalue() == "Epoch 1/2\n"
    display.update(1, [("loss", 1.0)])
    display.begin("validation", None, nested=True)
    display.update(1, [("loss", 9.0)])
    display.finish(1, [("loss", 9.0)], keep=False)
    display.update(2, [("loss", 0.5)])
    display.finish(2, [("loss", 0.5), ("val_loss", 9.0)])
    assert out.getvalue().splitlines()[1].endswith(" - loss: 0.5000 - val_loss: 9.0000")
    display.begin("Epoch 2/2", None, header="Epoch 2/2")
    display.update(1)
    display.stop()
    assert out.getvalue().splitlines()[-2:] == ["Epoch 2/2", out.getvalue().splitlines()[-1]]
    assert out.getvalue().endswith(" (stopped)\n") and out.getvalue().splitlines()[-1].startswith("      1/Unknown")
