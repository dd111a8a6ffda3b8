"""Attention and AdditiveAttention: gradients, masks, weights, training, config, bad input.

Their values are checked against Keras 3 in test_attention_vs_keras.py; here what needs no reference.
"""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.tensor import Tensor
from tinyfit.layers import AdditiveAttention, Attention

RNG = np.random.default_rng(2)


def normal(*shape, dtype="float64"):
    return RNG.normal(size=shape).astype(dtype)


LAYERS = {
    "dot": lambda **kw: Attention(**kw),
    "dot_scaled": lambda **kw: Attention(use_scale=True, **kw),
    "concat_scaled": lambda **kw: Attention(use_scale=True, score_mode="concat", **kw),
    "additive": lambda **kw: AdditiveAttention(**kw),
    "additive_unscaled": lambda **kw: AdditiveAttention(use_scale=False, **kw),
}


def _numeric_grads(layer, inputs, call, cotangent, eps=1e-6):
    grads = []
    for variable in layer.weights:
        value = variable.numpy().copy()
        grad = np.zeros_like(value)
        for j in range(value.size):
            total = []
            for sign in (1, -1):
                shifted = value.copy()
                shifted.flat[j] += sign * eps
                variable.assign(shifted)
                total.append(float((layer(inputs, **call).numpy() * cotangent).sum()))
            grad.flat[j] = (total[0] - total[1]) / (2 * eps)
        variable.assign(value)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_gradcheck_in_float64_of_inputs_and_weights(kind, masked):
    layer = LAYERS[kind](dtype="float64")
    q, v, k = normal(2, 3, 4), normal(2, 5, 2), normal(2, 5, 4)
    layer([q, v, k])
    layer.set_weights([normal(*w.shape) * 0.7 + 1 for w in layer.get_weights()])
    call = dict(mask=[np.array([[1, 0, 1], [1, 1, 1]], bool), np.array([[1, 1, 0, 1, 0], [1, 1, 1, 0, 1]], bool)],
                use_causal_mask=True) if masked else {}
    # Each query step sees some value step: a fully masked row's scores sit 1e9 down, where float64
    # keeps no trace of a finite difference's step.
    gradcheck(lambda q, v, k: layer([q, v, k], **call), [q, v, k])
    if not layer.weights:
        return
    for variable in layer.weights:
        variable.grad = None  # gradcheck's own passes left theirs
    out = layer([q, v, k], **call)
    cotangent = normal(*out.shape)
    (out * Tensor(cotangent, dtype="float64")).sum().backward()
    for variable, numeric in zip(layer.weights, _numeric_grads(layer, [q, v, k], call, cotangent)):
        np.testing.assert_allclose(variable.grad, numeric, rtol=1e-5, atol=1e-8)


def test_weights_and_shapes_are_keras():
    q, v = normal(2, 3, 4, dtype="float32"), normal(2, 5, 6, dtype="float32")
    k = normal(2, 5, 4, dtype="float32")
    concat = Attention(use_scale=True, score_mode="concat")
    out, scores = concat([q, v, k], return_attention_scores=True)
    assert out.shape == (2, 3, 6) and scores.shape == (2, 3, 5)
    assert [(w.name, w.shape) for w in concat.weights] == [("scale", ()), ("concat_score_weight", ())]
    assert Attention()([q, v, k]).shape == (2, 3, 6) and Attention().compute_output_shape(
        [(None, 3, 4), (None, 5, 6), (None, 5, 4)]) == (None, 3, 6)
    additive = AdditiveAttention()
    additive([q, v, k])
    assert [(w.name, w.shape) for w in additive.weights] == [("scale", (4,))]
    assert AdditiveAttention(use_scale=False).weights == []


def test_masks_padded_value_steps_get_no_weight_padded_query_steps_give_zeros_and_a_fully_masked_row_spreads():
    q, v = normal(2, 3, 4, dtype="float32"), normal(2, 4, 4, dtype="float32")
    query_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    value_mask = np.array([[1, 0, 1, 1], [0, 0, 0, 0]], bool)
    out, scores = Attention()([q, v], mask=[query_mask, value_mask], return_attention_scores=True)
    scores = scores.numpy()
    assert (scores[0][:, 1] == 0).all()
    np.testing.assert_allclose(scores.sum(-1), 1, rtol=1e-6)
    np.testing.assert_array_equal(out.numpy()[0, 2], 0)
    np.testing.assert_allclose(scores[1], 0.25, rtol=1e-6)  # nothing to attend to: Keras spreads it evenly
    _, causal = Attention()([q, v], use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_array_equal(causal.numpy()[:, np.triu(np.ones((3, 4), bool), 1)], 0)
    mask = Attention().compute_mask([q, v], [query_mask, value_mask])
    np.testing.assert_array_equal(mask.numpy(), query_mask)
    assert Attention().compute_mask([q, v], None) is None and Attention().compute_mask([q, v], [None, value_mask]) \
        is None


@pytest.mark.parametrize("kind", ["dot_scaled", "concat_scaled", "additive"])
def test_in_a_functional_model_fit_compiled_equals_eager_and_the_file_round_trips(kind, tmp_path):
    x, y = normal(16, 5, 4, dtype="float32"), normal(16, 1, dtype="float32")
    results = []
    for jit in (False, True):
        keras.utils.set_random_seed(5)
        inputs = keras.Input((5, 4))
        attended = LAYERS[kind](dropout=0.2, name="att")([inputs, inputs], use_causal_mask=True)
        model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(attended)))
        model.compile(optimizer="adam", loss="mse", jit_compile=jit)
        history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
        results.append((history, model.get_weights(), model))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    model = results[0][2]
    model.save(tmp_path / "m.tinyfit")
    loaded = keras.models.load_model(tmp_path / "m.tinyfit")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    config = model.get_layer("att").get_config()
    assert type(model.get_layer("att")).from_config(config).get_config() == config


def test_dropout_only_in_training():
    layer = Attention(dropout=0.5, seed=3)
    q = normal(1, 6, 2, dtype="float32")
    _, scores = layer([q, q], return_attention_scores=True, training=True)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1, rtol=1e-6)  # the scores returned are before dropout
    assert not np.allclose(layer([q, q], training=True).numpy(), layer([q, q]).numpy())


@pytest.mark.parametrize("build, message", [
    (lambda: Attention(score_mode="add"), r"score_mode must be one of \('dot', 'concat'\), got 'add'"),
    (lambda: AdditiveAttention(dropout=-0.1), r"dropout must be a number in \[0, 1\)"),
])
def test_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("inputs, kwargs, message", [
    (lambda q, v: q, {}, r"inputs must be a list \[query, value\] or \[query, value, key\], got one tensor "
                         r"of shape \(2, 3, 4\)"),
    (lambda q, v: [q], {}, r"inputs must be a list .* got 1 items"),
    (lambda q, v: [q[0], v[0]], {}, r"must each have shape \(batch, time, features\).*expand_dims"),
    (lambda q, v: [q, v[..., :3]], {}, r"query \(2, 3, 4\) and key \(2, 5, 3\) must have one feature size"),
    (lambda q, v: [q, v, v[:, :4]], {}, r"value \(2, 5, 4\) and key \(2, 4, 4\) must have one length"),
    (lambda q, v: [q, v[:1]], {}, r"must have one batch size"),
    (lambda q, v: [q, v], dict(mask=np.ones((2, 5), bool)), r"mask must be a list \[query_mask, value_mask\]"),
    (lambda q, v: [q, v], dict(mask=[None, np.ones((2, 4), bool)]),
     r"the value mask must have shape \(2, 5\) .*got \(2, 4\)"),
])
def test_bad_input(inputs, kwargs, message):
    q, v = Tensor(normal(2, 3, 4, dtype="float32")), Tensor(normal(2, 5, 4, dtype="float32"))
    for layer in (Attention(), AdditiveAttention()):
        with pytest.raises(ValueError, match=message):
            layer(inputs(q, v), **kwargs)
