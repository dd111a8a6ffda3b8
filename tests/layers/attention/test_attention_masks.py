"""Masks that ride on tensors reach the attention layers as Keras 3 hands them over: from
Embedding(mask_zero=True), `query_mask=`/`value_mask=`/`key_mask=` for MultiHeadAttention and
`mask=[query_mask, value_mask]` for Attention; each output carries the query's mask on."""

import warnings

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers

TOKENS = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2], [5, 0, 0, 0, 0]])
KEYS = np.array([[6, 6, 0, 0, 0], [1, 2, 3, 0, 0], [4, 4, 4, 4, 4]])


def test_embedding_masks_reach_multi_head_attention_as_if_given_by_hand():
    embed, embed_keys = layers.Embedding(9, 6, mask_zero=True), layers.Embedding(9, 5, mask_zero=True)
    mha = layers.MultiHeadAttention(2, 3)
    x, k = embed(TOKENS), embed_keys(KEYS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no layer inside drops the mask with a warning
        automatic, scores = mha(x, x, key=k, use_causal_mask=True, return_attention_scores=True)
    by_hand, by_hand_scores = mha(x, x, key=k, query_mask=TOKENS != 0, value_mask=TOKENS != 0,
                                  key_mask=KEYS != 0, use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_array_equal(automatic.numpy(), by_hand.numpy())
    np.testing.assert_array_equal(scores.numpy(), by_hand_scores.numpy())
    unmasked = mha(x.detach(), x.detach(), key=k.detach(), use_causal_mask=True)
    assert not np.allclose(unmasked.numpy(), by_hand.numpy())  # the masks did change something
    np.testing.assert_array_equal(automatic._keras_mask.numpy(), TOKENS != 0)  # the query's mask, on
    assert getattr(scores, "_keras_mask", None) is None


@pytest.mark.parametrize("additive", [False, True])
def test_embedding_masks_reach_attention_as_a_list(additive):
    embed = layers.Embedding(9, 4, mask_zero=True)
    layer = layers.AdditiveAttention() if additive else layers.Attention(use_scale=True)
    q, v = embed(TOKENS), embed(KEYS)
    automatic = layer([q, v])
    by_hand = layer([q.detach(), v.detach()], mask=[TOKENS != 0, KEYS != 0])
    np.testing.assert_array_equal(automatic.numpy(), by_hand.numpy())
    np.testing.assert_array_equal(automatic._keras_mask.numpy(), TOKENS != 0)
    assert not np.allclose(layer([q.detach(), v.detach()]).numpy(), by_hand.numpy())


def test_a_masked_functional_model_fits_compiled_as_eager():
    x = np.random.default_rng(0).integers(0, 9, size=(12, 5))
    x[:, 3:] = 0
    y = np.random.default_rng(1).normal(size=(12, 1)).astype("float32")
    results = []
    for jit in (False, True):
        keras.utils.set_random_seed(2)
        tokens = keras.Input((None,), dtype="int32")
        hidden = layers.Embedding(9, 6, mask_zero=True)(tokens)
        hidden = layers.MultiHeadAttention(2, 3, dropout=0.1)(hidden, hidden)
        hidden = layers.Attention()([hidden, hidden])
        outputs = layers.Dense(1)(layers.GlobalAveragePooling1D()(hidden))
        model = keras.Model(tokens, outputs)
        model.compile(optimizer="adam", loss="mse", jit_compile=jit)
        results.append(model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"])
        # the padded steps change nothing: the masks keep them out
        np.testing.assert_allclose(model.predict(x[:, :3], verbose=0), model.predict(x, verbose=0), rtol=1e-5,
                                   atol=1e-6)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)
