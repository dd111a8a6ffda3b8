"""The step functions: made once per compile, and the one thing fit, evaluate and predict call per batch."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers


def make_model(**compile_kwargs):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", **compile_kwargs)
    return model


def data(n=40):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


class Counting:
    """Wraps a step function and counts its calls."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, batch):
        self.calls += 1
        return self.function(batch)


def test_made_once_per_compile_and_kept():
    model = make_model()
    assert model.train_function is None and model.test_function is None and model.predict_function is None
    made = model.make_train_function()
    assert model.make_train_function() is made is model.train_function
    assert model.make_train_function(force=True) is not made
    model.compile(optimizer="sgd", loss="mse")
    assert model.train_function is None  # a new compile: a new function on the next fit


def test_fit_evaluate_predict_call_the_step_function_once_per_batch_and_nothing_else():
    model = make_model()
    x, y = data()
    model.train_function = Counting(model.make_train_function())
    model.test_function = Counting(model.make_test_function())
    model.predict_function = Counting(model.make_predict_function())
    model.fit(x, y, batch_size=8, epochs=2, validation_split=0.2, verbose=0)
    assert model.train_function.calls == 2 * 4 and model.test_function.calls == 2 * 1
    model.evaluate(x, y, batch_size=10, verbose=0)
    assert model.test_function.calls == 2 + 4
    out = model.predict(x, batch_size=16, verbose=0)
    assert model.predict_function.calls == 3 and isinstance(out, np.ndarray) and out.shape == (40, 1)
    model.train_on_batch(x[:8], y[:8])
    model.test_on_batch(x[:8], y[:8])
    assert model.train_function.calls == 9 and model.test_function.calls == 7


@pytest.mark.parametrize("compile_kwargs, how", [
    ({}, "compiled"),
    ({"jit_compile": False}, "the built-in train_step, eager"),
    ({"run_eagerly": True}, "the built-in train_step, eager"),
])
def test_what_a_built_in_step_runs_is_decided_once(compile_kwargs, how):
    model = make_model(**compile_kwargs)
    assert model.make_train_function().how.startswith(how)
    assert how.split(",")[0].split()[0] in repr(model.train_function)


def test_a_models_own_train_step_is_its_step_function_with_what_fit_does_around_it():
    class Own(keras.Sequential):
        def train_step(self, data):
            x, y = data
            loss = self.compute_loss(y=y, y_pred=self(x, training=True))
            loss.backward()  # left behind on purpose: the step function clears it
            return {"loss": loss}  # a Tensor: the step function makes it a float

    keras.utils.set_random_seed(0)
    model = Own([keras.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    function = model.make_train_function()
    assert function.how == "the model's own train_step" and function.custom
    x, y = data(8)
    logs = function((keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)))
    assert isinstance(logs["loss"], float)
    assert all(v.grad is None for v in model.trainable_weights)
    # The built-in test step is still the built-in one.
    assert not model.make_test_function().custom


def test_the_source_of_a_compiled_step_is_the_python_it_generated():
    model = make_model()
    x, y = data()
    assert "no step has run yet" in model.make_train_function().source
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    source = model.train_function.source
    assert "replayed" in source and "def forward(" in source and "def backward(" in source
    compile(source, "<generated step>", "exec")  # valid Python, as printed
    assert "dense" in source  # the weights it reads are named by their paths
    eager = make_model(jit_compile=False)
    assert "nothing is generated" in eager.make_train_function().source
