"""ProgbarLogger: epoch headers, one line per epoch off a terminal, silence at verbose=0."""

import io
import re

import pytest

from tinyfit.callbacks import CallbackList, ProgbarLogger

LINE = r"3/3 ━{20} \d+s \d+(us|ms|s)/step"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def fit_with(progbar, epochs=2, steps=3, verbose="auto", validation=True):
    hooks = CallbackList([progbar], add_history=True, verbose=verbose, epochs=epochs, steps=steps)
    hooks.on_train_begin()
    for epoch in range(epochs):
        hooks.on_epoch_begin(epoch)
        for batch in range(steps):
            hooks.on_train_batch_end(batch, {"loss": 0.5, "accuracy": 0.75})
        logs = {"loss": 0.5, "accuracy": 0.75}
        if validation:
            hooks.on_test_begin()
            hooks.on_test_batch_end(0, {"loss": 0.4})
            hooks.on_test_end({"loss": 0.4})
            logs.update(val_loss=0.4, val_accuracy=0.8)
        hooks.on_epoch_end(epoch, logs)
    hooks.on_train_end()


def test_fit_off_a_terminal_prints_headers_and_one_line_per_epoch():
    out = io.StringIO()
    fit_with(ProgbarLogger(stream=out))
    lines = out.getvalue().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    for line in (lines[1], lines[3]):
        assert re.fullmatch(LINE + r" - loss: 0.5000 - accuracy: 0.7500 - val_loss: 0.4000 - val_accuracy: 0.8000",
                            line), line


def test_one_epoch_has_no_header_and_verbose_2_is_one_line_on_a_terminal():
    out = Terminal()
    fit_with(ProgbarLogger(stream=out), epochs=1, verbose=2, validation=False)
    assert "\r" not in out.getvalue()
    assert re.fullmatch(LINE + r" - loss: 0.5000 - accuracy: 0.7500\n", out.getvalue())


def test_a_terminal_gets_a_live_bar():
    out = Terminal()
    fit_with(ProgbarLogger(stream=out), epochs=2, verbose=1)
    text = out.getvalue()
    assert text.startswith("Epoch 1/2\n\r1/3 ")
    assert text.count("\n") == 4  # two headers, two finished bars
    assert "val_loss: 0.4000" in text.split("\r")[-1]


@pytest.mark.parametrize("stream", [io.StringIO, Terminal])
def test_verbose_0_prints_nothing_anywhere(stream):
    out = stream()
    progbar = ProgbarLogger(stream=out)
    fit_with(progbar, verbose=0)
    evaluate_with(progbar, verbose=0)
    predict_with(progbar, verbose=0)
    assert out.getvalue() == ""


def test_tinyfit_progress_off_silences_everything(monkeypatch):
    monkeypatch.setenv("TINYFIT_PROGRESS", "off")
    out = Terminal()
    progbar = ProgbarLogger(stream=out)
    fit_with(progbar, verbose=1)
    evaluate_with(progbar, verbose=1)
    assert out.getvalue() == "" and progbar.mode == "off"


def evaluate_with(progbar, verbose="auto", steps=2):
    hooks = CallbackList([progbar], verbose=verbose, epochs=1, steps=steps)
    hooks.on_test_begin()
    for batch in range(steps):
        hooks.on_test_batch_end(batch, {"loss": 0.25})
    hooks.on_test_end({"loss": 0.25, "accuracy": 0.9})


def predict_with(progbar, verbose="auto", steps=1):
    hooks = CallbackList([progbar], verbose=verbose, epochs=1, steps=steps)
    hooks.on_predict_begin()
    for batch in range(steps):
        hooks.on_predict_batch_end(batch, {"outputs": [1, 2]})
    hooks.on_predict_end()


def test_evaluate_and_predict_print_one_line_each():
    out = io.StringIO()
    evaluate_with(ProgbarLogger(stream=out))
    predict_with(ProgbarLogger(stream=out))
    evaluate_line, predict_line = out.getvalue().splitlines()
    assert re.fullmatch(r"2/2 ━{20} \d+s \d+(us|ms|s)/step - loss: 0.2500 - accuracy: 0.9000", evaluate_line)
    assert re.fullmatch(r"1/1 ━{20} \d+s \d+(us|ms|s)/step", predict_line)


def test_a_logger_reused_after_fit_shows_evaluate():
    out = io.StringIO()
    progbar = ProgbarLogger(stream=out)
    fit_with(progbar, epochs=1, validation=True)
    evaluate_with(progbar)
    assert len(out.getvalue().splitlines()) == 2


def test_unknown_steps_are_learned_from_the_first_epoch():
    out = io.StringIO()
    hooks = CallbackList([ProgbarLogger(stream=out)], verbose=1, epochs=2, steps=None)
    hooks.on_train_begin()
    for epoch in range(2):
        hooks.on_epoch_begin(epoch)
        for batch in range(4):
            hooks.on_train_batch_end(batch, {"loss": 1.0})
        hooks.on_epoch_end(epoch, {"loss": 1.0})
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("4/4 ━") and lines[3].startswith("4/4 ━")


def test_a_run_stopped_by_an_exception_ends_its_line_with_stopped_before_the_traceback():
    import numpy as np

    import tinyfit as keras

    def interrupt(batch, logs):
        if batch == 2:
            raise KeyboardInterrupt  # as Ctrl-C does, mid-epoch

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((40, 2), "float32"), np.zeros((40, 1), "float32")
    for stream in (io.StringIO(), Terminal()):
        progbar = ProgbarLogger(stream=stream)
        stop = keras.callbacks.LambdaCallback(on_train_batch_end=interrupt)
        with pytest.raises(KeyboardInterrupt):
            model.fit(x, y, batch_size=4, epochs=2, callbacks=[stop, progbar], verbose=1)
        text = stream.getvalue()
        # The step that raised had not reached the bar (the callback before it raised): two steps shown.
        assert text.endswith(" (stopped)\n") and text.splitlines()[-1].lstrip().startswith("2/10 "), repr(text)
        assert progbar.display is None  # nothing left to draw on the next run's line
    for call in (lambda cbs: model.evaluate(x, y, batch_size=4, callbacks=cbs),
                 lambda cbs: model.predict(x, batch_size=4, callbacks=cbs)):
        out = io.StringIO()
        stop = keras.callbacks.LambdaCallback(on_test_batch_end=interrupt, on_predict_batch_end=interrupt)
        with pytest.raises(KeyboardInterrupt):
            call([stop, ProgbarLogger(stream=out)])
        assert out.getvalue().lstrip().startswith("2/10 ") and out.getvalue().endswith(" (stopped)\n")


def test_a_bar_ends_at_the_step_reached_when_training_stops_early():
    out = io.StringIO()
    hooks = CallbackList([ProgbarLogger(stream=out)], verbose=1, epochs=1, steps=10)
    hooks.on_train_begin()
    hooks.on_epoch_begin(0)
    for batch in range(4):  # a callback set stop_training at the fourth step
        hooks.on_train_batch_end(batch, {"loss": 0.5})
    hooks.on_epoch_end(0, {"loss": 0.5})
    hooks.on_train_end()
    assert out.getvalue().lstrip().startswith("4/10 "), out.getvalue()


def test_in_a_notebook_the_validation_bar_knows_its_size(monkeypatch):
    import tinyfit.utils.progbar as progbar_module

    class Recorder:
        def __init__(self):
            self.html = []

        def __call__(self, obj, display_id=None):
            self.html.append(obj.html)
            return types.SimpleNamespace(update=lambda obj, raw=False: self.html.append(obj.html))

    import types

    ipython_display = pytest.importorskip("IPython.display")
    display = Recorder()
    monkeypatch.setattr(ipython_display, "display", display)
    monkeypatch.setattr(progbar_module, "in_notebook_kernel", lambda: True)
    monkeypatch.setenv("TINYFIT_PROGRESS", "html")
    for validation_steps, shown in ((5, "/5"), (None, "/Unknown")):
        display.html.clear()
        hooks = CallbackList([ProgbarLogger(notebook_interval=0)], verbose=1, epochs=2, steps=3,
                             validation_steps=validation_steps)
        hooks.on_train_begin()
        for epoch in range(2):
            hooks.on_epoch_begin(epoch)
            for batch in range(3):
                hooks.on_train_batch_end(batch, {"loss": 0.5})
            hooks.on_test_begin()
            for batch in range(5):
                hooks.on_test_batch_end(batch, {"loss": 0.4})
            hooks.on_test_end({"loss": 0.4})
            hooks.on_epoch_end(epoch, {"loss": 0.5, "val_loss": 0.4})
        hooks.on_train_end()
        first, second = (re.findall(r"Epoch %d/2 validation.*?(\d+/\w+)" % e, "".join(display.html)) for e in (1, 2))
        assert first and first[-1] == "5" + shown, first  # 5 steps of an announced or unknown size
        assert second and second[-1] == "5/5", second  # known from the first validation on
        # The epoch's own bar is back where it was after its validation, not at a made-up count.
        assert display.html[-1].count("3/3 ") == 2
