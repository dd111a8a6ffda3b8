"""ModelCheckpoint: every option, file-name fields, best-only logic and the up-front errors."""

import os

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.callbacks import ModelCheckpoint


def small_model():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 4)).astype("float32"), rng.integers(0, 3, size=40).astype("float32")


def drive(checkpoint, monitored, key="val_loss", model=None):
    """Calls the callback's hooks as fit would, epoch e logging {key: monitored[e]}."""
    model = model if model is not None else small_model()
    checkpoint.set_model(model)
    checkpoint.set_params({"verbose": 0, "epochs": len(monitored), "steps": 1, "do_validation": True})
    checkpoint.on_train_begin()
    for epoch, value in enumerate(monitored):
        checkpoint.on_epoch_begin(epoch)
        checkpoint.on_epoch_end(epoch, {"loss": 1.0, "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.5,
                                        key: value})
    checkpoint.on_train_end()
    return model


def saved(tmp_path):
    return sorted(name for name in os.listdir(tmp_path) if not name.startswith("."))


def test_saves_every_epoch_with_formatted_epoch_and_the_file_loads(tmp_path, data):
    model = small_model()
    model.fit(*data, epochs=3, batch_size=10, verbose=0,
              callbacks=[ModelCheckpoint(tmp_path / "model_{epoch:02d}.keras")])
    assert saved(tmp_path) == ["model_01.keras", "model_02.keras", "model_03.keras"]
    loaded = keras.models.load_model(tmp_path / "model_03.keras")
    for mine, theirs in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_logged_values_fill_the_file_name(tmp_path, data):
    model = small_model()
    history = model.fit(*data, epochs=1, batch_size=10, verbose=0, validation_split=0.25,
                        callbacks=[ModelCheckpoint(tmp_path / "m-{loss:.2f}-{val_accuracy:.3f}.keras")])
    loss, val_accuracy = history.history["loss"][0], history.history["val_accuracy"][0]
    assert saved(tmp_path) == [f"m-{loss:.2f}-{val_accuracy:.3f}.keras"]


def test_best_only_min_saves_only_improvements(tmp_path, capsys):
    drive(ModelCheckpoint(tmp_path / "best_{epoch}.keras", save_best_only=True, verbose=1), [1.0, 0.5, 0.7, 0.4])
    assert saved(tmp_path) == ["best_1.keras", "best_2.keras", "best_4.keras"]
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from inf to 1.00000, saving model to" in out
    assert "Epoch 3: val_loss did not improve from 0.50000" in out
    assert "Epoch 4: val_loss improved from 0.50000 to 0.40000" in out


def test_best_only_max_for_accuracy_and_explicit_mode(tmp_path):
    drive(ModelCheckpoint(tmp_path / "a_{epoch}.keras", monitor="val_accuracy", save_best_only=True),
          [0.5, 0.4, 0.6], key="val_accuracy")
    assert saved(tmp_path) == ["a_1.keras", "a_3.keras"]
    drive(ModelCheckpoint(tmp_path / "l_{epoch}.keras", save_best_only=True, mode="max"), [0.5, 0.9, 0.6])
    assert saved(tmp_path) == ["a_1.keras", "a_3.keras", "l_1.keras", "l_2.keras"]


def test_initial_value_threshold_must_be_beaten_first(tmp_path, capsys):
    drive(ModelCheckpoint(tmp_path / "t_{epoch}.keras", save_best_only=True, initial_value_threshold=0.6,
                          verbose=1), [1.0, 0.7, 0.5])
    assert saved(tmp_path) == ["t_3.keras"]
    assert "Epoch 1: val_loss did not improve from 0.60000" in capsys.readouterr().out


def test_best_is_kept_across_fit_calls(tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "b_{epoch}.keras", save_best_only=True)
    drive(checkpoint, [0.5])
    drive(checkpoint, [0.8, 0.4])
    assert saved(tmp_path) == ["b_1.keras", "b_2.keras"]
    assert checkpoint.best == pytest.approx(0.4)


def test_one_file_path_is_overwritten_by_each_improvement(tmp_path):
    model = drive(ModelCheckpoint(tmp_path / "best.keras", save_best_only=True), [1.0, 0.5])
    assert saved(tmp_path) == ["best.keras"]
    assert keras.models.load_model(tmp_path / "best.keras").count_params() == model.count_params()


def test_save_freq_counts_batches_across_epochs(tmp_path, data, capsys):
    model = small_model()
    model.fit(*data, epochs=2, batch_size=4, verbose=0,  # 10 batches an epoch
              callbacks=[ModelCheckpoint(tmp_path / "m_{epoch}_{batch}.keras", save_freq=4, verbose=1)])
    assert saved(tmp_path) == sorted(["m_1_4.keras", "m_1_8.keras", "m_2_2.keras", "m_2_6.keras", "m_2_10.keras"])
    assert "Epoch 2, batch 6: saving model to" in capsys.readouterr().out


def test_save_weights_only_writes_weights_that_load_into_a_fresh_model(tmp_path, data, capsys):
    model = small_model()
    model.fit(*data, epochs=1, batch_size=10, verbose=0,
              callbacks=[ModelCheckpoint(tmp_path / "w.weights", save_weights_only=True, verbose=1)])
    assert "Epoch 1: saving weights to" in capsys.readouterr().out
    fresh = small_model()
    fresh.load_weights(tmp_path / "w.weights")
    for mine, theirs in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_missing_folders_are_created(tmp_path, data):
    small_model().fit(*data, epochs=1, verbose=0,
                      callbacks=[ModelCheckpoint(str(tmp_path / "a" / "b" / "m.keras"))])
    assert os.path.isfile(tmp_path / "a" / "b" / "m.keras")


# -- errors, all before the first epoch
def test_unknown_field_lists_what_can_be_named(tmp_path, data):
    with pytest.raises(ValueError, match=r"\{los\}.*not logged.*Fields it can name: epoch, loss, accuracy"):
        small_model().fit(*data, epochs=1, verbose=0, callbacks=[ModelCheckpoint(tmp_path / "m-{los:.2f}.keras")])
    assert saved(tmp_path) == []


def test_validation_field_without_validation_says_how_to_validate(tmp_path, data):
    with pytest.raises(ValueError, match=r"\{val_loss\}.*pass validation_data or validation_split"):
        small_model().fit(*data, epochs=1, verbose=0, callbacks=[ModelCheckpoint(tmp_path / "m-{val_loss}.keras")])


def test_validation_field_with_batch_saves_says_to_save_per_epoch(tmp_path, data):
    with pytest.raises(ValueError, match=r"end of a batch \(save_freq=5\).*epoch, batch, loss, accuracy.*"
                                         r"use save_freq='epoch'"):
        small_model().fit(*data, epochs=1, verbose=0, validation_split=0.2,
                          callbacks=[ModelCheckpoint(tmp_path / "m-{val_loss}.keras", save_freq=5)])


def test_batch_field_needs_batch_saves(tmp_path, data):
    with pytest.raises(ValueError, match=r"\{batch\}.*Fields it can name: epoch, loss"):
        small_model().fit(*data, epochs=1, verbose=0, callbacks=[ModelCheckpoint(tmp_path / "m-{batch}.keras")])


def test_best_only_monitor_that_is_never_logged(tmp_path, data):
    with pytest.raises(ValueError, match=r"monitor='val_loss' is not logged.*logged values: loss, accuracy.*"
                                         r"validation_split"):
        small_model().fit(*data, epochs=1, verbose=0,
                          callbacks=[ModelCheckpoint(tmp_path / "m.keras", save_best_only=True)])
    with pytest.raises(ValueError, match=r"monitor='acc' is not logged.*loss, accuracy, val_loss, val_accuracy"):
        small_model().fit(*data, epochs=1, verbose=0, validation_split=0.2,
                          callbacks=[ModelCheckpoint(tmp_path / "m.keras", monitor="acc", save_best_only=True)])


class OwnKeys(keras.Sequential):
    """Logs a key of its own: 'score' from compute_metrics, or 'my_loss' from train_step."""

    def __init__(self, decides_in, **kwargs):
        super().__init__([keras.Input((4,)), layers.Dense(3, activation="softmax")], **kwargs)
        self.decides_in = decides_in

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        logs = super().compute_metrics(x, y, y_pred, sample_weight)
        return {"score": logs["accuracy"]} if self.decides_in == "compute_metrics" else logs

    def train_step(self, data):
        logs = super().train_step(data)
        return {"my_loss": logs["loss"]} if self.decides_in == "train_step" else logs


@pytest.mark.parametrize("decides_in, field", [("compute_metrics", "score"), ("train_step", "my_loss")])
def test_fields_a_models_own_step_logs_are_checked_at_the_first_save(tmp_path, data, decides_in, field):
    model = OwnKeys(decides_in)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(*data, epochs=2, verbose=0, callbacks=[
        ModelCheckpoint(tmp_path / f"w-{{epoch}}-{{{field}:.2f}}.weights", save_weights_only=True)])
    assert len(saved(tmp_path)) == 2 and all(name.startswith(("w-1-", "w-2-")) for name in saved(tmp_path))


@pytest.mark.parametrize("save_freq", ["batch", 2.5, True, None])
def test_save_freq_of_a_wrong_type(tmp_path, save_freq):
    with pytest.raises(TypeError, match=rf"save_freq must be 'epoch' or a whole number.*{type(save_freq).__name__}"
                                        r".*save_freq=100"):
        ModelCheckpoint(tmp_path / "m.keras", save_freq=save_freq)


def test_save_freq_below_one(tmp_path):
    with pytest.raises(ValueError, match=r"save_freq=0 must be at least 1"):
        ModelCheckpoint(tmp_path / "m.keras", save_freq=0)


@pytest.mark.parametrize("pattern, cause", [("m-{epoch.keras", "not a valid pattern"),
                                            ("m-{}.keras", r"has the field \{\}"),
                                            ("m-{0}.keras", r"has the field \{0\}")])
def test_malformed_filepath(pattern, cause):
    with pytest.raises(ValueError, match=cause):
        ModelCheckpoint(pattern)


def test_filepath_that_is_not_a_path():
    with pytest.raises(TypeError, match=r"filepath must be a path \(str\), got int 3"):
        ModelCheckpoint(3)


def test_bad_mode():
    with pytest.raises(ValueError, match=r"mode='best' is not one of 'auto', 'min', 'max'"):
        ModelCheckpoint("m.keras", mode="best")
