"""Resizing and CenterCrop: values against a per-pixel loop and real Keras 3 (every mode), gradients,
single images, symbolic shapes, configs, a training step in a functional model, and the refusals."""

import json
import math

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


def loop_resize(x, height, width, interpolation):
    """Output pixel by output pixel: the half-pixel source point and its neighbours."""
    batch, in_h, in_w, channels = x.shape
    out = np.zeros((batch, height, width, channels))
    for i in range(height):
        for j in range(width):
            y, z = (i + 0.5) * in_h / height, (j + 0.5) * in_w / width
            if interpolation == "nearest":
                out[:, i, j] = x[:, min(math.floor(y), in_h - 1), min(math.floor(z), in_w - 1)]
                continue
            y, z = min(max(y - 0.5, 0), in_h - 1), min(max(z - 0.5, 0), in_w - 1)
            y0, z0 = math.floor(y), math.floor(z)
            y1, z1 = min(y0 + 1, in_h - 1), min(z0 + 1, in_w - 1)
            dy, dz = y - y0, z - z0
            out[:, i, j] = ((1 - dy) * (1 - dz) * x[:, y0, z0] + (1 - dy) * dz * x[:, y0, z1]
                            + dy * (1 - dz) * x[:, y1, z0] + dy * dz * x[:, y1, z1])
    return out


SIZES = [((5, 7), (2, 6, 8, 2)), ((8, 3), (1, 4, 4, 1)), ((3, 3), (2, 7, 5, 1)), ((4, 9), (1, 4, 3, 2))]


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("size, shape", SIZES)
def test_resizing_matches_a_loop_over_pixels_and_gradchecks(size, shape, interpolation):
    layer = layers.Resizing(*size, interpolation=interpolation, dtype="float64")
    x = np.random.default_rng(0).normal(size=shape)
    out = layer(x)
    np.testing.assert_allclose(out.numpy(), loop_resize(x, *size, interpolation), rtol=1e-12, atol=1e-12)
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("options", [{}, {"interpolation": "nearest"}, {"crop_to_aspect_ratio": True},
                                     {"pad_to_aspect_ratio": True, "fill_value": 0.5},
                                     {"crop_to_aspect_ratio": True, "interpolation": "nearest"}])
@pytest.mark.parametrize("size", [(5, 7), (8, 8), (3, 11), (13, 4)])
@pytest.mark.parametrize("shape", [(2, 6, 8, 3), (1, 9, 5, 1)])
def test_resizing_matches_keras_3(keras3, options, size, shape):
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    ours, theirs = layers.Resizing(*size, **options), keras3.layers.Resizing(*size, **options)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    own = {k: v for k, v in ours.get_config().items() if k not in ("name", "trainable", "dtype")}
    assert own == {k: theirs.get_config()[k] for k in own}


@pytest.mark.parametrize("size", [(4, 4), (3, 6), (6, 8), (8, 3), (10, 10)])
def test_center_crop_matches_keras_3_even_when_the_image_is_smaller(keras3, size):
    x = np.random.default_rng(2).normal(size=(2, 6, 8, 2)).astype("float32")
    ours, theirs = layers.CenterCrop(*size), keras3.layers.CenterCrop(*size)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    assert {k: ours.get_config()[k] for k in ("height", "width")} == \
        {k: theirs.get_config()[k] for k in ("height", "width")}


def test_center_crop_keeps_the_middle_and_gradchecks():
    x = np.random.default_rng(3).normal(size=(2, 7, 6, 1))
    layer = layers.CenterCrop(3, 4, dtype="float64")
    np.testing.assert_array_equal(layer(x).numpy(), x[:, 2:5, 1:5])
    gradcheck(layer, [x])
    gradcheck(layers.CenterCrop(8, 8, dtype="float64"), [x])  # smaller: resized


def test_a_single_image_and_integer_pixels():
    image = np.arange(4 * 6 * 3, dtype="uint8").reshape(4, 6, 3)
    out = layers.Resizing(2, 3)(image)
    assert out.shape == (2, 3, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), loop_resize(image[None].astype("float64"), 2, 3, "bilinear")[0],
                               rtol=1e-6)
    assert layers.CenterCrop(2, 2)(image).shape == (2, 2, 3)


@pytest.mark.parametrize("make_layer", [lambda: layers.Resizing(4, 6), lambda: layers.CenterCrop(3, 2)],
                         ids=["Resizing", "CenterCrop"])
def test_in_a_functional_model(make_layer, train_one_step):
    layer = make_layer()
    assert layer(keras.Input(shape=(6, 8, 3))).shape == (None, layer.height, layer.width, 3)
    assert layer.compute_output_shape((5, 6, 3)) == (layer.height, layer.width, 3)
    config = layer.get_config()
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config
    train_one_step(make_layer(), (6, 8, 2))


@pytest.mark.parametrize("make_layer, message", [
    (lambda: layers.Resizing(0, 4), r"Resizing: height must be a positive int \(pixels\), got 0"),
    (lambda: layers.CenterCrop(4, 2.5), r"CenterCrop: width must be a positive int"),
    (lambda: layers.Resizing(4, 4, interpolation="bicubic"), r"unknown interpolation 'bicubic' \(Keras 3 has it; "
                                                              r"tinyfit does not\); choose one of 'bilinear', 'nearest'"),
    (lambda: layers.Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), r"cannot both be True"),
    (lambda: layers.Resizing(4, 4, antialias=True), r"antialias=True is not supported"),
    (lambda: layers.Resizing(4, 4, fill_mode="reflect"), r"fill_mode must be 'constant'"),
    (lambda: layers.CenterCrop(4, 4, data_format="channels_first"), r"only data_format='channels_last'"),
])
def test_bad_arguments_are_named(make_layer, message):
    with pytest.raises(ValueError, match=message):
        make_layer()


def test_inputs_that_are_not_images_are_refused():
    with pytest.raises(ValueError, match=r"expects images of shape \(batch, height, width, channels\) .*got shape "
                                         r"\(4, 5\)"):
        layers.Resizing(2, 2)(np.zeros((4, 5), "float32"))
