"""The call context: the training flag and the owner of added losses travel per thread.

Two models called at the same time in two threads each keep their own losses,
metric values and training flag: the context lives in a ContextVar, so a thread
never sees another thread's calls.
"""

import threading

import numpy as np

import tinyfit as keras
from tinyfit import layers, ops
from tinyfit.layers.call_context import current_call


class Meet(layers.Layer):
    """Waits in its call until the other thread is inside the same point of its own model
    (once the gate holds a barrier: not while the models are being defined)."""

    def __init__(self, gate, **kwargs):
        super().__init__(**kwargs)
        self.gate = gate

    def call(self, inputs):
        if self.gate:
            self.gate[0].wait(timeout=20)
        return inputs


class Penalty(layers.Layer):
    """Adds factor * sum(inputs) as a loss and a metric value, and notes the training flag it got."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.flags = []

    def call(self, inputs, training=None):
        self.flags.append(training)
        self.add_loss(ops.sum(inputs) * self.factor)
        self.add_metric(ops.sum(inputs) * self.factor, name="penalty")
        return inputs


def _model(factor, gate):
    inputs = keras.Input((2,))
    x = Meet(gate)(inputs)
    x = Meet(gate)(layers.Dense(2, kernel_initializer="ones")(x))
    x = Penalty(factor)(Meet(gate)(x))
    return keras.Model(inputs, x)


def test_two_models_called_in_threads_at_once_keep_their_own_losses_and_flags():
    gate = []
    models = {"a": _model(1.0, gate), "b": _model(100.0, gate)}
    penalty = {key: next(layer for layer in model.layers if isinstance(layer, Penalty)) for key, model in models.items()}
    for layer in penalty.values():
        layer.flags.clear()  # forget the calls on made-up data that defined the models
    barrier = threading.Barrier(2)
    gate.append(barrier)
    x = np.ones((1, 2), "float32")
    results, errors = {"a": [], "b": []}, []

    def run(key, training):
        try:
            for _ in range(10):
                models[key](x, training=training)
                results[key].append(([loss.item() for loss in models[key].losses],
                                     [float(v.numpy()) for _, v in models[key]._added_metric_values()]))
        except Exception as error:  # reported below, with the thread's name
            errors.append((key, error))
            barrier.abort()

    threads = [threading.Thread(target=run, args=("a", True)), threading.Thread(target=run, args=("b", False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert results["a"] == [([4.0], [4.0])] * 10
    assert results["b"] == [([400.0], [400.0])] * 10
    assert penalty["a"].flags == [True] * 10 and penalty["b"].flags == [False] * 10


def test_no_call_context_is_left_behind_even_when_a_call_fails():
    class Fails(layers.Layer):
        def call(self, inputs):
            raise RuntimeError("planted")

    outer = keras.Sequential([layers.Dense(2), Fails()])
    try:
        outer(np.ones((1, 3), "float32"), training=True)
    except RuntimeError:
        pass
    assert current_call.get() is None
    seen = []

    class Records(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    Records()(np.ones((1, 3), "float32"))
    assert seen == [None]  # no training flag inherited from the failed call


def test_a_thread_started_inside_a_call_does_not_join_it():
    found = []

    class StartsThread(layers.Layer):
        def call(self, inputs):
            thread = threading.Thread(target=lambda: found.append(current_call.get()))
            thread.start()
            thread.join()
            return inputs

    StartsThread()(np.ones((1, 2), "float32"), training=True)
    assert found == [None]


def test_a_loss_added_outside_any_call_joins_the_last_call_until_the_next_replaces_it():
    layer = Penalty(1.0)
    layer.add_loss(0.5)  # never called yet: the layer's losses start with it
    assert [loss.item() for loss in layer.losses] == [0.5]
    layer(np.ones((1, 2), "float32"))
    layer.add_loss(0.25)  # after a call: joins that call's losses
    assert [loss.item() for loss in layer.losses] == [2.0, 0.25]
    layer(np.ones((1, 2), "float32"))
    assert [loss.item() for loss in layer.losses] == [2.0]
