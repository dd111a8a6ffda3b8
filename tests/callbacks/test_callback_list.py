"""CallbackList: order, defaults added, one logs dict shared, clear errors for wrong items."""

import pytest

from tinyfit.callbacks import Callback, CallbackList, EarlyStopping, History, LambdaCallback, ProgbarLogger


class Recorder(Callback):
    def __init__(self, calls, name):
        super().__init__()
        self.calls, self.name = calls, name

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append((self.name, epoch, dict(logs)))


def test_history_and_progbar_are_added_last_when_asked(model):
    first = Callback()
    hooks = CallbackList([first], add_history=True, add_progbar=True, model=model,
                         verbose=1, epochs=2, steps=10)
    assert [type(c) for c in hooks.callbacks] == [Callback, History, ProgbarLogger]
    assert all(c.model is model for c in hooks)
    assert all(c.params == {"verbose": 1, "epochs": 2, "steps": 10} for c in hooks)
    assert model.history is hooks.callbacks[1]
    assert len(CallbackList()) == 0
    assert [type(c) for c in CallbackList(add_history=True)] == [History]


def test_given_history_or_progbar_is_not_duplicated():
    history, progbar = History(), ProgbarLogger()
    hooks = CallbackList([progbar, history], add_history=True, add_progbar=True)
    assert hooks.callbacks == [progbar, history]


def test_a_single_callback_needs_no_list():
    callback = EarlyStopping()
    assert CallbackList(callback).callbacks == [callback]


def test_hooks_reach_every_callback_in_order_with_the_same_logs():
    calls = []

    class AddsKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["learning_rate"] = 0.5

    hooks = CallbackList([Recorder(calls, "a"), AddsKey(), Recorder(calls, "b")], add_history=True)
    logs = {"loss": 1.0}
    hooks.on_epoch_end(0, logs)
    assert calls == [("a", 0, {"loss": 1.0}), ("b", 0, {"loss": 1.0, "learning_rate": 0.5})]
    assert logs["learning_rate"] == 0.5  # the loop sees the change too
    assert hooks.callbacks[-1].history == {"loss": [1.0], "learning_rate": [0.5]}


def test_every_hook_is_forwarded():
    seen = []

    class Spy(Callback):
        def __getattribute__(self, name):
            if name.startswith("on_"):
                return lambda *args: seen.append((name, args))
            return super().__getattribute__(name)

    hooks = CallbackList([Spy()])
    hooks.on_train_begin()
    hooks.on_epoch_begin(0)
    hooks.on_train_batch_begin(0)
    hooks.on_train_batch_end(0, {"loss": 1.0})
    hooks.on_batch_begin(1)
    hooks.on_batch_end(1)
    hooks.on_test_begin()
    hooks.on_test_batch_begin(0)
    hooks.on_test_batch_end(0)
    hooks.on_test_end()
    hooks.on_epoch_end(0)
    hooks.on_train_end()
    hooks.on_predict_begin()
    hooks.on_predict_batch_begin(0)
    hooks.on_predict_batch_end(0, {"outputs": 1})
    hooks.on_predict_end()
    assert [name for name, _ in seen] == [
        "on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_train_batch_end",
        "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_batch_begin",
        "on_test_batch_end", "on_test_end", "on_epoch_end", "on_train_end", "on_predict_begin",
        "on_predict_batch_begin", "on_predict_batch_end", "on_predict_end"]
    assert seen[0] == ("on_train_begin", ({},))  # no logs given: an empty dict, never None
    assert seen[3] == ("on_train_batch_end", (0, {"loss": 1.0}))


def test_wrong_items_are_named_with_the_fix():
    with pytest.raises(TypeError, match=r"callbacks\[1\] is the class EarlyStopping, not a callback: "
                                        r"write EarlyStopping\(...\)"):
        CallbackList([History(), EarlyStopping])
    with pytest.raises(TypeError, match=r"callbacks\[0\] is a function, not a tinyfit.callbacks.Callback.*LambdaCallback"):
        CallbackList([lambda epoch, logs: None])
    with pytest.raises(TypeError, match=r"is the class EarlyStopping"):
        CallbackList(EarlyStopping)


def test_append():
    hooks = CallbackList()
    extra = History()
    hooks.append(extra)
    assert list(hooks) == [extra]
    with pytest.raises(TypeError, match=r"append is a str"):
        hooks.append("history")


# ------------------------------------------------ hooks reach only the callbacks that define them
HOOK_CALLS = [("on_train_begin", ()), ("on_epoch_begin", (0,)), ("on_train_batch_begin", (0,)),
              ("on_train_batch_end", (0,)), ("on_test_begin", ()), ("on_test_batch_begin", (0,)),
              ("on_test_batch_end", (0,)), ("on_test_end", ()), ("on_epoch_end", (0,)), ("on_train_end", ()),
              ("on_predict_begin", ()), ("on_predict_batch_begin", (0,)), ("on_predict_batch_end", (0,)),
              ("on_predict_end", ())]


def _spy_on_base_hooks(monkeypatch):
    """Counts every call that reaches one of Callback's own (do-nothing) hooks."""
    reached = []
    for name, _ in HOOK_CALLS + [("on_batch_begin", ()), ("on_batch_end", ())]:
        original = getattr(Callback, name)

        def spy(self, *args, _name=name, _original=original):
            reached.append((type(self).__name__, _name))
            return _original(self, *args)
        monkeypatch.setattr(Callback, name, spy)
    return reached


def test_a_callback_is_not_called_for_hooks_it_does_not_define(monkeypatch):
    reached = _spy_on_base_hooks(monkeypatch)
    calls = []
    hooks = CallbackList([Recorder(calls, "a")])
    for step in range(5):
        hooks.on_train_batch_begin(step)
        hooks.on_train_batch_end(step, {"loss": 1.0})
    hooks.on_epoch_end(0, {"loss": 1.0})
    assert reached == []  # no call reached Callback's do-nothing hooks
    assert calls == [("a", 0, {"loss": 1.0})]


def test_every_hook_reaches_a_callback_that_defines_it(monkeypatch):
    reached = _spy_on_base_hooks(monkeypatch)
    seen = []

    def method(name):
        return lambda self, *args: seen.append(("class", name))

    Everything = type("Everything", (Callback,), {name: method(name) for name, _ in HOOK_CALLS})
    lambdas = LambdaCallback(**{name: (lambda *args, _n=name: seen.append(("lambda", _n))) for name, _ in HOOK_CALLS})
    hooks = CallbackList([Everything(), lambdas])
    for name, args in HOOK_CALLS:
        getattr(hooks, name)(*args)
    assert seen == [(kind, name) for name, _ in HOOK_CALLS for kind in ("class", "lambda")]
    assert reached == []


def test_the_older_batch_hook_names_still_reach_their_callbacks():
    seen = []

    class Old(Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch))

    hooks = CallbackList([Old(), LambdaCallback(on_batch_end=lambda batch, logs: seen.append(("lambda", batch)))])
    hooks.on_train_batch_begin(3)
    hooks.on_train_batch_end(3)
    assert seen == [("begin", 3), ("end", 3), ("lambda", 3)]


def test_a_callback_added_to_the_list_later_is_called():
    calls = []
    hooks = CallbackList([Recorder(calls, "a")])
    hooks.on_epoch_end(0, {})
    hooks.append(Recorder(calls, "b"))
    hooks.callbacks.insert(0, Recorder(calls, "c"))  # changed in place, as some code does
    hooks.on_epoch_end(1, {})
    assert [(name, epoch) for name, epoch, _ in calls] == [("a", 0), ("c", 1), ("a", 1), ("b", 1)]


def test_fit_calls_an_epoch_end_callback_once_per_epoch_and_never_per_batch(monkeypatch):
    import numpy as np

    import tinyfit as keras

    reached = _spy_on_base_hooks(monkeypatch)
    epochs = []
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((32, 3), "float32"), np.zeros((32, 1), "float32"), batch_size=4, epochs=2, verbose=0,
              callbacks=[LambdaCallback(on_epoch_end=lambda epoch, logs: epochs.append(epoch))])
    assert epochs == [0, 1]
    assert not [hook for owner, hook in reached if "batch" in hook]  # 16 steps, no batch hook reached a callback
