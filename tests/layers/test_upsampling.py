"""UpSampling1D/2D: nearest against np.repeat, bilinear against a per-pixel loop and real Keras 3,
gradients, shapes, configs, a training step in a functional model, and the refusals."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


def loop_bilinear(x, factors):
    """Output pixel by output pixel: the half-pixel source coordinate, clamped, and its 4 neighbours."""
    batch, height, width, channels = x.shape
    out = np.zeros((batch, height * factors[0], width * factors[1], channels))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            y = min(max((i + 0.5) / factors[0] - 0.5, 0.0), height - 1)
            z = min(max((j + 0.5) / factors[1] - 0.5, 0.0), width - 1)
            y0, z0 = math.floor(y), math.floor(z)
            y1, z1 = min(y0 + 1, height - 1), min(z0 + 1, width - 1)
            dy, dz = y - y0, z - z0
            out[:, i, j] = ((1 - dy) * (1 - dz) * x[:, y0, z0] + (1 - dy) * dz * x[:, y0, z1]
                            + dy * (1 - dz) * x[:, y1, z0] + dy * dz * x[:, y1, z1])
    return out


@pytest.mark.parametrize("size, shape", [(2, (2, 3, 4)), (3, (1, 5, 2)), (1, (2, 3, 1))])
def test_upsampling1d_repeats_each_step_and_gradchecks(size, shape):
    layer = layers.UpSampling1D(size, dtype="float64")
    x = np.random.default_rng(0).normal(size=shape)
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), np.repeat(x, size, axis=1))
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(layer, [x])


SIZES_2D = [((2, 2), (2, 3, 4, 2)), ((3, 2), (1, 3, 3, 1)), ((1, 3), (2, 2, 3, 2)), (4, (1, 2, 2, 1))]


@pytest.mark.parametrize("size, shape", SIZES_2D)
def test_upsampling2d_nearest_is_np_repeat_on_both_axes(size, shape):
    layer = layers.UpSampling2D(size, dtype="float64")
    x = np.random.default_rng(1).normal(size=shape)
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), np.repeat(np.repeat(x, layer.size[0], 1), layer.size[1], 2))
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("size, shape", SIZES_2D)
def test_upsampling2d_bilinear_matches_a_loop_over_pixels_and_gradchecks(size, shape):
    layer = layers.UpSampling2D(size, interpolation="bilinear", dtype="float64")
    x = np.random.default_rng(2).normal(size=shape)
    out = layer(x)
    np.testing.assert_allclose(out.numpy(), loop_bilinear(x, layer.size), rtol=1e-12, atol=1e-12)
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(layer, [x])


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "BILINEAR"])
@pytest.mark.parametrize("size, shape", SIZES_2D)
def test_upsampling2d_matches_keras_3(keras3, interpolation, size, shape):
    x = np.random.default_rng(3).normal(size=shape).astype("float32")
    ours = layers.UpSampling2D(size, interpolation=interpolation)
    theirs = keras3.layers.UpSampling2D(size, interpolation=interpolation)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    own = {k: v for k, v in ours.get_config().items() if k in ("size", "data_format", "interpolation")}
    assert own == {k: theirs.get_config()[k] for k in own}


def test_upsampling1d_matches_keras_3(keras3):
    x = np.random.default_rng(4).normal(size=(2, 3, 4)).astype("float32")
    np.testing.assert_array_equal(layers.UpSampling1D(3)(x).numpy(), np.asarray(keras3.layers.UpSampling1D(3)(x)))


def test_bilinear_keeps_constant_images_constant_and_the_mean_of_a_ramp():
    flat = np.full((1, 3, 5, 2), 7.0)
    np.testing.assert_allclose(layers.UpSampling2D(3, interpolation="bilinear")(flat).numpy(), 7.0, rtol=1e-6)
    ramp = np.arange(4.0).reshape(1, 4, 1, 1)  # away from the clamped edges, a ramp stays a ramp
    out = layers.UpSampling2D((2, 1), interpolation="bilinear", dtype="float64")(ramp).numpy()[0, :, 0, 0]
    np.testing.assert_allclose(out, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0])


@pytest.mark.parametrize("make_layer, sample_shape, expected", [
    (lambda: layers.UpSampling1D(2), (3, 2), (None, 6, 2)),
    (lambda: layers.UpSampling2D((2, 3)), (2, 3, 2), (None, 4, 9, 2)),
    (lambda: layers.UpSampling2D(2, interpolation="bilinear"), (2, 3, 2), (None, 4, 6, 2)),
], ids=["1D", "2D-nearest", "2D-bilinear"])
def test_symbolic_shapes_config_and_one_training_step(make_layer, sample_shape, expected, train_one_step):
    layer = make_layer()
    assert layer(keras.Input(shape=sample_shape)).shape == expected
    unknown = (None,) * len(sample_shape) + (sample_shape[-1],)
    assert layer.compute_output_shape(unknown) == unknown
    config = layer.get_config()
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config
    train_one_step(make_layer(), sample_shape)


def test_an_autoencoder_decoder_upsamples_back_to_the_input_size():
    inputs = keras.Input(shape=(8, 8, 1))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)
    outputs = layers.Conv2D(1, 3, padding="same")(x)
    model = keras.Model(inputs, outputs)
    assert model.output.shape == (None, 8, 8, 1)
    model.compile("adam", "mse")
    images = np.random.default_rng(6).uniform(size=(4, 8, 8, 1)).astype("float32")
    history = model.fit(images, images, epochs=2, batch_size=4, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_nearest_keeps_integers_and_bilinear_makes_floats():
    pixels = np.arange(8, dtype="uint8").reshape(1, 2, 2, 2)
    assert layers.UpSampling2D()(pixels).dtype == np.uint8
    assert layers.UpSampling1D()(keras.Input(shape=(3, 1), dtype="int32")).dtype == "int32"
    out = layers.UpSampling2D(interpolation="bilinear")(pixels)
    assert out.dtype == np.float32
    assert layers.UpSampling2D(interpolation="bilinear")(keras.Input(shape=(2, 2, 2), dtype="uint8")).dtype \
        == "float32"


@pytest.mark.parametrize("make_layer, error, message", [
    (lambda: layers.UpSampling2D(interpolation="cubic"), ValueError,
     r"unknown interpolation 'cubic'; choose one of 'nearest', 'bilinear'"),
    (lambda: layers.UpSampling2D(interpolation="bicubic"), ValueError,
     r"'bicubic' \(Keras 3 has it; tinyfit does not\); choose one of 'nearest', 'bilinear'"),
    (lambda: layers.UpSampling2D(size=(2, 0)), ValueError, r"size must be a positive int or a tuple of 2"),
    (lambda: layers.UpSampling1D(size=2.0), TypeError, r"size must be an int, got float 2.0"),
    (lambda: layers.UpSampling1D(size=0), ValueError, r"size must be a positive int, got 0"),
])
def test_bad_arguments_are_named(make_layer, error, message):
    with pytest.raises(error, match=message):
        make_layer()


@pytest.mark.parametrize("layer, shape, expected", [
    (layers.UpSampling1D(), (4, 3), r"expects inputs of rank 3 \(batch, steps, channels\), got shape \(4, 3\)"),
    (layers.UpSampling2D(), (2, 5, 5, 1, 1), r"expects inputs of rank 4 \(batch, height, width, channels\)"),
])
def test_wrong_rank_names_the_expected_shape(layer, shape, expected):
    with pytest.raises(ValueError, match=expected):
        layer(np.zeros(shape, "float32"))


def test_a_compiled_training_step_replays_the_upsampling_ops_as_eager_code_runs_them():
    def train(jit_compile):
        keras.utils.set_random_seed(0)
        inputs = keras.Input(shape=(3, 3, 2))
        x = layers.Conv2D(2, 2, padding="same")(inputs)
        x = layers.UpSampling2D((2, 1), interpolation="bilinear")(x)
        x = layers.UpSampling2D((1, 2))(x)
        outputs = layers.Dense(1)(layers.Flatten()(x))
        model = keras.Model(inputs, outputs)
        model.compile(keras.optimizers.SGD(0.05), "mse", jit_compile=jit_compile)
        rng = np.random.default_rng(7)
        x, y = rng.normal(size=(12, 3, 3, 2)).astype("float32"), rng.normal(size=(12, 1)).astype("float32")
        history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        return history.history["loss"], model.get_weights()

    (eager_loss, eager_weights), (compiled_loss, compiled_weights) = train(False), train(True)
    np.testing.assert_allclose(compiled_loss, eager_loss, rtol=1e-6)
    for compiled, eager in zip(compiled_weights, eager_weights):
        np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(height=st.integers(1, 4), width=st.integers(1, 4), factors=st.tuples(st.integers(1, 4), st.integers(1, 4)))
def test_bilinear_agrees_with_the_loop_for_any_sizes(height, width, factors):
    x = np.random.default_rng(height * 10 + width).normal(size=(1, height, width, 2))
    out = layers.UpSampling2D(factors, interpolation="bilinear", dtype="float64")(x)
    np.testing.assert_allclose(out.numpy(), loop_bilinear(x, factors), rtol=1e-12, atol=1e-12)
