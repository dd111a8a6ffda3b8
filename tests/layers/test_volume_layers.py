"""ZeroPadding3D, Cropping3D and UpSampling3D: values against NumPy and real Keras 3, gradients,
symbolic shapes, configs, a training step in a functional model, and the refusals."""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck

# (argument, (before, after) per spatial axis)
PADS = [(None, [(1, 1)] * 3), (2, [(2, 2)] * 3), ((1, 0, 2), [(1, 1), (0, 0), (2, 2)]),
        (((0, 1), (2, 0), (1, 1)), [(0, 1), (2, 0), (1, 1)])]
SIZES = [(None, (2, 2, 2)), (3, (3, 3, 3)), ((1, 2, 3), (1, 2, 3))]


def make(name, argument, **kwargs):
    cls = getattr(layers, name)
    return cls(**kwargs) if argument is None else cls(argument, **kwargs)


def np_crop(x, pairs):
    """Keeps the positions before..n-after of each spatial axis, by index lists."""
    for axis, (before, after) in enumerate(pairs, start=1):
        x = np.take(x, np.arange(before, x.shape[axis] - after), axis=axis)
    return x


@pytest.mark.parametrize("argument, pairs", PADS)
def test_zero_padding3d_is_np_pad_and_gradchecks(argument, pairs):
    layer = make("ZeroPadding3D", argument, dtype="float64")
    x = np.random.default_rng(0).normal(size=(2, 3, 2, 4, 2))
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), np.pad(x, [(0, 0), *pairs, (0, 0)]))
    assert out.shape == layer.compute_output_shape(x.shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("argument, pairs", PADS)
def test_cropping3d_keeps_the_middle_and_gradchecks(argument, pairs):
    layer = make("Cropping3D", argument, dtype="float64")
    x = np.random.default_rng(1).normal(size=(2, 5, 6, 5, 1))
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), np_crop(x, pairs))
    assert out.shape == layer.compute_output_shape(x.shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("argument, factors", SIZES)
def test_upsampling3d_repeats_each_voxel_and_gradchecks(argument, factors):
    layer = make("UpSampling3D", argument, dtype="float64")
    x = np.random.default_rng(2).normal(size=(2, 2, 3, 2, 2))
    out = layer(x)
    expected = x
    for axis, factor in enumerate(factors, start=1):
        expected = np.repeat(expected, factor, axis=axis)
    np.testing.assert_array_equal(out.numpy(), expected)
    assert out.shape == layer.compute_output_shape(x.shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("name, argument", [("ZeroPadding3D", a) for a, _ in PADS]
                         + [("Cropping3D", a) for a, _ in PADS] + [("UpSampling3D", a) for a, _ in SIZES])
def test_values_and_configs_match_keras_3(keras3, name, argument):
    x = np.random.default_rng(3).normal(size=(2, 5, 6, 5, 2)).astype("float32")
    ours = make(name, argument)
    theirs = getattr(keras3.layers, name)() if argument is None else getattr(keras3.layers, name)(argument)
    np.testing.assert_array_equal(ours(x).numpy(), np.asarray(theirs(x)))
    own = {k: v for k, v in ours.get_config().items() if k not in ("name", "trainable", "dtype")}
    theirs_config = {k: theirs.get_config()[k] for k in own}
    # Keras keeps its tuples; a JSON round trip makes both lists
    assert json.loads(json.dumps(own)) == json.loads(json.dumps(theirs_config))


@pytest.mark.parametrize("make_layer, expected", [
    (lambda: layers.ZeroPadding3D(((1, 0), (0, 2), (1, 1))), (None, 5, None, 7, 2)),
    (lambda: layers.Cropping3D(((1, 0), (0, 2), (1, 1))), (None, 3, None, 3, 2)),
    (lambda: layers.UpSampling3D((1, 2, 2)), (None, 4, None, 10, 2)),
], ids=["ZeroPadding3D", "Cropping3D", "UpSampling3D"])
def test_in_a_functional_model(make_layer, expected, train_one_step):
    layer = make_layer()
    assert layer(keras.Input(shape=(4, None, 5, 2))).shape == expected
    assert layer(keras.Input(shape=(4, None, 5, 2), dtype="int32")).dtype == "int32"
    config = layer.get_config()
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config
    train_one_step(make_layer(), (4, 5, 5, 2))


@pytest.mark.parametrize("make_layer, message", [
    (lambda: layers.ZeroPadding3D((1, 2)), r"ZeroPadding3D: padding must be an int, a tuple of 3 ints"),
    (lambda: layers.ZeroPadding3D(((1, 1), (1, -1), (0, 0))), r"padding cannot be negative.*which holds -1"),
    (lambda: layers.Cropping3D(((1, 1), (1, 1))), r"Cropping3D: cropping must be an int, a tuple of 3 ints"),
    (lambda: layers.UpSampling3D((2, 2)), r"UpSampling3D: size must be a positive int or a tuple of 3"),
    (lambda: layers.UpSampling3D(0), r"UpSampling3D: size must be a positive int"),
    (lambda: layers.Cropping3D(data_format="channels_first"), r"only data_format='channels_last'"),
])
def test_bad_arguments_are_named(make_layer, message):
    with pytest.raises(ValueError, match=message):
        make_layer()


def test_cropping_a_whole_axis_and_the_wrong_rank_are_refused():
    with pytest.raises(ValueError, match=r"cropping 2 \+ 2 = 4 from the height axis leaves nothing of its 4"):
        layers.Cropping3D(((0, 0), (2, 2), (0, 0)))(np.zeros((1, 5, 4, 5, 1), "float32"))
    with pytest.raises(ValueError, match=r"expects inputs of rank 5 \(batch, depth, height, width, channels\)"):
        layers.UpSampling3D()(np.zeros((1, 4, 4, 4), "float32"))
