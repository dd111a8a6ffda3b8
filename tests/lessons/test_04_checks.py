"""Lesson 04's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solutions; each check is then called with answers a
student might write.
"""

import math
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "04_layers_and_models.ipynb"


def test_the_lesson_ran_and_its_numbers_hold(ns):
    # Glorot keeps a linear layer's mean square only when fan_in equals fan_out; relu halves it.
    square = ns["output_mean_square"]
    assert abs(square(256, 256) - 1) < 0.05
    assert abs(square(784, 64) - 2 * 784 / 848) < 0.05 and abs(square(64, 784) - 2 * 64 / 848) < 0.01
    assert abs(square(784, 64, relu=True) / square(784, 64) - 0.5) < 0.03
    assert len(set(ns["final_losses"].values())) == 1


@pytest.mark.parametrize("check", ["check_count_dense_params", "check_scale", "check_my_model"])
def test_a_check_waits_for_an_answer(ns, check, capsys):
    ns[check](None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("marker", ["def count_dense_params(", "class Scale(", "class MyModel("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)
    out = capsys.readouterr().out
    assert "Exercise" in out and ("correct" in out or "Well done" in out)


# ------------------------------------------------------------ exercise 1
def _asks_the_model(ns):
    return lambda input_shape, units: ns["exercise_model"].count_params()


def _builds_a_model_to_count(ns):
    keras, layers = ns["keras"], ns["layers"]

    def count(input_shape, units):
        model = keras.Sequential([keras.Input(shape=input_shape), layers.Flatten()] + [layers.Dense(n) for n in units])
        return model.count_params()

    return count


def _no_biases(input_shape, units):
    sizes = [math.prod(input_shape)] + list(units)
    return sum(a * b for a, b in zip(sizes, sizes[1:]))


def _last_axis_only(input_shape, units):  # forgets that Flatten feeds all 28 * 28 values
    sizes = [input_shape[-1]] + list(units)
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def _only_the_exercise_model(input_shape, units):
    return 28 * 28 * 128 + 128 + 128 * 10 + 10


@pytest.mark.parametrize("mistake", ["asks the model", "builds a model to count", "no biases",
                                     "last axis only", "only the exercise model", "a string"])
def test_count_check_rejects(ns, mistake):
    wrong = {
        "asks the model": _asks_the_model(ns),
        "builds a model to count": _builds_a_model_to_count(ns),
        "no biases": _no_biases,
        "last axis only": _last_axis_only,
        "only the exercise model": _only_the_exercise_model,
        "a string": lambda input_shape, units: "101,770",
    }[mistake]
    with pytest.raises(AssertionError):
        ns["check_count_dense_params"](wrong)


def test_count_check_names_the_library_call(ns):
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_count_dense_params"](_asks_the_model(ns))


def test_count_check_accepts_another_correct_form(ns, capsys):
    def count_dense_params(input_shape, units):
        sizes = [math.prod(input_shape), *units]
        return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))

    ns["check_count_dense_params"](count_dense_params)
    out = capsys.readouterr().out
    assert "correct" in out and "101,770" not in out and "101770" not in out


# ------------------------------------------------------------ exercise 2
def _scale(ns, initializer="ones", shape=lambda input_shape: (input_shape[-1],), in_init=False):
    layers = ns["layers"]

    class Scale(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if in_init:
                self.scale = self.add_weight(shape=(5,), initializer=initializer, name="scale")

        def build(self, input_shape):
            if not in_init:
                self.scale = self.add_weight(shape=shape(input_shape), initializer=initializer, name="scale")

        def call(self, inputs):
            return inputs * self.scale

    return Scale


@pytest.mark.parametrize("mistake", ["zeros", "one factor for all", "weights in __init__"])
def test_scale_check_rejects(ns, mistake):
    wrong = {
        "zeros": _scale(ns, initializer="zeros"),
        "one factor for all": _scale(ns, shape=lambda input_shape: ()),
        "weights in __init__": _scale(ns, in_init=True),
    }[mistake]
    with pytest.raises(AssertionError):
        ns["check_scale"](wrong)


def test_scale_check_accepts_another_correct_form(ns, capsys):
    layers, ops = ns["layers"], ns["ops"]

    class Scale(layers.Layer):
        def build(self, input_shape):
            features = input_shape[-1]
            self.factors = self.add_weight(shape=(features,), initializer="ones", trainable=True, name="factors")

        def call(self, inputs):
            return ops.multiply(inputs, self.factors)

    ns["check_scale"](Scale)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
def _my_model(ns, activations=("tanh", "relu", "softmax"), reuse_target=False, wrap_target=False):
    keras, layers = ns["keras"], ns["layers"]

    class MyModel(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if wrap_target:
                self.inner = ns["target_model"]
            else:
                self.first = layers.Dense(16, activation=activations[0])
                self.second = layers.Dense(16, activation=activations[1])
                self.classify = layers.Dense(3, activation=activations[2])

        def call(self, inputs):
            if wrap_target:
                return self.inner(inputs)
            return self.classify(self.second(self.first(inputs)))

    if reuse_target:
        class Functional(keras.Model):
            def __init__(self, **kwargs):
                model = ns["target_model"]
                super().__init__(inputs=model.inputs, outputs=model.outputs, **kwargs)

        return Functional
    return MyModel


@pytest.mark.parametrize("mistake", ["activations swapped", "no softmax", "wraps target_model",
                                     "target_model's graph"])
def test_my_model_check_rejects(ns, mistake):
    wrong = {
        "activations swapped": lambda: _my_model(ns, activations=("relu", "tanh", "softmax")),
        "no softmax": lambda: _my_model(ns, activations=("tanh", "relu", None)),
        "wraps target_model": lambda: _my_model(ns, wrap_target=True),
        "target_model's graph": lambda: _my_model(ns, reuse_target=True),
    }[mistake]()
    with pytest.raises(AssertionError):
        ns["check_my_model"](wrong)


def test_my_model_check_accepts_another_correct_form(ns, capsys):
    keras, layers, ops = ns["keras"], ns["layers"], ns["ops"]

    class MyModel(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.stack = [layers.Dense(16), layers.Dense(16), layers.Dense(3)]

        def call(self, inputs):
            h = ops.tanh(self.stack[0](inputs))
            h = ops.relu(self.stack[1](h))
            return ops.softmax(self.stack[2](h))

    ns["check_my_model"](MyModel)
    assert "Well done" in capsys.readouterr().out
