"""GroupNormalization: values against a NumPy loop over groups and real Keras 3 (same weights),
gradients, its relation to LayerNormalization, symbolic shapes, configs, a fit step, refusals."""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


def loop_group_norm(x, groups, gamma, beta, epsilon, axis=-1):
    """Channel group by channel group, sample by sample: each block's own mean and variance."""
    x = np.moveaxis(x, axis, -1)
    out = np.empty_like(x)
    size = x.shape[-1] // groups
    for b in range(x.shape[0]):
        for g in range(groups):
            block = x[b, ..., g * size:(g + 1) * size]
            out[b, ..., g * size:(g + 1) * size] = (block - block.mean()) / np.sqrt(block.var() + epsilon)
    return np.moveaxis(out * gamma + beta, -1, axis)


@pytest.mark.parametrize("groups, axis, shape", [
    (2, -1, (2, 3, 4)), (1, -1, (2, 6)), (-1, -1, (2, 3, 3, 3)), (3, 1, (2, 6, 4)), (2, 2, (2, 3, 4, 5)),
])
def test_matches_a_loop_over_groups_and_gradchecks(groups, axis, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    layer = layers.GroupNormalization(groups, axis=axis, dtype="float64")
    layer.build(shape)
    channels = shape[axis]
    gamma, beta = rng.normal(size=channels), rng.normal(size=channels)
    layer.set_weights([gamma, beta])
    out = layer(x)
    expected = loop_group_norm(x, channels if groups == -1 else groups, gamma, beta, 1e-3, axis)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("groups, center, scale", [(2, True, True), (4, False, True), (1, True, False)])
def test_matches_keras_3_with_the_same_weights(keras3, groups, center, scale):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    ours = layers.GroupNormalization(groups, center=center, scale=scale, epsilon=1e-2)
    theirs = keras3.layers.GroupNormalization(groups, center=center, scale=scale, epsilon=1e-2)
    ours.build(x.shape)
    theirs.build(x.shape)
    weights = [rng.normal(size=4).astype("float32") for _ in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    keys = ("groups", "axis", "epsilon", "center", "scale")
    assert {k: ours.get_config()[k] for k in keys} == {k: theirs.get_config()[k] for k in keys}


def test_one_group_is_layer_normalization_over_the_whole_sample():
    x = np.random.default_rng(2).normal(size=(2, 3, 4)).astype("float32")
    np.testing.assert_allclose(layers.GroupNormalization(1)(x).numpy(),
                               layers.LayerNormalization(axis=[1, 2])(x).numpy(), rtol=1e-5, atol=1e-6)


def test_a_sample_does_not_depend_on_its_batch():
    layer = layers.GroupNormalization(2)
    x = np.random.default_rng(3).normal(size=(4, 6)).astype("float32")
    np.testing.assert_allclose(layer(x[:1]).numpy(), layer(x).numpy()[:1], rtol=1e-6)


def test_in_a_functional_model(train_one_step):
    layer = layers.GroupNormalization(2)
    assert layer(keras.Input(shape=(None, 4))).shape == (None, None, 4)
    config = layer.get_config()
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config
    model, _ = train_one_step(layers.GroupNormalization(2, name="gn"), (3, 4))
    assert [w.name for w in model.get_layer("gn").trainable_weights] == ["gamma", "beta"]


@pytest.mark.parametrize("groups, shape, message", [
    (3, (2, 4), r"4 channels \(axis -1 of inputs of shape \(2, 4\)\) cannot be split into 3 equal groups"),
    (8, (2, 4), r"cannot be split into 8 equal groups; choose groups that divide 4 \(at most 4\)"),
])
def test_groups_that_do_not_divide_the_channels_are_named(groups, shape, message):
    with pytest.raises(ValueError, match=message):
        layers.GroupNormalization(groups)(np.ones(shape, "float32"))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"groups must be a positive int \(or -1: one group per channel\), got 0"):
        layers.GroupNormalization(0)
    with pytest.raises(TypeError, match=r"axis must be an int \(the channel axis\), got \[1, 2\]"):
        layers.GroupNormalization(2, axis=[1, 2])
    with pytest.raises(ValueError, match=r"must have known sizes"):
        layers.GroupNormalization(2)(keras.Input(shape=(3, None)))
