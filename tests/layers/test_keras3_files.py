"""The activation, padding, cropping and upsampling layers in Keras 3's own .keras files: a model
saved by tinyfit loads in real Keras 3 and predicts the same, and the other way round."""

import numpy as np

import tinyfit


def build(keras):
    """The same model in either library: every layer of this family, with non-default arguments."""
    layers = keras.layers
    inputs = keras.Input(shape=(6, 6, 2))
    x = layers.ZeroPadding2D(((1, 0), (2, 1)))(inputs)
    x = layers.PReLU(shared_axes=[1, 2], alpha_initializer="ones")(x)
    x = layers.Cropping2D(1)(x)
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)
    x = layers.LeakyReLU(0.1)(x)
    x = layers.ELU(0.5)(x)
    x = layers.ReLU(max_value=6.0, negative_slope=0.05, threshold=0.1)(x)
    x = layers.Reshape((-1, 2))(x)
    x = layers.ZeroPadding1D(1)(x)
    x = layers.Cropping1D((0, 1))(x)
    x = layers.UpSampling1D(2)(x)
    x = layers.Flatten()(x)
    outputs = layers.Softmax()(layers.Dense(3)(x))
    return keras.Model(inputs, outputs)


def images():
    return np.random.default_rng(0).normal(size=(4, 6, 6, 2)).astype("float32")


def test_a_tinyfit_model_loads_in_keras_3_and_predicts_the_same(keras3, tmp_path):
    model = build(tinyfit)
    model.get_layer(index=2).set_weights([np.array([[[0.2, 0.7]]], "float32")])  # PReLU: a slope per channel
    model.save(tmp_path / "model.keras")
    loaded = keras3.models.load_model(tmp_path / "model.keras")
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(np.asarray(loaded.predict(images(), verbose=0)), model.predict(images(), verbose=0),
                               rtol=1e-5, atol=1e-7)


def test_a_keras_3_model_loads_in_tinyfit_and_predicts_the_same(keras3, tmp_path):
    model = build(keras3)
    model.save(tmp_path / "model.keras")
    loaded = tinyfit.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded.predict(images(), verbose=0), np.asarray(model.predict(images(), verbose=0)),
                               rtol=1e-5, atol=1e-7)
