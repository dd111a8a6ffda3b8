"""Fixtures for the layer tests: real Keras 3 as an independent reference, and one training step."""

import json
import os
import sys

import numpy as np
import pytest

import tinyfit as keras


@pytest.fixture(scope="module")
def keras3():
    """Real Keras 3, on its NumPy backend unless another test imported it first; skipped when absent."""
    if "keras" not in sys.modules:
        before = os.environ.get("KERAS_BACKEND")
        os.environ["KERAS_BACKEND"] = "numpy"  # read once, when keras is imported
        try:
            return pytest.importorskip("keras", reason="Keras 3 is the reference here; it is not installed")
        finally:
            if before is None:
                del os.environ["KERAS_BACKEND"]
            else:
                os.environ["KERAS_BACKEND"] = before
    return sys.modules["keras"]


def train_one_step_in_a_functional_model(layer, sample_shape, seed=0):
    """Input -> Dense -> `layer` -> Flatten -> Dense(1), compiled and fitted one step; checks it learned,
    and that the model rebuilt from its config (through JSON) with the same weights predicts the same.

    The Dense before `layer` makes the gradient pass through it (a broken backward would leave
    that Dense unchanged or NaN). Returns the model and its training inputs.
    """
    rng = np.random.default_rng(seed)
    inputs = keras.Input(shape=sample_shape)
    hidden = keras.layers.Dense(sample_shape[-1], name="before")(inputs)
    outputs = keras.layers.Dense(1, name="after")(keras.layers.Flatten()(layer(hidden)))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = rng.normal(size=(8,) + tuple(sample_shape)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    before = [w.copy() for w in model.get_layer("before").get_weights()]
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    after = model.get_layer("before").get_weights()
    assert all(np.isfinite(w).all() for w in after)
    assert any(not np.allclose(a, b) for a, b in zip(after, before)), "no gradient reached the layer below"
    rebuilt = keras.Model.from_config(json.loads(json.dumps(model.get_config())))
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    return model, x


@pytest.fixture
def train_one_step():
    return train_one_step_in_a_functional_model
