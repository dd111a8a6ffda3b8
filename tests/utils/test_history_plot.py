"""keras.utils.plot_history: a History's curves on one matplotlib Figure, made without pyplot."""

import sys

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.utils import plot_history


def small_fit(epochs=3, **fit_kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    return model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, **fit_kwargs)


def lines_by_role(axes):
    """{"train": line, "validation": line} from the legend labels ("train: 0.5 now, best ...")."""
    return {line.get_label().split(":")[0]: line for line in axes.lines if not line.get_label().startswith("_")}


def test_a_fit_history_is_drawn_one_axes_per_metric_with_train_and_validation():
    history = small_fit(validation_split=0.25)
    figure = plot_history(history)
    assert [axes.get_title() for axes in figure.axes] == ["loss", "sparse_categorical_accuracy"]
    for axes, name in zip(figure.axes, ["loss", "sparse_categorical_accuracy"]):
        lines = lines_by_role(axes)
        assert set(lines) == {"train", "validation"}
        assert list(lines["train"].get_xdata()) == [1, 2, 3]
        np.testing.assert_allclose(lines["train"].get_ydata(), history.history[name])
        np.testing.assert_allclose(lines["validation"].get_ydata(), history.history[f"val_{name}"])
        assert axes.get_legend() is not None


def test_the_legend_gives_current_and_best_values_lowest_loss_highest_accuracy():
    figure = plot_history({"loss": [0.9, 0.5, 0.7], "val_loss": [1.0, 0.8, 0.9],
                           "accuracy": [0.5, 0.8, 0.6]})
    loss, accuracy = figure.axes
    assert [t.get_text() for t in loss.get_legend().get_texts()] == [
        "train: 0.7 now, best 0.5 (epoch 2)", "validation: 0.9 now, best 0.8 (epoch 2)"]
    assert [t.get_text() for t in accuracy.get_legend().get_texts()] == ["train: 0.6 now, best 0.8 (epoch 2)"]


def test_metrics_selects_axes_and_val_names_mean_the_same_axes():
    history = {"loss": [1.0, 0.5], "val_loss": [1.2, 0.7], "mae": [3.0, 2.0], "val_mae": [3.5, 2.5]}
    assert [a.get_title() for a in plot_history(history, metrics=["mae"]).axes] == ["mae"]
    assert [a.get_title() for a in plot_history(history, metrics=["val_mae", "loss"]).axes] == ["mae", "loss"]


def test_log_scale_sets_every_y_axis_logarithmic():
    figure = plot_history({"loss": [10.0, 1.0, 0.1], "mae": [5.0, 2.0, 1.0]}, log_scale=True)
    assert [axes.get_yscale() for axes in figure.axes] == ["log", "log"]
    assert [axes.get_yscale() for axes in plot_history({"loss": [1.0]}).axes] == ["linear"]


def test_log_scale_of_values_at_or_below_zero_is_symmetric_log_rather_than_a_warning():
    figure = plot_history({"loss": [-0.5, -0.9], "accuracy": [0.0, 0.5], "mae": [2.0, float("nan")]},
                          log_scale=True)
    assert [axes.get_yscale() for axes in figure.axes] == ["symlog", "symlog", "log"]
    assert figure._repr_png_().startswith(b"\x89PNG")


def test_figsize_sets_the_size_in_inches():
    assert list(plot_history({"loss": [1.0]}, figsize=(7, 2)).get_size_inches()) == [7.0, 2.0]


def test_history_epoch_numbers_and_validation_freq_place_the_points():
    history = small_fit(epochs=4, validation_split=0.25, validation_freq=2)
    lines = lines_by_role(plot_history(history, metrics=["loss"]).axes[0])
    assert list(lines["train"].get_xdata()) == [1, 2, 3, 4]
    assert list(lines["validation"].get_xdata()) == [2, 4]  # validation ran after epochs 2 and 4


def test_a_record_of_arrays_draws_like_one_of_lists():
    figure = plot_history({"loss": np.array([1.0, 0.5, 0.25], dtype="float32")})
    np.testing.assert_allclose(lines_by_role(figure.axes[0])["train"].get_ydata(), [1.0, 0.5, 0.25])


def test_values_that_are_not_single_numbers_are_left_out():
    figure = plot_history({"loss": [1.0, 0.5], "f1_per_class": [[0.1, 0.2], [0.3, 0.4]]})
    assert [a.get_title() for a in figure.axes] == ["loss"]


def test_the_figure_is_made_without_pyplot_and_shows_as_png_in_a_notebook(tmp_path):
    figure = plot_history({"loss": [1.0, 0.5]})
    assert figure.canvas.__class__.__name__ == "FigureCanvasAgg"
    png = figure._repr_png_()
    assert png.startswith(b"\x89PNG")
    figure.savefig(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes().startswith(b"\x89PNG")


def test_an_unknown_metric_names_what_was_logged():
    with pytest.raises(ValueError, match=r"metric 'accuracy' was not logged.*'loss', 'val_loss'"):
        plot_history({"loss": [1.0], "val_loss": [2.0]}, metrics=["accuracy"])


def test_bad_inputs_say_what_was_expected():
    with pytest.raises(TypeError, match="expected a History .* got list"):
        plot_history([1.0, 0.5])
    with pytest.raises(ValueError, match="holds no values to draw"):
        plot_history({})
    with pytest.raises(TypeError, match="log_scale must be True or False, got 'yes'"):
        plot_history({"loss": [1.0]}, log_scale="yes")
    with pytest.raises(TypeError, match=r"metrics must be a list of logged names .* got \[1\]"):
        plot_history({"loss": [1.0]}, metrics=[1])
    with pytest.raises(TypeError, match=r"metrics must be .* got \[\]"):
        plot_history({"loss": [1.0]}, metrics=[])
    with pytest.raises(ValueError, match=r"figsize must be \(width, height\) in inches.* got \(0, 4\)"):
        plot_history({"loss": [1.0]}, figsize=(0, 4))


def test_without_matplotlib_the_error_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # None in sys.modules makes the import fail
    with pytest.raises(ImportError, match="plot_history draws with matplotlib.*pip install matplotlib"):
        plot_history({"loss": [1.0]})


def test_importing_tinyfit_loads_no_matplotlib_and_drawing_loads_no_pyplot():
    import subprocess

    code = ("import sys, tinyfit; print('matplotlib' in sys.modules); "
            "tinyfit.utils.plot_history({'loss': [1.0, 0.5]}); print('matplotlib.pyplot' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
