"""UnitNormalization: values against NumPy's norm and real Keras 3, gradients, zeros, symbolic
shapes, configs, a training step in a functional model, and the refusals."""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


@pytest.mark.parametrize("axis, shape", [(-1, (3, 4)), (1, (2, 3, 4)), ([1, 2], (2, 3, 4)), ((-2, -1), (2, 2, 3, 2))])
def test_each_slice_gets_unit_norm_and_gradchecks(axis, shape):
    layer = layers.UnitNormalization(axis, dtype="float64")
    x = np.random.default_rng(0).normal(size=shape)
    out = layer(x)
    axes = tuple(np.atleast_1d(axis))
    np.testing.assert_allclose(out.numpy(), x / np.sqrt((x ** 2).sum(axis=axes, keepdims=True)), rtol=1e-12)
    np.testing.assert_allclose(np.sqrt((out.numpy() ** 2).sum(axis=axes)), 1.0)
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(layer, [x])


def test_an_all_zero_slice_stays_zero():
    out = layers.UnitNormalization()(np.array([[0.0, 0.0], [3.0, 4.0]], "float32")).numpy()
    np.testing.assert_allclose(out, [[0.0, 0.0], [0.6, 0.8]], rtol=1e-6)


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_matches_keras_3(keras3, axis):
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
    ours, theirs = layers.UnitNormalization(axis), keras3.layers.UnitNormalization(axis)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-6)
    assert ours.get_config()["axis"] == theirs.get_config()["axis"]


def test_in_a_functional_model(train_one_step):
    layer = layers.UnitNormalization(axis=[1, 2])
    assert layer(keras.Input(shape=(None, 3))).shape == (None, None, 3)
    assert layer(keras.Input(shape=(4, 3), dtype="int32")).dtype == "float32"
    config = layer.get_config()
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config
    train_one_step(layers.UnitNormalization(), (3, 4))


def test_bad_axes_are_named():
    with pytest.raises(TypeError, match=r"axis must be an int or a list of ints, got 'x'"):
        layers.UnitNormalization("x")
    with pytest.raises(ValueError, match=r"axis 3 does not fit inputs of shape \(2, 3\) \(rank 2\)"):
        layers.UnitNormalization(3)(np.ones((2, 3), "float32"))
