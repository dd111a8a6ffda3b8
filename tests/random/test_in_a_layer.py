"""keras.random in a custom layer, as the Keras guides write it, trained with fit."""

import warnings

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.utils import set_random_seed


# --- the guide's pattern (keras.random.SeedGenerator's docstring, "Usage in a layer")
class MyDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, x, training=False):
        if training:
            return keras.random.dropout(x, rate=self.rate, seed=self.seed_generator)
        return x
# --- end of the guide's pattern


class Noise(keras.layers.Layer):
    """Adds normal noise in training, as a GaussianNoise layer does."""

    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed_generator = keras.random.SeedGenerator(7)

    def call(self, x, training=False):
        if training:
            return x + keras.random.normal(x.shape, stddev=self.stddev, seed=self.seed_generator)
        return x


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, :4].sum(axis=1) > 0).astype("float32")
    return x, y


def model_with(layer, jit_compile="auto"):
    inputs = keras.Input(shape=(8,))
    x = layers.Dense(16, activation="relu")(inputs)
    x = layer(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], jit_compile=jit_compile)
    return model


def test_a_layer_with_a_seed_generator_trains_and_is_the_identity_at_inference():
    set_random_seed(0)
    x, y = data()
    dropout = MyDropout(0.5)
    model = model_with(dropout)
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # One draw per training step (8 steps an epoch); building the model drew nothing.
    np.testing.assert_array_equal(dropout.seed_generator.state.numpy(), [1337, 4 * 8])
    np.testing.assert_array_equal(model.predict(x[:5], verbose=0), model.predict(x[:5], verbose=0))


def test_the_same_script_trains_to_the_same_weights():
    def run():
        set_random_seed(1)
        x, y = data()
        model = model_with(MyDropout(0.3))
        model.fit(x, y, batch_size=32, epochs=2, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [lambda: MyDropout(0.5), lambda: Noise(0.5)], ids=["dropout", "normal"])
def test_a_compiled_step_draws_new_values_on_every_step(make):
    """jit_compile=True replays recorded steps: the draws are ops, so each replay draws afresh
    and gives what eager steps give."""
    def run(jit_compile):
        set_random_seed(2)
        x, y = data()
        layer = make()
        model = model_with(layer, jit_compile=jit_compile)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a compiled step that falls back to eager warns
            model.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=False)
        if jit_compile:
            assert set(model._compiled_step.describe().values()) == {"replayed"}
        return model.get_weights(), layer.seed_generator.state.numpy().copy()

    (compiled, compiled_state), (eager, eager_state) = run(True), run(False)
    np.testing.assert_array_equal(compiled_state, eager_state)
    assert compiled_state[1] == 3 * 8
    for a, b in zip(compiled, eager):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


RESUMED_SCRIPT = '''
import sys
import numpy as np
import tinyfit as keras
from tinyfit.callbacks import BackupAndRestore, Callback
from tinyfit.utils import set_random_seed

class MyDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, x, training=False):
        return keras.random.dropout(x, rate=self.rate, seed=self.seed_generator) if training else x

class Crash(Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2 and logs is not None:
            raise KeyboardInterrupt("interrupted")

mode, backup, out = sys.argv[1:]
set_random_seed(0)
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"), MyDropout(0.5),
                          keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
rng = np.random.default_rng(1)
x = rng.normal(size=(64, 5)).astype("float32")
y = x[:, :1] * 2 - x[:, 1:2]
callbacks = [BackupAndRestore(backup, save_freq=1)] + ([Crash()] if mode == "crash" else [])
try:
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=callbacks)
except KeyboardInterrupt:
    sys.exit(3)
np.savez(out, *model.get_weights(), model.layers[1].seed_generator.state.numpy())
'''


def test_a_run_resumed_by_backup_and_restore_continues_the_layer_s_seed_generator(tmp_path):
    """A new process runs the same script: its SeedGenerator takes up the saved [seed, counter]."""
    import subprocess
    import sys

    script = tmp_path / "train.py"
    script.write_text(RESUMED_SCRIPT)

    def run(mode, backup, out):
        return subprocess.run([sys.executable, str(script), mode, str(tmp_path / backup), str(tmp_path / out)],
                              capture_output=True, text=True, timeout=120)

    assert run("full", "backup_full", "full.npz").returncode == 0
    crashed = run("crash", "backup", "unused.npz")
    assert crashed.returncode == 3, crashed.stderr
    resumed = run("resume", "backup", "resumed.npz")
    assert resumed.returncode == 0, resumed.stderr
    full, again = np.load(tmp_path / "full.npz"), np.load(tmp_path / "resumed.npz")
    np.testing.assert_array_equal(full[full.files[-1]], [1337, 8])  # 2 epochs of 4 steps: 8 draws
    for name in full.files:
        np.testing.assert_array_equal(again[name], full[name])
