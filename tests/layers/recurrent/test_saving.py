"""Recurrent layers in saved models: tinyfit's round trips, and Keras 3's own .keras files both ways
(each layer's weights where Keras's HDF5 layout puts them: <layer>/cell/vars, forward_layer/...)."""

import numpy as np
import pytest

import tinyfit


def build(keras):
    """The same model in either library."""
    layers = keras.layers
    inputs = keras.Input(shape=(5, 3))
    x = layers.LSTM(4, return_sequences=True, unit_forget_bias=False)(inputs)
    x = layers.Bidirectional(layers.GRU(3, return_sequences=True, reset_after=False), merge_mode="ave")(x)
    x = layers.GRU(3, return_sequences=True, go_backwards=True)(x)
    x = layers.RNN(layers.LSTMCell(2), return_sequences=True)(x)
    x = layers.SimpleRNN(2, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(1)(x))


def sequences():
    return np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")


def randomized(model):
    rng = np.random.default_rng(1)
    model.set_weights([w + rng.normal(size=w.shape).astype("float32") * 0.2 for w in model.get_weights()])
    return model


@pytest.mark.parametrize("suffix", [".keras", ".tinyfit"])
def test_tinyfit_round_trip(tmp_path, suffix):
    model = randomized(build(tinyfit))
    model.save(tmp_path / f"model{suffix}")
    loaded = tinyfit.models.load_model(tmp_path / f"model{suffix}")
    np.testing.assert_array_equal(loaded.predict(sequences(), verbose=0), model.predict(sequences(), verbose=0))
    assert [layer.get_config() for layer in loaded.layers[1:]] == [
        {**layer.get_config(), "name": layer.name} for layer in model.layers[1:]]


def test_a_tinyfit_model_loads_in_keras_3_and_predicts_the_same(keras3, tmp_path):
    model = randomized(build(tinyfit))
    model.save(tmp_path / "model.keras")
    loaded = keras3.models.load_model(tmp_path / "model.keras")
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(np.asarray(loaded.predict(sequences(), verbose=0)),
                               model.predict(sequences(), verbose=0), rtol=1e-5, atol=1e-6)


def test_a_keras_3_model_loads_in_tinyfit_and_predicts_the_same(keras3, tmp_path):
    model = randomized(build(keras3))
    model.save(tmp_path / "model.keras")
    loaded = tinyfit.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded.predict(sequences(), verbose=0),
                               np.asarray(model.predict(sequences(), verbose=0)), rtol=1e-5, atol=1e-6)
    lstm = loaded.layers[1]
    assert type(lstm) is tinyfit.layers.LSTM and lstm.unit_forget_bias is False and lstm.return_sequences
