"""How compile() turns metric identifiers into named metrics (Keras 3's rules)."""

import numpy as np

import tinyfit as keras
from tinyfit import layers


def _fit(output_units, activation, loss, metrics, y):
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, layers.Dense(output_units, activation=activation)(inputs))
    model.compile("adam", loss, metrics=metrics)
    x = np.random.default_rng(0).random((16, 4)).astype("float32")
    return model, model.fit(x, y, verbose=0).history


def test_a_metric_given_by_name_is_logged_under_that_name():
    _, history = _fit(1, None, "mse", ["mse", "mae"], np.zeros((16, 1)))
    assert list(history) == ["loss", "mse", "mae"]
    np.testing.assert_allclose(history["mse"], history["loss"], rtol=1e-6)


def test_accuracy_follows_a_loss_given_as_a_string():
    model, _ = _fit(1, "sigmoid", "binary_crossentropy", ["accuracy"], np.ones((16, 1)))
    assert type(model._compile_metrics.metrics[0]).__name__ == "BinaryAccuracy"
    model, _ = _fit(3, "softmax", "sparse_categorical_crossentropy", ["accuracy"], np.zeros(16))
    assert type(model._compile_metrics.metrics[0]).__name__ == "SparseCategoricalAccuracy"


def test_metrics_with_several_values_are_logged_as_arrays():
    _, history = _fit(1, "sigmoid", "binary_crossentropy",
                      [keras.metrics.Precision(thresholds=[0.3, 0.6])], np.ones((16, 1)))
    assert history["precision"][0].shape == (2,)
