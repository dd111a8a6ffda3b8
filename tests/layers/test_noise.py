"""Noise layers: SpatialDropout drops whole channels, Gaussian noise has the stated moments; inference is untouched."""

import math
import warnings

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import Tensor, backend, layers
from tinyfit.autograd.gradcheck import gradcheck

SPATIAL = [(layers.SpatialDropout1D, (200, 7, 16)), (layers.SpatialDropout2D, (100, 5, 4, 16)),
           (layers.SpatialDropout3D, (50, 3, 4, 2, 16))]


@pytest.mark.parametrize("cls, shape", SPATIAL)
def test_spatial_dropout_drops_whole_channels_and_scales_the_rest(cls, shape):
    x = np.random.default_rng(0).uniform(1, 2, size=shape).astype("float32")
    out = cls(0.3, seed=1)(x, training=True).numpy()
    spatial = tuple(range(1, len(shape) - 1))
    dropped = np.all(out == 0, axis=spatial)  # (batch, channels)
    kept = np.all(np.isclose(out, x / 0.7, rtol=1e-6), axis=spatial)
    assert np.all(dropped ^ kept)  # each channel of each sample: all dropped or all kept
    assert abs(dropped.mean() - 0.3) < 0.04  # 3200 channels: the standard deviation is 0.008


@pytest.mark.parametrize("cls, shape", SPATIAL)
def test_spatial_dropout_is_the_identity_at_inference_and_checks_the_rank(cls, shape):
    x = np.random.default_rng(1).normal(size=(4, *shape[1:])).astype("float32")
    layer = cls(0.5, seed=2)
    np.testing.assert_array_equal(layer(x).numpy(), x)  # training defaults to False, as in Keras
    model = keras.Sequential([keras.Input(shape[1:]), cls(0.5)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    assert cls(0.5)(keras.Input(shape[1:])).shape == (None, *shape[1:])
    with pytest.raises(ValueError, match=rf"{cls.__name__} .* expects inputs of rank {len(shape)}.*rank {len(shape) + 1}"):
        cls(0.5)(np.zeros((2, *shape[1:], 1), "float32"), training=True)


def test_spatial_dropout_configs_match_keras_3(keras3):
    real = keras3
    for name, extra in [("SpatialDropout1D", {}), ("SpatialDropout2D", {"data_format": "channels_last"}),
                        ("SpatialDropout3D", {"data_format": "channels_last"})]:
        ours = getattr(layers, name)(0.25, seed=4, name="sd").get_config()
        theirs = getattr(real.layers, name)(0.25, seed=4, name="sd").get_config()
        assert {"rate": 0.25, "seed": 4, **extra}.items() <= ours.items()
        assert set(theirs) <= set(ours) and "noise_shape" not in ours
        again = getattr(layers, name).from_config({**ours, "name": "sd2"})
        assert {**again.get_config(), "name": "sd"} == ours


@pytest.mark.parametrize("make", [lambda: layers.SpatialDropout2D(0.4, seed=3, dtype="float64"),
                                  lambda: layers.GaussianNoise(0.5, seed=3, dtype="float64"),
                                  lambda: layers.GaussianDropout(0.4, seed=3, dtype="float64")])
def test_gradients_flow_through_a_fixed_draw(make):
    x = np.random.default_rng(2).normal(size=(3, 4, 4, 2))

    def f(t):
        return make()(t, training=True)  # a fresh layer per call: the same seeded draw

    gradcheck(f, [x])


def test_gaussian_noise_adds_noise_of_the_given_stddev_only_while_training():
    x = np.random.default_rng(3).normal(size=(400, 50)).astype("float32")
    layer = layers.GaussianNoise(0.2, seed=5)
    noise = layer(x, training=True).numpy() - x
    assert abs(noise.mean()) < 0.005 and abs(noise.std() - 0.2) < 0.005  # 20000 draws
    np.testing.assert_array_equal(layer(x).numpy(), x)
    again = layers.GaussianNoise(0.2, seed=5)(x, training=True).numpy() - x
    np.testing.assert_allclose(again, noise, atol=1e-6)
    assert not np.allclose(layer(x, training=True).numpy() - x, noise)  # the next call draws anew


def test_gaussian_dropout_multiplies_by_noise_of_mean_one():
    x = np.full((400, 50), 2.0, dtype="float32")
    out = layers.GaussianDropout(0.2, seed=6)(x, training=True).numpy() / 2.0
    assert abs(out.mean() - 1) < 0.01 and abs(out.std() - math.sqrt(0.2 / 0.8)) < 0.01
    np.testing.assert_array_equal(layers.GaussianDropout(0.2)(x).numpy(), x)


def test_gaussian_layers_in_a_model_round_trip_and_replay():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(4).normal(size=(64, 6)).astype("float32")
    noise = layers.GaussianNoise(0.1, seed=1)
    model = keras.Sequential([keras.Input((6,)), noise, layers.Dense(4), layers.GaussianDropout(0.3), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the draws happen inside the ops: the two recorded steps agree
        model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0)
    assert int(noise.seed_generator.state.numpy()[1]) == 8  # one draw per step, replayed steps included
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, model.predict(x, verbose=0))
    rebuilt = keras.Sequential.from_config(model.get_config())
    assert [layer.get_config() for layer in rebuilt.layers] == [layer.get_config() for layer in model.layers]


@pytest.mark.parametrize("make, message", [
    (lambda: layers.GaussianNoise(1.5), r"GaussianNoise: stddev must be a number in \[0, 1\], got 1.5"),
    (lambda: layers.GaussianNoise(-0.1), r"stddev must be a number in \[0, 1\]"),
    (lambda: layers.GaussianDropout(1.0), r"GaussianDropout: rate must be a number in \[0, 1\), got 1.0"),
    (lambda: layers.SpatialDropout1D(1.0), r"rate must be a number in \[0, 1\)"),
    (lambda: layers.SpatialDropout2D(0.1, data_format="channels_first"), r"channels_last"),
])
def test_bad_arguments_name_the_accepted_range(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.gpu
@pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")
@pytest.mark.parametrize("make", [lambda: layers.SpatialDropout2D(0.4, seed=3), lambda: layers.GaussianNoise(0.5, seed=3),
                                  lambda: layers.GaussianDropout(0.4, seed=3)])
def test_on_the_gpu_a_seed_gives_the_cpu_s_noise_and_gradients(make):
    x = np.random.default_rng(5).normal(size=(3, 4, 4, 2)).astype("float32")
    results = []
    for name in ("cupy", "numpy"):
        previous = backend.get_backend()
        backend.set_backend(name)
        try:
            t = Tensor(x, requires_grad=True)
            out = make()(t, training=True)
            (out * out).sum().backward()
            results.append((out.device, out.numpy(), backend.to_numpy(t.grad)))
        finally:
            backend.set_backend(previous)
    (device, out, grad), (_, cpu_out, cpu_grad) = results
    assert device == "gpu"
    np.testing.assert_allclose(out, cpu_out, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grad, cpu_grad, rtol=1e-6, atol=1e-6)
