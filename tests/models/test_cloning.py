"""clone_model gives the same architecture with fresh weights and nothing shared; to_json / model_from_json."""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers

X = np.linspace(-1.0, 1.0, 12, dtype="float32").reshape(3, 4)


def _sequential():
    return keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                             layers.Dropout(0.1), layers.Dense(2)], name="seq")


def _functional():
    inputs = keras.Input(shape=(4,), name="features")
    hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
    a = layers.Dense(2, name="a")(hidden)
    b = layers.Dense(1, name="b")(layers.Concatenate()([hidden, inputs]))
    return keras.Model(inputs, {"a": a, "b": b}, name="two_heads")


def _variables(model):
    return [id(v) for layer in model.layers for v in layer.weights]


@pytest.mark.parametrize("make", [_sequential, _functional], ids=["sequential", "functional"])
def test_clone_has_the_architecture_and_fresh_weights_and_shares_nothing(make):
    keras.utils.set_random_seed(1)
    model = make()
    clone = keras.models.clone_model(model)
    assert type(clone) is type(model) and clone.name == model.name
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert clone.get_config() == model.get_config()
    assert not {id(layer) for layer in clone.layers} & {id(layer) for layer in model.layers}
    assert not set(_variables(clone)) & set(_variables(model))
    kernels = [(w, v) for w, v in zip(model.get_weights(), clone.get_weights()) if w.ndim == 2]
    assert kernels and all(not np.allclose(w, v) for w, v in kernels)  # initialized anew
    clone.set_weights(model.get_weights())
    out, again = model.predict(X, verbose=0), clone.predict(X, verbose=0)
    for key in (out if isinstance(out, dict) else {"y": out}):
        np.testing.assert_allclose((again if isinstance(again, dict) else {"y": again})[key],
                                   (out if isinstance(out, dict) else {"y": out})[key], rtol=1e-6)


def test_training_the_clone_leaves_the_original_untouched():
    model = _sequential()
    before = [w.copy() for w in model.get_weights()]
    clone = keras.models.clone_model(model)
    clone.compile(optimizer="sgd", loss="mse")
    clone.fit(X, np.ones((3, 2), "float32"), epochs=2, verbose=0)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)


def test_clone_function_makes_each_layer():
    model = _functional()
    made = []

    def with_l2(layer):
        config = layer.get_config()
        if isinstance(layer, layers.Dense):
            config["kernel_regularizer"] = keras.regularizers.L2(0.01)
        made.append(layer.name)
        return type(layer).from_config(config)

    clone = keras.models.clone_model(model, clone_function=with_l2)
    assert sorted(made) == sorted(layer.name for layer in model.layers[1:])
    assert isinstance(clone.get_layer("hidden").kernel_regularizer, keras.regularizers.L2)
    with pytest.raises(TypeError, match="clone_function must return a Layer, got str"):
        keras.models.clone_model(model, clone_function=lambda layer: "nope")


def test_a_nested_model_is_cloned_too():
    inner = _sequential()
    inputs = keras.Input(shape=(4,))
    outer = keras.Model(inputs, layers.Dense(1)(inner(inputs)))
    clone = keras.models.clone_model(outer)
    assert clone.layers[1] is not inner and isinstance(clone.layers[1], keras.Sequential)
    assert not set(_variables(clone.layers[1])) & set(_variables(inner))


class Scaled(keras.Model):
    def __init__(self, units=3, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.factor = units, factor
        self.dense = layers.Dense(units)

    def call(self, x):
        return self.dense(x) * self.factor

    def get_config(self):
        return {**super().get_config(), "units": self.units, "factor": self.factor}


def test_a_subclassed_model_with_get_config_is_cloned_from_it():
    model = Scaled(units=5, factor=3.0)
    model(X)
    clone = keras.models.clone_model(model)
    assert isinstance(clone, Scaled) and (clone.units, clone.factor) == (5, 3.0)
    assert clone.predict(X, verbose=0).shape == (3, 5)
    assert not set(_variables(clone)) & set(_variables(model))


def test_a_subclassed_model_without_get_config_is_cloned_from_its_plain_arguments():
    class NoConfig(keras.Model):
        def __init__(self, hidden, activation="relu"):
            super().__init__()
            self.dense = layers.Dense(hidden, activation=activation)

        def call(self, x):
            return self.dense(x)

    clone = keras.models.clone_model(NoConfig(4, activation="tanh"))
    assert isinstance(clone, NoConfig)
    assert (clone.dense.units, clone.dense.activation.__name__) == (4, "tanh")


def test_a_subclassed_model_made_with_a_layer_and_no_get_config_says_what_to_define():
    class Wraps(keras.Model):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, x):
            return self.inner(x)

    with pytest.raises(ValueError, match=r"clone_model: Wraps \('wraps'\) defines no get_config\(\), and it was made "
                                         r"with arguments that are not plain data \(inner=Dense\)\. "
                                         r"Define get_config\(\) in Wraps returning the arguments of its __init__"):
        keras.models.clone_model(Wraps(layers.Dense(2), name="wraps"))
    with pytest.raises(TypeError, match="expected a keras.Model, got Dense"):
        keras.models.clone_model(layers.Dense(2))


@pytest.mark.parametrize("make", [_sequential, _functional], ids=["sequential", "functional"])
def test_to_json_and_model_from_json_round_trip(make):
    model = make()
    text = model.to_json()
    described = json.loads(text)
    assert set(described) == {"module", "class_name", "config", "registered_name"}
    assert described["class_name"] == type(model).__name__ and described["module"] == "tinyfit"
    again = keras.models.model_from_json(text)
    assert type(again) is type(model) and again.get_config() == model.get_config()
    assert json.loads(model.to_json(indent=2)) == described  # keyword arguments go to json.dumps


def test_model_from_json_finds_custom_layers_by_custom_objects():
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2

    inputs = keras.Input(shape=(2,))
    text = keras.Model(inputs, Twice(name="twice")(inputs)).to_json()
    with pytest.raises(ValueError, match="Unknown layer 'Twice'"):
        keras.models.model_from_json(text)
    again = keras.models.model_from_json(text, custom_objects={"Twice": Twice})
    np.testing.assert_allclose(again.predict(np.ones((1, 2), "float32"), verbose=0), [[2.0, 2.0]])


def test_model_from_json_says_what_the_string_is_when_not_a_model():
    with pytest.raises(ValueError, match="model_from_json: the string is not valid JSON"):
        keras.models.model_from_json("{'class_name': 'Sequential'}")
    with pytest.raises(ValueError, match=r"the JSON is a list of 2 items, not a model's description"):
        keras.models.model_from_json("[1, 2]")
    with pytest.raises(ValueError, match=r"the JSON is an object with the keys 'units', 'name' and no 'class_name'"):
        keras.models.model_from_json('{"units": 3, "name": "d"}')
    layer_json = json.dumps(keras.layers.serialize(layers.Dense(2)))
    with pytest.raises(ValueError, match=r"the JSON describes a Dense \('Dense'\), not a model.*layers.deserialize"):
        keras.models.model_from_json(layer_json)
    with pytest.raises(TypeError, match="expected the JSON text from model.to_json\\(\\), got dict"):
        keras.models.model_from_json({"class_name": "Sequential"})
