"""fit() warns, once per fit, when the loss sends a gradient to no trainable weight (a loss made
from y_true only, a stop_gradient or NumPy round trip, a constant output, a layer off the path):
eager and compiled alike. Connected models stay silent, even when every gradient is exactly zero
(a dead relu) or some weights are cut off (a frozen or unused branch); so do evaluate and predict."""

import warnings

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops

N = 40  # 40 samples at batch size 16: three steps per epoch, the last one shorter
MESSAGE = "No trainable weight receives a gradient from"


def data(outputs=1):
    rng = np.random.default_rng(0)
    x = rng.random((N, 4)).astype("float32")
    return x, rng.random((N, outputs)).astype("float32")


def mlp():
    inputs = keras.Input((4,))
    hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
    return keras.Model(inputs, layers.Dense(1, name="out")(hidden))


def only_targets(y_true, y_pred):
    return ops.mean(y_true ** 2)


class StoppedLoss(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return ops.mean((y_true - ops.stop_gradient(y_pred)) ** 2, axis=-1)


def through_numpy(y_true, y_pred):
    return ops.mean((y_true - ops.convert_to_tensor(y_pred.numpy())) ** 2)


def constant_output():
    inputs = keras.Input((4,))
    hidden = layers.Dense(3, name="hidden")(inputs)
    return keras.Model(inputs, layers.Lambda(lambda t: ops.zeros_like(t[:, :1]))(hidden))


class OffPath(keras.Model):
    """A call() that runs its Dense layer but returns something computed from x alone."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1, name="dense")

    def call(self, x):
        self.dense(x)
        return ops.mean(x, axis=-1, keepdims=True)


DISCONNECTED = {  # build, loss, the loss's name and the weights' paths the message must give
    "y_true only": (mlp, only_targets, "only_targets", ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]),
    "stop_gradient": (mlp, StoppedLoss(name="stopped"), "stopped", ["hidden/kernel", "out/bias"]),
    "numpy round trip": (mlp, through_numpy, "through_numpy", ["hidden/kernel", "out/bias"]),
    "constant output": (constant_output, "mse", "mean_squared_error", ["hidden/kernel", "hidden/bias"]),
    "layer off the path": (OffPath, "mse", "mean_squared_error", ["dense/kernel", "dense/bias"]),
}


def compiled(build, loss, jit, **kwargs):
    keras.utils.set_random_seed(1)
    model = build()
    model.compile(optimizer="sgd", loss=loss, jit_compile=jit, **kwargs)
    return model


def fit_warnings(model, x, y, epochs=2):
    """The UserWarnings one fit() gives (any warning counts, so a second one about the same thing shows)."""
    with pytest.warns(UserWarning) as record:
        model.fit(x, y, batch_size=16, epochs=epochs, verbose=0)
    return [str(w.message) for w in record]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("kind", list(DISCONNECTED))
def test_a_loss_that_reaches_no_weight_warns_once_naming_loss_and_weights(kind, jit):
    build, loss, loss_name, paths = DISCONNECTED[kind]
    model = compiled(build, loss, jit)
    x, y = data()
    said = fit_warnings(model, x, y)
    assert len(said) == 1 and said[0].startswith(f"{MESSAGE} the loss {loss_name!r}:"), said
    for path in paths:
        assert path in said[0]
    assert "changes none of the weights" in said[0]
    assert "computed from y_pred" in said[0] and "stop_gradient" in said[0] and "NumPy" in said[0]


def test_each_fit_warns_again_and_the_weights_do_not_move():
    model = compiled(mlp, only_targets, True)
    x, y = data()
    before = model.get_weights()
    assert len(fit_warnings(model, x, y)) == 1
    assert len(fit_warnings(model, x, y, epochs=1)) == 1
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_many_weights_are_abbreviated():
    model = compiled(lambda: keras.Sequential([keras.Input((4,))] + [layers.Dense(2, name=f"d{i}") for i in range(4)]),
                     only_targets, False)
    x, _ = data()
    (said,) = fit_warnings(model, x, data(2)[1])
    assert "(d0/kernel, d0/bias, d1/kernel and 5 more)" in said
    assert "d3/kernel" not in said


def test_several_outputs_name_each_output_loss():
    def build():
        inputs = keras.Input((4,))
        a = layers.Lambda(ops.stop_gradient)(layers.Dense(1, name="a_dense")(inputs))
        return keras.Model(inputs, {"a": a, "b": layers.Lambda(ops.stop_gradient)(layers.Dense(1)(inputs))})

    model = compiled(build, {"a": only_targets, "b": "mse"}, False)
    x, y = data()
    (said,) = fit_warnings(model, x, {"a": y, "b": y})
    assert "the loss of output 'a' ('only_targets') and the loss of output 'b' ('mean_squared_error')" in said
    assert "a_dense/kernel" in said


def dead_relu():
    # every gradient is exactly zero, yet the graph reaches every weight
    return keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu", name="dead",
                                                             bias_initializer=keras.initializers.Constant(-100.0))])


def frozen_branch():
    inputs = keras.Input((4,))
    frozen = layers.Dense(3, name="frozen", trainable=False)(inputs)
    live = layers.Dense(3, name="live")(inputs)
    return keras.Model(inputs, layers.Dense(3, name="out")(layers.Concatenate()([frozen, live])))


def unused_trainable_branch():
    inputs = keras.Input((4,))
    unused = layers.Lambda(ops.stop_gradient)(layers.Dense(3, name="unused")(inputs))
    return keras.Model(inputs, [layers.Dense(3, name="live")(inputs), unused])


@pytest.mark.parametrize("jit", [False, True, "auto"], ids=["eager", "jit", "auto"])
@pytest.mark.parametrize("build", [mlp, dead_relu, frozen_branch, unused_trainable_branch])
def test_a_connected_model_does_not_warn(build, jit):
    multi = build is unused_trainable_branch
    model = compiled(build, ["mse", None] if multi else "mse", jit)
    x, y = data(1 if build is mlp else 3)
    y = [y, y] if multi else y
    before = model.get_weights()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # a compiled model replays its tape here
    moved = [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]
    assert not any(moved) if build is dead_relu else any(moved)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_evaluate_and_predict_never_warn(jit):
    model = compiled(mlp, only_targets, jit)
    x, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.evaluate(x, y, batch_size=16, verbose=0)
        model.predict(x, batch_size=16, verbose=0)
        model.test_on_batch(x, y)


def test_a_custom_train_step_is_left_alone():
    class Untrained(keras.Model):
        def train_step(self, data):
            x, y = data
            loss = self.compute_loss(y=y, y_pred=self(x, training=True))
            return {"loss": loss}

    inputs = keras.Input((4,))
    model = Untrained(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss=only_targets)
    x, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)


def test_a_compute_loss_of_the_users_own_is_named_as_the_loss():
    class OwnLoss(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return ops.mean(ops.convert_to_tensor(y) ** 2)  # from the targets only

    inputs = keras.Input((4,))
    model = OwnLoss(inputs, layers.Dense(1, name="out")(inputs))
    model.compile(optimizer="sgd")
    x, y = data()
    with pytest.warns(UserWarning, match=r"from the loss: fit\(\) computes the loss but changes none of the "
                                         r"weights \(out/kernel and out/bias\)"):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
