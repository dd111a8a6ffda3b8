"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose: values against a direct loop and against
Keras 3, gradients against finite differences, shapes of symbolic calls, config, an autoencoder
that trains, and the errors a user meets."""


import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


def loop_conv_transpose(x, kernel, bias, strides, padding, output_padding, dilation):
    """Each output position gathers the (input position, tap) pairs that land on it.

    Uncropped, input i and tap t land on i*stride + t*dilation. The output sizes are
    Keras's; "same" crops floor(excess / 2) positions before.
    """
    batch, *sizes, _ = x.shape
    *window, filters, _ = kernel.shape
    outs, before = [], []
    for a, (n, k, s, d) in enumerate(zip(sizes, window, strides, dilation)):
        span = (k - 1) * d + 1
        op = None if output_padding is None else output_padding[a]
        if padding == "valid":
            out = (n - 1) * s + span + (max(span, s) - span if op is None else op)
        else:
            out = n * s if op is None else (n - 1) * s + span % 2 + op
        outs.append(out)
        before.append(max((n - 1) * s + span - out, 0) // 2 if padding == "same" else 0)
    result = np.zeros((batch, *outs, filters))
    for b in range(batch):
        for o in np.ndindex(*outs):
            total = np.zeros(filters) if bias is None else bias.astype(float).copy()
            for tap in np.ndindex(*window):
                # o + before = i * s + t * d for a whole i inside the input.
                reach = [o[a] + before[a] - tap[a] * dilation[a] for a in range(len(sizes))]
                if all(r % s == 0 and 0 <= r // s < n for r, s, n in zip(reach, strides, sizes)):
                    total += kernel[tap] @ x[(b, *(r // s for r, s in zip(reach, strides)))]
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
    (layers.Conv1DTranspose, (2, 4, 3), dict(kernel_size=3)),
    (layers.Conv1DTranspose, (2, 3, 2), dict(kernel_size=2, strides=3, padding="same")),
    (layers.Conv1DTranspose, (1, 4, 2), dict(kernel_size=3, strides=2, output_padding=1)),
    (layers.Conv1DTranspose, (1, 5, 2), dict(kernel_size=3, dilation_rate=2, padding="same")),
    (layers.Conv2DTranspose, (2, 3, 4, 3), dict(kernel_size=3, strides=2, padding="same")),
    (layers.Conv2DTranspose, (2, 3, 3, 2), dict(kernel_size=(3, 2), strides=(2, 3), padding="same",
                                                output_padding=(1, 2))),
    (layers.Conv2DTranspose, (1, 3, 4, 2), dict(kernel_size=(2, 3), strides=(1, 2), output_padding=(0, 1))),
    (layers.Conv2DTranspose, (1, 4, 4, 2), dict(kernel_size=(2, 3), dilation_rate=(2, 1))),
    (layers.Conv3DTranspose, (1, 2, 3, 2, 2), dict(kernel_size=2, strides=(2, 1, 2), padding="same")),
]


@pytest.mark.parametrize("cls, shape, kwargs", CASES)
def test_transpose_layers_match_a_direct_loop_and_gradcheck(cls, shape, kwargs):
    layer = cls(3, activation="tanh", dtype="float64", **kwargs)
    x = np.random.default_rng(0).normal(size=shape)
    layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == layer.kernel_size + (3, shape[-1])  # Keras's layout: filters, then in_channels
    bias = np.random.default_rng(1).normal(size=bias.shape)  # a zero bias would hide a missing add
    layer.set_weights([kernel, bias])
    out = layer(x)
    expected = np.tanh(loop_conv_transpose(x, kernel, bias, layer.strides, layer.padding, layer.output_padding,
                                           layer.dilation_rate))
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)
    assert out.shape == layer.compute_output_shape(shape)
    gradcheck(call_with(layer, ["kernel", "bias"]), [x, kernel, bias])


def test_without_bias_and_with_integer_pixels():
    layer = layers.Conv2DTranspose(2, 3, strides=2, use_bias=False)
    out = layer(np.ones((1, 2, 2, 1), dtype="uint8"))
    assert layer.bias is None and len(layer.weights) == 1
    assert out.dtype == np.float32 and out.shape == (1, 5, 5, 2)
    gradcheck(call_with(layer, ["kernel"]), [np.ones((1, 2, 2, 1)), layer.get_weights()[0].astype("float64")])


# ----------------------------------------------------- against real Keras 3
KERAS_GRID = [
    ("Conv1DTranspose", (2, 5, 3), dict(filters=4, kernel_size=3, strides=2)),
    ("Conv1DTranspose", (2, 5, 3), dict(filters=2, kernel_size=4, strides=3, padding="same", output_padding=1)),
    ("Conv1DTranspose", (1, 6, 2), dict(filters=3, kernel_size=2, dilation_rate=3, padding="same")),
    ("Conv2DTranspose", (2, 4, 5, 3), dict(filters=4, kernel_size=3, strides=2, padding="same")),
    ("Conv2DTranspose", (2, 4, 5, 3), dict(filters=2, kernel_size=(4, 3), strides=2, padding="same",
                                           output_padding=(0, 1))),
    ("Conv2DTranspose", (2, 4, 5, 3), dict(filters=2, kernel_size=(2, 3), strides=(3, 2), output_padding=(2, 0))),
    ("Conv2DTranspose", (1, 5, 4, 2), dict(filters=3, kernel_size=3, dilation_rate=(1, 2), activation="relu")),
    ("Conv2DTranspose", (2, 7, 7, 8), dict(filters=1, kernel_size=5, strides=2, padding="same",
                                           activation="sigmoid")),
    ("Conv3DTranspose", (1, 2, 3, 2, 2), dict(filters=2, kernel_size=2, strides=2, padding="same")),
]


@pytest.mark.parametrize("name, shape, kwargs", KERAS_GRID)
def test_layers_agree_with_keras_3_given_the_same_weights(keras3, name, shape, kwargs):
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape).astype("float32")
    theirs, ours = getattr(keras3.layers, name)(**kwargs), getattr(layers, name)(**kwargs)
    theirs.build(shape)
    kernel = rng.normal(size=theirs.kernel.shape).astype("float32")
    bias = rng.normal(size=(kwargs["filters"],)).astype("float32")
    theirs.set_weights([kernel, bias])
    ours.build(shape)
    ours.set_weights([kernel, bias])  # refused if the shapes differ: the same kernel layout
    expected = np.asarray(theirs(x))
    got = ours(x).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, shape, kwargs", KERAS_GRID)
def test_output_shapes_of_symbolic_calls_equal_keras_3(keras3, name, shape, kwargs):
    for spatial in (shape[1:-1], (None,) * (len(shape) - 2), (None,) + shape[2:-1]):
        inputs = keras.Input(shape=spatial + shape[-1:])
        got = getattr(layers, name)(**kwargs)(inputs).shape
        expected = getattr(keras3.layers, name)(**kwargs)(keras3.Input(shape=spatial + shape[-1:])).shape
        assert tuple(got) == tuple(expected)


def test_config_keys_and_values_are_keras_3s(keras3):
    kwargs = dict(filters=5, kernel_size=(3, 1), strides=(2, 1), padding="same", output_padding=(1, 0),
                  dilation_rate=1, activation="relu", use_bias=False)
    theirs = keras3.layers.Conv2DTranspose(**kwargs).get_config()
    ours = layers.Conv2DTranspose(**kwargs).get_config()
    for key in ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate",
                "activation", "use_bias"):
        assert ours[key] == theirs[key], key


# ------------------------------------------------------------- as a user meets them
def test_config_round_trip():
    layer = layers.Conv2DTranspose(5, (3, 1), strides=(2, 1), padding="same", output_padding=(1, 0),
                                   activation="relu", use_bias=False, kernel_initializer="he_normal",
                                   kernel_regularizer="l2", name="up")
    config = layer.get_config()
    assert config["output_padding"] == (1, 0) and config["strides"] == (2, 1) and config["kernel_size"] == (3, 1)
    again = layers.Conv2DTranspose.from_config({**config, "name": "up2"})
    assert {**again.get_config(), "name": "up"} == config
    assert layers.Conv1DTranspose(2, 3).get_config()["output_padding"] is None


def test_a_saved_model_with_transposed_convolutions_loads_with_the_same_predictions(tmp_path):
    keras.utils.set_random_seed(3)
    inputs = keras.Input(shape=(4, 4, 2))
    x = layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1, activation="relu")(inputs)
    outputs = layers.Conv2DTranspose(1, (2, 3), strides=(1, 2))(x)
    model = keras.Model(inputs, outputs)
    data = np.random.default_rng(3).normal(size=(2, 4, 4, 2)).astype("float32")
    model.save(tmp_path / "decoder.keras")
    loaded = keras.models.load_model(tmp_path / "decoder.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)
    assert loaded.layers[1].output_padding == (1, 1)


def test_an_autoencoder_trains_with_fit():
    # Conv2D with strides 2 halves the image, Conv2DTranspose with strides 2 doubles it back.
    keras.utils.set_random_seed(4)
    rng = np.random.default_rng(4)
    rows, cols = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    centres = rng.integers(1, 7, size=(128, 2))
    images = np.exp(-((rows - centres[:, :1, None]) ** 2 + (cols - centres[:, 1:, None]) ** 2) / 3.0)
    images = images[..., None].astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
    ])
    assert model.outputs[0].shape == (None, 8, 8, 1)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    history = model.fit(images, images, batch_size=16, epochs=15, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert model.predict(images[:2], verbose=0).shape == (2, 8, 8, 1)


def test_regularizers_add_their_penalties_to_the_losses():
    layer = layers.Conv1DTranspose(2, 2, kernel_regularizer="l2", bias_regularizer=keras.regularizers.L1(0.5),
                                   bias_initializer="ones", activity_regularizer="l1")
    out = layer(np.ones((1, 4, 1), dtype="float32"))
    kernel, bias = layer.get_weights()
    got = sorted(float(loss.numpy()) for loss in layer.losses)
    want = sorted([0.01 * np.abs(out.numpy()).sum(), 0.01 * (kernel ** 2).sum(), 0.5 * np.abs(bias).sum()])
    np.testing.assert_allclose(got, want, rtol=1e-5)


# ------------------------------------------------------------------ errors
def test_output_padding_not_smaller_than_the_stride_names_both():
    with pytest.raises(ValueError, match=r"Conv2DTranspose: output_padding \(1, 2\) must be smaller than strides "
                                         r"\(2, 2\) on every axis, but along the width axis output_padding is 2 "
                                         r"and the stride is 2"):
        layers.Conv2DTranspose(4, 3, strides=2, output_padding=(1, 2))
    with pytest.raises(ValueError, match=r"Conv1DTranspose: output_padding \(1,\) must be smaller than strides \(1,\)"):
        layers.Conv1DTranspose(4, 3, output_padding=1)


def test_wrong_input_rank_names_the_expected_shape():
    with pytest.raises(ValueError, match=r"Conv2DTranspose 'up' expects inputs of rank 4 \(batch, height, width, "
                                         r"channels\), got shape \(8, 7, 7\) \(rank 3\).*x\[\.\.\., None\]"):
        layers.Conv2DTranspose(4, 3, name="up")(np.zeros((8, 7, 7), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv1DTranspose 'u1' expects inputs of rank 3 \(batch, steps, channels\)"):
        layers.Conv1DTranspose(4, 3, name="u1")(keras.Input(shape=(5, 5, 1)))


def test_channel_count_differs_from_the_one_built_for():
    layer = layers.Conv2DTranspose(4, 3, name="ct")
    layer(np.zeros((1, 5, 5, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2DTranspose 'ct' expects inputs with 3 channel\(s\).*kernel shape "
                                         r"\(3, 3, 4, 3\), in_channels last.*got inputs of shape \(1, 5, 5, 1\)"):
        layer(np.zeros((1, 5, 5, 1), dtype="float32"))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"Conv2DTranspose: filters must be a whole number >= 1, got 0"):
        layers.Conv2DTranspose(0, 3)
    with pytest.raises(ValueError, match=r"strides \(2, 2\) and dilation_rate \(2, 2\) cannot both be larger than 1"):
        layers.Conv2DTranspose(1, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"output_padding must be a non-negative int or a tuple of 2"):
        layers.Conv2DTranspose(1, 3, strides=2, output_padding=(1,))
    with pytest.raises(ValueError, match=r"only data_format='channels_last' is supported"):
        layers.Conv2DTranspose(1, 3, data_format="channels_first")
    with pytest.raises(ValueError, match=r"channel axis \(last\) of its input must have a known size"):
        layers.Conv1DTranspose(2, 3)(keras.Input(shape=(5, None)))
