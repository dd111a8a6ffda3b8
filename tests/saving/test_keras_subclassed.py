"""Keras 3 files of models with layers of their own: sublayers held in attributes, subclassed models.

Keras 3 places such weights in model.weights.h5 by the attribute paths its saving walks
(`layers/block/d1/vars`, `dense1/vars`, `layers/dense_3/vars`, ...) and rebuilds a subclassed
model from its config and build_config. The same class source (CLASSES) is run here with
tinyfit as `keras` and in real Keras 3 (NumPy backend, in a subprocess), so each file crosses
between the two; the Keras tests skip where Keras is not installed.
"""

import io
import json
import textwrap
import zipfile

import numpy as np
import pytest

import tinyfit as keras

h5py = pytest.importorskip("h5py", reason="Keras 3's formats are HDF5; install tinyfit[h5]")



# The keras.io serialization guide's layer holding a sublayer, a block that makes its own
# (in attributes, a list, with a weight of its own), and subclassed models with and without
# get_config. Run as written by tinyfit and by Keras 3.
CLASSES = '''
@keras.saving.register_keras_serializable(package="H2Guide")
class CustomLayer(keras.layers.Layer):
    def __init__(self, sublayer, **kwargs):
        super().__init__(**kwargs)
        self.sublayer = sublayer

    def call(self, x):
        return self.sublayer(x)

    def get_config(self):
        config = {"sublayer": keras.saving.serialize_keras_object(self.sublayer)}
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        sublayer = keras.saving.deserialize_keras_object(config.pop("sublayer"))
        return cls(sublayer, **config)


@keras.saving.register_keras_serializable(package="H2Guide")
class Block(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.first = keras.layers.Dense(units, activation="relu")
        self.second = keras.layers.Dense(units)
        self.heads = [keras.layers.Dense(2), keras.layers.Dense(units)]
        self.norm = keras.layers.BatchNormalization()

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(1,), initializer="ones", name="scale")

    def call(self, x):
        y = self.second(self.first(x))
        return self.norm(y) + self.heads[1](self.heads[0](y)) * self.scale

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="H2Guide")
class Classifier(keras.Model):
    def __init__(self, hidden=8, num_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden, self.num_classes = hidden, num_classes
        self.dense1 = keras.layers.Dense(hidden, activation="relu")
        self.blocks = {"a": keras.layers.Dense(hidden), "b": [keras.layers.Dense(hidden)]}
        self.out = keras.layers.Dense(num_classes)
        self._skip = keras.layers.Dense(num_classes)

    def call(self, x):
        x = self.dense1(x)
        x = self.blocks["b"][0](self.blocks["a"](x))
        return self.out(x) + self._skip(x)

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden, "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="H2Guide")
class PlainArguments(keras.Model):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.layers.Dense(units, activation="tanh")
        self.block = Block(units)
        self.decoder = keras.layers.Dense(4)

    def call(self, x):
        return self.decoder(self.block(self.encoder(x)))


@keras.saving.register_keras_serializable(package="H2Guide")
class Residual(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.Dense(units)

    def call(self, x):
        return x + self.inner(x)


def functional_model():
    inputs = keras.Input((4,))
    x = CustomLayer(keras.layers.Dense(3))(inputs)
    x = Block(3)(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def sequential_model():
    return keras.Sequential([keras.Input((4,)), CustomLayer(keras.layers.Dense(5)), Block(5), Residual(5),
                             keras.layers.Dense(2)])
'''

_namespace = {"keras": keras, "__name__": "h2_guide_classes"}
exec(CLASSES, _namespace)  # the same source Keras runs below
Classifier, PlainArguments = _namespace["Classifier"], _namespace["PlainArguments"]
MODELS = {"functional": _namespace["functional_model"], "sequential": _namespace["sequential_model"],
          "subclassed": lambda: Classifier(), "plain arguments": lambda: PlainArguments(6)}


@pytest.fixture
def in_keras(run_keras):
    """in_keras(folder, code): runs `code` in real Keras 3 after defining the same classes there."""
    def run(folder, code: str) -> str:
        (folder / "classes.py").write_text("import keras\n" + CLASSES)
        return run_keras(folder, "from classes import *\n" + textwrap.dedent(code))
    return run


@pytest.fixture
def x():
    return np.random.default_rng(0).random((8, 4), dtype=np.float32)


def _trained(model, x):
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones((8, len(model.predict(x[:1], verbose=0)[0])), np.float32), epochs=2, batch_size=4,
              verbose=0)
    return model


def _dataset_paths(keras_file) -> set[str]:
    with zipfile.ZipFile(keras_file) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as f:
        found = set()
        f.visititems(lambda name, item: found.add(name) if isinstance(item, h5py.Dataset) else None)
    return found


def _max_difference(a, b) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


# ---------------------------------------------------------------- tinyfit -> Keras 3 -> tinyfit


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_trained_model_goes_to_keras_and_back_with_the_same_predictions(tmp_path, x, kind, in_keras):
    model = _trained(MODELS[kind](), x)
    model.save(tmp_path / "m.keras")
    want = model.predict(x, verbose=0)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "want.npy", want)
    out = in_keras(tmp_path, """
        m = keras.models.load_model("m.keras")
        print(float(np.abs(m.predict(np.load("x.npy"), verbose=0) - np.load("want.npy")).max()),
              int(m.optimizer.iterations), type(m).__name__)
        if type(m).__name__ != "PlainArguments":
            m.save("back.keras")
    """)
    difference, iterations, kind_in_keras = out.split()
    assert float(difference) < 1e-5
    assert int(iterations) == 4
    assert kind_in_keras == {"functional": "Functional", "sequential": "Sequential", "subclassed": "Classifier",
                             "plain arguments": "PlainArguments"}[kind]
    if kind == "plain arguments":
        return  # Keras 3 gives a subclassed Model no automatic config, so it cannot save this one back
    # The layout Keras writes back is the one tinyfit wrote, dataset for dataset.
    assert _dataset_paths(tmp_path / "back.keras") == _dataset_paths(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "back.keras")
    assert type(back) is type(model)
    assert _max_difference(back.predict(x, verbose=0), want) < 1e-5
    assert int(back.optimizer.iterations) == 4


def test_the_attribute_paths_are_those_keras_writes(tmp_path, x, in_keras):
    model = _trained(Classifier(), x)
    model.save(tmp_path / "m.keras")
    paths = _dataset_paths(tmp_path / "m.keras")
    # Public attributes sort before the model's `layers` list, which holds the rest (privates last).
    for group in ("dense1/vars/0", "blocks/dense/vars/0", "blocks/container/dense/vars/0",
                  "layers/dense_3/vars/0", "layers/dense_4/vars/1", "optimizer/vars/0"):
        assert group in paths
    assert not any(path.startswith(("out/", "_skip/")) for path in paths)


# ---------------------------------------------------------------- Keras 3 -> tinyfit


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_model_saved_by_keras_loads_in_tinyfit_with_the_same_predictions(tmp_path, x, kind, in_keras):
    np.save(tmp_path / "x.npy", x)
    make = {"functional": "functional_model()", "sequential": "sequential_model()", "subclassed": "Classifier()",
            "plain arguments": "PlainArguments(6)"}[kind]
    in_keras(tmp_path, f"""
        m = {make}
        x = np.load("x.npy")
        m(x)
        m.compile(optimizer="adam", loss="mse")
        m.optimizer.build(m.trainable_variables)
        if type(m).__name__ != "PlainArguments":  # Keras gives such a Model no config: weights only
            m.save("k.keras")
        m.save_weights("k.weights.h5")
        np.save("want.npy", m.predict(x, verbose=0))
    """)
    want = np.load(tmp_path / "want.npy")
    if kind != "plain arguments":
        model = keras.models.load_model(tmp_path / "k.keras")
        assert _max_difference(model.predict(x, verbose=0), want) < 1e-5
        assert model.optimizer.name == "adam"
    # The weights file alone, into a model built in code.
    fresh = MODELS[kind]()
    fresh(x)
    fresh.load_weights(tmp_path / "k.weights.h5")
    assert _max_difference(fresh.predict(x, verbose=0), want) < 1e-5


def test_a_keras_subclassed_model_needs_its_class_registered_or_given(tmp_path, x, run_keras):
    np.save(tmp_path / "x.npy", x)
    run_keras(tmp_path, """
        class Unshared(keras.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense = keras.layers.Dense(2)
            def call(self, x):
                return self.dense(x)
        m = Unshared()
        m(np.load("x.npy"))
        m.save("u.keras")
    """)
    with pytest.raises(ValueError, match=r"'Unshared'.*never imported.*custom_objects=\{'Unshared'"):
        keras.models.load_model(tmp_path / "u.keras")

    class Unshared(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = keras.models.load_model(tmp_path / "u.keras", custom_objects={"Unshared": Unshared})
    assert isinstance(model, Unshared) and model.dense.kernel.shape == (4, 2)


# ---------------------------------------------------------------- tinyfit's own file


@pytest.mark.parametrize("how", ["fit", "call", "build"])
def test_a_subclassed_model_built_by_calling_it_loads_from_a_tinyfit_file(tmp_path, x, how):
    model = Classifier()
    if how == "fit":
        _trained(model, x)
    elif how == "call":
        model(x)
    else:
        model.build((None, 4))
    model.save(tmp_path / "m.tinyfit")
    loaded = keras.models.load_model(tmp_path / "m.tinyfit")
    assert loaded.built and len(loaded.weights) == len(model.weights) == 10
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    if how == "fit":
        assert int(loaded.optimizer.iterations) == 4


def test_the_build_config_is_the_first_input_shape_as_keras_keeps_it(x):
    model = PlainArguments(3)
    assert model.get_build_config() is None
    model(x)
    model(x[:2])
    assert model.get_build_config() == {"input_shape": [8, 4]}
    other = PlainArguments(3)
    other.build_from_config(model.get_build_config())
    assert other.built and [w.shape for w in other.weights] == [w.shape for w in model.weights]


# ---------------------------------------------------------------- refusals


def test_an_unbuilt_subclassed_model_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"not been built.*Call it on one batch"):
        Classifier().save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def _rewrite_config(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    change(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("bad, message", [
    ({"input_shape": [8, "os.system"]}, "not an input shape"),
    ({"input_shape": [None, 2**20, 2**20]}, "numbers per sample"),
    ("(8, 4)", "not an object"),
])
@pytest.mark.parametrize("suffix", ["keras", "tinyfit"])
def test_a_hostile_build_config_is_refused_before_building(tmp_path, x, bad, message, suffix):
    model = Classifier()
    model(x)
    model.get_build_config = lambda: bad  # what a hand-made file could hold
    model.save(tmp_path / f"m.{suffix}")
    with pytest.raises(ValueError, match=f"Refusing to load .*{message}"):
        keras.models.load_model(tmp_path / f"m.{suffix}")


def test_a_keras_file_naming_a_layer_class_as_its_model_is_refused(tmp_path, x):
    model = Classifier()
    model(x)
    model.save(tmp_path / "m.keras")
    _rewrite_config(tmp_path / "m.keras", lambda config: config.update(registered_name="H2Guide>Block"))
    with pytest.raises(ValueError, match=r"not a subclass of keras.Model"):
        keras.models.load_model(tmp_path / "m.keras")


def test_a_build_config_that_does_not_build_the_model_says_so(tmp_path, x):
    model = Classifier()
    model(x)
    model.save(tmp_path / "m.keras")
    _rewrite_config(tmp_path / "m.keras", lambda config: config.update(build_config={"input_shape": [None, 5]}))
    with pytest.raises(ValueError, match=r"Refusing to load .*shape|Build the model"):
        keras.models.load_model(tmp_path / "m.keras")


def test_a_tinyfit_file_without_a_build_config_says_how_to_load_the_weights(tmp_path, x):
    model = Classifier()
    model(x)
    model.get_build_config = lambda: None  # as a file written before models kept their input shapes
    model.save(tmp_path / "m.tinyfit")
    with pytest.raises(ValueError, match=r"has none yet: a subclassed model creates its weights when first called"):
        keras.models.load_model(tmp_path / "m.tinyfit")
