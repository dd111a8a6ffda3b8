"""The three attention layers against Keras 3 with copied weights.

Keras's NumPy backend (the `keras3` fixture) runs the explicit arguments: attention_mask,
use_causal_mask, value and key masks passed by hand, scores, output shapes, score modes. It
ignores the masks that ride on tensors, and Keras 3.15's MultiHeadAttention takes its query mask
only from the query tensor, so the masks of real padded sequences are checked in a child process
on the JAX backend: Embedding(mask_zero=True) feeding each layer, against tinyfit given the same
masks by hand.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tinyfit.layers import AdditiveAttention, Attention, MultiHeadAttention

# Keras 3's own NumPy 2 conversion warning, raised inside Keras on its NumPy backend.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")

RNG = np.random.default_rng(1)


def normal(*shape):
    return RNG.normal(size=shape).astype("float32")


def copy_weights(mine, theirs):
    """Random weights into `mine`, then the same list into Keras's layer: one order on both sides."""
    mine.set_weights([normal(*w.shape) * 0.5 for w in mine.get_weights()])
    assert [tuple(w.shape) for w in theirs.get_weights()] == [w.shape for w in mine.get_weights()]
    theirs.set_weights(mine.get_weights())


def assert_close(mine, theirs):
    np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=2e-5, atol=2e-6)


MHA_CASES = {
    "plain": (dict(num_heads=2, key_dim=3), {}),
    "value_dim_and_output_shape": (dict(num_heads=3, key_dim=2, value_dim=5, output_shape=(2, 3)), {}),
    "no_bias_int_output_shape": (dict(num_heads=2, key_dim=4, use_bias=False, output_shape=7), {}),
    "causal": (dict(num_heads=2, key_dim=3), dict(use_causal_mask=True)),
    "attention_mask": (dict(num_heads=2, key_dim=3), dict(attention_mask=RNG.random((2, 4, 5)) > 0.4)),
    "attention_mask_per_head": (dict(num_heads=2, key_dim=3), dict(attention_mask=RNG.random((2, 2, 4, 5)) > 0.4)),
    "attention_mask_and_causal": (dict(num_heads=2, key_dim=3),
                                  dict(attention_mask=RNG.random((4, 5)) > 0.3, use_causal_mask=True)),
    "value_and_key_masks": (dict(num_heads=2, key_dim=3),
                            dict(value_mask=np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0]], bool),
                                 key_mask=np.array([[1, 0, 1, 1, 1], [1, 1, 1, 1, 1]], bool))),
    "sliding_window": (dict(num_heads=2, key_dim=3, sliding_window=2), dict(use_causal_mask=True)),
}


@pytest.mark.parametrize("key_given", [False, True])
@pytest.mark.parametrize("case", sorted(MHA_CASES))
def test_multi_head_attention_matches_keras(keras3, case, key_given):
    args, call = MHA_CASES[case]
    q, v, k = normal(2, 4, 6), normal(2, 5, 3), normal(2, 5, 8)
    key = {"key": k} if key_given else {}
    mine, theirs = MultiHeadAttention(**args), keras3.layers.MultiHeadAttention(**args)
    mine(q, v, **key)
    theirs(q, v, **key)
    copy_weights(mine, theirs)
    out, scores = mine(q, v, **key, **call, return_attention_scores=True)
    ref_out, ref_scores = theirs(q, v, **key, **call, return_attention_scores=True)
    assert_close(out.numpy(), ref_out)
    assert_close(scores.numpy(), ref_scores)
    # Keras's fused path (no scores asked for) too, where a query step sees some value step: where it
    # sees none, that path spreads its attention evenly, its scores path (and tinyfit) gives it none.
    sees = np.asarray(ref_scores).sum(axis=(1, 3)) > 0
    assert_close(mine(q, v, **key, **call).numpy()[sees], np.asarray(theirs(q, v, **key, **call))[sees])


AXES_CASES = {
    "all_of_rank_4": (None, (2, 3, 4, 5), (2, 2, 3, 6), None),
    "first_of_rank_4": ((1,), (2, 3, 4, 5), (2, 2, 4, 6), None),
    "second_of_rank_4": ((-2,), (2, 3, 4, 5), (2, 3, 2, 6), (2, 4, 2)),
    "two_of_rank_5": ((1, 3), (2, 3, 2, 4, 5), (2, 2, 2, 3, 6), (3, 4, 2, 3)),
    "middle_of_rank_5": ((2,), (2, 3, 4, 2, 5), (2, 3, 5, 2, 6), (4, 5)),
    "sequence_given": ((1,), (2, 4, 5), (2, 3, 6), (2, 4, 3)),
}


@pytest.mark.parametrize("case", sorted(AXES_CASES))
def test_multi_head_attention_over_chosen_axes_matches_keras(keras3, case):
    axes, q_shape, v_shape, mask_shape = AXES_CASES[case]
    q, v = normal(*q_shape), normal(*v_shape)
    mine = MultiHeadAttention(2, 3, value_dim=4, attention_axes=axes)
    theirs = keras3.layers.MultiHeadAttention(2, 3, value_dim=4, attention_axes=axes)
    mine(q, v)
    theirs(q, v)
    copy_weights(mine, theirs)
    call = {} if mask_shape is None else dict(attention_mask=RNG.random(mask_shape) > 0.3)
    out, scores = mine(q, v, return_attention_scores=True, **call)
    ref_out, ref_scores = theirs(q, v, return_attention_scores=True, **call)
    assert scores.shape == np.shape(ref_scores)
    assert_close(out.numpy(), ref_out)
    assert_close(scores.numpy(), ref_scores)


def test_multi_head_attention_config_has_keras_arguments(keras3):
    args = dict(num_heads=2, key_dim=3, value_dim=4, dropout=0.1, output_shape=(5,), seed=7)
    mine = MultiHeadAttention(**args).get_config()
    theirs = keras3.layers.MultiHeadAttention(**args).get_config()
    assert set(mine) == set(theirs)
    for name in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "attention_axes",
                 "sliding_window", "seed", "use_gate"):
        assert mine[name] == theirs[name], name
    assert mine["kernel_initializer"]["class_name"] == theirs["kernel_initializer"]["class_name"]


ATTENTION_CASES = {  # (additive?, arguments)
    "dot": (False, dict()),
    "dot_scaled": (False, dict(use_scale=True)),
    "concat": (False, dict(score_mode="concat")),
    "concat_scaled": (False, dict(score_mode="concat", use_scale=True)),
    "additive": (True, dict()),
    "additive_unscaled": (True, dict(use_scale=False)),
}
CALLS = {
    "plain": {},
    "causal": dict(use_causal_mask=True),
    "masks": dict(mask=[np.array([[1, 1, 0, 1], [1, 1, 1, 1]], bool),
                        np.array([[1, 0, 1, 1, 0], [0, 0, 0, 0, 0]], bool)]),
    "masks_and_causal": dict(mask=[None, np.array([[0, 1, 1, 1, 1], [1, 1, 0, 1, 1]], bool)],
                             use_causal_mask=True),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("case", sorted(ATTENTION_CASES))
def test_attention_layers_match_keras(keras3, case, call):
    additive, args = ATTENTION_CASES[case]
    q, v, v3, k = normal(2, 4, 6), normal(2, 5, 6), normal(2, 5, 3), normal(2, 5, 6)
    ours, theirs = (AdditiveAttention, keras3.layers.AdditiveAttention) if additive else \
        (Attention, keras3.layers.Attention)
    mine, theirs = ours(**args), theirs(**args)
    for inputs in ([q, v], [q, v3, k]):
        mine(inputs)
        theirs(inputs)
        copy_weights(mine, theirs)
        out, scores = mine(inputs, **CALLS[call], return_attention_scores=True)
        ref_out, ref_scores = theirs(inputs, **CALLS[call], return_attention_scores=True)
        assert_close(out.numpy(), ref_out)
        assert_close(scores.numpy(), ref_scores)
        if "mask" in CALLS[call]:
            mask = CALLS[call]["mask"]
            assert (mine.compute_mask(inputs, mask) is None) == (theirs.compute_mask(inputs, mask) is None)


@pytest.mark.parametrize("additive", [False, True])
def test_attention_configs_have_keras_arguments(keras3, additive):
    ours, theirs = (AdditiveAttention, keras3.layers.AdditiveAttention) if additive else \
        (Attention, keras3.layers.Attention)
    args = dict(use_scale=True, dropout=0.2, seed=3)
    mine, ref = ours(**args).get_config(), theirs(**args).get_config()
    assert set(mine) == set(ref)
    assert all(mine[n] == ref[n] for n in args)


# ------------------------------------------------------------------ masks riding on tensors: JAX
JAX_SCRIPT = """
import json, sys
import numpy as np
import keras
print("keras imported", flush=True)
tq = np.array([[3, 1, 4, 0], [2, 7, 0, 0], [0, 0, 0, 0]])
tv = np.array([[5, 0, 2, 6, 0], [1, 2, 3, 4, 5], [0, 0, 0, 0, 0]])
q_in, v_in = keras.Input((4,), dtype="int32"), keras.Input((5,), dtype="int32")
eq = keras.layers.Embedding(8, 6, mask_zero=True, name="eq")
ev = keras.layers.Embedding(8, 6, mask_zero=True, name="ev")
layers = [keras.layers.MultiHeadAttention(2, 3, name="mha"), keras.layers.Attention(use_scale=True, name="att"),
          keras.layers.AdditiveAttention(name="add")]
# With the scores asked for, Keras takes its softmax path, whose fully masked rows (padded query
# steps) get no attention, as tinyfit's do; its fused path would spread them evenly.
outputs = list(layers[0](eq(q_in), ev(v_in), use_causal_mask=True, return_attention_scores=True))
outputs += [layer([eq(q_in), ev(v_in)]) for layer in layers[1:]]
masks = [getattr(o, "_keras_mask", None) for o in outputs]
model = keras.Model([q_in, v_in], outputs)
rng = np.random.default_rng(0)
for layer in model.layers:
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
print(json.dumps({"weights": {l.name: [w.tolist() for w in l.get_weights()] for l in model.layers},
                  "outputs": [np.asarray(o).tolist() for o in model.predict([tq, tv], verbose=0)],
                  "masked": [m is not None for m in masks], "tq": tq.tolist(), "tv": tv.tolist()}))
"""


def test_masks_from_embedding_match_keras_on_jax():
    try:
        child = subprocess.run([sys.executable, "-c", JAX_SCRIPT], capture_output=True, text=True, timeout=300,
                               env=dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu"))
    except subprocess.TimeoutExpired:
        pytest.fail("Keras on JAX took over 300 s")
    if "keras imported" not in child.stdout:
        pytest.skip(f"Keras 3 on JAX cannot be imported here: {(child.stderr.strip().splitlines() or [''])[-1]}")
    assert child.returncode == 0, child.stderr[-3000:]
    ref = json.loads(child.stdout.strip().splitlines()[-1])
    assert ref["masked"] == [True, False, True, True]  # each output carries the query's mask in Keras
    weights = {name: [np.asarray(w, "float32") for w in ws] for name, ws in ref["weights"].items()}
    tq, tv = np.asarray(ref["tq"]), np.asarray(ref["tv"])
    q, v = weights["eq"][0][tq], weights["ev"][0][tv]
    q_mask, v_mask = tq != 0, tv != 0
    mha, att, add = MultiHeadAttention(2, 3), Attention(use_scale=True), AdditiveAttention()
    mha(q, v)
    att([q, v])
    add([q, v])
    for layer, name in ((mha, "mha"), (att, "att"), (add, "add")):
        layer.set_weights(weights[name])
    mine = [*mha(q, v, query_mask=q_mask, value_mask=v_mask, use_causal_mask=True, return_attention_scores=True),
            att([q, v], mask=[q_mask, v_mask]), add([q, v], mask=[q_mask, v_mask])]
    for out, expected in zip(mine, ref["outputs"]):
        np.testing.assert_allclose(out.numpy(), np.asarray(expected, "float32"), rtol=2e-5, atol=2e-6)
    np.testing.assert_array_equal(att.compute_mask([q, v], [q_mask, v_mask]).numpy(), q_mask)
    # tinyfit's own model of the same layers, its masks flowing from its Embeddings as Keras's do
    import tinyfit

    q_in, v_in = tinyfit.Input((4,), dtype="int32"), tinyfit.Input((5,), dtype="int32")
    eq = tinyfit.layers.Embedding(8, 6, mask_zero=True, name="eq")
    ev = tinyfit.layers.Embedding(8, 6, mask_zero=True, name="ev")
    mha = tinyfit.layers.MultiHeadAttention(2, 3, name="mha")
    outputs = list(mha(eq(q_in), ev(v_in), use_causal_mask=True, return_attention_scores=True))
    outputs += [layer([eq(q_in), ev(v_in)]) for layer in (tinyfit.layers.Attention(use_scale=True, name="att"),
                                                          tinyfit.layers.AdditiveAttention(name="add"))]
    model = tinyfit.Model([q_in, v_in], outputs)
    for name in ("eq", "ev", "mha", "att", "add"):
        model.get_layer(name).set_weights(weights[name])
    for out, expected in zip(model.predict([tq, tv], verbose=0), ref["outputs"]):
        np.testing.assert_allclose(out, np.asarray(expected, "float32"), rtol=2e-5, atol=2e-6)


# ------------------------------------------------------------------ Keras's .keras files
def build_model(library):
    query, value = library.Input((5, 6)), library.Input((4, 3))
    layers = library.layers
    outputs = [layers.MultiHeadAttention(2, 3, value_dim=4, output_shape=(5,))(query, value, use_causal_mask=True),
               layers.Attention(use_scale=True, score_mode="concat")([query, query]),
               layers.AdditiveAttention()([query, query, query])]
    return library.Model([query, value], outputs)


def model_inputs():
    return [normal(2, 5, 6), normal(2, 4, 3)]


def test_a_keras_3_file_loads_in_tinyfit_and_predicts_the_same(keras3, tmp_path):
    import tinyfit

    model = build_model(keras3)
    model.set_weights([normal(*w.shape) for w in model.get_weights()])
    model.save(tmp_path / "model.keras")
    loaded = tinyfit.models.load_model(tmp_path / "model.keras")
    x = model_inputs()
    for mine, theirs in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-5, atol=1e-5)


def test_a_tinyfit_file_loads_in_keras_3_and_predicts_the_same(keras3, tmp_path):
    import tinyfit

    model = build_model(tinyfit)
    model.set_weights([normal(*w.shape) for w in model.get_weights()])
    model.save(tmp_path / "model.keras")
    loaded = keras3.models.load_model(tmp_path / "model.keras")
    x = model_inputs()
    for theirs, mine in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-5, atol=1e-5)
