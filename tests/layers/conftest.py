"""Fixtures for the layer tests: one training step in a functional model."""

import json

import numpy as np
import pytest

import tinyfit as keras


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
