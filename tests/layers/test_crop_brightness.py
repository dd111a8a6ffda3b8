"""RandomCrop and RandomBrightness: what a draw does (a window of the input; a shift, clipped),
seeds, inference, values against real Keras 3 where a draw is fixed, gradients, symbolic shapes,
configs, saved models, and a convnet trained with them."""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


def images(shape=(3, 6, 8, 2), seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=shape).astype("float32")


def window_offset(x, out):
    """The (top, left) at which `out` is a window of every image of `x`, found by trying them all."""
    height, width = out.shape[1:3]
    found = [(t, l) for t in range(x.shape[1] - height + 1) for l in range(x.shape[2] - width + 1)
             if np.array_equal(x[:, t:t + height, l:l + width], out)]
    assert len(found) == 1, found
    return found[0]


def test_random_crop_cuts_a_window_and_reaches_every_offset():
    x = images()
    layer = layers.RandomCrop(4, 5, seed=3)
    offsets = {window_offset(x, layer(x).numpy()) for _ in range(60)}
    assert offsets == {(t, l) for t in range(3) for l in range(4)}


def test_random_crop_seed_repeats_its_sequence():
    x = images()
    first, second = layers.RandomCrop(3, 3, seed=7), layers.RandomCrop(3, 3, seed=7)
    for _ in range(3):
        np.testing.assert_array_equal(first(x).numpy(), second(x).numpy())


def test_random_crop_at_inference_crops_to_the_aspect_ratio_and_resizes(keras3):
    x = images((2, 6, 8, 2))
    for size in [(3, 4), (3, 3), (5, 2), (8, 10)]:
        out = layers.RandomCrop(*size, seed=1)(x, training=False).numpy()
        expected = keras3.layers.Resizing(*size, crop_to_aspect_ratio=True)(x)
        np.testing.assert_allclose(out, np.asarray(expected), rtol=1e-5, atol=1e-3)
    # images smaller than the window are resized the same way while training
    np.testing.assert_allclose(layers.RandomCrop(8, 10, seed=1)(x).numpy(),
                               np.asarray(keras3.layers.Resizing(8, 10, crop_to_aspect_ratio=True)(x)),
                               rtol=1e-5, atol=1e-3)


def test_random_crop_of_the_whole_image_matches_keras_3(keras3):
    x = images((2, 4, 5, 1))
    np.testing.assert_array_equal(layers.RandomCrop(4, 5, seed=1)(x).numpy(),
                                  np.asarray(keras3.layers.RandomCrop(4, 5, seed=1)(x)))
    ours, theirs = layers.RandomCrop(4, 5, seed=1), keras3.layers.RandomCrop(4, 5, seed=1)
    assert {k: ours.get_config()[k] for k in ("height", "width", "seed", "data_format")} == \
        {k: theirs.get_config()[k] for k in ("height", "width", "seed", "data_format")}


@pytest.mark.parametrize("factor, value_range", [((0.1, 0.1), (0, 255)), ((-0.3, -0.3), (0, 255)),
                                                 ((0.4, 0.4), (0, 1)), ((0.0, 0.0), (0, 255))])
def test_random_brightness_with_a_fixed_draw_matches_keras_3(keras3, factor, value_range):
    x = images() * (value_range[1] / 255)
    ours = layers.RandomBrightness(factor, value_range=value_range, seed=1)
    theirs = keras3.layers.RandomBrightness(factor, value_range=value_range, seed=1)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-4)
    assert tuple(ours.get_config()["factor"]) == tuple(theirs.get_config()["factor"])


def test_random_brightness_shifts_each_image_by_one_amount_within_the_range():
    x = images((8, 4, 4, 3)) * 0.5 + 60  # inside (60, 188): no clipping for shifts up to 51
    out = layers.RandomBrightness(0.2, seed=2)(x).numpy()
    shifts = (out - x).reshape(8, -1)
    np.testing.assert_allclose(shifts, shifts[:, :1] * np.ones_like(shifts), atol=1e-3)
    assert np.all(np.abs(shifts[:, 0]) <= 0.2 * 255 + 1e-3) and len(set(np.round(shifts[:, 0], 3))) == 8
    clipped = layers.RandomBrightness((0.9, 0.9), seed=2)(x).numpy()
    assert clipped.max() == 255.0


@pytest.mark.parametrize("make", [lambda: layers.RandomCrop(3, 4, seed=5),
                                  lambda: layers.RandomBrightness(0.5, value_range=(-1, 1), seed=5)],
                         ids=["RandomCrop", "RandomBrightness"])
def test_inference_and_gradients(make):
    x = np.random.default_rng(4).uniform(-1, 1, size=(2, 5, 6, 1))
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config
    if isinstance(layer, layers.RandomBrightness):
        np.testing.assert_array_equal(layer(x, training=False).numpy(), x.astype("float32"))

    def f(t):
        return type(layer).from_config({**config, "dtype": "float64"})(t, training=True)  # the same seeded draw

    assert not np.allclose(f(x).numpy(), x[:, :f(x).shape[1], :f(x).shape[2]])
    gradcheck(f, [x])


def test_symbolic_shapes_and_errors():
    assert layers.RandomCrop(3, 4)(keras.Input(shape=(6, 8, 2))).shape == (None, 3, 4, 2)
    assert layers.RandomCrop(3, 4).compute_output_shape((6, 8, 2)) == (3, 4, 2)
    assert layers.RandomBrightness(0.1)(keras.Input(shape=(6, 8, 2), dtype="uint8")).dtype == "float32"
    with pytest.raises(ValueError, match=r"RandomCrop: height must be a positive int"):
        layers.RandomCrop(0, 3)
    with pytest.raises(ValueError, match=r"RandomBrightness: factor=1.5 is out of range: each bound must lie in "
                                         r"\[-1.0, 1.0\]"):
        layers.RandomBrightness(1.5)
    with pytest.raises(ValueError, match=r"value_range must be a pair \(low, high\)"):
        layers.RandomBrightness(0.1, value_range=(3,))
    with pytest.raises(TypeError, match=r"seed must be an int"):
        layers.RandomCrop(3, 3, seed="x")
    with pytest.raises(ValueError, match=r"expects images of shape"):
        layers.RandomCrop(3, 3)(np.zeros((4, 5), "float32"))


def test_a_convnet_trains_with_them_and_predicts_the_same_after_saving(tmp_path):
    rng = np.random.default_rng(6)
    x, y = rng.uniform(0, 255, size=(16, 10, 10, 1)).astype("float32"), rng.integers(0, 2, 16)
    model = keras.Sequential([keras.Input((10, 10, 1)), layers.RandomBrightness(0.1, seed=1),
                              layers.RandomCrop(8, 8, seed=2), layers.Rescaling(1 / 255),
                              layers.Conv2D(2, 3, activation="relu"), layers.Flatten(), layers.Dense(2)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    model.save(tmp_path / "m.tinyfit")
    loaded = keras.models.load_model(tmp_path / "m.tinyfit")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)
