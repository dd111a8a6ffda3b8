"""Conv1D, Conv2D, Conv3D: values against a direct loop, gradients against finite differences,
Keras's defaults, unknown sizes in model definitions, config, and the errors a user meets."""

import math

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops
from tinyfit.autograd.gradcheck import gradcheck


def loop_conv(x, kernel, bias, strides, padding, dilation):
    """Channels_last convolution, one output element at a time; out-of-range taps read zeros."""
    batch, *sizes, channels = x.shape
    *window, _, filters = kernel.shape
    outs, before = [], []
    for n, k, s, d in zip(sizes, window, strides, dilation):
        span = (k - 1) * d + 1
        out = math.ceil(n / s) if padding == "same" else (n - span) // s + 1
        outs.append(out)
        before.append(max((out - 1) * s + span - n, 0) // 2 if padding == "same" else 0)
    result = np.zeros((batch, *outs, filters))
    for b in range(batch):
        for o in np.ndindex(*outs):
            total = np.zeros(filters) if bias is None else bias.astype(float).copy()
            for tap in np.ndindex(*window):
                at = [o[i] * strides[i] + tap[i] * dilation[i] - before[i] for i in range(len(sizes))]
                if all(0 <= a < n for a, n in zip(at, sizes)):
                    total += x[(b, *at)] @ kernel[tap]
            result[(b, *o)] = total
    return result


def call_with(layer, names):
    """f(x, *weights): the layer's own call, with its weights replaced by the given tensors."""
    def f(x, *weights):
        saved = [getattr(layer, n) for n in names]
        for n, w in zip(names, weights):
            object.__setattr__(layer, n, w)
        try:
            return layer(x)
        finally:
            for n, w in zip(names, saved):
                object.__setattr__(layer, n, w)
    return f


CASES = [
    (layers.Conv1D, (2, 9, 3), dict(kernel_size=3)),
    (layers.Conv1D, (2, 8, 2), dict(kernel_size=2, strides=3, padding="same")),
    (layers.Conv1D, (1, 10, 2), dict(kernel_size=3, dilation_rate=2, padding="same")),
    (layers.Conv2D, (2, 6, 7, 3), dict(kernel_size=3)),
    (layers.Conv2D, (2, 7, 6, 2), dict(kernel_size=(3, 2), strides=(2, 1), padding="same")),
    (layers.Conv2D, (1, 8, 8, 2), dict(kernel_size=(2, 3), dilation_rate=(2, 1))),
    (layers.Conv3D, (1, 4, 5, 4, 2), dict(kernel_size=2, strides=(1, 2, 1), padding="same")),
]


@pytest.mark.parametrize("cls, shape, kwargs", CASES)
def test_conv_layers_match_a_direct_loop_and_gradcheck(cls, shape, kwargs):
    layer = cls(3, activation="tanh", dtype="float64", **kwargs)
    x = np.random.default_rng(0).normal(size=shape)
    out = layer(x)
    kernel, bias = layer.get_weights()
    bias = np.random.default_rng(1).normal(size=bias.shape)  # a zero bias would hide a missing add
    layer.set_weights([kernel, bias])
    out = layer(x)
    strides = layer.strides
    expected = np.tanh(loop_conv(x, kernel, bias, strides, layer.padding, layer.dilation_rate))
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(call_with(layer, ["kernel", "bias"]), [x, kernel, bias])


def test_conv2d_without_bias_and_with_integer_pixels():
    layer = layers.Conv2D(2, 3, use_bias=False, kernel_initializer="ones")
    out = layer(np.full((1, 4, 4, 1), 2, dtype="uint8"))
    assert [w.name for w in layer.weights] == ["kernel"]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), np.full((1, 2, 2, 2), 18.0))


def test_conv2d_agrees_with_torch():
    torch = pytest.importorskip("torch")
    layer = layers.Conv2D(4, (3, 2), strides=(2, 1), padding="valid", dtype="float64")
    x = np.random.default_rng(2).normal(size=(2, 7, 6, 3))
    out = layer(x).numpy()
    kernel, bias = layer.get_weights()
    expected = torch.nn.functional.conv2d(torch.tensor(x).permute(0, 3, 1, 2), torch.tensor(kernel).permute(3, 2, 0, 1),
                                          torch.tensor(bias), stride=(2, 1)).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_default_initializers_glorot_uniform_over_the_receptive_field_and_zero_bias():
    layer = layers.Conv2D(64, 5)
    layer(np.zeros((1, 8, 8, 32), dtype="float32"))
    kernel, bias = layer.get_weights()
    fan_in, fan_out = 5 * 5 * 32, 5 * 5 * 64
    limit = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit
    assert kernel.std() == pytest.approx(limit / math.sqrt(3), rel=0.05)
    np.testing.assert_array_equal(bias, 0)


def test_regularizers_add_their_penalties_to_the_losses():
    layer = layers.Conv1D(2, 2, kernel_regularizer="l2", bias_regularizer=keras.regularizers.L1(0.5),
                          bias_initializer="ones", activity_regularizer="l1")
    out = layer(np.ones((1, 4, 1), dtype="float32"))
    kernel, bias = layer.get_weights()
    got = sorted(float(loss.numpy()) for loss in layer.losses)
    want = sorted([0.01 * np.abs(out.numpy()).sum(), 0.01 * (kernel ** 2).sum(), 0.5 * np.abs(bias).sum()])
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_unknown_steps_in_a_model_definition_as_in_the_guide():
    inputs = keras.Input(shape=(None, 10))
    x = layers.Conv1D(3, 3)(inputs)
    assert x.shape == (None, None, 3)
    outputs = layers.GlobalMaxPooling1D()(x)
    assert outputs.shape == (None, 3)
    model = keras.Model(inputs, outputs)
    for steps in (5, 12):
        assert model(np.ones((2, steps, 10), dtype="float32")).shape == (2, 3)


def test_compute_output_shape_is_arithmetic_with_unknown_sizes():
    layer = layers.Conv2D(8, 3, strides=2, padding="same")
    assert layer.compute_output_shape((None, 28, None, 3)) == (None, 14, None, 8)
    assert layers.Conv2D(8, 3, dilation_rate=2).compute_output_shape((4, 28, 9, 1)) == (4, 24, 5, 8)
    assert not layer.built  # shapes by arithmetic create no weights


def test_symbolic_call_does_not_run_the_layer():
    calls = []

    class Counting(layers.Conv2D):
        def call(self, inputs):
            calls.append(inputs.shape)
            return super().call(inputs)

    out = Counting(4, 3)(keras.Input(shape=(10, 10, 2)))
    assert out.shape == (None, 8, 8, 4) and calls == []


def test_config_round_trip():
    layer = layers.Conv2D(5, (3, 1), strides=(2, 1), padding="same", data_format="channels_last",
                          activation="relu", use_bias=False, kernel_initializer="he_normal",
                          kernel_regularizer="l2", name="c")
    config = layer.get_config()
    assert config["filters"] == 5 and config["kernel_size"] == (3, 1) and config["strides"] == (2, 1)
    assert config["padding"] == "same" and config["activation"] == "relu" and config["use_bias"] is False
    assert config["data_format"] == "channels_last" and config["dilation_rate"] == (1, 1)
    again = layers.Conv2D.from_config({**config, "name": "c2"})
    assert {**again.get_config(), "name": "c"} == config


def test_summary_shows_conv_output_shapes():
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3, name="c1"),
                              layers.MaxPooling2D(name="p1"), layers.Flatten(), layers.Dense(10)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 26, 26, 4)" in text and "(None, 13, 13, 4)" in text and "(None, 676)" in text


# ------------------------------------------------------------------ errors
def test_missing_channel_axis_suggests_adding_one():
    with pytest.raises(ValueError, match=r"Conv2D 'c' expects inputs of rank 4 \(batch, height, width, channels\), "
                                         r"got shape \(8, 28, 28\) \(rank 3\).*x\[\.\.\., None\] turns "
                                         r"\(8, 28, 28\) into \(8, 28, 28, 1\)"):
        layers.Conv2D(4, 3, name="c")(np.zeros((8, 28, 28), dtype="float32"))
    with pytest.raises(ValueError, match=r"x\[\.\.\., None\] turns \(N, 28, 28\) into \(N, 28, 28, 1\)"):
        layers.Conv2D(4, 3)(keras.Input(shape=(28, 28)))


def test_wrong_rank_names_expected_and_got():
    with pytest.raises(ValueError, match=r"Conv1D 'c1d' expects inputs of rank 3 \(batch, steps, channels\), got "
                                         r"shape \(2, 5, 5, 1\) \(rank 4\)\.$"):
        layers.Conv1D(4, 3, name="c1d")(np.zeros((2, 5, 5, 1), dtype="float32"))


def test_channel_count_differs_from_the_one_built_for():
    layer = layers.Conv2D(4, 3, name="cc")
    layer(np.zeros((1, 5, 5, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'cc' expects inputs with 3 channel\(s\).*kernel shape "
                                         r"\(3, 3, 3, 4\).*got inputs of shape \(1, 5, 5, 1\) \(1 channels\)"):
        layer(np.zeros((1, 5, 5, 1), dtype="float32"))


def test_kernel_larger_than_the_input_names_the_sizes():
    with pytest.raises(ValueError, match=r"kernel spans 5 along the width axis but the input has only 4"):
        layers.Conv2D(1, (3, 5))(np.zeros((1, 8, 4, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv1D 'k'.*kernel spans 7 \(kernel size 4, dilation 2\) along the "
                                         r"width axis but the input has only 6"):
        layers.Conv1D(1, 4, dilation_rate=2, name="k")(keras.Input(shape=(6, 1)))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"Conv2D: filters must be a whole number >= 1, got 0"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match=r"kernel_size must be a positive int or a tuple of 2 positive ints"):
        layers.Conv2D(1, (3, 3, 3))
    with pytest.raises(ValueError, match=r"unknown padding 'full'; choose one of \('valid', 'same'\)"):
        layers.Conv1D(1, 3, padding="full")
    with pytest.raises(ValueError, match=r"strides \(2, 2\) and dilation_rate \(2, 2\) cannot both be larger than 1"):
        layers.Conv2D(1, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"only data_format='channels_last' is supported.*transpose"):
        layers.Conv2D(1, 3, data_format="channels_first")


def test_unknown_channel_count_is_refused_at_build():
    with pytest.raises(ValueError, match=r"channel axis \(last\) of its input must have a known size.*"
                                         r"\(None, 5, None\)"):
        layers.Conv1D(2, 3)(keras.Input(shape=(5, None)))


def test_conv_output_is_used_through_ops_in_a_custom_loss():
    layer = layers.Conv1D(1, 2, kernel_initializer="ones", use_bias=False)
    out = layer(np.array([[[1.0], [2.0], [3.0]]], dtype="float32"))
    assert float(ops.sum(out).numpy()) == pytest.approx(3.0 + 5.0)


@pytest.mark.parametrize("activation", ["relu", keras.activations.relu, lambda t: ops.relu(t)])
def test_relu_conv_layers_give_what_a_separate_relu_gives(activation):
    layer = layers.Conv2D(4, 3, activation=activation, bias_initializer="random_normal", dtype="float64")
    x = np.random.default_rng(7).normal(size=(2, 6, 6, 2))
    out = layer(x)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out.numpy(), np.maximum(loop_conv(x, kernel, bias, (1, 1), "valid", (1, 1)), 0),
                               atol=1e-12)
    gradcheck(call_with(layer, ["kernel", "bias"]), [x, kernel, bias])
