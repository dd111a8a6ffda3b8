"""Keras 3's own files: tinyfit writes .keras and .weights.h5 that Keras 3 loads, and reads Keras 3's.

The reference is real Keras 3 (NumPy backend), run in a subprocess so that its import touches
nothing in this process; those tests skip where Keras is not installed (pip install -e ".[dev]").
"""

import io
import json
import os
import sys
import zipfile

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers

h5py = pytest.importorskip("h5py", reason="Keras 3's formats are HDF5; install tinyfit[h5]")




def _mlp(functional=True):
    if functional:
        inputs = keras.Input((4,), name="x")
        hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
        model = keras.Model(inputs, layers.Dense(3, name="out")(hidden), name="mlp")
    else:
        model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def _convnet():
    inputs = keras.Input((8, 8, 3))
    x = layers.Rescaling(0.5)(inputs)
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
    y = layers.Conv2D(4, 1)(x)
    x = layers.Add()([x, y])
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(5)(x)
    x = layers.LayerNormalization()(x)
    model = keras.Model(inputs, layers.Activation("softmax")(x))
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="categorical_crossentropy")
    return model


def _trained(model, x, y):
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((16, 4), dtype=np.float32), rng.random((16, 3), dtype=np.float32)


# ---------------------------------------------------------------- tinyfit -> Keras 3


@pytest.mark.parametrize("functional", [True, False], ids=["functional", "sequential"])
def test_a_trained_tinyfit_mlp_loads_in_keras_with_the_same_predictions_and_optimizer_state(tmp_path, data, functional, run_keras):
    x, y = data
    model = _trained(_mlp(functional), x, y)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "want.npy", model.predict(x, verbose=0))
    out = run_keras(tmp_path, """
        m = keras.models.load_model("m.keras")
        got = m.predict(np.load("x.npy"), verbose=0)
        print(float(np.abs(got - np.load("want.npy")).max()), int(m.optimizer.iterations), type(m).__name__)
        np.save("slot2.npy", np.asarray(m.optimizer.variables[2]))
        np.save("slot3.npy", np.asarray(m.optimizer.variables[3]))
    """)
    difference, iterations, kind = out.split()
    assert float(difference) < 1e-5
    assert int(iterations) == int(model.optimizer.iterations) == 4
    assert kind == ("Functional" if functional else "Sequential")
    # Keras keeps Adam's slots variable by variable: momentum, then velocity, of the first kernel.
    first_kernel = model.trainable_variables[0]
    np.testing.assert_array_equal(np.load(tmp_path / "slot2.npy"), model.optimizer._slot(first_kernel, "momentum"))
    np.testing.assert_array_equal(np.load(tmp_path / "slot3.npy"), model.optimizer._slot(first_kernel, "velocity"))


def test_a_tinyfit_convnet_loads_in_keras_with_the_same_predictions(tmp_path, run_keras):
    rng = np.random.default_rng(1)
    x = rng.random((16, 8, 8, 3), dtype=np.float32)
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 16)]
    model = _trained(_convnet(), x, y)
    model.save(tmp_path / "c.keras")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "want.npy", model.predict(x, verbose=0))
    out = run_keras(tmp_path, """
        m = keras.models.load_model("c.keras")
        print(float(np.abs(m.predict(np.load("x.npy"), verbose=0) - np.load("want.npy")).max()))
    """)
    assert float(out) < 1e-5


def test_tinyfit_weights_h5_loads_into_the_same_keras_model(tmp_path, data, run_keras):
    x, y = data
    model = _trained(_mlp(), x, y)
    model.save_weights(tmp_path / "m.weights.h5")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "want.npy", model.predict(x, verbose=0))
    out = run_keras(tmp_path, """
        inputs = keras.Input((4,))
        hidden = keras.layers.Dense(8, activation="relu")(inputs)
        m = keras.Model(inputs, keras.layers.Dense(3)(hidden))
        m.load_weights("m.weights.h5")
        print(float(np.abs(m.predict(np.load("x.npy"), verbose=0) - np.load("want.npy")).max()))
    """)
    assert float(out) < 1e-5


# ---------------------------------------------------------------- Keras 3 -> tinyfit


def test_the_guides_mlp_saved_by_keras_loads_in_tinyfit_compiled_with_the_same_predictions(tmp_path, run_keras):
    run_keras(tmp_path, """
        inputs = keras.Input(shape=(784,), name="digits")
        x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
        x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
        outputs = keras.layers.Dense(10, activation="softmax", name="predictions")(x)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.SparseCategoricalCrossentropy(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()])
        x = np.random.default_rng(0).random((32, 784)).astype("float32")
        np.save("x.npy", x)
        np.save("want.npy", model.predict(x, verbose=0))
        model.save("guide.keras")
        model.save_weights("guide.weights.h5")
    """)
    x = np.load(tmp_path / "x.npy")
    model = keras.models.load_model(tmp_path / "guide.keras")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.load(tmp_path / "want.npy"), atol=1e-5)
    assert type(model.optimizer).__name__ == "RMSprop" and model.compiled
    assert [layer.name for layer in model.layers] == ["digits", "dense_1", "dense_2", "predictions"]
    model.fit(x, np.zeros(32, dtype="int64"), epochs=1, verbose=0)  # it trains on

    inputs = keras.Input((784,))
    hidden = layers.Dense(64, activation="relu")(layers.Dense(64, activation="relu")(inputs))
    same = keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
    same.load_weights(tmp_path / "guide.weights.h5")
    np.testing.assert_allclose(same.predict(x, verbose=0), np.load(tmp_path / "want.npy"), atol=1e-5)


def test_a_keras_sequential_convnet_loads_in_tinyfit_with_the_same_predictions(tmp_path, run_keras):
    run_keras(tmp_path, """
        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(4, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.BatchNormalization(),
            keras.layers.Conv2D(6, kernel_size=(3, 3), activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ])
        rng = np.random.default_rng(0)
        for v in model.weights:  # moving statistics that are not 0 and 1
            v.assign(rng.random(v.shape).astype("float32") + 0.5)
        x = rng.random((8, 28, 28, 1)).astype("float32")
        np.save("x.npy", x)
        np.save("want.npy", model.predict(x, verbose=0))
        model.save("convnet.keras")
    """)
    model = keras.models.load_model(tmp_path / "convnet.keras")
    np.testing.assert_allclose(model.predict(np.load(tmp_path / "x.npy"), verbose=0),
                               np.load(tmp_path / "want.npy"), atol=1e-5)


# ---------------------------------------------------------------- tinyfit -> tinyfit


def test_tinyfit_reads_its_own_keras_file_and_training_continues_exactly(tmp_path, data):
    x, y = data
    model = _trained(_mlp(), x, y)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    for mine, theirs in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for mine, theirs in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(mine, theirs, atol=1e-6)


def test_the_keras_file_holds_keras_members_and_layout(tmp_path, data):
    model = _mlp()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.h5")
    assert config["class_name"] == "Functional" and config["module"].startswith("keras")
    dense = config["config"]["layers"][1]
    assert dense["module"] == "keras.layers" and dense["registered_name"] is None
    assert dense["config"]["dtype"]["class_name"] == "DTypePolicy"
    assert dense["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == ["x", 0, 0]
    with h5py.File(io.BytesIO(weights), "r") as f:
        assert f["layers/dense/vars"].attrs["name"] == "hidden"
        assert f["layers/dense_1/vars/0"].shape == (8, 3)
        assert f["optimizer/vars"].attrs["name"] == "adam"


def test_the_weights_h5_round_trips_in_tinyfit(tmp_path, data):
    model = _mlp(functional=False)
    model.save_weights(tmp_path / "w.weights.h5")
    other = _mlp(functional=False)
    other.load_weights(tmp_path / "w.weights.h5")
    for mine, theirs in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_other_suffixes_keep_tinyfits_archive(tmp_path):
    _mlp().save(tmp_path / "m.tinyfit")
    with zipfile.ZipFile(tmp_path / "m.tinyfit") as archive:
        assert "manifest.json" in archive.namelist()
    assert keras.models.load_model(tmp_path / "m.tinyfit").compiled


# ---------------------------------------------------------------- refusals


def test_saving_a_whole_model_as_h5_names_the_right_calls(tmp_path):
    with pytest.raises(ValueError, match=r"model\.h5.*model\.save\('model\.keras'\).*"
                                         r"model\.save_weights\('model\.weights\.h5'\)"):
        _mlp().save(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"must end in '\.weights\.h5'"):
        _mlp().save_weights(tmp_path / "w.h5")
    assert os.listdir(tmp_path) == []


def test_load_model_of_a_keras_2_h5_file_says_how_to_convert(tmp_path):
    with h5py.File(tmp_path / "old.h5", "w") as f:
        f.attrs["model_config"] = "{}"
    with pytest.raises(ValueError, match=r"Keras 2's legacy format.*model\.save\('model\.keras'\)"):
        keras.models.load_model(tmp_path / "old.h5")


def _rewrite(path, target, config=None, weights=None, extra=None):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if config is not None:
        members["config.json"] = json.dumps(config).encode()
    if weights is not None:
        members["model.weights.h5"] = weights
    members.update(extra or {})
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def _config(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def _edited_weights(path, edit):
    with zipfile.ZipFile(path) as archive:
        buffer = io.BytesIO(archive.read("model.weights.h5"))
    with h5py.File(buffer, "a") as f:
        edit(f)
    return buffer.getvalue()


def test_a_lambda_layers_bytecode_is_refused_not_run(tmp_path, run_keras):
    run_keras(tmp_path, """
        inputs = keras.Input((3,))
        outputs = keras.layers.Lambda(lambda t: t * 2)(inputs)
        keras.Model(inputs, outputs).save("lambda.keras", )
    """)
    with pytest.raises(ValueError, match=r"lambda\.keras.*Python lambda as bytecode, which tinyfit never runs.*def"):
        keras.models.load_model(tmp_path / "lambda.keras")


def test_an_unregistered_class_from_another_module_is_refused_and_never_imported(tmp_path):
    _mlp().save(tmp_path / "m.keras")
    config = _config(tmp_path / "m.keras")
    config["config"]["layers"][1].update(module="os", class_name="system", registered_name=None)
    _rewrite(tmp_path / "m.keras", tmp_path / "evil.keras", config=config)
    with pytest.raises(ValueError, match=r"evil\.keras.*'system' \(module 'os'\).*never imported.*"
                                         r"register_keras_serializable"):
        keras.models.load_model(tmp_path / "evil.keras")


def test_a_key_tinyfit_cannot_represent_is_refused_with_the_layer_and_key(tmp_path):
    _mlp().save(tmp_path / "m.keras")
    config = _config(tmp_path / "m.keras")
    config["config"]["layers"][1]["config"]["lora_rank"] = 4
    _rewrite(tmp_path / "m.keras", tmp_path / "lora.keras", config=config)
    with pytest.raises(ValueError, match=r"layer 'hidden'.*lora_rank=4"):
        keras.models.load_model(tmp_path / "lora.keras")


def test_an_extra_zip_member_is_refused(tmp_path):
    _mlp().save(tmp_path / "m.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "extra.keras", extra={"assets/../../x.py": b"print(1)"})
    with pytest.raises(ValueError, match=r"extra\.keras.*member 'assets/\.\./\.\./x\.py' is not one tinyfit reads"):
        keras.models.load_model(tmp_path / "extra.keras")


@pytest.mark.parametrize("edit, message", [
    (lambda f: (f["layers/dense/vars"].__delitem__("0"), f["layers/dense/vars"].create_dataset("0", data=np.zeros((5, 8), "f4"))),
     r"dataset '/layers/dense/vars/0' has shape \(5, 8\) but layer 'hidden' expects \(4, 8\)"),
    (lambda f: (f["layers/dense/vars"].__delitem__("1"), f["layers/dense/vars"].create_dataset("1", data=["a"] * 8)),
     r"dataset '/layers/dense/vars/1' \(layer 'hidden'\) has dtype object"),
    (lambda f: (f["layers/dense/vars"].__delitem__("0"), f["layers/dense/vars"].__setitem__("0", h5py.ExternalLink("/etc/passwd", "/x"))),
     r"'/layers/dense/vars/0' is a ExternalLink"),
], ids=["wrong shape", "string dtype", "external link"])
def test_hostile_hdf5_weights_are_refused(tmp_path, edit, message):
    _mlp().save(tmp_path / "m.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "bad.keras", weights=_edited_weights(tmp_path / "m.keras", edit))
    with pytest.raises(ValueError, match=r"bad\.keras.*" + message):
        keras.models.load_model(tmp_path / "bad.keras")


def test_a_truncated_file_is_refused(tmp_path):
    _mlp().save(tmp_path / "m.keras")
    content = (tmp_path / "m.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(content[: len(content) // 2])
    with pytest.raises(ValueError, match=r"cut\.keras"):
        keras.models.load_model(tmp_path / "cut.keras")
    _mlp().save_weights(tmp_path / "w.weights.h5")
    content = (tmp_path / "w.weights.h5").read_bytes()
    (tmp_path / "cut.weights.h5").write_bytes(content[: len(content) // 2])
    with pytest.raises(ValueError, match=r"cut\.weights\.h5.*(truncated|damaged)"):
        _mlp().load_weights(tmp_path / "cut.weights.h5")


def test_an_unbuilt_subclassed_model_says_to_call_it_first(tmp_path):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match=r"subclassed model that has not been built.*Call it on one batch"):
        Net().save(tmp_path / "net.keras")


def test_without_h5py_the_error_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r'pip install "tinyfit\[h5\]".*model\.tinyfit'):
        _mlp().save(tmp_path / "m.keras")


# ---------------------------------------------------------------- graphs whose layer order differs


def _branching_model(optimizer="nadam"):
    """Two inputs (one a dict entry of ints), a nested Sequential, two outputs: Keras orders its layers
    by depth, not in the order they were called, and its weights file depends on that order."""
    inner = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="tanh"), layers.Dense(4)], name="inner")
    a, b = keras.Input((6,), name="a"), keras.Input((3,), dtype="int32", name="b")
    short = layers.Dense(7, name="short")(a)
    joined = layers.Concatenate()([inner(a), layers.Flatten()(layers.Embedding(10, 2)(b)), short])
    first = layers.Dense(2, name="first")(joined)
    second = layers.Dense(1, name="second")(layers.Subtract()([first, layers.Dense(2, name="side")(short)]))
    model = keras.Model({"a": a, "b": b}, [first, second])
    model.compile(optimizer=optimizer, loss=["mse", "mse"])
    return model


# Each optimizer's slot that differs most from variable to variable, looked up by its Keras name.
@pytest.mark.parametrize("optimizer, slot", [("nadam", "velocity"), ("adadelta", "accumulated_delta_var"),
                                             ("ftrl", "linear"), ("lion", "momentum")])
def test_a_branching_model_round_trips_tinyfit_keras_tinyfit_with_its_optimizer(tmp_path, optimizer, slot, run_keras):
    rng = np.random.default_rng(2)
    x = {"a": rng.random((8, 6), dtype=np.float32), "b": rng.integers(0, 10, (8, 3)).astype("int32")}
    model = _branching_model(optimizer)
    model.fit(x, [rng.random((8, 2)), rng.random((8, 1))], epochs=2, batch_size=4, verbose=0)
    model.save(tmp_path / "b.keras")
    np.savez(tmp_path / "x.npz", **x)
    want = model.predict(x, verbose=0)
    np.savez(tmp_path / "want.npz", *want)
    out = run_keras(tmp_path, """
        x, want = dict(np.load("x.npz")), np.load("want.npz")
        m = keras.models.load_model("b.keras")
        got = m.predict(x, verbose=0)
        print(max(float(np.abs(g - want[f"arr_{i}"]).max()) for i, g in enumerate(got)), int(m.optimizer.iterations))
        np.savez("slots.npz", **{v.path: np.asarray(v) for v in m.optimizer.variables})
        m.save("back.keras")
    """)
    difference, iterations = out.split()
    assert float(difference) < 1e-5 and int(iterations) == 4
    slots = np.load(tmp_path / "slots.npz")
    for layer_name in ("short", "side", "first", "second"):
        kernel = model.get_layer(layer_name).kernel
        keras_slot = next(name for name in slots.files if name.endswith(f"{layer_name}_kernel_{slot}"))
        np.testing.assert_allclose(slots[keras_slot], model.optimizer._slot(kernel, slot), atol=1e-7)
    back = keras.models.load_model(tmp_path / "back.keras")
    for mine, theirs in zip(want, back.predict(x, verbose=0)):
        np.testing.assert_allclose(theirs, mine, atol=1e-5)
    for mine, theirs in zip(model.optimizer.variables, back.optimizer.variables):
        np.testing.assert_allclose(theirs.numpy(), mine.numpy(), atol=1e-7)


def _called_out_of_depth_order():
    """Three same-shaped Dense layers: 'late' is called first, but Keras lists 'deep1' (deeper) before it."""
    x = keras.Input((3,), name="x")
    late = layers.Dense(3, name="late")(x)
    deep = layers.Dense(3, name="deep2")(layers.Dense(3, name="deep1")(x))
    model = keras.Model(x, layers.Add()([late, deep]))
    model.compile(optimizer="adam", loss="mse")
    return model


def test_same_shaped_layers_called_out_of_keras_order_keep_their_own_weights(tmp_path, run_keras):
    rng = np.random.default_rng(3)
    x = rng.random((8, 3), dtype=np.float32)
    model = _called_out_of_depth_order()
    model.fit(x, rng.random((8, 3)), epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "o.keras")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "want.npy", model.predict(x, verbose=0))
    out = run_keras(tmp_path, """
        m = keras.models.load_model("o.keras")
        print(float(np.abs(m.predict(np.load("x.npy"), verbose=0) - np.load("want.npy")).max()))
        print(float(np.abs(np.asarray(m.get_layer("late").kernel)).sum()))
        m.save("back.keras")
    """)
    difference, late_sum = out.split()
    assert float(difference) < 1e-5
    assert float(late_sum) == pytest.approx(float(np.abs(model.get_layer("late").kernel.numpy()).sum()), rel=1e-6)
    back = keras.models.load_model(tmp_path / "back.keras")
    for name in ("late", "deep1", "deep2"):
        np.testing.assert_array_equal(back.get_layer(name).kernel.numpy(), model.get_layer(name).kernel.numpy())


# ---------------------------------------------------------------- layer by layer, both ways

# (case, input shape, the layer as the same source line in tinyfit and in Keras: `L` is either's layers)
LAYER_CASES = [
    ("conv1d", (10, 3), "L.Conv1D(4, 3, strides=2, padding='same', activation='relu')"),
    ("conv3d", (6, 6, 6, 2), "L.Conv3D(3, 2)"),
    ("conv1d_transpose", (5, 3), "L.Conv1DTranspose(4, 3, strides=2, padding='same')"),
    ("conv2d_transpose", (5, 5, 3), "L.Conv2DTranspose(4, 3, strides=2, output_padding=1)"),
    ("conv3d_transpose", (3, 3, 3, 2), "L.Conv3DTranspose(2, 2, strides=2)"),
    ("average_pooling1d", (8, 3), "L.AveragePooling1D(2)"),
    ("average_pooling2d", (6, 6, 2), "L.AveragePooling2D(3, strides=1, padding='same')"),
    ("max_pooling3d", (4, 4, 4, 2), "L.MaxPooling3D(2)"),
    ("global_average_pooling1d", (6, 3), "L.GlobalAveragePooling1D()"),
    ("global_max_pooling2d", (4, 4, 3), "L.GlobalMaxPooling2D(keepdims=True)"),
    ("global_average_pooling3d", (3, 3, 3, 2), "L.GlobalAveragePooling3D()"),
    ("reshape", (12,), "L.Reshape((3, 4))"),
    ("flatten", (2, 3), "L.Flatten()"),
    ("identity", (4,), "L.Identity()"),
    ("activity_regularization", (4,), "L.ActivityRegularization(l1=0.01)"),
    ("relu", (4,), "L.ReLU(max_value=0.5, negative_slope=0.1, threshold=0.05)"),
    ("leaky_relu", (4,), "L.LeakyReLU(negative_slope=0.2)"),
    ("prelu", (4, 3), "L.PReLU(shared_axes=[1])"),
    ("elu", (4,), "L.ELU(alpha=0.7)"),
    ("softmax", (5,), "L.Softmax(axis=-1)"),
    ("activation", (3,), "L.Activation('swish')"),
    ("up_sampling1d", (4, 2), "L.UpSampling1D(2)"),
    ("up_sampling2d", (3, 3, 2), "L.UpSampling2D(2, interpolation='bilinear')"),
    ("zero_padding1d", (4, 2), "L.ZeroPadding1D((1, 2))"),
    ("zero_padding2d", (3, 3, 2), "L.ZeroPadding2D(((1, 0), (2, 1)))"),
    ("cropping1d", (6, 2), "L.Cropping1D((1, 2))"),
    ("cropping2d", (6, 6, 2), "L.Cropping2D(((1, 0), (2, 1)))"),
    ("spatial_dropout1d", (4, 3), "L.SpatialDropout1D(0.3)"),
    ("spatial_dropout2d", (4, 4, 3), "L.SpatialDropout2D(0.3)"),
    ("gaussian_noise", (4,), "L.GaussianNoise(0.1)"),
    ("gaussian_dropout", (4,), "L.GaussianDropout(0.1)"),
    ("random_flip", (6, 6, 3), "L.RandomFlip('horizontal', seed=1)"),
    ("random_rotation", (6, 6, 3), "L.RandomRotation(0.1, seed=1)"),
    ("random_translation", (6, 6, 3), "L.RandomTranslation(0.1, 0.1, seed=1)"),
    ("random_zoom", (6, 6, 3), "L.RandomZoom(0.1, seed=1)"),
    ("random_contrast", (6, 6, 3), "L.RandomContrast(0.2, seed=1)"),
    ("batch_normalization", (4, 3), "L.BatchNormalization(axis=1, center=False)"),
    ("layer_normalization", (4, 3), "L.LayerNormalization(axis=[1, 2], scale=False)"),
    ("dense", (4, 3), "L.Dense(2, use_bias=False, activation='gelu')"),
    ("embedding", (5,), "L.Embedding(10, 3)"),
    ("rescaling", (3,), "L.Rescaling(2.0, offset=-1.0)"),
]

_BUILD_EACH = """
import json
rng = np.random.default_rng(0)
for name, shape, source in json.load(open("cases.json")):
    dtype = "int32" if name == "embedding" else "float32"
    inputs = keras.Input(tuple(shape), dtype=dtype)
    model = keras.Model(inputs, eval(source)(inputs))
    for v in model.weights:  # weights (and moving statistics) away from their initial values
        v.assign(rng.random(v.shape).astype("float32") + 0.5)
    x = rng.integers(0, 10, (2, *shape)).astype(dtype) if dtype == "int32" else rng.random((2, *shape)).astype("float32")
    np.save(name + ".x.npy", x)
    np.save(name + ".y.npy", np.asarray(model.predict(x, verbose=0)))
    model.save(name + ".keras")
"""


def test_each_layer_tinyfit_shares_with_keras_is_saved_by_one_and_predicts_the_same_in_the_other(tmp_path, run_keras):
    L = layers  # noqa: F841 (the case sources name it)
    ours, theirs = tmp_path / "tinyfit", tmp_path / "keras"
    ours.mkdir(), theirs.mkdir()
    for folder in (ours, theirs):
        (folder / "cases.json").write_text(json.dumps(LAYER_CASES))
    rng = np.random.default_rng(0)
    for name, shape, source in LAYER_CASES:
        dtype = "int32" if name == "embedding" else "float32"
        inputs = keras.Input(shape, dtype=dtype)
        model = keras.Model(inputs, eval(source)(inputs))
        for v in model.weights:
            v.assign(rng.random(v.shape).astype("float32") + 0.5)
        x = rng.integers(0, 10, (2, *shape)).astype(dtype) if dtype == "int32" else rng.random((2, *shape), dtype=np.float32)
        np.save(ours / f"{name}.x.npy", x)
        np.save(ours / f"{name}.y.npy", model.predict(x, verbose=0))
        model.save(ours / f"{name}.keras")
    out = run_keras(ours, """
        import json
        for name, shape, source in json.load(open("cases.json")):
            model = keras.models.load_model(name + ".keras")
            got = np.asarray(model.predict(np.load(name + ".x.npy"), verbose=0))
            print(name, float(np.abs(got - np.load(name + ".y.npy")).max()))
    """)
    far = {name: float(d) for name, d in (line.split() for line in out.splitlines()) if float(d) > 1e-5}
    assert len(out.splitlines()) == len(LAYER_CASES) and not far, far

    run_keras(theirs, "L = keras.layers\n" + _BUILD_EACH)
    far = {}
    for name, _, _ in LAYER_CASES:
        model = keras.models.load_model(theirs / f"{name}.keras")
        difference = np.abs(model.predict(np.load(theirs / f"{name}.x.npy"), verbose=0)
                            - np.load(theirs / f"{name}.y.npy")).max()
        if difference > 1e-5:
            far[name] = difference
    assert not far, far


def test_model_checkpoint_with_a_keras_path_writes_keras_3s_format(tmp_path, data):
    x, y = data
    model = _mlp()
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint(tmp_path / "ck_{epoch}.keras"),
                         keras.callbacks.ModelCheckpoint(tmp_path / "ck_{epoch}.weights.h5", save_weights_only=True)])
    with zipfile.ZipFile(tmp_path / "ck_1.keras") as archive:
        assert "model.weights.h5" in archive.namelist() and "manifest.json" not in archive.namelist()
    assert (tmp_path / "ck_1.weights.h5").read_bytes().startswith(b"\x89HDF\r\n\x1a\n")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "ck_1.keras").predict(x, verbose=0),
                               model.predict(x, verbose=0), atol=1e-6)


def test_what_tinyfit_cannot_represent_is_refused_naming_the_file(tmp_path, run_keras):
    run_keras(tmp_path, """
        inputs = keras.Input((5,), dtype="int32")
        keras.Model(inputs, keras.layers.Embedding(10, 3, embeddings_constraint="non_neg")(inputs)).save("kept.keras")
    """)
    with pytest.raises(ValueError, match=r"Refusing to load '.*kept\.keras'.*embeddings_constraint=.*no weight constraints"):
        keras.models.load_model(tmp_path / "kept.keras")


def test_a_keras_embedding_with_mask_zero_loads_and_masks_its_padding(tmp_path, run_keras):
    run_keras(tmp_path, """
        inputs = keras.Input((5,), dtype="int32")
        keras.Model(inputs, keras.layers.Embedding(10, 3, mask_zero=True)(inputs)).save("masked.keras")
    """)
    model = keras.models.load_model(tmp_path / "masked.keras")
    out = model(np.array([[3, 1, 0, 0, 0], [0, 2, 2, 0, 9]]))
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[1, 1, 0, 0, 0], [0, 1, 1, 0, 1]])


OPTIMIZERS = {
    "sgd_momentum": lambda: keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
    "rmsprop_centered": lambda: keras.optimizers.RMSprop(momentum=0.5, centered=True),
    "adagrad": lambda: keras.optimizers.Adagrad(),
    "adamax": lambda: keras.optimizers.Adamax(),
    "adamw": lambda: keras.optimizers.AdamW(weight_decay=0.01),
    "amsgrad": lambda: keras.optimizers.Adam(amsgrad=True, clipnorm=1.0),
    "schedule": lambda: keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)),
    "adadelta": lambda: keras.optimizers.Adadelta(1.0),
    "ftrl": lambda: keras.optimizers.Ftrl(0.1, l1_regularization_strength=0.01),
    "lion": lambda: keras.optimizers.Lion(1e-3),
}


def test_each_optimizers_state_goes_through_keras_and_comes_back_exactly(tmp_path, data, run_keras):
    x, y = data
    models = {}
    for name, make in OPTIMIZERS.items():
        model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(3)])
        model.compile(optimizer=make(), loss=keras.losses.Huber(delta=0.5), metrics=[keras.metrics.MeanAbsoluteError()])
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        model.save(tmp_path / f"{name}.keras")
        models[name] = model
    (tmp_path / "names.json").write_text(json.dumps(list(OPTIMIZERS)))
    out = run_keras(tmp_path, """
        import json
        for name in json.load(open("names.json")):
            m = keras.models.load_model(name + ".keras")
            print(name, type(m.optimizer).__name__, int(m.optimizer.iterations))
            m.save(name + ".back.keras")
    """)
    assert [line.split()[2] for line in out.splitlines()] == ["4"] * len(OPTIMIZERS)
    for name, model in models.items():
        back = keras.models.load_model(tmp_path / f"{name}.back.keras")
        assert type(back.optimizer) is type(model.optimizer)
        assert back.optimizer.get_config() == model.optimizer.get_config()
        for mine, theirs in zip(model.optimizer.variables, back.optimizer.variables):
            np.testing.assert_allclose(theirs.numpy(), mine.numpy(), atol=1e-7, err_msg=f"{name}: {mine.path}")


@keras.saving.register_keras_serializable(package="KerasFormatTest")
class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Unregistered(Scale):
    pass


def test_a_registered_layer_of_ones_own_is_saved_with_its_registered_name_and_loads_back(tmp_path, data):
    x, _ = data
    inputs = keras.Input((4,))
    model = keras.Model(inputs, Scale(3.0, name="scale")(inputs))
    model.get_layer("scale").w.assign(np.arange(4, dtype="float32"))
    model.save(tmp_path / "own.keras")
    entry = _config(tmp_path / "own.keras")["config"]["layers"][1]
    assert (entry["class_name"], entry["registered_name"]) == ("Scale", "KerasFormatTest>Scale")
    loaded = keras.models.load_model(tmp_path / "own.keras")
    assert isinstance(loaded.get_layer("scale"), Scale) and loaded.get_layer("scale").factor == 3.0
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_an_unregistered_layer_of_ones_own_needs_custom_objects(tmp_path):
    inputs = keras.Input((4,))
    keras.Model(inputs, Unregistered(name="mine")(inputs)).save(tmp_path / "mine.keras")
    with pytest.raises(ValueError, match=r"mine\.keras.*'Unregistered'.*custom_objects="):
        keras.models.load_model(tmp_path / "mine.keras")
    loaded = keras.models.load_model(tmp_path / "mine.keras", custom_objects={"Unregistered": Unregistered})
    assert isinstance(loaded.get_layer("mine"), Unregistered)
