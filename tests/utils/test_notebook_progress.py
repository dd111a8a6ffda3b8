"""Notebook progress without a kernel: the HTML and widget front ends, their throttle, and the mode choice."""

import io
import sys
import types

import pytest

import tinyfit.utils.notebook_progress as notebook_progress_module
import tinyfit.utils.progbar as progbar_module
import tinyfit.utils.widget_progress as widget_progress_module
from tinyfit.callbacks import CallbackList, ProgbarLogger
from tinyfit.utils.notebook_progress import NotebookProgress, ProgressSummary, html_line
from tinyfit.utils.progbar import progress_mode
from tinyfit.utils.widget_progress import WidgetProgress, notebook_progress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Handle:
    def __init__(self, shown):
        self.shown = shown

    def update(self, obj, raw=False):
        self.shown.append(("update", obj))


class Recorder:
    """Stands for IPython.display.display: keeps what was shown and how."""

    def __init__(self):
        self.shown = []

    def __call__(self, obj, display_id=None):
        assert display_id is True  # always through a handle, so the output can be updated in place
        self.shown.append(("display", obj))
        return Handle(self.shown)

    def kinds(self):
        return [kind for kind, _ in self.shown]


def run_epochs(progress, clock, epochs=3, steps=100, step_seconds=0.01):
    for epoch in range(epochs):
        progress.begin(f"Epoch {epoch + 1}/{epochs}", steps, header=f"Epoch {epoch + 1}/{epochs}")
        for step in range(1, steps + 1):
            clock.now += step_seconds
            progress.update(step, [("loss", 1.0 / step)])
        progress.begin("validation", None, nested=True)
        progress.update(1, [("loss", 0.5)])
        progress.finish(1, [("loss", 0.5)], keep=False)
        progress.finish(steps, [("loss", 0.25 + epoch), ("val_loss", 0.5)])


def test_one_display_updated_in_place_at_most_once_per_interval():
    clock, display = Clock(), Recorder()
    progress = NotebookProgress(interval=0.1, display=display, clock=clock)
    run_epochs(progress, clock)  # 3 s of steps
    progress.close()
    kinds = display.kinds()
    assert kinds[0] == "display" and set(kinds[1:]) == {"update"}
    # 10 redraws a second of steps, plus begin and finish of each epoch and of its validation.
    assert len(kinds) <= 3 * 10 + 3 * 4 + 2
    assert any("<progress" in obj.html for _, obj in display.shown)


def test_the_summary_lists_every_epoch_with_its_figures_and_no_bar():
    clock, display = Clock(), Recorder()
    progress = NotebookProgress(display=display, clock=clock)
    run_epochs(progress, clock)
    progress.close()
    summary = display.shown[-1][1]
    assert isinstance(summary, ProgressSummary)
    lines = summary.text.splitlines()
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert lines[1].startswith("100/100 1s 10ms/step - loss: 0.2500 - val_loss: 0.5000")
    assert "loss: 2.2500" in lines[5]
    assert "<progress" not in summary.html and "Epoch 3/3" in summary.html
    assert summary._repr_mimebundle_() == {"text/html": summary.html, "text/plain": summary.text}
    assert "validation" not in summary.text  # the validation bar is shown while it runs, not kept


def test_the_live_view_escapes_html_and_shows_an_unknown_length_bar():
    clock, display = Clock(), Recorder()
    progress = NotebookProgress(display=display, clock=clock)
    progress.begin("<b>", None)
    progress.update(7, [("a<b", 1.5)])
    view = progress.live_view()
    assert "&lt;b&gt;" in view.html and "a&lt;b: 1.5000</span>" in view.html
    assert '<progress style="width: 20em"></progress>' in view.html  # indeterminate
    assert "7/Unknown" in view.text


def test_close_mid_epoch_keeps_the_finished_epochs_and_marks_the_stop_and_is_idempotent():
    clock, display = Clock(), Recorder()
    progress = NotebookProgress(display=display, clock=clock)
    progress.begin("Epoch 1/2", 10, header="Epoch 1/2")
    progress.update(10, [("loss", 1.0)])
    progress.finish(10, [("loss", 1.0)])
    progress.begin("Epoch 2/2", 10)
    progress.update(4, [("loss", 0.5)])
    progress.close()
    shown = len(display.shown)
    progress.close()
    assert len(display.shown) == shown
    text = display.shown[-1][1].text
    assert text.startswith("Epoch 1/2\n10/10") and text.endswith("loss: 0.5000 (stopped)")
    assert "Epoch 2/2\n4/10" in text


def test_html_lines_wrap_only_between_items():
    line = "10/10 1s 5ms/step - val_sparse_categorical_accuracy: 0.9311 - a<b: 1"
    item = '<span style="white-space: nowrap">{}</span>'.format
    assert html_line(line) == " ".join([item("10/10 1s 5ms/step -"), item("val_sparse_categorical_accuracy: 0.9311 -"),
                                        item("a&lt;b: 1")])
    assert NotebookProgress().summary().html == ""  # nothing finished: no block at all
    clock, display = Clock(), Recorder()
    progress = NotebookProgress(display=display, clock=clock)
    progress.begin("", 10)
    progress.finish(10, [("loss", 1.0)])
    assert "word-break: normal" in progress.summary().html  # the notebook's own style breaks mid-word


def test_a_cell_that_ends_early_closes_the_display(monkeypatch):
    class Events:
        def __init__(self):
            self.callbacks = []

        def register(self, event, callback):
            assert event == "post_run_cell"
            self.callbacks.append(callback)

        def unregister(self, event, callback):
            self.callbacks.remove(callback)

    shell = types.SimpleNamespace(events=Events())
    monkeypatch.setattr(notebook_progress_module, "_ipython_shell", lambda: shell)
    progress = NotebookProgress(display=Recorder(), clock=Clock())
    progress.close_when_cell_ends()
    progress.begin("Epoch 1/2", 10)
    progress.update(3)
    for callback in list(shell.events.callbacks):  # the cell ends with an error: no on_train_end
        callback(None)
    assert progress.closed and shell.events.callbacks == []


def test_widget_front_end_shows_the_finished_lines_apart_then_closes_every_widget_for_the_summary():
    widgets = pytest.importorskip("ipywidgets")
    clock, display = Clock(), Recorder()
    progress = WidgetProgress(widgets, interval=0.1, display=display, clock=clock)
    run_epochs(progress, clock, epochs=2)
    # Two outputs: the widget, and the finished lines (text, kept by a notebook whose kernel dies).
    assert display.kinds().count("display") == 2 and display.shown[0][1] is progress._box
    record = [obj for _, obj in display.shown if isinstance(obj, ProgressSummary)]
    assert len(record) == 2  # shown at the first epoch's end, updated at the second's, never in between
    assert record[-1].text.splitlines()[0::2] == ["Epoch 1/2", "Epoch 2/2"]
    assert not any(isinstance(obj, ProgressSummary) and "<progress" in obj.html for _, obj in display.shown)
    assert progress._progress.max == 100 and progress._progress.bar_style == "success"
    assert progress._label.value == '<b style="white-space: nowrap">Epoch 2/2</b>'  # back from "validation"
    shown = len(display.shown)
    progress.close()
    summary, emptied = display.shown[shown:]
    assert "Epoch 2/2" in summary[1].text and emptied[1] == {}  # the widget's place holds nothing
    for part in progress._parts:
        assert part.comm is None and part.layout.comm is None  # closed: nothing left for the page to show


def test_widget_mode_falls_back_to_html_with_one_warning_without_ipywidgets(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # `import ipywidgets` now raises ImportError
    monkeypatch.setattr(widget_progress_module, "_warned_no_widgets", False)
    with pytest.warns(UserWarning, match=r"pip install ipywidgets, then restart the kernel.*TINYFIT_PROGRESS=html"):
        first = notebook_progress("widget", interval=0.2)
    second = notebook_progress("widget")  # no second warning (pytest's config makes one an error)
    assert type(first) is NotebookProgress and type(second) is NotebookProgress
    assert first.interval == 0.2
    assert type(notebook_progress("html")) is NotebookProgress


def test_errors_name_the_bad_value():
    with pytest.raises(ValueError, match=r"'widget' or 'html'; got mode='text'"):
        notebook_progress("text")
    with pytest.raises(ValueError, match=r"interval must be a number of seconds, 0 or more; got interval=-1"):
        NotebookProgress(interval=-1)
    with pytest.raises(ValueError, match=r"notebook_interval must be a number of seconds.*got notebook_interval='fast'"):
        ProgbarLogger(notebook_interval="fast")


@pytest.mark.parametrize("verbose, environ, in_kernel, expected", [
    ("auto", {}, True, "html"),  # restart-safe: a widget would be left behind by a kernel restart
    (1, {"TINYFIT_PROGRESS": "widget"}, True, "widget"),
    (1, {"TINYFIT_PROGRESS": "html"}, True, "html"),
    (1, {"TINYFIT_PROGRESS": "text"}, True, "epoch"),
    (1, {"TINYFIT_PROGRESS": "off"}, True, "off"),
    (0, {}, True, "off"),
    (2, {}, True, "epoch"),
    ("auto", {"CI": "true"}, True, "epoch"),
    ("auto", {"CI": "true", "TINYFIT_PROGRESS": "widget"}, True, "widget"),
    ("auto", {"TINYFIT_PROGRESS": "html"}, False, "epoch"),  # a script: text, whatever the setting
])
def test_progress_mode_in_a_notebook(monkeypatch, verbose, environ, in_kernel, expected):
    monkeypatch.setattr(progbar_module, "in_notebook_kernel", lambda: in_kernel)
    assert progress_mode(verbose, sys.stdout, environ, notebook=True) == expected
    assert progress_mode(verbose, sys.stdout, environ) in ("off", "epoch", "live")  # callers that draw text only
    assert progress_mode(verbose, io.StringIO(), environ, notebook=True) in ("off", "epoch")  # a stream given


def test_progbar_logger_in_a_notebook_draws_html_through_one_handle(monkeypatch):
    ipython_display = pytest.importorskip("IPython.display")
    display = Recorder()
    monkeypatch.setattr(ipython_display, "display", display)
    monkeypatch.setattr(progbar_module, "in_notebook_kernel", lambda: True)
    monkeypatch.setenv("TINYFIT_PROGRESS", "html")
    out = io.StringIO()
    logger = ProgbarLogger(notebook_interval=0)
    hooks = CallbackList([logger], add_history=True, verbose="auto", epochs=2, steps=3)
    hooks.on_train_begin()
    for epoch in range(2):
        hooks.on_epoch_begin(epoch)
        for batch in range(3):
            hooks.on_train_batch_end(batch, {"loss": 0.5})
        hooks.on_test_begin()
        hooks.on_test_batch_end(0, {"loss": 0.4})
        hooks.on_test_end({"loss": 0.4})
        hooks.on_epoch_end(epoch, {"loss": 0.5, "val_loss": 0.4})
    hooks.on_train_end()
    assert out.getvalue() == ""  # nothing printed as text
    assert display.kinds().count("display") == 1
    assert any("Epoch 2/2 validation" in obj.html for _, obj in display.shown)
    lines = display.shown[-1][1].text.splitlines()
    assert lines[0::2] == ["Epoch 1/2", "Epoch 2/2"]
    assert all(line.startswith("3/3 ") and line.endswith("loss: 0.5000 - val_loss: 0.4000") for line in lines[1::2])
    assert logger.display is None

    display.shown.clear()
    hooks = CallbackList([logger], verbose="auto", epochs=1, steps=2)
    hooks.on_predict_begin()
    hooks.on_predict_batch_end(0, {"outputs": None})
    hooks.on_predict_batch_end(1, {"outputs": None})
    hooks.on_predict_end()
    assert display.kinds()[0] == "display" and display.shown[-1][1].text.startswith("2/2 ")
