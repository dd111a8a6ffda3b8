"""LivePlot: curves redrawn during fit, throttled, through one display handle or into a PNG file."""

import sys
from types import SimpleNamespace

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.callbacks import LivePlot
from tinyfit.callbacks import live_plot as live_plot_module

PNG = b"\x89PNG"


class FakeClock:
    """Replaces LivePlot's clock: time moves only when a test says so."""

    def __init__(self, monkeypatch, start=100.0):
        self.now = start
        monkeypatch.setattr(live_plot_module, "_now", lambda: self.now)


class FakeNotebook:
    """A running kernel as IPython shows it, with a display() that records its calls."""

    def __init__(self, monkeypatch):
        import IPython
        import IPython.display

        self.calls = []  # ("display", png) and ("update", png), in order
        monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace(kernel=object()))
        monkeypatch.setattr(IPython.display, "display", self.display)
        monkeypatch.setattr(IPython.display, "clear_output", lambda *a, **k: self.calls.append(("clear_output",)))

    def display(self, obj, display_id=None):
        assert display_id is True, "LivePlot shows its image through a display handle"
        self.calls.append(("display", obj.data))
        return SimpleNamespace(update=lambda new: self.calls.append(("update", new.data)))

    def kinds(self):
        return [call[0] for call in self.calls]


def lines_by_role(axes):
    return {line.get_label().split(":")[0]: line for line in axes.lines if not line.get_label().startswith("_")}


def small_model():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    return model


def small_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


@pytest.fixture(autouse=True)
def in_tmp_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default file, live_plot.png, lands in the test's own folder


def test_a_fit_draws_train_and_validation_of_each_metric_with_the_history_values(monkeypatch):
    FakeClock(monkeypatch)
    plot = LivePlot(min_interval=0)
    x, y = small_data()
    history = small_model().fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0, callbacks=[plot])
    assert [axes.get_title() for axes in plot.figure.axes] == ["loss", "sparse_categorical_accuracy"]
    for axes, name in zip(plot.figure.axes, ["loss", "sparse_categorical_accuracy"]):
        lines = lines_by_role(axes)
        assert list(lines["train"].get_xdata()) == [1, 2, 3]
        np.testing.assert_allclose(lines["train"].get_ydata(), history.history[name])
        np.testing.assert_allclose(lines["validation"].get_ydata(), history.history[f"val_{name}"])
        legend = [t.get_text() for t in axes.get_legend().get_texts()]
        assert legend[0].startswith(f"train: {history.history[name][-1]:.4g} now, best ")
        assert legend[1].startswith(f"validation: {history.history[f'val_{name}'][-1]:.4g} now, best ")


def test_outside_a_notebook_it_writes_the_png_and_says_where_once(tmp_path, capsys, monkeypatch, fake_fit):
    FakeClock(monkeypatch)
    plot = LivePlot()
    fake_fit([plot], [{"loss": 1.0}, {"loss": 0.5}])
    fake_fit([plot], [{"loss": 0.9}])
    assert (tmp_path / "live_plot.png").read_bytes().startswith(PNG)
    out = capsys.readouterr().out
    assert out.count("LivePlot: the training curves are drawn in") == 1
    assert str(tmp_path / "live_plot.png") in out
    assert not (tmp_path / "live_plot.png.partial").exists()


def test_to_file_names_the_png(tmp_path, monkeypatch, fake_fit):
    FakeClock(monkeypatch)
    fake_fit([LivePlot(to_file=tmp_path / "curves.png")], [{"loss": 1.0}])
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG)
    assert not (tmp_path / "live_plot.png").exists()


def test_in_a_notebook_one_display_then_updates_never_clear_output(monkeypatch, fake_fit, tmp_path):
    notebook = FakeNotebook(monkeypatch)
    clock = FakeClock(monkeypatch)

    class Tick(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            clock.now += 2.0  # each epoch takes 2 s: every epoch end may redraw

    fake_fit([Tick(), LivePlot()], [{"loss": 1.0}, {"loss": 0.8}, {"loss": 0.6}])
    assert notebook.kinds() == ["display", "update", "update"]
    assert all(call[1].startswith(PNG) for call in notebook.calls)
    assert not (tmp_path / "live_plot.png").exists()  # a notebook shows it; no file unless to_file asks


def test_redraws_are_throttled_and_the_last_update_is_drawn_at_train_end(monkeypatch, fake_fit):
    notebook = FakeNotebook(monkeypatch)
    clock = FakeClock(monkeypatch)
    plot = LivePlot(min_interval=1.0)

    class Tick(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            clock.now += 0.3

    epochs = [{"loss": 1.0 / (e + 1)} for e in range(10)]  # 10 epochs in 3 s
    fake_fit([Tick(), plot], epochs)
    # Drawn at 0.3 s (the first), then whenever a second has passed: 1.5, 2.7; then the last at train end.
    assert notebook.kinds() == ["display", "update", "update", "update"]
    np.testing.assert_allclose(lines_by_role(plot.figure.axes[0])["train"].get_ydata(), [e["loss"] for e in epochs])


def test_every_n_batches_draws_the_epoch_under_way_dashed(monkeypatch, fake_fit):
    notebook = FakeNotebook(monkeypatch)
    FakeClock(monkeypatch)
    plot = LivePlot(every_n_batches=2, min_interval=0)
    drawn = []

    class Snapshot(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if plot.figure is not None:
                drawn.append([(line.get_label(), list(line.get_xdata())) for line in plot.figure.axes[0].lines])

    fake_fit([plot, Snapshot()], [{"loss": 1.0}, {"loss": 0.5}], steps=4)
    # Batches 2 and 4 of each epoch redraw, and each epoch end: 2 epochs x (2 + 1) drawings.
    assert notebook.kinds() == ["display"] + ["update"] * 5
    # In epoch 2 after its 2nd batch: epoch 1's curve, then a dashed piece from epoch 1 to epoch 2 so far.
    assert drawn[1] == [("train: 1 (epoch 1 so far)", [1])]  # epoch 1 after its 2nd batch: nothing finished yet
    labels_and_x = drawn[5]
    assert labels_and_x[0][0] == "train: 0.5 (epoch 2 so far), best 1 (epoch 1)"
    assert labels_and_x[1] == ("_running", [1, 2])


def test_each_fit_starts_a_fresh_plot_with_its_own_display(monkeypatch, fake_fit):
    notebook = FakeNotebook(monkeypatch)
    FakeClock(monkeypatch)
    plot = LivePlot(min_interval=0)
    fake_fit([plot], [{"loss": 1.0}, {"loss": 0.5}])
    first = plot.figure
    fake_fit([plot], [{"loss": 0.25}])
    assert plot.figure is not first
    assert list(lines_by_role(plot.figure.axes[0])["train"].get_ydata()) == [0.25]
    assert notebook.kinds() == ["display", "update", "display"]


def test_metrics_and_log_scale(monkeypatch, fake_fit):
    FakeClock(monkeypatch)
    plot = LivePlot(metrics=["val_mae"], log_scale=True, min_interval=0)
    fake_fit([plot], [{"loss": 1.0, "mae": 3.0, "val_loss": 1.1, "val_mae": 3.1}])
    assert [axes.get_title() for axes in plot.figure.axes] == ["mae"]
    assert plot.figure.axes[0].get_yscale() == "log"
    assert set(lines_by_role(plot.figure.axes[0])) == {"train", "validation"}


def test_an_unlogged_metric_names_the_logged_ones(monkeypatch, fake_fit):
    FakeClock(monkeypatch)
    with pytest.raises(ValueError, match=r"LivePlot: metric 'accuracy' was not logged.*'loss', 'val_loss'"):
        fake_fit([LivePlot(metrics=["accuracy"])], [{"loss": 1.0, "val_loss": 1.2}])


@pytest.mark.parametrize("kwargs, message", [
    ({"every_n_batches": 0}, "every_n_batches must be a whole number of batches, 1 or more .* got 0"),
    ({"every_n_batches": 2.5}, "every_n_batches must be .* got 2.5"),
    ({"min_interval": -1}, "min_interval must be a number of seconds, 0 or more, got -1"),
    ({"to_file": "curves.jpg"}, "to_file='curves.jpg' must name a .png file"),
    ({"figsize": (10,)}, r"figsize must be \(width, height\) in inches.* got \(10,\)"),
])
def test_bad_settings_are_refused_with_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LivePlot(**kwargs)


def test_log_scale_and_metrics_of_the_wrong_type_are_refused():
    with pytest.raises(TypeError, match="LivePlot: log_scale must be True or False, got 'log'"):
        LivePlot(log_scale="log")
    with pytest.raises(TypeError, match=r"LivePlot: metrics must be a list of logged names .* got 3"):
        LivePlot(metrics=3)


def test_without_matplotlib_the_error_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # None in sys.modules makes the import fail
    with pytest.raises(ImportError, match="LivePlot draws with matplotlib.*pip install matplotlib"):
        LivePlot()


def test_notebook_detection_needs_a_kernel(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert not live_plot_module.in_notebook_kernel()
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace())  # a terminal IPython: no kernel
    assert not live_plot_module.in_notebook_kernel()
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace(kernel=object()))
    assert live_plot_module.in_notebook_kernel()
    monkeypatch.delitem(sys.modules, "IPython")  # a plain script never imported IPython
    assert not live_plot_module.in_notebook_kernel()
