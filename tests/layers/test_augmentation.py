"""Random image layers: geometry against independent references, seeds, training switch, gradients, errors."""

import math
import warnings

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import Tensor, backend, layers
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.layers.augmentation.sampling import (FILL_MODES, INTERPOLATIONS, AffineResample, rotation_transforms,
                                                  translation_transforms, zoom_transforms)

scipy_ndimage = pytest.importorskip("scipy.ndimage")

NP_PAD = {"reflect": "symmetric", "wrap": "wrap", "nearest": "edge", "constant": "constant"}


def reference_resample(images, transforms, interpolation, fill_mode, fill_value):
    """Each image extended by np.pad as the fill mode says, then read by scipy's map_coordinates."""
    batch, height, width, channels = images.shape
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    out = np.empty_like(images)
    for b in range(batch):
        (a0, a1, a2), (b0, b1, b2) = transforms[b]
        x = a0 * cols + a1 * rows + a2
        y = b0 * cols + b1 * rows + b2
        pad = int(np.ceil(max(np.abs(x).max(), np.abs(y).max()))) + 2
        extra = {"constant_values": fill_value} if fill_mode == "constant" else {}
        for c in range(channels):
            padded = np.pad(images[b, :, :, c], pad, mode=NP_PAD[fill_mode], **extra)
            out[b, :, :, c] = scipy_ndimage.map_coordinates(
                padded, [y + pad, x + pad], order=0 if interpolation == "nearest" else 1, mode="nearest")
    return out


def resample(images, transforms, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    return AffineResample.apply(keras.ops.convert_to_tensor(images, dtype="float64"), draw_transforms=lambda b, h, w: transforms,
                                interpolation=interpolation, fill_mode=fill_mode, fill_value=fill_value).numpy()


def some_transforms(rng, batch, height, width):
    """Rotations, anisotropic zooms and shifts reaching well outside the image."""
    rotate = rotation_transforms(rng.uniform(-math.pi, math.pi, batch), height, width)
    scale = np.zeros((batch, 3, 3))
    scale[:, 0, 0], scale[:, 1, 1], scale[:, 2, 2] = rng.uniform(0.5, 1.6, batch), rng.uniform(0.5, 1.6, batch), 1
    shifted = rotate @ scale
    shifted[:, :, 2] += rng.uniform(-1.5, 1.5, (batch, 2)) * [width, height]
    return shifted


# ---------------------------------------------------------------- the sampler
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_resampling_matches_padding_then_scipy_map_coordinates(interpolation, fill_mode):
    rng = np.random.default_rng(3)
    images = rng.normal(size=(4, 7, 9, 2))
    transforms = some_transforms(rng, 4, 7, 9)
    got = resample(images, transforms, interpolation, fill_mode, fill_value=0.7)
    np.testing.assert_allclose(got, reference_resample(images, transforms, interpolation, fill_mode, 0.7),
                               atol=1e-12)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_a_quarter_turn_of_a_square_image_is_rot90(interpolation):
    images = np.random.default_rng(0).normal(size=(2, 6, 6, 3))
    quarter = rotation_transforms([math.pi / 2] * 2, 6, 6)
    np.testing.assert_allclose(resample(images, quarter, interpolation), np.rot90(images, k=1, axes=(1, 2)),
                               atol=1e-12)
    np.testing.assert_allclose(resample(images, rotation_transforms([-math.pi / 2] * 2, 6, 6), interpolation),
                               np.rot90(images, k=-1, axes=(1, 2)), atol=1e-12)


def test_whole_pixel_shifts_move_the_array_and_fill_the_rest():
    images = np.arange(1 * 4 * 5 * 1, dtype=float).reshape(1, 4, 5, 1)
    down_one_left_two = translation_transforms([1.0], [-2.0])
    expected = np.full_like(images, -3.0)
    expected[:, 1:, :3] = images[:, :3, 2:]
    np.testing.assert_array_equal(resample(images, down_one_left_two, fill_mode="constant", fill_value=-3.0),
                                  expected)
    wrapped = resample(images, down_one_left_two, fill_mode="wrap")
    np.testing.assert_array_equal(wrapped, np.roll(images, (1, -2), axis=(1, 2)))
    nearest = resample(images, down_one_left_two, fill_mode="nearest")
    np.testing.assert_array_equal(nearest[0, 0, :3, 0], images[0, 0, 2:, 0])  # the top row repeated
    np.testing.assert_array_equal(nearest[0, 1:, 3, 0], images[0, :3, 4, 0])  # the right column repeated
    reflected = resample(images, down_one_left_two, fill_mode="reflect")
    np.testing.assert_array_equal(reflected[0, 1:, 3:, 0], images[0, :3, [4, 3], 0].T)  # mirrored about the edge


def test_a_unit_zoom_is_the_identity_and_a_half_zoom_reads_the_centre():
    images = np.random.default_rng(1).normal(size=(2, 5, 8, 1))
    np.testing.assert_allclose(resample(images, zoom_transforms([1.0, 1.0], [1.0, 1.0], 5, 8)), images, atol=1e-12)
    # Zoom 1/2 on a 5-pixel axis reads rows 1, 1.5, ..., 3: the middle rows, interpolated.
    out = resample(images, zoom_transforms([0.5, 0.5], [1.0, 1.0], 5, 8))
    np.testing.assert_allclose(out[:, ::2], images[:, 1:4], atol=1e-12)
    np.testing.assert_allclose(out[:, 1], (images[:, 1] + images[:, 2]) / 2, atol=1e-12)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_the_sampler_gradient_matches_finite_differences(fill_mode):
    rng = np.random.default_rng(4)
    transforms = some_transforms(rng, 2, 5, 4)

    def f(images):
        return AffineResample.apply(images, draw_transforms=lambda b, h, w: transforms, interpolation="bilinear",
                                    fill_mode=fill_mode, fill_value=0.5)

    gradcheck(f, [rng.normal(size=(2, 5, 4, 2))])


# ---------------------------------------------------------------- the layers against Keras 3
FIXED_DRAWS = [  # ranges of width zero: every draw is the same, so Keras's output is comparable
    ("RandomRotation", dict(factor=(0.1, 0.1))),
    ("RandomRotation", dict(factor=(-0.3, -0.3), fill_mode="constant", fill_value=2.0)),
    ("RandomTranslation", dict(height_factor=(0.3, 0.3), width_factor=(-0.45, -0.45), fill_mode="wrap")),
    ("RandomTranslation", dict(height_factor=(-0.2, -0.2), width_factor=(0.1, 0.1), fill_mode="nearest",
                               interpolation="nearest")),
    ("RandomZoom", dict(height_factor=(-0.3, -0.3))),
    ("RandomZoom", dict(height_factor=(0.4, 0.4), width_factor=(-0.2, -0.2), fill_mode="constant")),
    ("RandomZoom", dict(height_factor=(0.5, 0.5), fill_mode="reflect", interpolation="nearest")),
]


@pytest.mark.parametrize("name, kwargs", FIXED_DRAWS)
def test_layers_with_a_fixed_draw_match_keras_3(name, kwargs, keras3):
    real = keras3
    images = np.random.default_rng(5).uniform(0, 255, size=(3, 9, 11, 2)).astype("float32")
    ours = getattr(layers, name)(**kwargs)(images, training=True).numpy()
    theirs = np.asarray(getattr(real.layers, name)(**kwargs)(images, training=True))
    np.testing.assert_allclose(ours, theirs, atol=2e-3)


def test_a_seeded_flip_matches_the_flip_of_each_image():
    images = np.random.default_rng(6).normal(size=(64, 4, 5, 1)).astype("float32")
    for mode, flip in [("horizontal", lambda x: x[:, ::-1]), ("vertical", lambda x: x[::-1]),
                       ("horizontal_and_vertical", lambda x: x[::-1, ::-1])]:
        out = layers.RandomFlip(mode, seed=2)(images).numpy()
        flipped = [np.array_equal(o, flip(x)) for o, x in zip(out, images)]
        kept = [np.array_equal(o, x) for o, x in zip(out, images)]
        assert all(f != k for f, k in zip(flipped, kept)), f"{mode}: every image is either flipped or kept"
        assert 20 < sum(flipped) < 44


# ---------------------------------------------------------------- randomness and seeds
def test_a_seeded_flip_flips_about_half_the_images():
    images = np.random.default_rng(7).normal(size=(4000, 2, 3, 1)).astype("float32")
    out = layers.RandomFlip("horizontal", seed=11)(images).numpy()
    flipped = np.mean([not np.array_equal(o, x) for o, x in zip(out, images)])
    assert abs(flipped - 0.5) < 0.03  # 4000 fair coins: the standard deviation is 0.008


def test_the_same_seed_gives_the_same_augmentations_and_each_call_draws_anew():
    images = np.random.default_rng(8).uniform(0, 1, size=(4, 8, 8, 3)).astype("float32")

    def pipeline(seed):
        return keras.Sequential([layers.RandomFlip(seed=seed), layers.RandomTranslation(0.2, 0.2, seed=seed),
                                 layers.RandomRotation(0.2, seed=seed), layers.RandomZoom(0.2, seed=seed),
                                 layers.RandomContrast(0.5, value_range=(0, 1), seed=seed)])

    first, again = pipeline(3), pipeline(3)
    a1, a2 = first(images, training=True).numpy(), first(images, training=True).numpy()
    b1, b2 = again(images, training=True).numpy(), again(images, training=True).numpy()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.allclose(a1, a2)
    assert not np.allclose(a1, pipeline(4)(images, training=True).numpy())


def test_without_a_seed_set_random_seed_makes_runs_repeat():
    images = np.random.default_rng(9).uniform(size=(3, 6, 6, 1)).astype("float32")
    runs = []
    for _ in range(2):
        keras.utils.set_random_seed(21)
        runs.append(layers.RandomRotation(0.3)(images).numpy())
    np.testing.assert_array_equal(*runs)


def test_draws_follow_keras_factor_conventions():
    rng = np.random.default_rng(0)
    angles = [np.arctan2(t[1, 0], t[0, 0]) for t in layers.RandomRotation(0.1).transforms(rng, 2000, 9, 9)]
    assert max(np.abs(angles)) <= 0.1 * 2 * math.pi + 1e-12 and max(np.abs(angles)) > 0.19 * 2 * math.pi * 0.5
    assert -0.2 * 2 * math.pi < np.mean(angles) * 40 < 0.2 * 2 * math.pi  # centred on zero
    shifts = layers.RandomTranslation((0.1, 0.3), (-0.5, -0.25)).transforms(rng, 1000, 20, 40)[:, :, 2]
    assert np.all(-shifts[:, 1] >= 2) and np.all(-shifts[:, 1] <= 6)  # 10% to 30% of 20 rows, downwards
    assert np.all(-shifts[:, 0] >= -20) and np.all(-shifts[:, 0] <= -10)  # 25% to 50% of 40 columns, left
    zooms = layers.RandomZoom((-0.3, -0.2)).transforms(rng, 1000, 10, 10)
    assert np.all((zooms[:, 0, 0] >= 0.7) & (zooms[:, 0, 0] <= 0.8))  # zoom in: a smaller area is read
    np.testing.assert_array_equal(zooms[:, 0, 0], zooms[:, 1, 1])  # width_factor=None keeps the aspect ratio


def test_random_contrast_scales_each_channel_about_its_mean_within_the_factor():
    images = np.random.default_rng(10).uniform(100, 150, size=(500, 6, 6, 3)).astype("float64")
    layer = layers.RandomContrast(0.4, seed=1, dtype="float64")
    out = layer(images).numpy()
    mean = images.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out.mean(axis=(1, 2), keepdims=True), mean, rtol=1e-12)
    ratio = (out - mean) / (images - mean)
    per_image = ratio[:, 0, 0, 0]
    np.testing.assert_allclose(ratio, per_image[:, None, None, None] * np.ones_like(ratio), rtol=1e-9)
    assert per_image.min() >= 0.6 and per_image.max() <= 1.4  # drawn from [1 - 0.4, 1 + 0.4]
    assert per_image.min() < 0.7 and per_image.max() > 1.3
    clipped = layers.RandomContrast((1.0, 1.0), value_range=(0, 1), seed=0)(
        np.random.default_rng(0).uniform(size=(8, 5, 5, 1))).numpy()
    assert clipped.min() >= 0 and clipped.max() <= 1


# ---------------------------------------------------------------- training switch and models
ALL = [
    lambda: layers.RandomFlip(seed=1),
    lambda: layers.RandomTranslation(0.2, 0.3, seed=1),
    lambda: layers.RandomRotation(0.2, seed=1),
    lambda: layers.RandomZoom(0.3, seed=1),
    lambda: layers.RandomContrast(0.3, seed=1),
]


@pytest.mark.parametrize("make", ALL)
def test_identity_at_inference_and_inside_predict_and_evaluate(make):
    images = np.random.default_rng(12).uniform(0, 255, size=(6, 8, 8, 1)).astype("float32")
    layer = make()
    assert not np.allclose(layer(images).numpy(), images)  # called directly it augments, as in Keras
    np.testing.assert_array_equal(layer(images, training=False).numpy(), images)
    model = keras.Sequential([keras.Input((8, 8, 1)), make()])
    model.compile(loss="mse")
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)
    assert model.evaluate(images, images, verbose=0) == 0.0


@pytest.mark.parametrize("make", ALL)
def test_one_image_integers_and_symbolic_shapes(make):
    image = np.random.default_rng(13).integers(0, 255, size=(7, 5, 3)).astype("uint8")
    out = make()(image)
    assert out.shape == (7, 5, 3) and out.dtype == np.float32
    inputs = keras.Input((28, 28, 1), dtype="uint8")
    symbolic = make()(inputs)
    assert symbolic.shape == (None, 28, 28, 1) and np.dtype(symbolic.dtype) == np.float32
    with pytest.raises(ValueError, match=r"expects images of shape \(batch, height, width, channels\).*\(None, 28\)"):
        make()(keras.Input((28,)))
    with pytest.raises(ValueError, match=r"rank 2"):
        make()(np.zeros((4, 4), "float32"))


@pytest.mark.parametrize("make", ALL)
def test_gradients_reach_the_images(make):
    keras.utils.set_random_seed(0)
    config = make().get_config()
    config.update(dtype="float64", name=None)
    cls = type(make())
    if cls is layers.RandomContrast:
        images = np.random.default_rng(14).uniform(100, 150, size=(4, 5, 4, 2))  # well inside value_range
    else:
        images = np.random.default_rng(14).normal(size=(4, 5, 4, 2))

    def f(x):
        return cls.from_config(config)(x, training=True)  # a fresh layer per call: the same seeded draw

    assert not np.allclose(f(images).numpy(), images)  # this draw does change the images
    gradcheck(f, [images])


@pytest.mark.parametrize("make", ALL)
def test_config_round_trip_and_saved_models(make, tmp_path):
    layer = make()
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    images = np.random.default_rng(15).uniform(0, 255, size=(4, 6, 6, 2)).astype("float32")
    np.testing.assert_array_equal(type(layer).from_config(config)(images).numpy(), make()(images).numpy())
    model = keras.Sequential([keras.Input((6, 6, 2)), make(), layers.Flatten(), layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[0]) is type(layer)
    assert loaded.layers[0].get_config() == {**model.layers[0].get_config()}
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-6)


def test_a_convnet_with_augmentation_in_front_trains_and_predicts_deterministically():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    # Bright or dark images: a label no flip or rotation changes.
    labels = rng.integers(0, 2, 256)
    x = (rng.uniform(0, 0.6, size=(256, 12, 12, 1)) + 0.4 * labels[:, None, None, None]).astype("float32")
    model = keras.Sequential([
        keras.Input((12, 12, 1)),
        layers.RandomFlip("horizontal", seed=1),
        layers.RandomRotation(0.1, seed=2),
        layers.Conv2D(4, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, labels, batch_size=32, epochs=6, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, second)
    assert model.evaluate(x, labels, verbose=0)[1] > 0.9


def test_a_compiled_step_draws_new_augmentations_on_every_replayed_step():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(16).uniform(size=(64, 6, 6, 1)).astype("float32")
    flip = layers.RandomFlip(seed=3)
    model = keras.Sequential([keras.Input((6, 6, 1)), flip, layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the two recordings agree: the draws are inside the op
        model.fit(x, x[:, 0, 0], batch_size=8, epochs=1, verbose=0)
    assert int(flip.seed_generator.state.numpy()[1]) == 8  # one draw per step, replayed steps included


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("make, message", [
    (lambda: layers.RandomRotation(1.5), r"factor=1.5 is out of range.*\[-1.0, 1.0\]"),
    (lambda: layers.RandomRotation((0.1, 0.2, 0.3)), r"pair \(lower, upper\)"),
    (lambda: layers.RandomTranslation(0.1, -1.2), r"width_factor=-1.2 is out of range"),
    (lambda: layers.RandomZoom((-1.0, 0.2)), r"height_factor=\(-1.0, 0.2\) is out of range.*\(-1.0, 1.0\]"),
    (lambda: layers.RandomContrast(1.5), r"factor=1.5 is out of range.*\[0, 1\]"),
    (lambda: layers.RandomContrast(0.2, value_range=(1, 0)), r"value_range.*low < high"),
    (lambda: layers.RandomFlip("diagonal"), r"unknown mode 'diagonal'; choose one of 'horizontal', 'vertical', "
                                            r"'horizontal_and_vertical'"),
    (lambda: layers.RandomZoom(0.1, fill_mode="mirror"), r"unknown fill_mode 'mirror'; choose one of 'reflect', "
                                                          r"'wrap', 'constant', 'nearest'"),
    (lambda: layers.RandomRotation(0.1, interpolation="bicubic"), r"unknown interpolation 'bicubic'; choose one "
                                                                  r"of 'bilinear', 'nearest'"),
    (lambda: layers.RandomTranslation(0.1, 0.1, fill_value="black"), r"fill_value must be a number"),
    (lambda: layers.RandomFlip(data_format="channels_first"), r"channels_last"),
])
def test_bad_arguments_name_what_is_accepted(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_bad_seed_names_the_accepted_kinds():
    with pytest.raises(TypeError, match="seed must be an int"):
        layers.RandomFlip(seed="one")


# ---------------------------------------------------------------- on the GPU
def run_on(backend_name, make, images, weights):
    """Output and input gradient of a fresh layer's first training call, on the given backend."""
    previous = backend.get_backend()
    backend.set_backend(backend_name)
    try:
        x = Tensor(images, requires_grad=True)
        out = make()(x, training=True)
        (out * Tensor(weights)).sum().backward()
        return out.device, out.numpy(), backend.to_numpy(x.grad)
    finally:
        backend.set_backend(previous)


@pytest.mark.gpu
@pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")
@pytest.mark.parametrize("make", ALL)
def test_on_the_gpu_a_seed_gives_the_cpu_s_images_and_gradients(make):
    rng = np.random.default_rng(17)
    images, weights = rng.uniform(0, 255, size=(4, 7, 6, 3)).astype("float32"), rng.normal(size=(4, 7, 6, 3))
    device, out, grad = run_on("cupy", make, images, weights.astype("float32"))
    _, cpu_out, cpu_grad = run_on("numpy", make, images, weights.astype("float32"))
    assert device == "gpu"
    np.testing.assert_allclose(out, cpu_out, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(grad, cpu_grad, rtol=1e-5, atol=1e-5)
