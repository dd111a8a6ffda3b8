"""Configs of every public class round-trip through plain JSON, and names resolve through the registries."""

import inspect
import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import activations, initializers, layers, losses, metrics, optimizers, regularizers
from tinyfit.optimizers import schedules
from tinyfit.saving import deserialize_keras_object, register_keras_serializable, serialize_keras_object

# Arguments for the classes that need some; the rest are built with defaults.
ARGS = {
    "InputLayer": dict(shape=(3,)),
    "Dense": dict(units=3, activation="relu", kernel_regularizer=regularizers.L2(0.1),
                  kernel_initializer=initializers.RandomNormal(stddev=0.3)),
    "Activation": dict(activation="tanh"),
    "Dropout": dict(rate=0.2),
    "Reshape": dict(target_shape=(2, 3)),
    "Conv1D": dict(filters=2, kernel_size=3, padding="same"),
    "Conv2D": dict(filters=2, kernel_size=(3, 2), strides=2),
    "Conv3D": dict(filters=2, kernel_size=3),
    "Embedding": dict(input_dim=5, output_dim=2),
    "Rescaling": dict(scale=0.5, offset=1.0),
    "LossFunctionWrapper": dict(fn=losses.mean_squared_error),
    "MeanMetricWrapper": dict(fn=losses.mean_absolute_error),
    "ExponentialDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9),
    "PiecewiseConstantDecay": dict(boundaries=[10], values=[0.1, 0.01]),
    "PolynomialDecay": dict(initial_learning_rate=0.1, decay_steps=10, power=2.0),
    "InverseTimeDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9),
    "CosineDecay": dict(initial_learning_rate=0.1, decay_steps=10),
    "Adam": dict(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.9), beta_1=0.8),
    "L1L2": dict(l1=0.01, l2=0.02),
    "Constant": dict(value=0.5),
    "SpatialDropout1D": dict(rate=0.2),
    "SpatialDropout2D": dict(rate=0.2),
    "SpatialDropout3D": dict(rate=0.2),
    "GaussianNoise": dict(stddev=0.1),
    "GaussianDropout": dict(rate=0.2),
    "RandomTranslation": dict(height_factor=0.1, width_factor=0.2),
    "RandomRotation": dict(factor=0.1),
    "RandomZoom": dict(height_factor=0.1),
    "RandomContrast": dict(factor=0.2),
    "Conv1DTranspose": dict(filters=2, kernel_size=3, strides=2),
    "Conv2DTranspose": dict(filters=2, kernel_size=(3, 2), strides=2),
    "Conv3DTranspose": dict(filters=2, kernel_size=3),
    "Permute": dict(dims=(2, 1)),
    "RepeatVector": dict(n=3),
    "Dot": dict(axes=(1, 2), normalize=True),
    "GroupNormalization": dict(groups=2, gamma_regularizer=regularizers.L2(0.1)),
    "Normalization": dict(axis=(1, 2), mean=[1.0, 2.0], variance=[3.0, 4.0], invert=True),
    "Resizing": dict(height=4, width=5, interpolation="nearest", crop_to_aspect_ratio=True),
    "CenterCrop": dict(height=4, width=5),
    "RandomCrop": dict(height=4, width=5, seed=3),
    "RandomBrightness": dict(factor=(-0.1, 0.3), value_range=(0, 1)),
    "TimeDistributed": dict(layer=layers.Dense(2, activation="relu")),
    "RNN": dict(cell=layers.LSTMCell(3), return_sequences=True, go_backwards=True),
    "SimpleRNN": dict(units=3, activation="relu", dropout=0.1),
    "SimpleRNNCell": dict(units=3),
    "LSTM": dict(units=3, return_state=True, unit_forget_bias=False),
    "LSTMCell": dict(units=3, recurrent_dropout=0.2),
    "GRU": dict(units=3, reset_after=False, return_sequences=True),
    "GRUCell": dict(units=3),
    "Bidirectional": dict(layer=layers.GRU(2, return_sequences=True), merge_mode="sum"),
    "MultiHeadAttention": dict(num_heads=2, key_dim=3, value_dim=4, dropout=0.1, output_shape=5),
    "IoU": dict(num_classes=3, target_class_ids=[0, 2], ignore_class=1),
    "MeanIoU": dict(num_classes=3, sparse_y_pred=False),
    "OneHotIoU": dict(num_classes=3, target_class_ids=[1], dtype="float32"),
    "OneHotMeanIoU": dict(num_classes=4),
}
NOT_CONFIGURABLE = {"KerasTensor", "Lambda"}  # a symbolic value; a layer holding code
# Base classes for subclassing, never named in a config: not registered.
UNREGISTERED_BASES = {"Optimizer", "LearningRateSchedule", "Initializer", "Regularizer"}


def _public_classes():
    for family, module in [("layer", layers), ("loss", losses), ("metric", metrics), ("optimizer", optimizers),
                           ("learning rate schedule", schedules), ("initializer", initializers),
                           ("regularizer", regularizers)]:
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and name not in NOT_CONFIGURABLE:
                yield pytest.param(family, obj, id=f"{family}:{name}")


@pytest.mark.parametrize("family, cls", list(_public_classes()))
def test_every_public_class_round_trips_through_json(family, cls):
    obj = cls(**ARGS.get(cls.__name__, {}))
    if cls is schedules.LearningRateSchedule:  # the base class a user's schedule fills in
        with pytest.raises(NotImplementedError, match="must implement get_config"):
            obj.get_config()
        return
    config = obj.get_config()
    text = json.dumps(config)  # plain data only
    again = type(obj).from_config(json.loads(text))
    assert type(again) is type(obj)
    assert again.get_config() == config
    described = json.loads(json.dumps(serialize_keras_object(obj)))
    assert described["class_name"] == cls.__name__
    if cls.__name__ in UNREGISTERED_BASES:
        return
    rebuilt = deserialize_keras_object(described, family=family)
    assert type(rebuilt) is cls and rebuilt.get_config() == config


def test_nested_objects_are_described_by_the_four_keys():
    config = layers.Dense(**ARGS["Dense"]).get_config()
    assert config["kernel_initializer"] == {"module": "tinyfit.initializers", "class_name": "RandomNormal",
                                            "config": {"mean": 0.0, "stddev": 0.3, "seed": None},
                                            "registered_name": "RandomNormal"}
    assert config["kernel_regularizer"]["class_name"] == "L2"
    assert config["kernel_regularizer"]["module"] == "tinyfit.regularizers"
    opt = optimizers.Adam(**ARGS["Adam"]).get_config()
    assert opt["learning_rate"]["class_name"] == "ExponentialDecay"


@pytest.mark.parametrize("name", [n for n in activations.__all__ if n not in ("get", "serialize", "deserialize", "register", "names")])
def test_every_activation_round_trips(name):
    fn = getattr(activations, name)
    described = json.loads(json.dumps(serialize_keras_object(fn)))
    assert described["class_name"] == "function"
    assert described["config"] in (name, fn.__name__)  # swish is saved as silu, the same function
    assert deserialize_keras_object(described, family="activation") is fn


@pytest.mark.parametrize("fn", [losses.mean_squared_error, losses.huber, metrics.categorical_accuracy])
def test_loss_and_metric_functions_round_trip_as_functions(fn):
    assert deserialize_keras_object(serialize_keras_object(fn)) is fn


def test_lambda_layer_and_lambda_function_refuse_clearly():
    with pytest.raises(NotImplementedError, match="saving stores no code"):
        layers.Lambda(lambda x: x).get_config()
    with pytest.raises(ValueError, match="a lambda .* cannot be saved.*register_keras_serializable"):
        serialize_keras_object(lambda x: x)


def test_registered_layer_saves_under_package_name_and_loads(clean_custom_registry):
    @register_keras_serializable(package="MyPkg")
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    described = json.loads(json.dumps(serialize_keras_object(Scale(3.0, name="s"))))
    assert described["class_name"] == "Scale" and described["registered_name"] == "MyPkg>Scale"
    again = deserialize_keras_object(described, family="layer")
    assert isinstance(again, Scale) and again.factor == 3.0 and again.name == "s"
    assert keras.saving.get_registered_name(Scale) == "MyPkg>Scale"
    assert keras.saving.get_registered_object("MyPkg>Scale") is Scale


def test_registered_loss_function_works_in_compile_and_on_load(clean_custom_registry):
    @keras.saving.register_keras_serializable(package="Custom", name="double_mse")
    def my_loss(y_true, y_pred):
        return 2.0 * losses.mean_squared_error(y_true, y_pred)

    assert losses.get("Custom>double_mse") is my_loss
    assert losses.serialize(my_loss) == {"module": "builtins", "class_name": "function",
                                         "config": "Custom>double_mse", "registered_name": "function"}
    assert deserialize_keras_object({"class_name": "function", "config": "Custom>double_mse"}) is my_loss
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="Custom>double_mse")
    history = model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_custom_objects_resolve_unregistered_names():
    class Doubler(layers.Layer):
        def call(self, x):
            return x * 2

    described = {"class_name": "Doubler", "config": {"name": "d"}}
    with pytest.raises(ValueError, match="Unknown layer 'Doubler'"):
        deserialize_keras_object(described, family="layer")
    assert isinstance(deserialize_keras_object(described, custom_objects={"Doubler": Doubler}), Doubler)


def test_unknown_name_lists_the_family_and_shows_the_decorator():
    with pytest.raises(ValueError) as info:
        deserialize_keras_object({"class_name": "os.system", "config": {}}, family="layer")
    message = str(info.value)
    assert "Unknown layer 'os.system'" in message
    assert "Dense" in message and "Conv2D" in message and "BatchNormalization" in message
    assert "Adam" not in message  # only the layer family is listed
    assert '@keras.saving.register_keras_serializable(package="Custom")' in message
    assert "custom_objects={'os.system': ...}" in message


def test_a_string_never_imports_anything():
    for name in ("os.system", "builtins.eval", "subprocess.Popen", "__import__"):
        with pytest.raises(ValueError, match=f"Unknown function '{name}'"):
            deserialize_keras_object({"class_name": "function", "config": name})


def test_compile_names_get_the_same_decorator_hint():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adamm'\. Did you mean 'adam'\?.*register_keras_serializable"):
        optimizers.get("adamm")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="package='a>b' must be a non-empty string without '>'"):
        register_keras_serializable(package="a>b")
    with pytest.raises(TypeError, match="decorates a class or a function defined with def, got int"):
        register_keras_serializable()(3)
    with pytest.raises(ValueError, match="expected a layer name or a dict with 'class_name'"):
        deserialize_keras_object({"config": {}}, family="layer")
    with pytest.raises(ValueError, match="unknown family 'layers'.*'layer'"):
        deserialize_keras_object("Dense", family="layers")
    with pytest.raises(TypeError, match="cannot describe object"):
        serialize_keras_object(object())


def test_two_classes_under_one_name_are_refused(clean_custom_registry):
    @register_keras_serializable(package="Dup", name="Thing")
    class A(layers.Layer):
        pass

    with pytest.raises(ValueError, match="'Dup>Thing' is already registered for .*A; pick another name="):
        @register_keras_serializable(package="Dup", name="Thing")
        class B(layers.Layer):
            pass


def test_one_registry_per_family_is_what_get_and_loading_use(clean_custom_registry):
    from tinyfit.saving.serialization import FAMILIES

    for family, module in [("layer", layers), ("loss", losses), ("metric", metrics), ("optimizer", optimizers),
                           ("learning rate schedule", schedules), ("initializer", initializers),
                           ("regularizer", regularizers), ("activation", activations)]:
        assert module.registry is FAMILIES[family]
        assert module.registry.family == family

    @register_keras_serializable(package="Custom")
    class HalfSGD(optimizers.SGD):
        def __init__(self, learning_rate=0.005, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

    @register_keras_serializable(package="Custom")
    class Twos(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return np.full(shape, 2.0, dtype=dtype or "float32")

    @register_keras_serializable(package="Custom")
    def cube(x):
        return x * x * x

    assert isinstance(optimizers.get("Custom>HalfSGD"), HalfSGD)
    assert isinstance(initializers.get("Custom>Twos"), Twos)
    assert activations.get("Custom>cube") is cube
    assert activations.serialize(cube) == {"module": "builtins", "class_name": "function", "config": "Custom>cube",
                                           "registered_name": "function"}
    dense = layers.Dense(2, activation=cube, kernel_initializer=Twos())
    config = json.loads(json.dumps(dense.get_config()))
    assert config["activation"]["config"] == "Custom>cube"
    assert config["kernel_initializer"]["registered_name"] == "Custom>Twos"
    again = layers.Dense.from_config(config)
    out = again(np.ones((1, 3), "float32"))
    np.testing.assert_allclose(np.asarray(out.numpy()), [[216.0, 216.0]])  # (3 * 2) ** 3
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="Custom>HalfSGD", loss="mse")
    assert isinstance(model.optimizer, HalfSGD)
