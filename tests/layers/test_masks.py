"""Masks travel with the tensors from layer to layer, and the loss and metrics leave padded steps out.

Real Keras 3 is the reference for the numbers. Its NumPy backend ignores masks, so the
reference runs on its JAX backend, in a child process (skipped where that cannot import).
"""

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops


def keras_jax(tmp_path, code, **arrays):
    """Runs `code` in Keras 3 on JAX with `arrays` loaded as globals; returns the JSON it printed last."""
    np.savez(tmp_path / "arrays.npz", **arrays)
    script = ("import json, numpy as np\n"
              "try:\n    import keras\nexcept Exception as e:\n    print('NO KERAS', e); raise SystemExit(0)\n"
              f"globals().update(np.load({str(tmp_path / 'arrays.npz')!r}))\n" + textwrap.dedent(code))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", PYTHONWARNINGS="ignore"))
    if done.stdout.startswith("NO KERAS"):
        pytest.skip(f"Keras 3 on JAX cannot be imported here: {done.stdout.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def padded_ids(rng, batch=6, steps=7, vocab=9):
    """Integer sequences padded with 0 at the end, of random lengths (one of them full, one of length 1)."""
    lengths = rng.integers(1, steps + 1, size=batch)
    lengths[0], lengths[1] = steps, 1
    ids = rng.integers(1, vocab, size=(batch, steps))
    ids[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    return ids


# ------------------------------------------------------------------ propagation
def test_embedding_with_mask_zero_marks_padding_and_dense_passes_the_mask_on():
    ids = np.array([[4, 2, 0, 0], [1, 0, 0, 0]])
    out = layers.Dense(3)(layers.Embedding(5, 2, mask_zero=True)(ids))
    np.testing.assert_array_equal(out._keras_mask.numpy(), ids != 0)
    assert layers.Embedding(5, 2)(ids).__dict__.get("_keras_mask") is None


def test_a_layer_that_cannot_mask_drops_the_mask_with_a_warning_naming_it():
    masked = layers.Embedding(5, 2, mask_zero=True)(np.array([[4, 2, 0, 0]]))
    flatten = layers.Flatten(name="flat")
    with pytest.warns(UserWarning, match=r"Layer 'flat' \(Flatten\) was given an input with a mask.*mask stops here"):
        out = flatten(masked)
    assert getattr(out, "_keras_mask", None) is None


def test_call_gets_its_inputs_mask_and_a_mask_given_by_hand_wins():
    seen = {}

    class Spy(layers.Layer):
        supports_masking = True

        def call(self, inputs, mask=None):
            seen["mask"] = None if mask is None else ops.convert_to_numpy(mask)
            return inputs

    masked = layers.Embedding(5, 2, mask_zero=True)(np.array([[4, 0, 3]]))
    Spy()(masked)
    np.testing.assert_array_equal(seen["mask"], [[True, False, True]])
    Spy()(masked, mask=np.array([[True, True, False]]))
    np.testing.assert_array_equal(seen["mask"], [[True, True, False]])
    Spy()(layers.Embedding(5, 2)(np.array([[4, 0, 3]])))
    assert seen["mask"] is None


def test_several_tensor_arguments_each_get_their_own_named_mask():
    seen = {}

    class Pair(layers.Layer):
        def call(self, query, value, query_mask=None, value_mask=None):
            seen.update(query=query_mask, value=value_mask)
            return query * 1.0

    q = layers.Embedding(5, 2, mask_zero=True)(np.array([[1, 0]]))
    v = layers.Embedding(5, 2, mask_zero=True)(np.array([[0, 2, 3]]))
    with pytest.warns(UserWarning, match="does not support masking"):
        out = Pair()(q, v)
    np.testing.assert_array_equal(seen["query"].numpy(), [[True, False]])
    np.testing.assert_array_equal(seen["value"].numpy(), [[False, True, True]])
    assert getattr(out, "_keras_mask", None) is None  # Pair does not say it supports masking


def test_a_layer_writing_compute_mask_supports_masking_and_others_can_say_so():
    class Shift(layers.Layer):
        def call(self, inputs):
            return inputs + 1.0

        def compute_mask(self, inputs, previous_mask=None):
            return ops.logical_not(previous_mask)

    class Keeps(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs):
            return inputs * 2.0

    masked = layers.Embedding(5, 2, mask_zero=True)(np.array([[4, 0, 3]]))
    assert Shift().supports_masking and Keeps().supports_masking and not layers.Flatten().supports_masking
    np.testing.assert_array_equal(Shift()(masked)._keras_mask.numpy(), [[False, True, False]])
    np.testing.assert_array_equal(Keeps()(masked)._keras_mask.numpy(), [[True, False, True]])


def test_merges_combine_masks_as_keras_does():
    a = layers.Embedding(5, 2, mask_zero=True)(np.array([[1, 0, 0, 2]]))
    b = layers.Embedding(5, 2, mask_zero=True)(np.array([[0, 3, 0, 2]]))
    plain = layers.Embedding(5, 2)(np.array([[0, 3, 0, 2]]))
    np.testing.assert_array_equal(layers.Add()([a, b])._keras_mask.numpy(), [[True, True, False, True]])
    assert getattr(layers.Add()([a, plain]), "_keras_mask", None) is None  # an input without a mask: all real
    np.testing.assert_array_equal(layers.Concatenate(axis=1)([a, b])._keras_mask.numpy(),
                                  [[True, False, False, True, False, True, False, True]])
    np.testing.assert_array_equal(layers.Concatenate()([a, plain])._keras_mask.numpy(), [[True] * 4])
    np.testing.assert_array_equal(layers.Concatenate()([a, b])._keras_mask.numpy(), [[True, True, False, True]])


def test_masking_layer_zeroes_and_masks_steps_equal_to_the_mask_value():
    x = np.array([[[1.0, 2.0], [-1.0, -1.0], [-1.0, 5.0]]], dtype="float32")
    out = layers.Masking(mask_value=-1.0)(x)
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    np.testing.assert_array_equal(out.numpy(), [[[1.0, 2.0], [0.0, 0.0], [-1.0, 5.0]]])
    with pytest.raises(ValueError, match=r"mask_value must be a number, got 'x'"):
        layers.Masking(mask_value="x")


def test_average_pooling_over_time_averages_the_real_steps_only():
    rng = np.random.default_rng(0)
    ids = padded_ids(rng)
    ids[2] = 0  # a sequence with no real step gives zeros, not nan
    embedded = layers.Embedding(9, 3, mask_zero=True)(ids)
    out = layers.GlobalAveragePooling1D()(embedded).numpy()
    values, real = embedded.numpy(), ids != 0
    for row in range(len(ids)):
        expected = values[row][real[row]].mean(axis=0) if real[row].any() else np.zeros(3)
        np.testing.assert_allclose(out[row], expected, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match=r"the mask must be \(batch, steps\) = \(6, 7\).*got a mask of shape \(6, 6\)"):
        layers.GlobalAveragePooling1D()(embedded, mask=np.ones((6, 6), bool))


# ------------------------------------------------------------------ losses and metrics
# _sequence_tagger in Keras, for the child process (its weights are set from tinyfit's).
KERAS_TAGGER = """
inputs = keras.Input((7,), dtype="int32")
h = keras.layers.Embedding(9, 5, mask_zero=True)(inputs)
h = keras.layers.Dense(6, activation="tanh")(h)
model = keras.Model(inputs, keras.layers.Dense(4)(h))
"""


def _sequence_tagger(vocab=9, classes=4, steps=7):
    inputs = keras.Input((steps,), dtype="int32")
    h = layers.Embedding(vocab, 5, mask_zero=True)(inputs)
    h = layers.Dense(6, activation="tanh")(h)
    return keras.Model(inputs, layers.Dense(classes)(h))


@pytest.mark.parametrize("weighted", [False, True], ids=["no sample weights", "with sample weights"])
def test_loss_and_metrics_of_a_masked_sequence_match_keras(tmp_path, weighted):
    rng = np.random.default_rng(1)
    ids, y = padded_ids(rng), rng.integers(0, 4, size=(6, 7))
    sample_weight = rng.uniform(0.5, 2.0, size=6).astype("float32") if weighted else None
    keras.utils.set_random_seed(3)
    model = _sequence_tagger()
    scaled = model.get_weights()
    scaled[-2] *= 30.0  # confident logits, so that padded steps counted as real would change the loss
    model.set_weights(scaled)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    got = model.evaluate(ids, y, sample_weight=sample_weight, verbose=0, return_dict=True)
    if weighted:  # a weight per step, as Keras takes it with a mask; one per sequence means the same
        per_step_weights = np.repeat(sample_weight[:, None], 7, axis=1)
        assert model.evaluate(ids, y, sample_weight=per_step_weights, verbose=0, return_dict=True) == pytest.approx(got)
    weights = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    want = keras_jax(tmp_path, KERAS_TAGGER + textwrap.dedent(f"""
        model.set_weights([globals()[f"w{{i}}"] for i in range({len(weights)})])
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        print(json.dumps(model.evaluate(ids, y, sample_weight={"sw" if weighted else None}, verbose=0,
                                        return_dict=True)))
    """), ids=ids, y=y, **({"sw": per_step_weights} if weighted else {}), **weights)
    assert got["loss"] == pytest.approx(want["loss"], rel=1e-5)
    assert got["accuracy"] == pytest.approx(want["accuracy"], rel=1e-6)
    # By hand: the mean over real steps only (weighted by each sequence's weight).
    per_step = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)(
        y, model(ids).detach()).numpy()
    weight = (ids != 0) * (1.0 if sample_weight is None else sample_weight[:, None])
    assert got["loss"] == pytest.approx((per_step * weight).sum() / (ids != 0).sum(), rel=1e-5)
    assert per_step.mean() != pytest.approx(got["loss"], rel=1e-2)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "compiled"])
def test_training_on_masked_sequences_matches_keras(tmp_path, jit):
    rng = np.random.default_rng(2)
    ids, y = padded_ids(rng, batch=8), rng.integers(0, 4, size=(8, 7))
    keras.utils.set_random_seed(4)
    model = _sequence_tagger()
    start = model.get_weights()
    model.compile(optimizer=keras.optimizers.SGD(0.5), jit_compile=jit,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    counts = []  # per epoch: [right, real] among the real steps, read from predictions before each update

    class ByHand(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            counts.append([0, 0])

        def on_train_batch_begin(self, batch, logs=None):
            rows = slice(4 * batch, 4 * batch + 4)
            right = self.model.predict_on_batch(ids[rows]).argmax(-1) == y[rows]
            counts[-1][0] += int((right & (ids[rows] != 0)).sum())
            counts[-1][1] += int((ids[rows] != 0).sum())

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(ids, y, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=[ByHand()]).history
    np.testing.assert_allclose(history["accuracy"], [right / real for right, real in counts], rtol=1e-6)
    want = keras_jax(tmp_path, KERAS_TAGGER + textwrap.dedent(f"""
        model.set_weights([globals()[f"w{{i}}"] for i in range({len(start)})])
        model.compile(optimizer=keras.optimizers.SGD(0.5),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        h = model.fit(ids, y, batch_size=4, epochs=3, shuffle=False, verbose=0).history
        print(json.dumps({{"history": {{k: [float(v) for v in vs] for k, vs in h.items()}},
                          "weights": [w.tolist() for w in model.get_weights()]}}))
    """), ids=ids, y=y, **{f"w{i}": w for i, w in enumerate(start)})
    # Keras on JAX loses the outputs' masks on their way out of its gradient function, so its metrics
    # count padded steps during fit (not during evaluate); the loss keeps them and is the reference here.
    np.testing.assert_allclose(history["loss"], want["history"]["loss"], rtol=2e-5)
    for got, expected in zip(model.get_weights(), want["weights"]):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_a_replayed_step_keeps_leaving_padding_out_of_the_metrics():
    # Each batch has its own padding: a compiled step that replayed the first batch's mask would count wrongly.
    rng = np.random.default_rng(5)
    ids, y = padded_ids(rng, batch=12), rng.integers(0, 4, size=(12, 7))
    results = []
    for jit in (False, True):
        keras.utils.set_random_seed(6)
        model = _sequence_tagger()
        model.compile(optimizer="adam", jit_compile=jit, metrics=["accuracy"],
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        results.append(model.fit(ids, y, batch_size=3, epochs=2, shuffle=False, verbose=0).history)
        if jit:
            assert list(model._compiled_step.describe().values()) == ["replayed"]
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(results[1][key], results[0][key], rtol=1e-5)


# ------------------------------------------------------------------ TimeDistributed
def test_time_distributed_applies_one_layer_to_every_step():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 4, 6, 6, 2)).astype("float32")
    conv = layers.Conv2D(5, 3)
    out = layers.TimeDistributed(conv)(x).numpy()
    assert out.shape == (3, 4, 4, 4, 5)
    for step in range(4):
        np.testing.assert_allclose(out[:, step], conv(x[:, step]).numpy(), rtol=1e-5, atol=1e-6)
    frames = keras.Input((10, 28, 28, 1))
    assert layers.TimeDistributed(layers.Conv2D(8, 3))(frames).shape == (None, 10, 26, 26, 8)


def test_time_distributed_keeps_the_mask_saves_and_refuses_inputs_without_steps(tmp_path):
    masked = layers.Embedding(5, 2, mask_zero=True)(np.array([[4, 0, 3]]))
    np.testing.assert_array_equal(layers.TimeDistributed(layers.Dense(3))(masked)._keras_mask.numpy(),
                                  [[True, False, True]])
    with pytest.raises(ValueError, match=r"inputs must be at least 3-D.*got shape \(2, 5\)"):
        layers.TimeDistributed(layers.Dense(3), name="td")(np.ones((2, 5), "float32"))
    with pytest.raises(ValueError, match=r"must be a layer instance"):
        layers.TimeDistributed("dense")
    inputs = keras.Input((4, 3))
    model = keras.Model(inputs, layers.TimeDistributed(layers.Dense(2))(inputs))
    model.save(tmp_path / "td.keras")
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "td.keras").predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_masking_time_distributed_and_pooling_match_keras(tmp_path):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(5, 6, 3)).astype("float32")
    x[0, 3:] = 0.0
    x[2, :2] = 0.0
    x[4] = 0.0
    inputs = keras.Input((6, 3))
    h = layers.Masking()(inputs)
    h = layers.TimeDistributed(layers.Dense(4, activation="relu"))(h)
    model = keras.Model(inputs, layers.GlobalAveragePooling1D()(h))
    want = keras_jax(tmp_path, """
        inputs = keras.Input((6, 3))
        h = keras.layers.Masking()(inputs)
        h = keras.layers.TimeDistributed(keras.layers.Dense(4, activation="relu"))(h)
        model = keras.Model(inputs, keras.layers.GlobalAveragePooling1D()(h))
        model.set_weights([w0, w1])
        print(json.dumps(np.nan_to_num(model.predict(x, verbose=0), nan=-99.0).tolist()))
    """, x=x, w0=model.get_weights()[0], w1=model.get_weights()[1])
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got[:4], np.array(want)[:4], rtol=1e-5, atol=1e-6)
    # A sequence with no real step: Keras divides 0 by 0; tinyfit gives zeros.
    np.testing.assert_array_equal(got[4], np.zeros(4))


def test_time_distributed_files_go_both_ways_between_keras_and_tinyfit(tmp_path, run_keras):
    x = np.random.default_rng(9).normal(size=(2, 4, 3)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    run_keras(tmp_path, """
        inputs = keras.Input((4, 3))
        model = keras.Model(inputs, keras.layers.TimeDistributed(keras.layers.Dense(2))(inputs))
        model.save("from_keras.keras")
        np.save("keras_out.npy", model.predict(np.load("x.npy"), verbose=0))
    """)
    loaded = keras.models.load_model(tmp_path / "from_keras.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), np.load(tmp_path / "keras_out.npy"), rtol=1e-6)
    loaded.layers[-1].layer.kernel.assign(loaded.layers[-1].layer.kernel.numpy() * 2.0)
    loaded.save(tmp_path / "from_tinyfit.keras")
    np.save(tmp_path / "tinyfit_out.npy", loaded.predict(x, verbose=0))
    out = run_keras(tmp_path, """
        model = keras.models.load_model("from_tinyfit.keras")
        print(np.abs(model.predict(np.load("x.npy"), verbose=0) - np.load("tinyfit_out.npy")).max())
    """)
    assert float(out.strip().splitlines()[-1]) < 1e-6


def test_gradients_through_masking_time_distributed_and_masked_pooling_check():
    from tinyfit.autograd.gradcheck import gradcheck

    rng = np.random.default_rng(10)
    x = rng.normal(size=(3, 5, 2))
    x[0, 3:] = 0.0
    x[2, 1] = 0.0
    dense = layers.TimeDistributed(layers.Dense(3, activation="tanh", dtype="float64"), dtype="float64")
    masking, pooling = layers.Masking(dtype="float64"), layers.GlobalAveragePooling1D(dtype="float64")
    # x enters after Masking has read which steps are padding, so the finite differences move real steps only.
    mask = masking(x)._keras_mask

    def model(values):
        h = dense(values * ops.expand_dims(ops.cast(mask, "float64"), -1))
        return pooling(h, mask=mask)

    gradcheck(model, [x])
    gradcheck(lambda values: layers.Masking(dtype="float64")(values) * 2.0, [x + 0.5])


def test_masks_merged_by_logic_ops_are_replayed_for_every_batch():
    # Add ORs its inputs' masks: a compiled step must recompute that per batch, not keep the first batch's.
    rng = np.random.default_rng(11)
    a, b, y = padded_ids(rng, batch=12), padded_ids(rng, batch=12)[:, ::-1].copy(), rng.integers(0, 4, size=(12, 7))
    results = []
    for jit in (False, True):
        keras.utils.set_random_seed(12)
        left, right = keras.Input((7,), dtype="int32"), keras.Input((7,), dtype="int32")
        h = layers.Add()([layers.Embedding(9, 5, mask_zero=True)(left), layers.Embedding(9, 5, mask_zero=True)(right)])
        model = keras.Model([left, right], layers.Dense(4)(h))
        model.compile(optimizer="adam", jit_compile=jit, metrics=["accuracy"],
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        results.append(model.fit([a, b], y, batch_size=3, epochs=2, shuffle=False, verbose=0).history)
        if jit:
            assert list(model._compiled_step.describe().values()) == ["replayed"]
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(results[1][key], results[0][key], rtol=1e-5)
