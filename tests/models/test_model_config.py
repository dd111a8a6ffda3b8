"""Models give their config as plain JSON data and are rebuilt from it: functional, Sequential, subclassed."""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers


def _json_round_trip(model, cls=None, **kwargs):
    config = json.loads(json.dumps(model.get_config()))
    again = (cls or type(model)).from_config(config, **kwargs)
    again.set_weights(model.get_weights())
    return config, again


def _same_predictions(a, b, x):
    np.testing.assert_allclose(a.predict(x, verbose=0), b.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


def test_functional_model_with_shared_layer_and_two_inputs():
    left, right = keras.Input(shape=(4,), name="left"), keras.Input(shape=(4,), name="right")
    shared = layers.Dense(3, activation="relu", name="shared")
    merged = layers.Concatenate(name="merge")([shared(left), shared(right)])
    out = layers.Dense(2, activation="softmax", name="out")(layers.Dropout(0.1)(merged))
    model = keras.Model([left, right], out, name="siamese")
    config, again = _json_round_trip(model)
    assert config["name"] == "siamese"
    assert config["input_layers"] == [{"keras_tensor": ["left", 0, 0]}, {"keras_tensor": ["right", 0, 0]}]
    assert config["output_layers"] == {"keras_tensor": ["out", 0, 0]}
    shared_entry = next(entry for entry in config["layers"] if entry["name"] == "shared")
    assert [call["args"] for call in shared_entry["inbound_nodes"]] == [
        [{"keras_tensor": ["left", 0, 0]}], [{"keras_tensor": ["right", 0, 0]}]]
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    _same_predictions(model, again, [x, x[::-1].copy()])


def test_functional_model_with_dict_inputs_outputs_and_nested_sequential():
    inputs = {"a": keras.Input(shape=(3,), name="a"), "b": keras.Input(shape=(3,), name="b")}
    block = keras.Sequential([layers.Dense(4), layers.Dense(2)], name="block")
    outputs = {"sum": layers.Add(name="sum")([block(inputs["a"]), layers.Dense(2, name="proj")(inputs["b"])]),
               "a_only": layers.Dense(1, name="a_only")(inputs["a"])}
    model = keras.Model(inputs, outputs)
    config, again = _json_round_trip(model)
    assert sorted(config["output_layers"]) == ["a_only", "sum"]
    assert isinstance(again.get_layer("block"), keras.Sequential)
    data = {"a": np.ones((2, 3), "float32"), "b": np.arange(6, dtype="float32").reshape(2, 3)}
    got, want = again.predict(data, verbose=0), model.predict(data, verbose=0)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-6)


def test_sequential_round_trips_with_and_without_input():
    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(5, activation="tanh"),
                              layers.BatchNormalization(), layers.Dense(1)], name="seq")
    config, again = _json_round_trip(model)
    assert config["batch_shape"] == [None, 6] and config["name"] == "seq"
    assert [entry["class_name"] for entry in config["layers"]] == ["Dense", "BatchNormalization", "Dense"]
    _same_predictions(model, again, np.random.default_rng(1).normal(size=(4, 6)).astype("float32"))

    unbuilt = keras.Sequential([layers.Dense(3), layers.Dense(1)])
    config = json.loads(json.dumps(unbuilt.get_config()))
    assert "batch_shape" not in config
    again = keras.Sequential.from_config(config)
    assert [layer.units for layer in again.layers] == [3, 1] and not again.built


def test_subclassed_model_with_its_own_get_config():
    class TwoLayers(keras.Model):
        def __init__(self, hidden, **kwargs):
            super().__init__(**kwargs)
            self.hidden = hidden
            self.first, self.second = layers.Dense(hidden, activation="relu"), layers.Dense(1)

        def call(self, x):
            return self.second(self.first(x))

        def get_config(self):
            return {**super().get_config(), "hidden": self.hidden}

    model = TwoLayers(7, name="mine")
    x = np.ones((3, 2), "float32")
    model(x)
    config = json.loads(json.dumps(model.get_config()))
    again = TwoLayers.from_config(config)
    assert again.hidden == 7 and again.name == "mine"
    again(x)
    again.set_weights(model.get_weights())
    _same_predictions(model, again, x)


def test_functional_model_with_a_registered_custom_layer(clean_custom_registry):
    @keras.saving.register_keras_serializable(package="Custom")
    class Shift(layers.Layer):
        def __init__(self, amount=1.0, **kwargs):
            super().__init__(**kwargs)
            self.amount = amount

        def call(self, x):
            return x + self.amount

        def get_config(self):
            return {**super().get_config(), "amount": self.amount}

    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, layers.Dense(2)(Shift(3.0, name="shift")(inputs)))
    config, again = _json_round_trip(model)
    assert [(e["class_name"], e["registered_name"]) for e in config["layers"]][1] == ("Shift", "Custom>Shift")
    assert again.get_layer("shift").amount == 3.0
    _same_predictions(model, again, np.ones((2, 2), "float32"))


def test_unregistered_custom_layer_names_the_fix_and_custom_objects_resolves_it():
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2

    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, Twice(name="twice")(inputs))
    config = json.loads(json.dumps(model.get_config()))
    with pytest.raises(ValueError) as info:
        keras.Model.from_config(config)
    message = str(info.value)
    assert "Unknown layer 'Twice'" in message and "Dense" in message
    assert "register_keras_serializable" in message and "custom_objects={'Twice': ...}" in message
    again = keras.Model.from_config(config, custom_objects={"Twice": Twice})
    np.testing.assert_allclose(again.predict(np.ones((1, 2), "float32"), verbose=0), [[2.0, 2.0]])


def test_a_config_naming_os_system_is_an_unknown_layer():
    inputs = keras.Input(shape=(2,))
    config = keras.Model(inputs, layers.Dense(1, name="d")(inputs)).get_config()
    config["layers"][1]["class_name"] = "os.system"
    with pytest.raises(ValueError, match="Unknown layer 'os.system'"):
        keras.Model.from_config(config)


def test_models_whose_graph_holds_code_or_objects_refuse_with_the_reason():
    inputs = keras.Input(shape=(2,))
    with_lambda = keras.Model(inputs, layers.Dense(2)(inputs) * 2.0)  # ops on KerasTensors make a Lambda
    with pytest.raises(NotImplementedError, match="cannot be serialized: saving stores no code"):
        with_lambda.get_config()


def test_broken_functional_configs_are_named():
    inputs = keras.Input(shape=(2,))
    config = keras.Model(inputs, layers.Dense(1, name="d")(inputs)).get_config()
    missing = {key: value for key, value in config.items() if key != "output_layers"}
    with pytest.raises(ValueError, match=r"needs 'output_layers'; got the keys \['input_layers', 'layers'"):
        keras.Model.from_config(missing)
    dangling = json.loads(json.dumps(config))
    dangling["layers"][1]["inbound_nodes"][0]["args"] = [{"keras_tensor": ["nowhere", 0, 0]}]
    with pytest.raises(ValueError, match="reads from layer 'nowhere', which the config does not hold"):
        keras.Model.from_config(dangling)
