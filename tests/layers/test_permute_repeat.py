"""Permute and RepeatVector: values against NumPy and real Keras 3, gradients, symbolic shapes,
configs, a training step in a functional model, and the refusals."""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


@pytest.mark.parametrize("dims, shape", [((2, 1), (2, 3, 4)), ((3, 1, 2), (2, 2, 3, 4)), ((1,), (3, 5))])
def test_permute_is_np_transpose_behind_the_batch_and_gradchecks(dims, shape):
    layer = layers.Permute(dims, dtype="float64")
    x = np.random.default_rng(0).normal(size=shape)
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), np.transpose(x, (0,) + dims))
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("n", [1, 3])
def test_repeat_vector_stacks_copies_and_gradchecks(n):
    layer = layers.RepeatVector(n, dtype="float64")
    x = np.random.default_rng(1).normal(size=(2, 4))
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), np.stack([x] * n, axis=1))
    assert out.shape == layer.compute_output_shape(x.shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("name, argument, shape", [
    ("Permute", (2, 1), (2, 3, 4)), ("Permute", (3, 1, 2), (2, 2, 3, 4)), ("RepeatVector", 3, (2, 5)),
])
def test_values_and_configs_match_keras_3(keras3, name, argument, shape):
    x = np.random.default_rng(2).normal(size=shape).astype("float32")
    ours, theirs = getattr(layers, name)(argument), getattr(keras3.layers, name)(argument)
    np.testing.assert_array_equal(ours(x).numpy(), np.asarray(theirs(x)))
    assert ours.compute_output_shape((None,) + shape[1:]) == theirs.compute_output_shape((None,) + shape[1:])
    key = "dims" if name == "Permute" else "n"
    assert ours.get_config()[key] == theirs.get_config()[key]


def test_symbolic_shapes_keep_unknown_sizes_and_integer_dtypes():
    assert layers.Permute((2, 1))(keras.Input(shape=(None, 4))).shape == (None, 4, None)
    assert layers.Permute((2, 1))(keras.Input(shape=(3, 4), dtype="int32")).dtype == "int32"
    assert layers.RepeatVector(6)(keras.Input(shape=(4,))).shape == (None, 6, 4)
    assert layers.RepeatVector(2)(np.arange(6).reshape(2, 3)).numpy().dtype == np.arange(1).dtype


@pytest.mark.parametrize("make_layer, sample", [
    (lambda: layers.Permute((2, 1)), (3, 4)), (lambda: layers.RepeatVector(3), (4,)),
], ids=["Permute", "RepeatVector"])
def test_in_a_functional_model(make_layer, sample, train_one_step):
    layer = make_layer()
    config = layer.get_config()
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config
    train_one_step(make_layer(), sample)


def test_an_encoder_decoder_with_repeat_vector_saves_and_loads(tmp_path):
    inputs = keras.Input(shape=(5, 2))
    code = layers.Dense(3)(layers.Flatten()(inputs))
    outputs = layers.Permute((2, 1))(layers.Dense(5)(layers.Permute((2, 1))(layers.RepeatVector(2)(code))))
    model = keras.Model(inputs, outputs)
    assert tuple(model.outputs[0].shape) == (None, 5, 3)
    x = np.random.default_rng(3).normal(size=(4, 5, 2)).astype("float32")
    model.save(tmp_path / "m.tinyfit")
    loaded = keras.models.load_model(tmp_path / "m.tinyfit")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("make_layer, message", [
    (lambda: layers.Permute((1, 1)), r"dims=\(1, 1\) is not a permutation of the sample's axes 1..2"),
    (lambda: layers.Permute((0, 1)), r"axis 0, the batch, cannot move"),
    (lambda: layers.Permute(2), r"dims must be a tuple of ints"),
    (lambda: layers.RepeatVector(0), r"n must be a positive int .*got 0"),
    (lambda: layers.RepeatVector(2.5), r"n must be a positive int"),
])
def test_bad_arguments_are_named(make_layer, message):
    with pytest.raises(ValueError, match=message):
        make_layer()


def test_inputs_of_the_wrong_rank_are_refused():
    with pytest.raises(ValueError, match=r"dims=\(2, 1\) expects inputs of rank 3 .*got shape \(2, 3, 4, 5\)"):
        layers.Permute((2, 1))(np.zeros((2, 3, 4, 5), "float32"))
    with pytest.raises(ValueError, match=r"expects inputs of rank 2 \(batch, features\), got shape \(None, 3, 4\)"):
        layers.RepeatVector(2)(keras.Input(shape=(3, 4)))
