"""Callback base class: every Keras hook, the batch aliases, model and params."""

import pytest

from tinyfit import callbacks
from tinyfit.callbacks import Callback, CallbackList

HOOKS = [
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_exists_and_does_nothing(hook):
    callback = Callback()
    args = (0,) if ("epoch_" in hook or "batch_" in hook) else ()
    assert getattr(callback, hook)(*args, {"loss": 1.0}) is None
    assert getattr(callback, hook)(*args) is None


def test_set_model_and_set_params():
    callback = Callback()
    assert callback.model is None and callback.params is None
    model = object()
    callback.set_model(model)
    callback.set_params({"verbose": 1, "epochs": 2, "steps": 3})
    assert callback.model is model and callback.params == {"verbose": 1, "epochs": 2, "steps": 3}


def test_a_subclass_that_skips_super_init_still_gets_model_and_params():
    class NoInit(Callback):
        def __init__(self):
            self.seen = []

    callback = NoInit()
    assert callback.model is None and callback.params is None
    CallbackList([callback], model="the model", verbose=0, epochs=1, steps=1)
    assert callback.model == "the model" and callback.params["epochs"] == 1


def test_the_guides_loss_history_callback(fake_fit):
    class LossHistory(Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    history = LossHistory()
    fake_fit([history], [{"loss": 0.5}, {"loss": 0.25}], steps=3)
    assert history.per_batch_losses == [0.5, 0.5, 0.5, 0.25, 0.25, 0.25]


def test_train_batch_hooks_call_the_batch_aliases_positionally():
    calls = []

    class Old(Callback):
        def on_batch_begin(self, batch, log_dict):  # any parameter name works
            calls.append(("begin", batch, log_dict))

        def on_batch_end(self, batch, log_dict):
            calls.append(("end", batch, log_dict))

    Old().on_train_batch_begin(3, {"a": 1})
    Old().on_train_batch_end(4, {"b": 2})
    assert calls == [("begin", 3, {"a": 1}), ("end", 4, {"b": 2})]


def test_public_names():
    assert callbacks.__all__ == ["Callback", "CallbackList", "History", "ProgbarLogger", "MonitorCallback",
                                 "EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger",
                                 "LambdaCallback", "TerminateOnNaN", "TensorBoard", "LivePlot", "ModelCheckpoint",
                                 "BackupAndRestore"]
    for name in callbacks.__all__:
        assert issubclass(getattr(callbacks, name), Callback)
