"""The serialized form of the serialization guide: module, class_name, config, registered_name.

Written from Keras 3's documented behaviour of `keras.saving.serialize_keras_object`:
built-in classes are named by their public namespace, registered classes by
"package>Name", functions as {"module": "builtins", "class_name": "function", ...}.
Reading accepts that form (tinyfit's and Keras's own module names), the older two
keys, and never imports the module a config names.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import activations, initializers, layers, losses, metrics, optimizers, regularizers
from tinyfit.optimizers import schedules
from tinyfit.saving import deserialize_keras_object, register_keras_serializable, serialize_keras_object

FOUR_KEYS = {"module", "class_name", "config", "registered_name"}


@pytest.mark.parametrize("obj, module", [
    (layers.Dense(2), "tinyfit.layers"),
    (losses.MeanSquaredError(), "tinyfit.losses"),
    (metrics.AUC(), "tinyfit.metrics"),
    (optimizers.Adam(), "tinyfit.optimizers"),
    (schedules.ExponentialDecay(0.1, 10, 0.9), "tinyfit.optimizers.schedules"),
    (initializers.HeNormal(seed=1), "tinyfit.initializers"),
    (regularizers.L1L2(0.1, 0.2), "tinyfit.regularizers"),
    (keras.Sequential([layers.Dense(1)]), "tinyfit"),
])
def test_every_object_has_the_four_keys_and_its_public_namespace(obj, module):
    described = serialize_keras_object(obj)
    assert set(described) == FOUR_KEYS
    assert described["module"] == module
    assert described["class_name"] == described["registered_name"] == type(obj).__name__
    assert described["config"] == json.loads(json.dumps(obj.get_config()))
    again = deserialize_keras_object(json.loads(json.dumps(described)))
    assert type(again) is type(obj)


@pytest.mark.parametrize("fn", [activations.relu, losses.mean_squared_error, metrics.binary_accuracy])
def test_functions_are_written_as_keras_writes_them(fn):
    assert serialize_keras_object(fn) == {"module": "builtins", "class_name": "function",
                                          "config": fn.__name__, "registered_name": "function"}
    assert deserialize_keras_object(serialize_keras_object(fn)) is fn


def test_containers_are_described_item_by_item():
    described = serialize_keras_object({"reg": regularizers.L2(0.5), "list": (1, initializers.Zeros()),
                                        "array": np.array([1.5, 2.0], "float32"), "scalar": np.float32(0.25)})
    assert described["reg"]["class_name"] == "L2" and described["list"][0] == 1
    assert described["list"][1]["module"] == "tinyfit.initializers"
    assert described["array"] == {"class_name": "__numpy__", "config": {"value": [1.5, 2.0], "dtype": "float32"}}
    assert described["scalar"] == 0.25
    again = deserialize_keras_object(json.loads(json.dumps(described)))
    assert isinstance(again["reg"], regularizers.L2) and isinstance(again["list"][1], initializers.Zeros)
    np.testing.assert_array_equal(again["array"], [1.5, 2.0])
    assert again["array"].dtype == np.float32


def test_a_registered_class_keeps_its_module_and_is_found_by_its_registered_name(clean_custom_registry):
    @register_keras_serializable(package="MyPkg", name="Scaler")
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    described = serialize_keras_object(Scale(3.0))
    assert described["module"] == __name__ and described["class_name"] == "Scale"
    assert described["registered_name"] == "MyPkg>Scaler"
    # The registered name is what counts: another class_name or module does not matter.
    moved = {**described, "class_name": "OldName", "module": "somewhere.else"}
    again = deserialize_keras_object(moved)
    assert isinstance(again, Scale) and again.factor == 3.0


def test_the_older_two_key_form_still_loads():
    assert isinstance(deserialize_keras_object({"class_name": "Dense", "config": {"units": 2}}), layers.Dense)
    assert isinstance(regularizers.get({"class_name": "L2", "config": {"l2": 0.1}}), regularizers.L2)
    assert losses.deserialize({"class_name": "function", "config": "huber"}) is losses.huber
    assert activations.get({"class_name": "function", "config": "tanh"}) is activations.tanh
    rebuilt = optimizers.deserialize({"class_name": "Adam", "config": {"learning_rate": 0.5}})
    assert float(rebuilt.learning_rate) == 0.5


# What Keras 3.15 wrote for these objects (keras.saving.serialize_keras_object).
KERAS_WRITTEN = [
    ({"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": None},
     regularizers.L2),
    ({"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None},
     initializers.Zeros),
    ({"module": "keras.losses", "class_name": "MeanSquaredError",
      "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}, "registered_name": None},
     losses.MeanSquaredError),
    ({"module": "keras.metrics", "class_name": "Accuracy", "config": {"name": "accuracy", "dtype": "float32"},
      "registered_name": None}, metrics.Accuracy),
    ({"module": "keras.src.layers.core.dense", "class_name": "Dense", "config": {"units": 3},
      "registered_name": "Dense"}, layers.Dense),
    ({"module": "keras.optimizers", "class_name": "SGD", "config": {"name": "SGD", "learning_rate": 0.5},
      "registered_name": None}, optimizers.SGD),
]


@pytest.mark.parametrize("config, cls", KERAS_WRITTEN, ids=[c["class_name"] for c, _ in KERAS_WRITTEN])
def test_keras_module_names_are_understood(config, cls):
    assert type(deserialize_keras_object(config)) is cls


def test_a_keras_function_entry_is_understood():
    relu = {"module": "builtins", "class_name": "function", "config": "relu", "registered_name": "function"}
    assert deserialize_keras_object(relu) is activations.relu
    assert activations.get(relu) is activations.relu
    assert layers.Dense(2, activation=relu).activation is activations.relu


def test_the_module_picks_the_family():
    # "MeanSquaredError" is both a loss and a metric: the module says which.
    as_loss = {"module": "keras.losses", "class_name": "MeanSquaredError", "config": {}, "registered_name": None}
    as_metric = {**as_loss, "module": "tinyfit.metrics"}
    assert type(deserialize_keras_object(as_loss)) is losses.MeanSquaredError
    assert type(deserialize_keras_object(as_metric)) is metrics.MeanSquaredError
    with pytest.raises(ValueError, match=r"Unknown loss 'AUC'. Registered loss names: .*MeanSquaredError"):
        deserialize_keras_object({"module": "keras.losses", "class_name": "AUC", "config": {}})


@pytest.mark.parametrize("module, name", [("os", "system"), ("subprocess", "Popen"), ("this", "Anything"),
                                          ("builtins", "eval"), ("importlib", "import_module")])
def test_a_foreign_module_is_never_imported_and_an_unregistered_name_is_refused(module, name, clean_custom_registry):
    @register_keras_serializable(package="Mine")
    class Known(layers.Layer):
        pass

    before = set(sys.modules)
    with pytest.raises(ValueError) as info:
        deserialize_keras_object({"module": module, "class_name": name, "config": {}, "registered_name": name},
                                 family="layer")
    message = str(info.value)
    assert f"Unknown layer {name!r}" in message and "never imported" in message
    assert "Mine>Known" in message and "Dense" in message  # the registered names, custom and built-in
    assert set(sys.modules) == before
    function_module = module if module != "builtins" else "nowhere"  # builtins: Keras's module of every function
    with pytest.raises(ValueError, match=rf"Unknown function {name!r} of module {function_module!r}"):
        deserialize_keras_object({"module": function_module, "class_name": "function", "config": name,
                                  "registered_name": "function"})
    with pytest.raises(ValueError, match=rf"Unknown function {name!r}. Registered function names: .*relu"):
        deserialize_keras_object({"module": "builtins", "class_name": "function", "config": name,
                                  "registered_name": "function"})
    assert set(sys.modules) == before


def test_a_foreign_module_cannot_borrow_a_builtin_class():
    # A module outside tinyfit and Keras names a user's object: it must be registered, even if tinyfit has the name.
    with pytest.raises(ValueError, match=r"Unknown layer 'Dense' \(class 'Dense' of module 'evil.layers'\)"):
        deserialize_keras_object({"module": "evil.layers", "class_name": "Dense", "config": {"units": 1},
                                  "registered_name": None}, family="layer")


def test_arrays_of_objects_are_not_read():
    with pytest.raises(ValueError, match=r"arrays of dtype 'object' are not read"):
        deserialize_keras_object({"class_name": "__numpy__", "config": {"value": [1], "dtype": "object"}})


# ---------------------------------------------------------------- get_custom_objects, custom_object_scope
def test_writing_to_get_custom_objects_registers(clean_custom_registry):
    class Halve(layers.Layer):
        def call(self, x):
            return x / 2

    assert keras.saving.get_custom_objects() is keras.utils.get_custom_objects()
    keras.saving.get_custom_objects()["Halve"] = Halve
    again = deserialize_keras_object({"module": __name__, "class_name": "Halve", "config": {"name": "h"},
                                      "registered_name": "Halve"})
    assert isinstance(again, Halve) and again.name == "h"


def test_custom_object_scope_lasts_for_its_block():
    class Triple(layers.Layer):
        def call(self, x):
            return x * 3

    config = {"module": __name__, "class_name": "Triple", "config": {}, "registered_name": "Triple"}
    with keras.saving.custom_object_scope({"Triple": Triple}):
        assert isinstance(deserialize_keras_object(config), Triple)
        assert keras.layers.deserialize(config).__class__ is Triple
        with keras.utils.CustomObjectScope({"Other": layers.Dense}, None):
            assert isinstance(deserialize_keras_object(config), Triple)  # scopes nest
    with pytest.raises(ValueError, match="Unknown object 'Triple'"):
        deserialize_keras_object(config)
    assert keras.utils.custom_object_scope is keras.saving.CustomObjectScope
    with pytest.raises(TypeError, match="custom_object_scope: expected dicts"):
        keras.saving.custom_object_scope(["Triple"])


# ---------------------------------------------------------------- each family's serialize / deserialize / get
@pytest.mark.parametrize("module, obj", [
    (layers, layers.Dense(3, activation="tanh")),
    (losses, losses.Huber(delta=2.0)),
    (losses, losses.huber),
    (metrics, metrics.Precision(thresholds=0.3)),
    (optimizers, optimizers.RMSprop(learning_rate=0.01)),
    (schedules, schedules.CosineDecay(0.1, 100)),
    (regularizers, regularizers.L1(0.3)),
    (initializers, initializers.Constant(0.5)),
], ids=lambda value: getattr(value, "__name__", type(value).__name__))
def test_each_family_serializes_and_deserializes(module, obj):
    described = json.loads(json.dumps(module.serialize(obj)))
    assert set(described) == FOUR_KEYS
    again = module.deserialize(described)
    if callable(obj) and not hasattr(obj, "get_config"):
        assert again is obj
    else:
        assert type(again) is type(obj) and again.get_config() == obj.get_config()
    if hasattr(module, "get"):
        assert type(module.get(described)) is type(again)


def test_activations_serialize_to_a_name_or_the_function_form(clean_custom_registry):
    assert activations.serialize(activations.relu) == "relu"
    assert activations.deserialize("relu") is activations.relu

    @register_keras_serializable(package="Acts")
    def halve(x):
        return x / 2

    described = activations.serialize(halve)
    assert described == {"module": "builtins", "class_name": "function", "config": "Acts>halve",
                         "registered_name": "function"}
    assert activations.deserialize(described) is halve
    assert deserialize_keras_object({"module": "builtins", "class_name": "function", "config": "halve",
                                     "registered_name": "function"}) is halve  # a bare name, as Keras finds it


@pytest.mark.parametrize("call, family, known", [
    (lambda: layers.deserialize({"class_name": "Dense2", "config": {}}), "layer", "Dense"),
    (lambda: losses.deserialize({"class_name": "Hubber", "config": {}}), "loss", "Huber"),
    (lambda: metrics.deserialize({"class_name": "Precison", "config": {}}), "metric", "Precision"),
    (lambda: optimizers.deserialize({"class_name": "Adamm", "config": {}}), "optimizer", "Adam"),
    (lambda: schedules.deserialize({"class_name": "Cosine", "config": {}}), "learning rate schedule", "CosineDecay"),
    (lambda: regularizers.deserialize({"class_name": "L3", "config": {}}), "regularizer", "L1L2"),
    (lambda: initializers.deserialize({"class_name": "Twos", "config": {}}), "initializer", "GlorotUniform"),
    (lambda: activations.deserialize({"module": "builtins", "class_name": "function", "config": "rellu"}),
     "activation", "relu"),
])
def test_unknown_names_in_deserialize_list_the_registered_ones(call, family, known):
    with pytest.raises(ValueError, match=rf"Unknown {family} '\w+'.*Registered {family} names: .*\b{known}\b"):
        call()


@pytest.mark.parametrize("call, meant", [
    (lambda: layers.deserialize({"class_name": "Dnse", "config": {}}), "Dense"),
    (lambda: losses.deserialize({"class_name": "MeanSquaredEror", "config": {}}), "MeanSquaredError"),
    (lambda: activations.deserialize({"module": "builtins", "class_name": "function", "config": "rellu"}), "relu"),
])
def test_a_misspelt_name_gets_the_closest_registered_one(call, meant):
    with pytest.raises(ValueError, match=rf"\. Did you mean '{meant}'\? Registered"):
        call()


@pytest.mark.parametrize("module", [layers, optimizers, regularizers, initializers, schedules])
def test_deserialize_refuses_what_is_not_a_description(module):
    with pytest.raises(ValueError, match=r"expected a dict with 'class_name' and 'config'"):
        module.deserialize([1, 2])


# ---------------------------------------------------------------- against real Keras 3
_KERAS_SCRIPT = textwrap.dedent("""
    import json, os
    os.environ["KERAS_BACKEND"] = "numpy"
    import keras

    @keras.saving.register_keras_serializable(package="MyLayers")
    class CustomDense(keras.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def get_config(self):
            return {"units": self.units}

    @keras.saving.register_keras_serializable(package="Acts")
    def halve(x):
        return x / 2

    out = {
        "relu": keras.saving.serialize_keras_object(keras.activations.relu),
        "halve": keras.saving.serialize_keras_object(halve),
        "custom": keras.saving.serialize_keras_object(CustomDense(3)),
        "l2": keras.saving.serialize_keras_object(keras.regularizers.L2(0.5)),
        "nested": keras.saving.serialize_keras_object([keras.regularizers.L1(0.25)]),
    }
    print(json.dumps(out))
""")


def test_the_form_matches_real_keras():
    found = subprocess.run([sys.executable, "-c", "import os; os.environ['KERAS_BACKEND'] = 'numpy'; import keras"],
                           capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "numpy"})
    if found.returncode != 0:
        pytest.skip(f"real Keras 3 does not import here: {found.stderr.strip().splitlines()[-1:]}")
    run = subprocess.run([sys.executable, "-c", _KERAS_SCRIPT], capture_output=True, text=True, check=True,
                         env={**os.environ, "KERAS_BACKEND": "numpy"})
    theirs = json.loads(run.stdout.strip().splitlines()[-1])

    @register_keras_serializable(package="MyLayers")
    class CustomDense(layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def get_config(self):
            return {"units": self.units}

    @register_keras_serializable(package="Acts")
    def halve(x):
        return x / 2

    try:
        assert serialize_keras_object(activations.relu) == theirs["relu"]
        assert serialize_keras_object(halve) == theirs["halve"]
        ours = serialize_keras_object(CustomDense(3))
        assert set(ours) == set(theirs["custom"]) - {"build_config"}
        for key in ("class_name", "config", "registered_name"):
            assert ours[key] == theirs["custom"][key]
        ours_l2 = serialize_keras_object(regularizers.L2(0.5))
        assert (ours_l2["class_name"], ours_l2["config"]) == (theirs["l2"]["class_name"], theirs["l2"]["config"])
        # What Keras wrote reads back here, and the other way round the keys agree.
        assert isinstance(deserialize_keras_object(theirs["l2"]), regularizers.L2)
        assert isinstance(deserialize_keras_object(theirs["custom"]), CustomDense)
        assert isinstance(deserialize_keras_object(theirs["nested"])[0], regularizers.L1)
    finally:
        keras.saving.get_custom_objects().pop("MyLayers>CustomDense", None)
        keras.saving.get_custom_objects().pop("Acts>halve", None)
