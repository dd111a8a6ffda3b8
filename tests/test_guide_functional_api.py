"""The Keras guide "The Functional API", section "Models with multiple inputs and outputs", on tinyfit.

The code between the `# --- guide` markers is the guide's, with `import tinyfit as keras`
and `from tinyfit import layers`; nothing else changed. Its data is random, so the guide
shows no numbers to match: the same model, weights and batches are trained by real
Keras 3 (on JAX, in a child process) and the losses and weights compared.
"""

import inspect
import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers

GUIDE_MODEL = '''
num_tags = 12  # Number of unique issue tags
num_words = 10000  # Size of vocabulary obtained when preprocessing text data
num_departments = 4  # Number of departments for predictions

title_input = keras.Input(
    shape=(None,), name="title"
)  # Variable-length sequence of ints
body_input = keras.Input(shape=(None,), name="body")  # Variable-length sequence of ints
tags_input = keras.Input(
    shape=(num_tags,), name="tags"
)  # Binary vectors of size `num_tags`

# Embed each word in the title into a 64-dimensional vector
title_features = layers.Embedding(num_words, 64)(title_input)
# Embed each word in the text into a 64-dimensional vector
body_features = layers.Embedding(num_words, 64)(body_input)

# Reduce sequence of embedded words in the title into a single 128-dimensional vector
title_features = layers.LSTM(128)(title_features)
# Reduce sequence of embedded words in the body into a single 32-dimensional vector
body_features = layers.LSTM(32)(body_features)

# Merge all available features into a single large vector via concatenation
x = layers.concatenate([title_features, body_features, tags_input])

# Stick a logistic regression for priority prediction on top of the features
priority_pred = layers.Dense(1, name="priority")(x)
# Stick a department classifier on top of the features
department_pred = layers.Dense(num_departments, name="department")(x)

# Instantiate an end-to-end model predicting both priority and department
model = keras.Model(
    inputs=[title_input, body_input, tags_input],
    outputs={"priority": priority_pred, "department": department_pred},
)
'''

GUIDE_TRAINING = '''
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=[
        keras.losses.BinaryCrossentropy(from_logits=True),
        keras.losses.CategoricalCrossentropy(from_logits=True),
    ],
    loss_weights=[1.0, 0.2],
)

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "priority": keras.losses.BinaryCrossentropy(from_logits=True),
        "department": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.2},
)

# Dummy input data
title_data = np.random.randint(num_words, size=(1280, 10))
body_data = np.random.randint(num_words, size=(1280, 100))
tags_data = np.random.randint(2, size=(1280, num_tags)).astype("float32")

# Dummy target data
priority_targets = np.random.random(size=(1280, 1))
dept_targets = np.random.randint(2, size=(1280, num_departments))

model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=2,
    batch_size=32,
)
'''


def test_the_guides_multi_input_model_builds_plots_and_trains(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    keras.utils.set_random_seed(0)
    np.random.seed(0)
    guide = {"keras": keras, "layers": layers, "np": np}
    # --- guide
    exec(GUIDE_MODEL + 'keras.utils.plot_model(model, "multi_input_and_output_model.png", show_shapes=True)\n'
         + GUIDE_TRAINING, guide)
    # --- end of guide
    model = guide["model"]
    assert model.input_names == ["title", "body", "tags"]
    title_lstm = next(layer for layer in model.layers if isinstance(layer, layers.LSTM) and layer.units == 128)
    assert [(w.name, w.shape) for w in title_lstm.weights] == [
        ("kernel", (64, 512)), ("recurrent_kernel", (128, 512)), ("bias", (512,))]
    assert model.count_params() == 2 * 10000 * 64 + 4 * (64 * 128 + 128 * 128 + 128) + 4 * (64 * 32 + 32 * 32 + 32) \
        + (128 + 32 + 12 + 1) * 1 + (128 + 32 + 12 + 1) * 4
    printed = capsys.readouterr().out
    assert "40/40" in printed and "priority_loss" in printed and "department_loss" in printed
    history = model.history.history
    assert set(history) == {"loss", "priority_loss", "department_loss"} and len(history["loss"]) == 2
    assert np.isfinite(history["loss"]).all()
    out = model.predict({"title": guide["title_data"][:5], "body": guide["body_data"][:5],
                         "tags": guide["tags_data"][:5]}, verbose=0)
    assert out["priority"].shape == (5, 1) and out["department"].shape == (5, 4)
    plot = (tmp_path / "multi_input_and_output_model.png").read_bytes()
    assert plot.startswith(b"\x89PNG")


def test_a_saved_copy_of_the_guides_model_predicts_the_same(tmp_path):
    keras.utils.set_random_seed(1)
    guide = {"keras": keras, "layers": layers, "np": np}
    exec(GUIDE_MODEL, guide)
    model = guide["model"]
    data = {"title": np.random.randint(10000, size=(3, 7)), "body": np.random.randint(10000, size=(3, 11)),
            "tags": np.random.randint(2, size=(3, 12)).astype("float32")}
    model.save(tmp_path / "guide.keras")
    again = keras.models.load_model(tmp_path / "guide.keras")
    for name, value in model.predict(data, verbose=0).items():
        np.testing.assert_allclose(again.predict(data, verbose=0)[name], value, rtol=1e-5, atol=1e-6)


def test_training_the_guides_model_gives_keras_3s_losses_and_weights(tmp_path):
    # The guide's model and compile, on a smaller slice of its dummy data (the same shapes but for the
    # number of samples and the body's length), one epoch in a fixed order, compared step for step.
    keras.utils.set_random_seed(2)
    guide = {"keras": keras, "layers": layers, "np": np}
    exec(GUIDE_MODEL, guide)
    model = guide["model"]
    rng = np.random.default_rng(3)
    arrays = {"title": rng.integers(10000, size=(96, 10)), "body": rng.integers(10000, size=(96, 30)),
              "tags": rng.integers(2, size=(96, 12)).astype("float32"),
              "priority": rng.random(size=(96, 1)).astype("float32"),
              "department": rng.integers(2, size=(96, 4)).astype("float32")}
    start = {f"{layer.name}:{i}": w for layer in model.layers for i, w in enumerate(layer.get_weights())}
    np.savez(tmp_path / "arrays.npz", **arrays)
    np.savez(tmp_path / "start.npz", **start)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                        "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    history = model.fit({k: arrays[k] for k in ("title", "body", "tags")},
                        {k: arrays[k] for k in ("priority", "department")},
                        epochs=2, batch_size=32, shuffle=False, verbose=0).history

    # The guide leaves most layers unnamed, so layers are matched by role: the embeddings by the input
    # they read, the LSTMs by their units, the heads by name.
    ours = [(_role(layer), layer.name, len(layer.weights)) for layer in model.layers if layer.weights]
    script = textwrap.dedent("""
        import json, sys, numpy as np
        try:
            import keras
            from keras import layers
        except Exception as error:
            print("NO KERAS", error); raise SystemExit(0)
        guide = {"keras": keras, "layers": layers, "np": np}
        exec(sys.argv[1], guide)
        model = guide["model"]
        start, arrays = np.load("start.npz"), np.load("arrays.npz")
        exec(sys.argv[3])  # _role, the same function as on tinyfit's side
        theirs = {_role(layer): layer for layer in model.layers if layer.weights}
        for role, name, count in json.loads(sys.argv[2]):
            theirs[role].set_weights([start[f"{name}:{i}"] for i in range(count)])
        model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                      loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                            "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
                      loss_weights={"priority": 1.0, "department": 0.2})
        h = model.fit({k: arrays[k] for k in ("title", "body", "tags")},
                      {k: arrays[k] for k in ("priority", "department")},
                      epochs=2, batch_size=32, shuffle=False, verbose=0).history
        weights = {role: [w.tolist() for w in layer.get_weights()] for role, layer in theirs.items()}
        print(json.dumps({"history": {k: [float(v) for v in vs] for k, vs in h.items()}, "weights": weights}))
    """)
    done = subprocess.run([sys.executable, "-c", script, GUIDE_MODEL, json.dumps(ours), inspect.getsource(_role)],
                          cwd=tmp_path,
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", PYTHONWARNINGS="ignore"))
    if done.stdout.startswith("NO KERAS"):
        pytest.skip(f"Keras 3 on JAX cannot be imported here: {done.stdout.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    want = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("loss", "priority_loss", "department_loss"):
        np.testing.assert_allclose(history[key], want["history"][key], rtol=1e-4, err_msg=key)
    for layer in model.layers:
        for got, w in zip(layer.get_weights(), want["weights"].get(_role(layer), [])):
            np.testing.assert_allclose(got, np.array(w), rtol=1e-3, atol=2e-5, err_msg=layer.name)
    assert len(want["weights"]) == 6


def _role(layer):
    kind = type(layer).__name__
    if kind == "Embedding":
        return f"Embedding reading {layer.input.name}"
    if kind == "LSTM":
        return f"LSTM({layer.units})"
    return layer.name
