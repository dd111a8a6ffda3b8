"""BatchNormalization and LayerNormalization: values against NumPy, the moving statistics,
training versus inference, gradients, fit(), config and errors."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


def call_with(layer, names, **call_kwargs):
    """f(x, *weights): the layer's own call, with its weights replaced by the given tensors."""
    def f(x, *weights):
        saved = [getattr(layer, n) for n in names]
        for n, w in zip(names, weights):
            object.__setattr__(layer, n, w)
        try:
            return layer(x, **call_kwargs)
        finally:
            for n, w in zip(names, saved):
                object.__setattr__(layer, n, w)
    return f


def _random_weights(layer, rng):
    layer.set_weights([rng.normal(size=w.shape) if w.trainable else np.abs(rng.normal(size=w.shape)) + 0.5
                       for w in layer.weights])


# ------------------------------------------------------------ BatchNormalization
def test_batch_norm_defaults_are_keras_defaults():
    bn = layers.BatchNormalization()
    bn(np.ones((2, 3), dtype="float32"))
    assert (bn.axis, bn.momentum, bn.epsilon, bn.center, bn.scale) == (-1, 0.99, 1e-3, True, True)
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in bn.non_trainable_weights] == ["moving_mean", "moving_variance"]
    gamma, beta, mean, variance = bn.get_weights()
    np.testing.assert_array_equal(gamma, 1)
    np.testing.assert_array_equal(beta, 0)
    np.testing.assert_array_equal(mean, 0)
    np.testing.assert_array_equal(variance, 1)


def test_batch_norm_in_training_uses_the_batch_and_updates_the_moving_statistics():
    rng = np.random.default_rng(0)
    bn = layers.BatchNormalization(momentum=0.9, dtype="float64")
    x = rng.normal(3.0, 2.0, size=(16, 5, 4))
    bn(x[:1])  # build
    _random_weights(bn, rng)
    gamma, beta, moving_mean, moving_var = bn.get_weights()
    out = bn(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    np.testing.assert_allclose(out, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, atol=1e-12)
    _, _, new_mean, new_var = bn.get_weights()
    np.testing.assert_allclose(new_mean, 0.9 * moving_mean + 0.1 * mean)
    np.testing.assert_allclose(new_var, 0.9 * moving_var + 0.1 * var)


@pytest.mark.parametrize("training", [None, False])
def test_batch_norm_at_inference_uses_the_moving_statistics_and_leaves_them_alone(training):
    rng = np.random.default_rng(1)
    bn = layers.BatchNormalization(dtype="float64")
    x = rng.normal(size=(6, 3))
    bn(x)
    _random_weights(bn, rng)
    before = bn.get_weights()
    gamma, beta, mean, var = before
    out = bn(x, training=training).numpy()
    np.testing.assert_allclose(out, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, atol=1e-12)
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_batch_norm_on_images_keeps_one_statistic_per_channel_and_other_axes_work():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 3, 5, 2))
    out = layers.BatchNormalization(dtype="float64")(x, training=True).numpy()
    np.testing.assert_allclose(out, (x - x.mean((0, 1, 2))) / np.sqrt(x.var((0, 1, 2)) + 1e-3), atol=1e-12)
    bn = layers.BatchNormalization(axis=1, center=False, scale=False, dtype="float64")
    out = bn(x, training=True).numpy()
    assert bn.weights[0].shape == (3,) and [w.name for w in bn.weights] == ["moving_mean", "moving_variance"]
    mean, var = x.mean((0, 2, 3), keepdims=True), x.var((0, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), atol=1e-12)


@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_norm_gradients_in_training_and_inference(axis):
    rng = np.random.default_rng(3)
    bn = layers.BatchNormalization(axis=axis, momentum=0.5, dtype="float64")
    x = rng.normal(size=(5, 3, 2))
    bn(x)
    _random_weights(bn, rng)
    gamma, beta = (w.numpy() for w in bn.trainable_weights)
    gradcheck(call_with(bn, ["gamma", "beta"], training=True), [x, gamma, beta])
    gradcheck(call_with(bn, ["gamma", "beta"], training=False), [x, gamma, beta])


def test_fit_updates_the_moving_statistics_and_not_by_gradient():
    rng = np.random.default_rng(4)
    x = rng.normal(5.0, 3.0, size=(64, 4)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")
    inputs = keras.Input(shape=(4,))
    bn = layers.BatchNormalization(momentum=0.5)
    model = keras.Model(inputs, layers.Dense(1)(bn(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    mean, var = bn.moving_mean.numpy(), bn.moving_variance.numpy()
    # Three updates with momentum 0.5 from (0, 1): 7/8 of the way to the batch statistics.
    np.testing.assert_allclose(mean, 0.875 * x.mean(0), rtol=1e-4)
    np.testing.assert_allclose(var, 0.125 + 0.875 * x.var(0), rtol=1e-4)
    prediction = model.predict(x, verbose=0)
    model.predict(x, verbose=0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean)  # inference leaves them alone
    assert prediction.shape == (64, 1)


def test_batch_norm_config_round_trip():
    bn = layers.BatchNormalization(axis=[1, 2], momentum=0.9, epsilon=1e-5, center=False,
                                   gamma_regularizer="l2", moving_variance_initializer="zeros", name="bn")
    config = bn.get_config()
    assert config["axis"] == [1, 2] and config["momentum"] == 0.9 and config["epsilon"] == 1e-5
    assert config["center"] is False and config["scale"] is True
    again = layers.BatchNormalization.from_config({**config, "name": "bn2"})
    assert {**again.get_config(), "name": "bn"} == config


def test_normalization_errors_name_the_facts():
    with pytest.raises(ValueError, match=r"axis 3 does not fit inputs of rank 3; each axis must be an int in -3..2"):
        layers.BatchNormalization(axis=3)(np.ones((2, 3, 4), dtype="float32"))
    with pytest.raises(ValueError, match=r"axis 0 includes the batch axis"):
        layers.LayerNormalization(axis=0)(np.ones((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\], got 1.5"):
        layers.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match=r"epsilon must be a positive number, got 0"):
        layers.LayerNormalization(epsilon=0)
    bn = layers.BatchNormalization(name="b")
    bn(np.ones((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"'b' was built for inputs of rank 2 with sizes \(3,\) on axes \(1,\), "
                                         r"got inputs of shape \(2, 4\)"):
        bn(np.ones((2, 4), dtype="float32"))
    with pytest.raises(ValueError, match=r"must have known sizes, but the input shape is \(None, None\)"):
        layers.LayerNormalization()(keras.Input(shape=(None,)))


# ------------------------------------------------------------ LayerNormalization
@pytest.mark.parametrize("axis", [-1, [1, 2]])
def test_layer_norm_normalizes_each_sample_and_gradchecks(axis):
    rng = np.random.default_rng(5)
    ln = layers.LayerNormalization(axis=axis, dtype="float64")
    x = rng.normal(2.0, 3.0, size=(3, 4, 5))
    ln(x)
    _random_weights(ln, rng)
    gamma, beta = ln.get_weights()
    axes = (2,) if axis == -1 else (1, 2)
    mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    np.testing.assert_allclose(ln(x).numpy(), gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, atol=1e-12)
    np.testing.assert_allclose(ln(x, training=True).numpy(), ln(x).numpy())
    assert gamma.shape == tuple(x.shape[a] for a in axes)
    gradcheck(call_with(ln, ["gamma", "beta"]), [x, gamma, beta])


def test_layer_norm_defaults_shapes_and_config():
    ln = layers.LayerNormalization(name="ln")
    assert (ln.axis, ln.epsilon, ln.center, ln.scale) == (-1, 1e-3, True, True)
    assert ln(keras.Input(shape=(7, 3))).shape == (None, 7, 3)
    assert [w.name for w in ln.weights] == ["gamma", "beta"] and ln.weights[0].shape == (3,)
    config = ln.get_config()
    again = layers.LayerNormalization.from_config({**config, "name": "ln2"})
    assert {**again.get_config(), "name": "ln"} == config


def test_normalizations_agree_with_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.normal(1.0, 2.0, size=(8, 4, 4, 3))
    bn = layers.BatchNormalization(momentum=0.9, dtype="float64")
    bn(x)
    _random_weights(bn, rng)
    gamma, beta, mean, var = bn.get_weights()
    nchw = torch.tensor(x).permute(0, 3, 1, 2)
    running_mean, running_var = torch.tensor(mean), torch.tensor(var)
    expected = torch.nn.functional.batch_norm(nchw, running_mean, running_var, torch.tensor(gamma), torch.tensor(beta),
                                              training=True, momentum=0.1, eps=1e-3)
    np.testing.assert_allclose(bn(x, training=True).numpy(), expected.permute(0, 2, 3, 1).numpy(), atol=1e-10)
    np.testing.assert_allclose(bn.moving_mean.numpy(), running_mean.numpy(), atol=1e-12)
    # PyTorch's running variance averages the unbiased batch variance; Keras's (and tinyfit's) the biased one.
    n = 8 * 4 * 4
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 * var + 0.1 * x.var((0, 1, 2)), atol=1e-12)
    np.testing.assert_allclose(running_var.numpy(), 0.9 * var + 0.1 * x.var((0, 1, 2)) * n / (n - 1), atol=1e-12)
    ln = layers.LayerNormalization(epsilon=1e-5, dtype="float64")
    ln(x)
    _random_weights(ln, rng)
    gamma, beta = ln.get_weights()
    expected = torch.nn.functional.layer_norm(torch.tensor(x), (3,), torch.tensor(gamma), torch.tensor(beta), eps=1e-5)
    np.testing.assert_allclose(ln(x).numpy(), expected.numpy(), atol=1e-10)
