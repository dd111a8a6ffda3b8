"""Embedding (lookup, scatter-add gradient, ids as floats, errors) and Rescaling."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


# ------------------------------------------------------------------ Embedding
def test_embedding_looks_up_rows_of_its_table():
    layer = layers.Embedding(10, 3)
    ids = np.array([[1, 2, 9], [0, 0, 4]])
    out = layer(ids)
    table = layer.get_weights()[0]
    assert out.shape == (2, 3, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), table[ids])
    assert layer.compute_output_shape((None, 7)) == (None, 7, 3)


def test_default_initializer_is_uniform_within_five_hundredths():
    layer = layers.Embedding(200, 50)
    layer(np.array([0]))
    table = layer.get_weights()[0]
    assert np.abs(table).max() <= 0.05 and table.std() == pytest.approx(0.05 / np.sqrt(3), rel=0.05)


def test_gradient_adds_up_for_repeated_ids():
    layer = layers.Embedding(5, 2, dtype="float64")
    ids = np.array([[1, 3, 1], [1, 0, 3]])
    g = np.random.default_rng(0).normal(size=(2, 3, 2))
    out = layer(ids)
    (out * keras.Tensor(g, dtype="float64")).sum().backward()
    expected = np.zeros((5, 2))
    for (b, t), i in np.ndenumerate(ids):
        expected[i] += g[b, t]
    np.testing.assert_allclose(layer.embeddings.grad, expected)


def test_embedding_gradchecks_through_its_own_call():
    layer = layers.Embedding(6, 3, dtype="float64")
    ids = np.array([[0, 5, 5], [2, 0, 1]])
    layer(ids)
    saved = layer.embeddings

    def f(table):
        object.__setattr__(layer, "embeddings", table)
        try:
            return layer(ids)
        finally:
            object.__setattr__(layer, "embeddings", saved)

    gradcheck(f, [saved.numpy()])


def test_float_ids_that_are_whole_numbers_are_accepted():
    layer = layers.Embedding(4, 2)
    np.testing.assert_array_equal(layer(np.array([[3.0, 0.0]])).numpy(), layer(np.array([[3, 0]])).numpy())


def test_embedding_in_a_model_that_trains():
    inputs = keras.Input(shape=(3,), dtype="int32")
    x = layers.GlobalAveragePooling1D()(layers.Embedding(8, 4)(inputs))
    model = keras.Model(inputs, layers.Dense(1)(x))
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    ids = np.random.default_rng(1).integers(0, 8, size=(32, 3)).astype("int32")
    target = (ids == 2).any(axis=1, keepdims=True).astype("float32")
    history = model.fit(ids, target, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_embedding_config_round_trip():
    layer = layers.Embedding(7, 2, embeddings_initializer="ones", embeddings_regularizer="l2", name="emb")
    config = layer.get_config()
    assert (config["input_dim"], config["output_dim"], config["mask_zero"]) == (7, 2, False)
    again = layers.Embedding.from_config({**config, "name": "emb2"})
    assert {**again.get_config(), "name": "emb"} == config


def test_embedding_errors_name_the_bad_id_and_input_dim():
    layer = layers.Embedding(10, 2, name="e")
    with pytest.raises(ValueError, match=r"Embedding 'e': id 12 is out of range: input_dim=10 allows ids 0..9. "
                                         r"Raise input_dim to at least 13"):
        layer(np.array([[1, 12]]))
    with pytest.raises(ValueError, match=r"Embedding 'e': id -1 is out of range: ids must be in 0..9 \(input_dim=10\)"):
        layer(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match=r"Embedding 'e': ids must be whole numbers, got 2.5"):
        layer(np.array([[1.0, 2.5]]))
    with pytest.raises(ValueError, match=r"Embedding: output_dim must be a whole number >= 1, got 0"):
        layers.Embedding(10, 0)


# ------------------------------------------------------------------ Rescaling
def test_rescaling_scales_then_offsets_and_computes_integers_as_floats():
    out = layers.Rescaling(1 / 127.5, offset=-1)(np.array([[0, 255]], dtype="uint8"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [[-1.0, 1.0]], rtol=1e-6)
    per_channel = layers.Rescaling(np.array([1.0, 10.0]), dtype="float64")
    np.testing.assert_allclose(per_channel(np.ones((2, 3, 2))).numpy()[0, 0], [1.0, 10.0])
    gradcheck(layers.Rescaling(3.0, offset=2.0), [np.random.default_rng(2).normal(size=(2, 3))])


def test_rescaling_shape_config_and_errors():
    layer = layers.Rescaling(0.5, offset=1.0, name="r")
    assert layer(keras.Input(shape=(28, 28, 1))).shape == (None, 28, 28, 1)
    config = layer.get_config()
    assert (config["scale"], config["offset"]) == (0.5, 1.0)
    assert layers.Rescaling(np.array([1.0, 2.0])).get_config()["scale"] == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"Rescaling: scale must be a number or an array of numbers, got 'half'"):
        layers.Rescaling("half")
