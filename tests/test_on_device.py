"""Every device code path, run on the GPU backend: real CuPy where a GPU is usable, elsewhere the strict
stand-in of tests/strict_cupy.py (CuPy's rules on NumPy: no implicit conversion, no host arrays mixed
in, reductions stay on the device, copies counted).

Each model is trained on the device and on the host from the same weights and data, eager and compiled,
and must give the same history and weights; saving, restoring and the callbacks run from the device.
A leak to NumPy fails with the line that leaked.
"""

import json
import traceback

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import backend, layers

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not backend.gpu_available(),
                                                  reason=backend.gpu_unavailable_reason() or "GPU present")]


@pytest.fixture
def on_device():
    """New tensors on the GPU backend for the test's length."""
    backend.set_backend("cupy")
    try:
        yield
    finally:
        backend.set_backend("numpy")


def rng():
    return np.random.default_rng(7)


def mlp():
    inputs = keras.Input((12,))
    h = layers.Dense(16, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(layers.Dropout(0.0)(h)))


def convnet():
    return keras.Sequential([keras.Input((10, 10, 1)), layers.Conv2D(4, 3, activation="relu"),
                             layers.MaxPooling2D(2), layers.BatchNormalization(), layers.Flatten(),
                             layers.Dense(3, activation="softmax")])


def recurrent():
    inputs = keras.Input((7,), dtype="int32")
    h = layers.Embedding(9, 6, mask_zero=True)(inputs)
    h = layers.Bidirectional(layers.LSTM(5, return_sequences=True))(h)
    h = layers.GRU(4)(h)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(h))


def attention():
    inputs = keras.Input((6,), dtype="int32")
    h = layers.Embedding(9, 8)(inputs)
    h = layers.LayerNormalization()(h + layers.MultiHeadAttention(2, 4)(h, h, use_causal_mask=True))
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(h)))


def data_for(name):
    r = rng()
    y = r.integers(0, 3, size=48)
    if name == "mlp":
        return r.normal(size=(48, 12)).astype("float32"), y
    if name == "convnet":
        return r.normal(size=(48, 10, 10, 1)).astype("float32"), y
    ids = r.integers(1, 9, size=(48, 7 if name == "recurrent" else 6))
    ids[::3, -2:] = 0  # padding, masked in the recurrent model
    return ids, y


MODELS = {"mlp": mlp, "convnet": convnet, "recurrent": recurrent, "attention": attention}


def train(name, device, jit, weights=None, optimizer="adam", epochs=2):
    keras.utils.set_random_seed(1)
    if device:
        backend.set_backend("cupy")
    try:
        model = MODELS[name]()
        if weights is not None:
            model.set_weights(weights)
        start = model.get_weights()
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      jit_compile=jit)
        x, y = data_for(name)
        history = model.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0).history
        if device:
            assert backend.device_of(model.weights[0].data) == "gpu"
        return start, history, model.get_weights(), model
    finally:
        backend.set_backend("numpy")


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("name", list(MODELS))
def test_a_model_trains_on_the_device_as_on_the_host(name, jit):
    start, host_history, host_weights, _ = train(name, device=False, jit=jit)
    _, history, weights, model = train(name, device=True, jit=jit, weights=start)
    for key in host_history:
        np.testing.assert_allclose(history[key], host_history[key], rtol=1e-4, atol=1e-6, err_msg=key)
    for got, want in zip(weights, host_weights):
        assert isinstance(got, np.ndarray)  # get_weights hands back host arrays
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert all(isinstance(v, float) for values in history.values() for v in values)


OPTIMIZERS = ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adamax", "nadam", "adadelta", "ftrl", "lion"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_steps_on_the_device_as_on_the_host(optimizer):
    def make():
        return keras.optimizers.get({"class_name": optimizer, "config": {"global_clipnorm": 1.0}})

    start, host_history, host_weights, _ = train("mlp", False, True, optimizer=make(), epochs=1)
    _, history, weights, _ = train("mlp", True, True, weights=start, optimizer=make(), epochs=1)
    np.testing.assert_allclose(history["loss"], host_history["loss"], rtol=1e-4)
    for got, want in zip(weights, host_weights):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_metrics_evaluate_predict_and_the_callbacks_run_from_the_device(on_device, tmp_path, capsys):
    keras.utils.set_random_seed(2)
    x, y = data_for("mlp")
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2),
                           keras.metrics.SparseCategoricalCrossentropy()])
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
                 keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=1),
                 keras.callbacks.ModelCheckpoint(tmp_path / "best.keras", save_best_only=True),
                 keras.callbacks.CSVLogger(tmp_path / "log.csv"), keras.callbacks.TerminateOnNaN(),
                 keras.callbacks.TensorBoard(tmp_path / "logs")]
    history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=1, callbacks=callbacks)
    printed = capsys.readouterr().out
    assert "val_loss" in printed and "Tensor" not in printed
    assert json.dumps(history.history)  # plain floats, from the device
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert all(isinstance(v, float) for v in results.values())
    predictions = model.predict(x, verbose=0)
    assert isinstance(predictions, np.ndarray) and predictions.shape == (48, 3)
    assert (tmp_path / "log.csv").read_text().count("\n") == 4
    loaded = keras.models.load_model(tmp_path / "best.keras")
    assert backend.device_of(loaded.weights[0].data) == "gpu"


@pytest.mark.parametrize("suffix", [".keras", ".tinyfit", ".weights.h5"])
def test_a_model_saved_from_the_device_loads_and_predicts_the_same(on_device, tmp_path, suffix):
    keras.utils.set_random_seed(3)
    x, y = data_for("recurrent")
    model = recurrent()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / f"model{suffix}"
    if suffix == ".weights.h5":
        model.save_weights(path)
        again = recurrent()
        again.load_weights(path)
    else:
        model.save(path)
        again = keras.models.load_model(path)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, rtol=1e-6)
    backend.set_backend("numpy")  # and on the host, from the same file
    host = keras.models.load_model(path) if suffix != ".weights.h5" else None
    if host is not None:
        assert backend.device_of(host.weights[0].data) == "cpu"
        np.testing.assert_allclose(host.predict(x, verbose=0), expected, rtol=1e-5)


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_backup_and_restore_resumes_a_device_run_exactly(on_device, tmp_path):
    x, y = data_for("mlp")

    def run(callbacks):
        keras.utils.set_random_seed(4)
        model = mlp()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=callbacks)
        return model

    whole = run([])
    backup = keras.callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        run([backup, _Interrupt()])
    resumed = run([keras.callbacks.BackupAndRestore(tmp_path / "backup")])
    for got, want in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ the stand-in's own checks
def _steps_transfers(strict_cupy, steps, verbose):
    x, y = data_for("mlp")
    x, y = np.concatenate([x] * 4), np.concatenate([y] * 4)
    keras.utils.set_random_seed(5)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:32], y[:32], batch_size=16, epochs=1, verbose=0)  # compiled and thread plan settled
    with strict_cupy.counting() as seen:
        model.fit(x[:16 * steps], y[:16 * steps], batch_size=16, epochs=1, verbose=verbose)
    return seen.to_device, seen.to_host, list(seen.where)


@pytest.mark.parametrize("verbose", [0, 2])
def test_a_training_step_copies_its_batch_in_and_reads_nothing_back(strict_cupy, on_device, verbose):
    # The batch goes in (x and y: two copies); the loss and the metrics come back once per logged
    # line (the epoch's end here), never per step: a GPU step does not wait for the device.
    few = _steps_transfers(strict_cupy, 2, verbose)
    many = _steps_transfers(strict_cupy, 10, verbose)
    assert many[0] - few[0] == 2 * 8, many[2]
    assert many[1] == few[1], many[2]


def test_a_planted_numpy_call_on_a_device_array_fails_on_its_line(strict_cupy, on_device, monkeypatch):
    from tinyfit.autograd.ops import elementwise

    original = elementwise.Exp.forward

    def leaky_forward(self, x):
        np.asarray(x)  # the planted leak: fine on the CPU, an error on a GPU
        return original(self, x)

    monkeypatch.setattr(elementwise.Exp, "forward", leaky_forward)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed") as raised:
        keras.ops.exp(keras.Tensor(np.ones(3, "float32")))
    last = traceback.extract_tb(raised.value.__traceback__)
    assert any(frame.name == "leaky_forward" and "np.asarray(x)" in frame.line for frame in last)
    backend.set_backend("numpy")
    keras.ops.exp(keras.Tensor(np.ones(3, "float32")))  # the same leak passes unseen on the CPU


def test_host_arrays_cannot_be_mixed_into_device_operations(strict_cupy, on_device):
    t = keras.Tensor(np.ones(3, "float32"))
    with pytest.raises(TypeError, match="Unsupported type"):
        t.data + np.ones(3, "float32")
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.float32(t.data.sum())
    assert float(t.data.sum()) == 3.0


def test_bad_labels_on_the_device_are_reported_when_the_step_is_read(on_device):
    keras.utils.set_random_seed(6)
    x, y = data_for("mlp")
    y = y.copy()
    y[20] = 7  # only 3 classes
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"label 7 is outside \[0, 3\)"):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    ids, y = data_for("attention")
    ids[5, 2] = 12  # the Embedding has 9 rows
    model = attention()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"id 12 is out of range"):
        model.fit(ids, y, batch_size=16, epochs=1, verbose=0)


def test_dropout_draws_on_the_host_so_a_seed_gives_the_same_run_on_either_device(strict_cupy):
    # tinyfit's generator draws each dropout mask on the host and copies it over (one copy per dropout
    # layer and step): the price of a seed meaning the same numbers on the CPU and on a GPU.
    x, y = data_for("mlp")

    def run(device):
        keras.utils.set_random_seed(8)
        if device:
            backend.set_backend("cupy")
        try:
            model = keras.Sequential([keras.Input((12,)), layers.Dense(16, activation="relu"), layers.Dropout(0.3),
                                      layers.Dense(3, activation="softmax")])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            copies = []
            for samples in (48, 96):  # three steps, then six: the difference is what three steps copy
                with strict_cupy.counting() as seen:
                    model.fit(np.concatenate([x, x])[:samples], np.concatenate([y, y])[:samples], batch_size=16,
                              epochs=1, verbose=0, shuffle=False)
                copies.append(seen.to_device)
            return model.get_weights(), copies[1] - copies[0]
        finally:
            backend.set_backend("numpy")

    host, _ = run(False)
    device, copies = run(True)
    for got, want in zip(device, host):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert copies == 3 * 3, copies  # three steps: x, y and one dropout mask each
