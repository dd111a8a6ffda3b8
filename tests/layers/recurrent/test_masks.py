"""Masks in the recurrent layers: against Keras 3 on its JAX backend (its NumPy backend ignores masks),
run once in a child process for every case; compute_mask; and masks of the wrong shape."""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.autograd.tensor import Tensor

B, T, F, U = 4, 6, 3, 5
# Padding at the end, at the start, in the middle, none at all, and a sequence with no real step.
MASK = np.array([[1, 1, 1, 1, 0, 0],
                 [0, 0, 1, 1, 1, 1],
                 [1, 0, 1, 0, 1, 1],
                 [0, 0, 0, 0, 0, 0]], dtype=bool)

CASES = {
    "lstm sequences and state": ("LSTM", {"return_sequences": True, "return_state": True}),
    "lstm last": ("LSTM", {}),
    "gru backwards": ("GRU", {"return_sequences": True, "go_backwards": True, "return_state": True}),
    "gru reset_before": ("GRU", {"return_sequences": True, "reset_after": False}),
    "simple_rnn": ("SimpleRNN", {"return_sequences": True, "return_state": True}),
    "lstm unrolled (cell call)": ("LSTM", {"return_sequences": True, "unroll": True}),
    "bidirectional concat": ("Bidirectional", {"return_sequences": True}),
    "bidirectional sum, state": ("Bidirectional", {"return_state": True, "merge_mode": "sum"}),
}
ZERO_OUTPUT = {
    "rnn(lstm cell) zero_output_for_mask": ("LSTMCell", {"return_sequences": True, "zero_output_for_mask": True}),
    "rnn(gru cell) zero_output_for_mask, last": ("GRUCell", {"zero_output_for_mask": True}),
}

CHILD = r"""
import json, sys
import numpy as np
import keras
print("keras imported", flush=True)
folder = sys.argv[1]
cases = json.load(open(folder + "/cases.json"))
data = np.load(folder + "/data.npz")
x, mask = data["x"], data["mask"]
results = {}
for name, (kind, options) in cases.items():
    weights = [data[f"{name}/{i}"] for i in range(int(data[f"{name}/n"]))]
    if kind == "Bidirectional":
        merge = options.pop("merge_mode", "concat")
        layer = keras.layers.Bidirectional(keras.layers.LSTM(5, **options), merge_mode=merge)
    elif kind.endswith("Cell"):
        layer = keras.layers.RNN(getattr(keras.layers, kind)(5), **options)
    else:
        layer = getattr(keras.layers, kind)(5, **options)
    layer.build(x.shape)
    layer.set_weights(weights)
    out = layer(x, mask=mask)
    out = out if isinstance(out, (list, tuple)) else [out]
    results[name] = [np.asarray(o).tolist() for o in out]
print(json.dumps(results))
"""


def make_layer(kind, options):
    options = dict(options)
    if kind == "Bidirectional":
        merge = options.pop("merge_mode", "concat")
        return keras.layers.Bidirectional(keras.layers.LSTM(U, **options), merge_mode=merge)
    if kind.endswith("Cell"):
        return keras.layers.RNN(getattr(keras.layers, kind)(U), **options)
    return getattr(keras.layers, kind)(U, **options)


@pytest.fixture(scope="module")
def keras_jax_results(tmp_path_factory):
    """Each case's layer (tinyfit, built with random weights) and what Keras on JAX computed with them."""
    pytest.importorskip("jax")
    folder = tmp_path_factory.mktemp("masks")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B, T, F)).astype("float32")
    arrays, layers = {"x": x, "mask": MASK}, {}
    cases = {**CASES, **ZERO_OUTPUT}
    for name, (kind, options) in cases.items():
        layer = make_layer(kind, options)
        layer.build((B, T, F))
        weights = [w + rng.normal(size=w.shape).astype("float32") * 0.3 for w in layer.get_weights()]
        layer.set_weights(weights)
        layers[name] = layer
        arrays[f"{name}/n"] = np.array(len(weights))
        arrays.update({f"{name}/{i}": w for i, w in enumerate(weights)})
    np.savez(folder / "data.npz", **arrays)
    (folder / "cases.json").write_text(json.dumps(cases))
    child = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu"))
    if "keras imported" not in child.stdout:
        pytest.skip(f"Keras 3 with JAX cannot be imported here: {(child.stderr.strip().splitlines() or [''])[-1]}")
    assert child.returncode == 0, child.stderr[-3000:]
    return x, layers, json.loads(child.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", list(CASES) + list(ZERO_OUTPUT))
def test_masked_outputs_and_states_match_keras_on_jax(keras_jax_results, name):
    x, layers, expected = keras_jax_results
    got = layers[name](x, mask=Tensor(MASK))
    got = got if isinstance(got, list) else [got]
    assert len(got) == len(expected[name])
    for g, e in zip(got, expected[name]):
        np.testing.assert_allclose(g.numpy(), np.array(e), rtol=1e-5, atol=1e-6)


def test_masked_steps_keep_the_state_and_gradients_skip_them():
    layer = keras.layers.LSTM(U, return_sequences=True)
    x = Tensor(np.random.default_rng(1).normal(size=(B, T, F)).astype("float32"), requires_grad=True)
    out = layer(x, mask=Tensor(MASK))
    out.sum().backward()
    # A masked step's input changes nothing: its gradient is zero.
    assert np.abs(x.grad[~MASK]).max() == 0 and np.abs(x.grad[MASK]).min() > 0
    # The first sequence's padding repeats its last real output.
    np.testing.assert_array_equal(out.numpy()[0, 4], out.numpy()[0, 3])


def test_compute_mask_follows_return_sequences_and_return_state():
    mask = Tensor(MASK)
    assert keras.layers.LSTM(U, return_sequences=True).compute_mask(None, mask) is mask
    assert keras.layers.GRU(U).compute_mask(None, mask) is None
    assert keras.layers.LSTM(U, return_sequences=True, return_state=True).compute_mask(None, mask) == [mask, None, None]
    assert keras.layers.SimpleRNN(U, return_state=True).compute_mask(None, mask) == [None, None]
    both = keras.layers.Bidirectional(keras.layers.LSTM(U, return_sequences=True), merge_mode=None)
    assert both.compute_mask(None, mask) == [mask, mask]
    assert keras.layers.LSTM(U).supports_masking is True


def test_a_mask_of_the_wrong_shape_names_both_shapes():
    layer = keras.layers.LSTM(U)
    with pytest.raises(ValueError, match=r"mask has shape \(4, 5\).*\(4, 6\) \(batch, time\)"):
        layer(np.zeros((B, T, F), "float32"), mask=Tensor(MASK[:, :5]))


MODEL_CHILD = r"""
import sys
import warnings
import numpy as np
import keras
print("keras imported", flush=True)
sys.path.insert(0, sys.argv[2])
from test_masks import embedding_model
data = np.load(sys.argv[1] + "/model.npz")
model = embedding_model(keras)
model.set_weights([data[f"w{i}"] for i in range(int(data["n"]))])
np.save(sys.argv[1] + "/keras.npy", np.asarray(model.predict(data["ids"], verbose=0)))
"""


def embedding_model(library):
    """Embedding(mask_zero=True) -> recurrent layers, the mask flowing between them, in either library."""
    layers = library.layers
    ids = library.Input(shape=(7,), dtype="int32")
    x = layers.Embedding(12, 4, mask_zero=True)(ids)
    x = layers.Bidirectional(layers.LSTM(5, return_sequences=True), merge_mode="sum")(x)
    x = layers.GRU(4, return_sequences=True, go_backwards=True)(x)
    x = layers.SimpleRNN(3)(x)
    return library.Model(ids, layers.Dense(2)(x))


IDS = np.array([[3, 4, 5, 0, 0, 0, 0],
                [0, 0, 7, 8, 9, 10, 11],
                [1, 0, 2, 0, 3, 0, 4],
                [5, 5, 5, 5, 5, 5, 5]], dtype="int32")


def test_masks_from_embedding_flow_through_the_recurrent_layers_as_in_keras_on_jax(tmp_path):
    pytest.importorskip("jax")
    model = embedding_model(keras)
    rng = np.random.default_rng(6)
    weights = [w + rng.normal(size=w.shape).astype("float32") * 0.3 for w in model.get_weights()]
    model.set_weights(weights)
    np.savez(tmp_path / "model.npz", ids=IDS, n=len(weights), **{f"w{i}": w for i, w in enumerate(weights)})
    child = subprocess.run([sys.executable, "-c", MODEL_CHILD, str(tmp_path), os.path.dirname(__file__)],
                           capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu"))
    if "keras imported" not in child.stdout:
        pytest.skip(f"Keras 3 with JAX cannot be imported here: {(child.stderr.strip().splitlines() or [''])[-1]}")
    assert child.returncode == 0, child.stderr[-3000:]
    expected = np.load(tmp_path / "keras.npy")
    np.testing.assert_allclose(model.predict(IDS, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_a_compiled_fit_with_masks_gives_the_eager_fit_s_weights():
    eager, compiled = embedding_model(keras), embedding_model(keras)
    compiled.set_weights(eager.get_weights())
    y = np.random.default_rng(7).normal(size=(4, 2)).astype("float32")
    eager.compile(optimizer="adam", loss="mse", run_eagerly=True)
    compiled.compile(optimizer="adam", loss="mse", jit_compile=True)
    eager.fit(IDS, y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would say the two recordings differed
        compiled.fit(IDS, y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
