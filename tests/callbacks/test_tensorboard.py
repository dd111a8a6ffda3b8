"""TensorBoard: the guide's callback writes runs that TensorBoard's own EventAccumulator reads back."""

import subprocess
import sys

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.callbacks import Callback, LearningRateScheduler, TensorBoard

try:
    import tensorboard  # noqa: F401  (the optional extra; every test that makes the callback needs it)
except ImportError:
    tensorboard = None
needs_tensorboard = pytest.mark.skipif(tensorboard is None, reason="pip install tensorboard to run this test")


def read_run(folder):
    """The run's EventAccumulator, keeping every scalar and histogram event."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    run.Reload()
    return run


def scalars(run, tag):
    """[(step, value), ...] of one scalar tag."""
    return [(event.step, event.value) for event in run.Scalars(tag)]


def per_epoch(values):
    return [(epoch, pytest.approx(value, rel=1e-6)) for epoch, value in enumerate(values)]


@pytest.fixture
def small_mnist(guide_mnist):
    x_train, y_train, x_val, y_val, _, _ = guide_mnist
    return x_train[:512], y_train[:512], x_val[:128], y_val[:128]


@needs_tensorboard
def test_the_guides_callback_writes_train_and_validation_runs(small_mnist, get_compiled_model, tmp_path):
    x_train, y_train, x_val, y_val = small_mnist
    model = get_compiled_model()
    # --- guide (log_dir: a temporary folder instead of "/full_path_to_your_logs")
    tensorboard = keras.callbacks.TensorBoard(
        log_dir=str(tmp_path / "logs"),
        histogram_freq=0,  # How often to log histogram visualizations
        embeddings_freq=0,  # How often to log embedding visualizations
        update_freq="epoch",
    )  # How often to write logs (default: once per epoch)
    # --- end of guide
    history = model.fit(x_train, y_train, batch_size=64, epochs=3, validation_data=(x_val, y_val),
                        callbacks=[tensorboard], verbose=0)

    train = read_run(tmp_path / "logs" / "train")
    assert sorted(train.Tags()["scalars"]) == [
        "epoch_learning_rate", "epoch_loss", "epoch_sparse_categorical_accuracy"]
    assert train.Tags()["histograms"] == []
    assert scalars(train, "epoch_loss") == per_epoch(history.history["loss"])
    assert scalars(train, "epoch_sparse_categorical_accuracy") == per_epoch(
        history.history["sparse_categorical_accuracy"])
    assert scalars(train, "epoch_learning_rate") == per_epoch([0.001] * 3)  # rmsprop's default

    validation = read_run(tmp_path / "logs" / "validation")
    assert sorted(validation.Tags()["scalars"]) == ["epoch_loss", "epoch_sparse_categorical_accuracy"]
    assert scalars(validation, "epoch_loss") == per_epoch(history.history["val_loss"])
    assert scalars(validation, "epoch_sparse_categorical_accuracy") == per_epoch(
        history.history["val_sparse_categorical_accuracy"])
    assert not tensorboard._writers  # closed when fit ended


@needs_tensorboard
def test_histograms_of_every_weight_every_histogram_freq_epochs(small_mnist, get_compiled_model, tmp_path):
    x_train, y_train, _, _ = small_mnist
    model = get_compiled_model()
    model.fit(x_train, y_train, batch_size=128, epochs=5, verbose=0,
              callbacks=[TensorBoard(log_dir=tmp_path, histogram_freq=2)])

    train = read_run(tmp_path / "train")
    paths = [weight.path for weight in model.weights]
    assert paths == ["dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias",
                     "predictions/kernel", "predictions/bias"]
    assert sorted(train.Tags()["histograms"]) == sorted(paths)
    for weight in model.weights:
        events = train.Histograms(weight.path)
        assert [event.step for event in events] == [0, 2, 4]
        last = events[-1].histogram_value  # epoch 4 is the last: the weights as fit left them
        values = weight.numpy().astype("float64").reshape(-1)
        assert last.num == values.size
        assert sum(last.bucket) == values.size
        assert (last.min, last.max) == (pytest.approx(values.min()), pytest.approx(values.max()))
        assert last.sum == pytest.approx(values.sum(), abs=1e-4)
        assert last.sum_squares == pytest.approx(np.dot(values, values), rel=1e-5)
        assert last.bucket_limit[-1] == pytest.approx(values.max())
    first, last = (train.Histograms("dense_1/kernel")[i].histogram_value for i in (0, -1))
    assert first.sum_squares != last.sum_squares  # each histogram is of its own epoch's weights
    assert not (tmp_path / "validation").exists()  # no validation data: no validation run


@needs_tensorboard
@pytest.mark.parametrize("update_freq, steps", [("batch", [1, 2, 3, 4, 5, 6]), (2, [2, 4, 6]), (4, [4])])
def test_batch_scalars_with_update_freq(fake_fit, tmp_path, update_freq, steps):
    epoch_logs = [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.125, "accuracy": 0.75}]
    fake_fit([TensorBoard(tmp_path, update_freq=update_freq)], epoch_logs, steps=3)
    train = read_run(tmp_path / "train")
    # The fake loop's batch logs hold the epoch's loss; steps count the batches trained so far.
    expected = [(step, 0.5 if step <= 3 else 0.125) for step in steps]
    assert scalars(train, "batch_loss") == expected
    assert scalars(train, "epoch_loss") == [(0, 0.5), (1, 0.125)]
    assert scalars(train, "epoch_accuracy") == [(0, 0.25), (1, 0.75)]


@needs_tensorboard
def test_update_freq_epoch_writes_no_batch_scalars(fake_fit, tmp_path):
    fake_fit([TensorBoard(tmp_path)], [{"loss": 0.5}, {"loss": 0.25}], steps=3)
    assert not any(tag.startswith("batch_") for tag in read_run(tmp_path / "train").Tags()["scalars"])


@needs_tensorboard
@pytest.mark.parametrize("scheduler_first", [True, False])
def test_learning_rate_follows_the_optimizer(fake_fit, tmp_path, scheduler_first):
    scheduler = LearningRateScheduler(lambda epoch: 0.5 / (epoch + 1))
    board = TensorBoard(tmp_path)
    callbacks = [scheduler, board] if scheduler_first else [board, scheduler]
    fake_fit(callbacks, [{"loss": 1.0}, {"loss": 0.5}, {"loss": 0.25}])
    train = read_run(tmp_path / "train")
    assert scalars(train, "epoch_learning_rate") == per_epoch([0.5, 0.25, 0.5 / 3])


@needs_tensorboard
def test_steps_per_second(fake_fit, tmp_path):
    fake_fit([TensorBoard(tmp_path, write_steps_per_second=True, update_freq="batch")], [{"loss": 1.0}], steps=3)
    train = read_run(tmp_path / "train")
    assert [step for step, _ in scalars(train, "epoch_steps_per_second")] == [0]
    assert [step for step, _ in scalars(train, "batch_steps_per_second")] == [1, 2, 3]
    assert all(value > 0 for _, value in scalars(train, "epoch_steps_per_second"))


@needs_tensorboard
def test_array_values_get_one_tag_per_element(fake_fit, tmp_path):
    fake_fit([TensorBoard(tmp_path)], [{"loss": 1.0, "per_class": np.array([0.5, 0.25])}])
    train = read_run(tmp_path / "train")
    assert scalars(train, "epoch_per_class/0") == [(0, 0.5)]
    assert scalars(train, "epoch_per_class/1") == [(0, 0.25)]


@needs_tensorboard
def test_epochs_are_on_disk_when_fit_raises_and_the_next_fit_starts_new_files(fake_fit, tmp_path):
    class Boom(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("boom")

    board = TensorBoard(tmp_path)
    with pytest.raises(RuntimeError, match="boom"):
        fake_fit([board, Boom()], [{"loss": 0.5, "val_loss": 0.75}, {"loss": 0.25, "val_loss": 0.5}])
    # on_train_end never ran, yet both epochs were flushed.
    assert scalars(read_run(tmp_path / "train"), "epoch_loss") == [(0, 0.5), (1, 0.25)]
    assert scalars(read_run(tmp_path / "validation"), "epoch_loss") == [(0, 0.75), (1, 0.5)]
    fake_fit([board], [{"loss": 0.125}])
    assert not board._writers
    assert len(list((tmp_path / "train").iterdir())) == 2  # one event file per fit
    board._finalizer()  # what runs when the callback is dropped: nothing left open to close
    assert not board._finalizer.alive


@needs_tensorboard
def test_a_value_that_is_not_a_number_is_named(fake_fit, tmp_path):
    with pytest.raises(TypeError, match=r"'note' = 'hello' \(str\), which is not a number"):
        fake_fit([TensorBoard(tmp_path)], [{"loss": 1.0, "note": "hello"}])


@needs_tensorboard
@pytest.mark.parametrize("argument, message", [
    ({"write_graph": True}, r"write_graph=True is not supported: tinyfit does not write a model graph.*"
                            r"plot_model.*Pass write_graph=False"),
    ({"write_images": True}, r"write_images=True is not supported.*Pass write_images=False"),
    ({"embeddings_freq": 1}, r"embeddings_freq=1 is not supported.*Pass embeddings_freq=0"),
    ({"profile_batch": 5}, r"profile_batch=5 is not supported.*Pass profile_batch=0"),
    ({"update_freq": "sometimes"}, r"update_freq must be \"epoch\", \"batch\" or a positive int.*'sometimes'"),
    ({"update_freq": 0}, r"update_freq must be .*; got 0"),
    ({"histogram_freq": -1}, r"histogram_freq must be an int >= 0.*got -1"),
    ({"histogram_freq": 1.5}, r"histogram_freq must be an int >= 0.*got 1.5"),
])
def test_bad_arguments_are_named(tmp_path, argument, message):
    with pytest.raises(ValueError, match=message):
        TensorBoard(tmp_path, **argument)


def test_without_the_package_the_error_names_the_pip_command(monkeypatch, tmp_path):
    for name in [name for name in sys.modules if name == "tensorboard" or name.startswith("tensorboard.")]:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules makes the import fail
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ImportError, match=r"needs the tensorboard package.*pip install tensorboard"):
        TensorBoard(tmp_path)


def test_import_tinyfit_does_not_import_tensorboard():
    code = "import sys, tinyfit; print(sorted(m for m in sys.modules if m.split('.')[0] == 'tensorboard'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@needs_tensorboard
def test_a_log_dir_that_is_not_a_path_is_named():
    with pytest.raises(TypeError, match=r"log_dir must be a folder path \(a str or a Path\), got 3"):
        TensorBoard(log_dir=3)


@needs_tensorboard
def test_a_log_dir_that_cannot_be_made_is_named(fake_fit, tmp_path):
    taken = tmp_path / "a_file"
    taken.write_text("not a folder")
    with pytest.raises(OSError, match=r"cannot create the log folder '.*a_file.train' .*Pass a log_dir you can write"):
        fake_fit([TensorBoard(taken)], [{"loss": 1.0}])


@needs_tensorboard
def test_tensorboards_dashboards_see_the_scalars_and_histograms(tmp_path):
    # The TensorBoard server reads runs through the plugin accumulator, which turns the
    # written values into its scalars and histograms plugins' data: what the UI plots.
    from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator
    from tensorboard.util.tensor_util import make_ndarray

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 4), dtype="float32"), rng.random((32, 3), dtype="float32")
    history = model.fit(x, y, epochs=2, verbose=0, validation_split=0.25,
                        callbacks=[TensorBoard(tmp_path, histogram_freq=1)])
    run = EventAccumulator(str(tmp_path / "train"), size_guidance={"tensors": 0})
    run.Reload()
    assert sorted(run.PluginTagToContent("scalars")) == ["epoch_learning_rate", "epoch_loss"]
    assert sorted(run.PluginTagToContent("histograms")) == ["d/bias", "d/kernel"]
    assert [(event.step, float(make_ndarray(event.tensor_proto))) for event in run.Tensors("epoch_loss")] == \
        per_epoch(history.history["loss"])
    buckets = make_ndarray(run.Tensors("d/kernel")[-1].tensor_proto)  # rows of (left, right, count)
    assert buckets[:, 2].sum() == 12
    assert buckets[0, 0] == pytest.approx(model.get_layer("d").kernel.numpy().min())
