"""ZeroPadding1D/2D and Cropping1D/2D: values against NumPy and real Keras 3, gradients, shapes,
configs, a training step in a functional model, and the refusals."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


def np_crop(x, pairs):
    """Crops by building the index of each kept position (not by slicing with negative ends)."""
    for axis, (before, after) in enumerate(pairs, start=1):
        x = np.take(x, np.arange(before, x.shape[axis] - after), axis=axis)
    return x


# (class, argument as the user gives it, (before, after) per spatial axis, input shape)
PADDINGS = [
    ("ZeroPadding1D", None, [(1, 1)], (2, 5, 3)),
    ("ZeroPadding1D", 2, [(2, 2)], (2, 5, 3)),
    ("ZeroPadding1D", (0, 3), [(0, 3)], (2, 4, 1)),
    ("ZeroPadding2D", None, [(1, 1), (1, 1)], (2, 3, 4, 2)),
    ("ZeroPadding2D", 2, [(2, 2), (2, 2)], (1, 3, 4, 2)),
    ("ZeroPadding2D", (1, 0), [(1, 1), (0, 0)], (2, 3, 4, 2)),
    ("ZeroPadding2D", ((0, 2), (3, 1)), [(0, 2), (3, 1)], (2, 3, 4, 2)),
]
CROPPINGS = [
    ("Cropping1D", None, [(1, 1)], (2, 6, 3)),
    ("Cropping1D", 2, [(2, 2)], (2, 6, 3)),
    ("Cropping1D", (0, 3), [(0, 3)], (2, 6, 1)),
    ("Cropping2D", None, [(0, 0), (0, 0)], (2, 3, 4, 2)),
    ("Cropping2D", 1, [(1, 1), (1, 1)], (1, 4, 5, 2)),
    ("Cropping2D", (2, 0), [(2, 2), (0, 0)], (2, 6, 4, 2)),
    ("Cropping2D", ((0, 2), (3, 1)), [(0, 2), (3, 1)], (2, 5, 6, 2)),
]


def make(name, argument, **kwargs):
    return getattr(layers, name)(**kwargs) if argument is None else getattr(layers, name)(argument, **kwargs)


@pytest.mark.parametrize("name, argument, pairs, shape", PADDINGS)
def test_zero_padding_matches_numpy_pad_and_gradchecks(name, argument, pairs, shape):
    layer = make(name, argument, dtype="float64")
    x = np.random.default_rng(0).normal(size=shape)
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), np.pad(x, [(0, 0), *pairs, (0, 0)]))
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("name, argument, pairs, shape", CROPPINGS)
def test_cropping_matches_numpy_and_gradchecks(name, argument, pairs, shape):
    layer = make(name, argument, dtype="float64")
    x = np.random.default_rng(1).normal(size=shape)
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), np_crop(x, pairs))
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("name, argument, pairs, shape", PADDINGS + CROPPINGS)
def test_values_and_configs_match_keras_3(keras3, name, argument, pairs, shape):
    x = np.random.default_rng(2).normal(size=shape).astype("float32")
    ours, theirs = make(name, argument), (getattr(keras3.layers, name)() if argument is None
                                          else getattr(keras3.layers, name)(argument))
    np.testing.assert_array_equal(ours(x).numpy(), np.asarray(theirs(x)))
    own_keys = {k: v for k, v in ours.get_config().items() if k not in ("name", "trainable", "dtype")}
    assert own_keys == {k: theirs.get_config()[k] for k in own_keys}


@pytest.mark.parametrize("make_layer", [
    lambda: layers.ZeroPadding1D((1, 2)),
    lambda: layers.Cropping1D((1, 0)),
], ids=["ZeroPadding1D", "Cropping1D"])
def test_1d_layers_in_a_functional_model(make_layer, train_one_step):
    layer = make_layer()
    symbolic = layer(keras.Input(shape=(None, 3)))
    assert symbolic.shape == (None, None, 3)
    assert layer(keras.Input(shape=(6, 3))).shape == (None, 6 + (3 if isinstance(layer, layers.ZeroPadding1D) else -1), 3)
    config = layer.get_config()
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config
    train_one_step(make_layer(), (6, 3))


@pytest.mark.parametrize("make_layer, grown", [
    (lambda: layers.ZeroPadding2D(((1, 0), (2, 1))), (1, 3)),
    (lambda: layers.Cropping2D(((1, 0), (2, 1))), (-1, -3)),
], ids=["ZeroPadding2D", "Cropping2D"])
def test_2d_layers_in_a_functional_model(make_layer, grown, train_one_step):
    layer = make_layer()
    assert layer(keras.Input(shape=(None, 7, 2))).shape == (None, None, 7 + grown[1], 2)
    assert layer.compute_output_shape((None, 5, None, 2)) == (None, 5 + grown[0], None, 2)
    config = layer.get_config()
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config
    train_one_step(make_layer(), (5, 7, 2))


def test_integer_inputs_stay_integers_symbolically_and_for_real():
    pixels = np.arange(2 * 3 * 3, dtype="uint8").reshape(2, 3, 3, 1)
    out = layers.ZeroPadding2D(1)(pixels)
    assert out.dtype == np.uint8 and out.numpy()[0, 0, 0, 0] == 0
    assert layers.Cropping2D(1)(keras.Input(shape=(3, 3, 1), dtype="uint8")).dtype == "uint8"
    assert layers.ZeroPadding1D()(keras.Input(shape=(3, 1), dtype="int32")).dtype == "int32"


@pytest.mark.parametrize("make_layer, message", [
    (lambda: layers.ZeroPadding1D(-1), r"ZeroPadding1D: padding cannot be negative; got -1"),
    (lambda: layers.ZeroPadding2D(((1, -2), (0, 0))), r"padding cannot be negative; got \(\(1, -2\), \(0, 0\)\), "
                                                       r"which holds -2"),
    (lambda: layers.Cropping1D((2, -1)), r"Cropping1D: cropping cannot be negative; got \(2, -1\)"),
    (lambda: layers.Cropping2D(-3), r"Cropping2D: cropping cannot be negative; got -3"),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), r"padding must be an int, a tuple of 2 ints .*got \(1, 2, 3\)"),
    (lambda: layers.Cropping1D("1"), r"cropping must be an int .* or a tuple of 2 ints .*got '1'"),
    (lambda: layers.ZeroPadding2D(data_format="channels_first"), r"only data_format='channels_last'"),
])
def test_bad_arguments_are_named(make_layer, message):
    with pytest.raises(ValueError, match=message):
        make_layer()


@pytest.mark.parametrize("layer, shape, message", [
    (layers.Cropping1D((3, 2)), (2, 5, 3), r"cropping 3 \+ 2 = 5 from the steps axis leaves nothing of its 5"),
    (layers.Cropping2D(((0, 0), (4, 4))), (1, 9, 6, 1),
     r"cropping 4 \+ 4 = 8 from the width axis leaves nothing of its 6"),
])
def test_cropping_more_than_the_input_names_both_numbers(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape, "float32"))
    with pytest.raises(ValueError, match=message):
        layer.compute_output_shape((None,) + shape[1:])


@pytest.mark.parametrize("layer, shape, expected", [
    (layers.ZeroPadding1D(), (4, 3), r"expects inputs of rank 3 \(batch, steps, channels\), got shape \(4, 3\)"),
    (layers.Cropping2D(1), (2, 5, 5), r"expects inputs of rank 4 \(batch, height, width, channels\), "
                                      r"got shape \(2, 5, 5\).*add one of size 1"),
])
def test_wrong_rank_names_the_expected_shape(layer, shape, expected):
    with pytest.raises(ValueError, match=expected):
        layer(np.zeros(shape, "float32"))


pair = st.tuples(st.integers(0, 3), st.integers(0, 3))


@settings(max_examples=30, deadline=None)
@given(height=st.integers(1, 5), width=st.integers(1, 5), pads=st.tuples(pair, pair))
def test_cropping_what_zero_padding_added_gives_the_input_back(height, width, pads):
    x = np.random.default_rng(height * 10 + width).normal(size=(2, height, width, 3)).astype("float32")
    padded = layers.ZeroPadding2D(pads)(x)
    assert padded.shape == layers.ZeroPadding2D(pads).compute_output_shape(x.shape)
    np.testing.assert_array_equal(layers.Cropping2D(pads)(padded).numpy(), x)
