"""model.save / keras.models.load_model / save_weights / load_weights, as a user calls them."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.saving.archive import read_archive, write_archive


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, 5)).astype("float32"), rng.integers(0, 3, size=64)


def _functional():
    inputs = keras.Input(shape=(5,), name="features")
    hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(3, activation="softmax", name="probs")(hidden)
    return keras.Model(inputs, outputs, name="clf")


def test_a_compiled_model_round_trips_and_continues_training_exactly(tmp_path):
    x, y = _data()
    keras.utils.set_random_seed(1)
    model = _functional()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    model.save(tmp_path / "model.tinyfit")

    loaded = keras.models.load_model(tmp_path / "model.tinyfit")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 8
    assert type(loaded.optimizer) is keras.optimizers.Adam

    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert set(loaded.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "accuracy"}


def test_an_uncompiled_sequential_model_with_any_suffix(tmp_path):
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2, name="out")])
    model.save(tmp_path / "net.tinyfit")
    loaded = keras.models.load_model(tmp_path / "net.tinyfit")
    x = np.ones((3, 4), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert not getattr(loaded, "compiled", False)


def test_compile_false_skips_the_optimizer(tmp_path):
    model = _functional()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "m.tinyfit")
    loaded = keras.models.load_model(tmp_path / "m.tinyfit", compile=False)
    assert not getattr(loaded, "compiled", False)
    _, _, arrays = read_archive(tmp_path / "m.tinyfit")
    assert len(arrays["optimizer"]) == len(model.optimizer.variables)


def test_save_weights_and_load_weights(tmp_path):
    model = _functional()
    model.save_weights(tmp_path / "clf.weights.h5")
    other = _functional()
    other.load_weights(tmp_path / "clf.weights.h5")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_into_another_shape_lists_the_mismatches(tmp_path):
    _functional().save_weights(tmp_path / "clf.weights")
    inputs = keras.Input(shape=(5,))
    wider = keras.Model(inputs, layers.Dense(3, name="probs")(layers.Dense(16, name="hidden")(inputs)))
    with pytest.raises(ValueError, match=r"clf\.weights.*holds 4 weights, model '.*' has 4(.|\n)*"
                                         r"saved \['hidden/kernel', \[5, 8\]\] / model \['hidden/kernel', \[5, 16\]\]"
                                         r"(.|\n)*Build the model exactly"):
        wider.load_weights(tmp_path / "clf.weights")


def test_weights_of_the_wrong_shape_for_the_config_are_refused_before_loading(tmp_path):
    model = _functional()
    config = keras.saving.serialize_keras_object(model)
    weights = model.get_weights()
    weights[0] = np.zeros((100, 100), "float32")
    write_archive(tmp_path / "bad.tinyfit", config, None, {"weights": weights})
    with pytest.raises(ValueError, match=r"bad\.tinyfit.*weights member 'weights/0\.npy' declares shape "
                                         r"\(100, 100\) but variable '\S+' expects \(5, 8\)"):
        keras.models.load_model(tmp_path / "bad.tinyfit")


def test_a_config_naming_os_system_is_refused_and_runs_nothing(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr("os.system", lambda *args: calls.append(args))
    write_archive(tmp_path / "evil.tinyfit", {"class_name": "os.system", "config": {"command": "touch x"}})
    with pytest.raises(ValueError, match=r"os\.system"):
        keras.models.load_model(tmp_path / "evil.tinyfit")
    assert calls == [] and not (tmp_path / "x").exists()


class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_an_unregistered_custom_layer_needs_custom_objects(tmp_path):
    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, Scale(3.0, name="scale")(inputs))
    model.save(tmp_path / "custom.tinyfit")
    with pytest.raises(ValueError, match=r"Scale(.|\n)*register_keras_serializable"):
        keras.models.load_model(tmp_path / "custom.tinyfit")
    loaded = keras.models.load_model(tmp_path / "custom.tinyfit", custom_objects={"Scale": Scale})
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 2), "float32"), verbose=0), [[3.0, 3.0]])


def test_keras_saving_save_model_and_load_model(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    keras.saving.save_model(model, tmp_path / "m.tinyfit")
    loaded = keras.saving.load_model(tmp_path / "m.tinyfit")
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_loss_and_metric_objects_come_back_as_the_same_kinds(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.MeanSquaredError(),
                  metrics=[keras.metrics.MeanSquaredError(name="mse_metric"), "mae"])
    model.save(tmp_path / "m.tinyfit")
    loaded = keras.models.load_model(tmp_path / "m.tinyfit")
    assert isinstance(loaded.loss, keras.losses.MeanSquaredError)
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    assert set(loaded.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "mse_metric", "mae"}
