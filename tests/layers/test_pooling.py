"""Pooling layers: windowed and global, values against loops, gradients, shapes, config, errors."""

import math

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


def loop_pool(x, reduce, window, strides, padding):
    """Each window's max or mean, one output at a time; padded positions are left out."""
    batch, *sizes, channels = x.shape
    outs, before = [], []
    for n, k, s in zip(sizes, window, strides):
        out = math.ceil(n / s) if padding == "same" else (n - k) // s + 1
        outs.append(out)
        before.append(max((out - 1) * s + k - n, 0) // 2 if padding == "same" else 0)
    result = np.zeros((batch, *outs, channels))
    for b in range(batch):
        for o in np.ndindex(*outs):
            taps = []
            for tap in np.ndindex(*window):
                at = [o[i] * strides[i] + tap[i] - before[i] for i in range(len(sizes))]
                if all(0 <= a < n for a, n in zip(at, sizes)):
                    taps.append(x[(b, *at)])
            result[(b, *o)] = reduce(np.stack(taps), axis=0)
    return result


CASES = [
    (layers.MaxPooling1D, np.max, (2, 9, 3), dict(pool_size=2)),
    (layers.MaxPooling1D, np.max, (2, 7, 2), dict(pool_size=3, strides=2, padding="same")),
    (layers.AveragePooling1D, np.mean, (2, 9, 3), dict(pool_size=3, strides=1)),
    (layers.AveragePooling1D, np.mean, (1, 5, 2), dict(pool_size=2, padding="same")),
    (layers.MaxPooling2D, np.max, (2, 6, 7, 3), dict()),
    (layers.MaxPooling2D, np.max, (2, 7, 5, 2), dict(pool_size=(3, 2), strides=(2, 1), padding="same")),
    (layers.AveragePooling2D, np.mean, (2, 6, 6, 2), dict(pool_size=2)),
    (layers.AveragePooling2D, np.mean, (1, 5, 7, 2), dict(pool_size=3, strides=2, padding="same")),
]


@pytest.mark.parametrize("cls, reduce, shape, kwargs", CASES)
def test_pooling_matches_loops_and_gradchecks(cls, reduce, shape, kwargs):
    layer = cls(dtype="float64", **kwargs)
    x = np.random.default_rng(0).normal(size=shape)
    out = layer(x)
    expected = loop_pool(x, reduce, layer.pool_size, layer.strides, layer.padding)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(layer, [x])


def test_strides_default_to_the_pool_size_and_2d_pool_size_defaults_to_2():
    layer = layers.MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2)
    assert layer(np.zeros((1, 28, 28, 3), dtype="float32")).shape == (1, 14, 14, 3)
    assert layers.AveragePooling1D(3).strides == (3,)


@pytest.mark.parametrize("cls, reduce, axes", [
    (layers.GlobalMaxPooling1D, np.max, (1,)),
    (layers.GlobalAveragePooling1D, np.mean, (1,)),
    (layers.GlobalMaxPooling2D, np.max, (1, 2)),
    (layers.GlobalAveragePooling2D, np.mean, (1, 2)),
])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_reduces_every_spatial_axis(cls, reduce, axes, keepdims):
    layer = cls(keepdims=keepdims, dtype="float64")
    shape = (3,) + (4, 5)[:len(axes)] + (2,)
    x = np.random.default_rng(1).normal(size=shape)
    out = layer(x)
    np.testing.assert_allclose(out.numpy(), reduce(x, axis=axes, keepdims=keepdims), atol=1e-12)
    assert out.shape == layer.compute_output_shape(shape)
    assert layer.compute_output_shape((None,) * (len(axes) + 1) + (2,)) == \
        ((None,) + (1,) * len(axes) + (2,) if keepdims else (None, 2))
    gradcheck(layer, [x])


def test_integer_inputs_are_pooled_as_floats():
    out = layers.AveragePooling1D(2)(np.array([[[1], [2], [3], [5]]], dtype="int32"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy().ravel(), [1.5, 4.0])


def test_unknown_sizes_stay_unknown_in_a_model_definition():
    inputs = keras.Input(shape=(None, 9, 4))
    x = layers.MaxPooling2D(pool_size=(2, 3), padding="same")(inputs)
    assert x.shape == (None, None, 3, 4)
    assert layers.GlobalAveragePooling2D()(x).shape == (None, 4)


def test_config_round_trip():
    layer = layers.AveragePooling2D(pool_size=(3, 2), strides=1, padding="same", name="pool")
    config = layer.get_config()
    assert config["pool_size"] == (3, 2) and config["strides"] == (1, 1) and config["padding"] == "same"
    again = layers.AveragePooling2D.from_config({**config, "name": "pool2"})
    assert {**again.get_config(), "name": "pool"} == config
    assert layers.GlobalMaxPooling1D(keepdims=True).get_config()["keepdims"] is True


def test_pool_window_larger_than_the_input_names_the_sizes():
    with pytest.raises(ValueError, match=r"pool window spans 3 along the width axis but the input has only 2"):
        layers.MaxPooling1D(3)(keras.Input(shape=(2, 4)))


def test_wrong_rank_names_expected_and_got():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'mp' expects inputs of rank 4 \(batch, height, width, "
                                         r"channels\), got shape \(None, 28, 28\) \(rank 3\).*x\[\.\.\., None\]"):
        layers.MaxPooling2D(name="mp")(keras.Input(shape=(28, 28)))
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D 'g' expects inputs of rank 3 .*got shape \(2, 4\)"):
        layers.GlobalAveragePooling1D(name="g")(np.zeros((2, 4), dtype="float32"))


def test_bad_pool_arguments_are_named():
    with pytest.raises(ValueError, match=r"pool_size must be a positive int or a tuple of 2 positive ints"):
        layers.MaxPooling2D(pool_size=0)
    with pytest.raises(ValueError, match=r"unknown padding 'causal'"):
        layers.AveragePooling1D(padding="causal")
    with pytest.raises(ValueError, match=r"only data_format='channels_last' is supported"):
        layers.GlobalMaxPooling2D(data_format="channels_first")


def test_pooling_layers_agree_with_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).normal(size=(2, 7, 6, 3))
    nchw = torch.tensor(x).permute(0, 3, 1, 2)
    got = layers.MaxPooling2D((3, 2), strides=(2, 1), dtype="float64")(x).numpy()
    expected = torch.nn.functional.max_pool2d(nchw, (3, 2), stride=(2, 1)).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(got, expected)
    got = layers.AveragePooling2D(2, dtype="float64")(x).numpy()
    expected = torch.nn.functional.avg_pool2d(nchw, 2).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-12)
