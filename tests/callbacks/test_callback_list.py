"""CallbackList: order, defaults added, one logs dict shared, clear errors for wrong items."""

import pytest

from tinyfit.callbacks import Callback, CallbackList, EarlyStopping, History, ProgbarLogger


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
