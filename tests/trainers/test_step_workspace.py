"""The step functions lend the workspace's pooled buffers only to the built-in steps of a
model tinyfit vouches for, and only for the step's life: what leaves a step (predict's
outputs, arrays a user's layer keeps, results of calling the model outside fit) is never
overwritten, and a second epoch makes no new large buffers."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.ops import workspace
from tinyfit.trainers import step_function


@pytest.fixture(autouse=True)
def empty_workspace():
    workspace.clear()
    yield
    workspace.clear()


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 16, 16, 1), dtype=np.float32), rng.integers(0, 3, n)


def convnet(*middle, two_outputs=False):
    inputs = keras.Input((16, 16, 1))
    hidden = layers.Conv2D(32, 3, activation="relu", name="hidden")(inputs)  # 14*14*32*4 bytes a sample
    h = hidden
    for layer in middle:
        h = layer(h)
    h = layers.MaxPooling2D(2)(h)
    outputs = layers.Dense(3, name="digits")(layers.Flatten()(h))
    model = keras.Model(inputs, [outputs, hidden] if two_outputs else outputs)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile("adam", {"digits": loss} if two_outputs else loss)
    return model


class Made(keras.callbacks.Callback):
    """The workspace's count of buffers made, at the end of each epoch."""

    def __init__(self):
        super().__init__()
        self.made = []

    def on_epoch_end(self, epoch, logs=None):
        self.made.append(workspace._store().made)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_a_second_epoch_makes_no_new_large_buffers(jit_compile):
    keras.utils.set_random_seed(0)
    model = convnet()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=jit_compile)
    made = Made()
    model.fit(*data(), batch_size=16, epochs=3, verbose=0, callbacks=[made])
    assert made.made[0] > 0 and made.made[0] == made.made[1] == made.made[2]


def test_predict_outputs_are_the_callers_and_survive_later_steps():
    keras.utils.set_random_seed(0)
    model = convnet(two_outputs=True)
    x, y = data()
    predicted = model.predict_on_batch(x[:16])
    assert predicted[1].nbytes >= workspace.MIN_BYTES  # the hidden activations: a pooled size
    copies = [a.copy() for a in predicted]
    for start in (16, 32, 48):
        model.train_on_batch(x[start:start + 16], {"digits": y[start:start + 16]})
        model.predict_on_batch(x[start:start + 16])
    for held, copy in zip(predicted, copies):
        np.testing.assert_array_equal(held, copy)


def test_predict_outputs_would_be_overwritten_if_the_step_did_not_give_them_away(monkeypatch):
    # What the test above guards against: without keep(), the next step reuses the memory.
    monkeypatch.setattr(workspace.StepScope, "keep", lambda self, array: array)
    keras.utils.set_random_seed(0)
    model = convnet(two_outputs=True)
    x, _ = data()
    predicted = model.predict_on_batch(x[:16])
    copy = predicted[1].copy()
    model.predict_on_batch(x[16:32])
    assert not np.array_equal(predicted[1], copy)


def test_results_of_calling_the_model_outside_fit_survive_fit():
    keras.utils.set_random_seed(0)
    model = convnet(two_outputs=True)
    x, y = data()
    called = [t.numpy() for t in model(x[:16])]
    copies = [a.copy() for a in called]
    model.fit(x, {"digits": y}, batch_size=16, epochs=2, verbose=0)
    model.evaluate(x, {"digits": y}, batch_size=16, verbose=0)
    model.predict(x, batch_size=16, verbose=0)
    for held, copy in zip(called, copies):
        np.testing.assert_array_equal(held, copy)


class Keeper(layers.Layer):
    """A user's layer that keeps every input it is given (no copy), and declares nothing."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs):
        self.seen.append(inputs.numpy())
        return inputs


def test_arrays_a_users_layer_keeps_stay_intact_over_later_steps():
    keras.utils.set_random_seed(0)
    keeper = Keeper()
    model = convnet(keeper)
    x, y = data()
    copies = []

    class Copy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            copies.append(keeper.seen[-1].copy())

    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[Copy()])
    training = [a for a in keeper.seen if a.shape[0] == 16][-len(copies):]
    assert len(training) == len(copies) == 8 and training[0].nbytes >= workspace.MIN_BYTES
    for held, copy in zip(training, copies):
        np.testing.assert_array_equal(held, copy)


def test_a_users_layer_would_see_its_arrays_overwritten_if_its_model_were_vouched_for(monkeypatch):
    # What the test above guards against: the layer declares nothing, so its model's steps are not pooled.
    monkeypatch.setattr(step_function, "unvouched_reason", lambda model: None)
    keras.utils.set_random_seed(0)
    keeper = Keeper()
    model = convnet(keeper)
    x, y = data()
    model.predict(x[:16], verbose=0)  # builds the model: the first call probes
    model.train_on_batch(x[:16], y[:16])
    first, copy = keeper.seen[-1], keeper.seen[-1].copy()
    model.train_on_batch(x[16:32], y[16:32])
    assert not np.array_equal(first, copy)


class OwnStep(keras.Model):
    supports_jit = True  # vouched for like a functional model: only its own train_step keeps it off the pool

    def train_step(self, data):
        return super().train_step(data)


def test_which_steps_are_pooled():
    model = convnet()
    assert model.make_train_function()._pooled() and model.make_test_function()._pooled()
    assert model.make_predict_function()._pooled()
    assert not convnet(Keeper()).make_train_function()._pooled()  # a layer that declares nothing
    inputs = keras.Input((16, 16, 1))
    own = OwnStep(inputs, layers.Dense(3)(layers.Flatten()(layers.Conv2D(8, 3)(inputs))))
    own.compile("adam", "mse")
    assert own.make_train_function()._pooled is None  # the model's own train_step: never pooled
    assert own.make_test_function()._pooled()


def test_what_a_training_or_test_step_returns_holds_no_lent_memory():
    keras.utils.set_random_seed(0)
    model = convnet(two_outputs=True)
    x, y = data()
    returned = [model.train_on_batch(x[:16], {"digits": y[:16]}, return_dict=True),
                model.test_on_batch(x[:16], {"digits": y[:16]}, return_dict=True)]
    assert all(type(value) is float for logs in returned for value in logs.values())


class Collector(keras.metrics.Metric):
    """A metric of the user's that keeps every y_pred it is given, to look at when the epoch ends."""

    def __init__(self):
        super().__init__(name="collector")
        self.seen = []

    def update_state(self, y_true, y_pred, sample_weight=None):
        array = keras.ops.convert_to_numpy(y_pred)
        self.seen.append((array, array.copy()))  # what it holds, and what it was when given

    def result(self):
        return 0.0

    def reset_state(self):
        pass


@pytest.mark.parametrize("jit_compile", [False, True])
def test_outputs_a_users_metric_keeps_stay_intact_over_later_steps(jit_compile):
    # The model's output comes straight from a convolution, whose result is a lent buffer.
    keras.utils.set_random_seed(0)
    inputs = keras.Input((16, 16, 1))
    outputs = layers.Conv2D(8, 3, name="maps")(layers.Conv2D(8, 3, activation="relu")(inputs))
    model = keras.Model(inputs, outputs)
    collector = Collector()
    model.compile("adam", "mse", metrics=[collector], jit_compile=jit_compile)
    x, _ = data()
    model.fit(x, np.zeros((64, 12, 12, 8), "float32"), batch_size=16, epochs=2, verbose=0)
    assert len(collector.seen) == 8
    for held, given in collector.seen:
        np.testing.assert_array_equal(held, given)
