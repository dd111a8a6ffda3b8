"""The serialization guide's custom objects save and load: a minimal get_config, and configs holding objects.

Shaped like keras.io's "Save, serialize, and export models" guide: its CustomDense
returns only {"units": ...} from get_config (no name), and its nested-object
layers return other layers, regularizers and initializers in their configs.
"""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers


def _custom_dense_class():
    class CustomDense(layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

        def call(self, inputs):
            return keras.ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {"units": self.units}  # the guide's: no name, no trainable, no dtype

    return CustomDense


def _functional(CustomDense):
    inputs = keras.Input(shape=(4,))
    x = CustomDense(8)(inputs)
    x = CustomDense(8)(x)  # two of them: the second's saved name differs from any fresh auto-name
    outputs = CustomDense(2)(x)
    return keras.Model(inputs, outputs)


X = np.linspace(-1.0, 1.0, 12, dtype="float32").reshape(3, 4)


def test_minimal_get_config_rebuilds_through_from_config_under_the_saved_names(clean_custom_registry):
    CustomDense = keras.saving.register_keras_serializable(package="MyLayers")(_custom_dense_class())
    model = _functional(CustomDense)
    config = json.loads(json.dumps(model.get_config()))
    again = keras.Model.from_config(config)  # raised KeyError: 'custom_dense_...' before
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_minimal_get_config_with_custom_objects_instead_of_registration():
    CustomDense = _custom_dense_class()
    model = _functional(CustomDense)
    config = json.loads(json.dumps(model.get_config()))
    again = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
    assert [type(layer).__name__ for layer in again.layers[1:]] == ["CustomDense"] * 3
    assert again.get_layer(model.layers[-1].name).units == 2


@pytest.mark.parametrize("register", [True, False], ids=["registered", "custom_objects"])
def test_minimal_get_config_round_trips_through_save_and_load_model(tmp_path, clean_custom_registry, register):
    CustomDense = _custom_dense_class()
    if register:
        keras.saving.register_keras_serializable(package="MyLayers")(CustomDense)
    model = _functional(CustomDense)
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, np.ones((3, 2), "float32"), epochs=2, verbose=0)
    path = tmp_path / "custom.tinyfit"
    model.save(path)
    custom = None if register else {"CustomDense": CustomDense}
    loaded = keras.models.load_model(path, custom_objects=custom)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def test_unregistered_minimal_layer_without_custom_objects_names_the_fix():
    model = _functional(_custom_dense_class())
    with pytest.raises(ValueError, match=r"Unknown layer 'CustomDense'.*custom_objects=\{'CustomDense': \.\.\.\}"):
        keras.Model.from_config(json.loads(json.dumps(model.get_config())))


# ---------------------------------------------------------------- configs that hold objects
def _nested_classes():
    """The guide's nested-object patterns: objects returned as they are by get_config, rebuilt in from_config."""

    @keras.saving.register_keras_serializable(package="ComplexModels")
    class Block(layers.Layer):
        def __init__(self, first_layer, second_layer=None, **kwargs):
            super().__init__(**kwargs)
            self.first_layer = first_layer
            self.second_layer = second_layer if second_layer is not None else layers.Dense(3)

        def call(self, x):
            return self.second_layer(self.first_layer(x))

        def get_config(self):
            config = super().get_config()
            config.update({"first_layer": self.first_layer, "second_layer": self.second_layer})
            return config

        @classmethod
        def from_config(cls, config):
            config["first_layer"] = keras.layers.deserialize(config["first_layer"])
            config["second_layer"] = keras.saving.deserialize_keras_object(config["second_layer"])
            return cls(**config)

    @keras.saving.register_keras_serializable(package="ComplexModels")
    class Stack(layers.Layer):
        def __init__(self, sublayers, **kwargs):
            super().__init__(**kwargs)
            self.sublayers = list(sublayers)

        def call(self, x):
            for layer in self.sublayers:
                x = layer(x)
            return x

        def get_config(self):
            return {**super().get_config(), "sublayers": self.sublayers}

        @classmethod
        def from_config(cls, config):
            config["sublayers"] = [keras.layers.deserialize(c) for c in config["sublayers"]]
            return cls(**config)

    @keras.saving.register_keras_serializable(package="ComplexModels")
    class Penalized(layers.Layer):
        """Keras's default from_config works: __init__ passes what it gets to regularizers.get / initializers.get."""

        def __init__(self, units=2, kernel_regularizer=None, kernel_initializer="zeros", **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
            self.kernel_initializer = keras.initializers.get(kernel_initializer)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                                          regularizer=self.kernel_regularizer)

        def call(self, x):
            return keras.ops.matmul(x, self.kernel)

        def get_config(self):
            return {**super().get_config(), "units": self.units,
                    "kernel_regularizer": self.kernel_regularizer,  # the objects themselves
                    "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}

    return Block, Stack, Penalized


def _nested_model():
    Block, Stack, Penalized = _nested_classes()
    inputs = keras.Input(shape=(4,))
    x = Block(layers.Dense(5, activation="relu"), name="block")(inputs)
    x = Stack([layers.Dense(4), layers.Dense(3, kernel_regularizer=keras.regularizers.L1(0.01))], name="stack")(x)
    outputs = Penalized(2, kernel_regularizer=keras.regularizers.L2(0.1),
                        kernel_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=3), name="pen")(x)
    return keras.Model(inputs, outputs), (Block, Stack, Penalized)


def test_objects_inside_a_config_are_serialized_recursively(clean_custom_registry):
    model, _ = _nested_model()
    described = keras.saving.serialize_keras_object(model.get_layer("block"))
    assert described["registered_name"] == "ComplexModels>Block"
    inner = described["config"]["first_layer"]
    assert (inner["module"], inner["class_name"], inner["registered_name"]) == ("tinyfit.layers", "Dense", "Dense")
    assert inner["config"]["units"] == 5 and inner["config"]["activation"] == "relu"
    stack = keras.saving.serialize_keras_object(model.get_layer("stack"))
    assert [c["class_name"] for c in stack["config"]["sublayers"]] == ["Dense", "Dense"]
    assert stack["config"]["sublayers"][1]["config"]["kernel_regularizer"]["class_name"] == "L1"
    pen = keras.saving.serialize_keras_object(model.get_layer("pen"))
    assert pen["config"]["kernel_regularizer"] == {"module": "tinyfit.regularizers", "class_name": "L2",
                                                   "config": {"l2": 0.1}, "registered_name": "L2"}
    json.dumps(model.to_json())  # plain data throughout


def test_a_model_of_nested_objects_saves_loads_and_predicts_the_same(tmp_path, clean_custom_registry):
    model, _ = _nested_model()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, np.zeros((3, 2), "float32"), epochs=1, verbose=0)
    path = tmp_path / "nested.tinyfit"
    model.save(path)  # said "the config is not plain JSON" before
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    pen = loaded.get_layer("pen")
    assert isinstance(pen.kernel_regularizer, keras.regularizers.L2) and pen.kernel_regularizer.l2 == pytest.approx(0.1)
    assert isinstance(pen.kernel_initializer, keras.initializers.RandomNormal)
    stack = loaded.get_layer("stack")
    assert [type(layer).__name__ for layer in stack.sublayers] == ["Dense", "Dense"]
    assert stack.sublayers[0] is not model.get_layer("stack").sublayers[0]
    assert len(loaded.losses) == len(model.losses) == 2  # the L1 inside the stack and the L2 of pen


def test_default_from_config_accepts_serialized_regularizers_and_initializers(clean_custom_registry):
    _, _, Penalized = _nested_classes()
    layer = Penalized(3, kernel_regularizer="l2", kernel_initializer="ones", name="p")
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
    again = keras.saving.deserialize_keras_object(config)
    assert isinstance(again, Penalized) and again.name == "p"
    assert isinstance(again.kernel_regularizer, keras.regularizers.L2)
    np.testing.assert_allclose(again(np.ones((1, 2), "float32")).numpy(), [[2.0, 2.0, 2.0]])


def test_a_nested_object_of_an_unregistered_class_says_what_to_register():
    class Halver(keras.regularizers.Regularizer):
        def __call__(self, x):
            return 0.5 * keras.ops.sum(x)

        def get_config(self):
            return {}

    layer = layers.Dense(2, kernel_regularizer=Halver())
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
    assert config["config"]["kernel_regularizer"]["class_name"] == "Halver"
    with pytest.raises(ValueError, match=r"Unknown regularizer 'Halver'.*register_keras_serializable"):
        keras.layers.deserialize(config)
    again = keras.layers.deserialize(config, custom_objects={"Halver": Halver})
    assert isinstance(again.kernel_regularizer, Halver)
