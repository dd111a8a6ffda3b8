"""A fake model and a fake fit loop: callbacks meet the model only through its public API.

The fake loop calls the hooks in the order the real trainer does, so these
tests pin the callbacks' behaviour without needing layers or a trainer.
"""

import numpy as np
import pytest

from tinyfit import optimizers
from tinyfit.callbacks import CallbackList


class FakeModel:
    """stop_training, get_weights/set_weights and an optimizer: all a callback may use."""

    def __init__(self, optimizer=None):
        self.stop_training = False
        self.optimizer = optimizer if optimizer is not None else optimizers.SGD(0.1)
        self.weights = [np.zeros(2)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


def fake_fit(callbacks, epoch_logs, model=None, steps=3, verbose=0, with_validation_bar=True):
    """Runs len(epoch_logs) epochs; epoch e ends with logs epoch_logs[e] and weights [e, e].

    Returns (history, model). Training stops when a callback sets model.stop_training.
    """
    model = model if model is not None else FakeModel()
    model.stop_training = False
    epochs = len(epoch_logs)
    hooks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                         verbose=verbose, epochs=epochs, steps=steps)
    hooks.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        hooks.on_epoch_begin(epoch)
        for batch in range(steps):
            hooks.on_train_batch_begin(batch)
            hooks.on_train_batch_end(batch, {"loss": float(logs.get("loss", 1.0))})
        model.weights = [np.full(2, float(epoch))]
        if with_validation_bar and any(key.startswith("val_") for key in logs):
            hooks.on_test_begin()
            for batch in range(2):
                hooks.on_test_batch_begin(batch)
                hooks.on_test_batch_end(batch, {"loss": 0.5})
            hooks.on_test_end({"loss": 0.5})
        hooks.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    hooks.on_train_end()
    return model.history, model


@pytest.fixture
def model():
    return FakeModel()


@pytest.fixture(name="FakeModel")
def fake_model_class():
    return FakeModel


@pytest.fixture(name="fake_fit")
def fake_fit_fixture():
    return fake_fit


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    # The root conftest exports TINYFIT_PROGRESS=text for the lessons; these tests set what they need.
    monkeypatch.delenv("TINYFIT_PROGRESS", raising=False)
    monkeypatch.delenv("CI", raising=False)
