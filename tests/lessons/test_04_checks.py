"""Lesson 04's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answer cells stubbed as in the student release; each check is then called with
answers a student might write.
"""

import math
import threading
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "04_layers_and_models.ipynb"


def test_the_lesson_ran_and_its_numbers_hold(ns):
    # Glorot keeps a linear layer's mean square only when fan_in equals fan_out; relu halves it.
    square = ns["output_mean_square"]
    assert abs(square(256, 256) - 1) < 0.05
    assert abs(square(784, 64) - 2 * 784 / 848) < 0.05 and abs(square(64, 784) - 2 * 64 / 848) < 0.01
    assert abs(square(784, 64, relu=True) / square(784, 64) - 0.5) < 0.03
    assert len(set(ns["final_losses"].values())) == 1


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


def _stub_layer(ns):
    class Scale(ns["layers"].Layer):
        def build(self, input_shape):
            raise NotImplementedError()

        def call(self, inputs):
            raise NotImplementedError()

    return Scale


def _stub_model(ns):
    class MyModel(ns["keras"].Model):
        def __init__(self, hidden=16, classes=3, **kwargs):
            super().__init__(**kwargs)
            raise NotImplementedError()

        def call(self, inputs):
            raise NotImplementedError()

    return MyModel


@pytest.mark.parametrize("check", ["check_count_dense_params", "check_scale", "check_my_model"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    stub = {"check_count_dense_params": lambda: _stub, "check_scale": lambda: _stub_layer(ns),
            "check_my_model": lambda: _stub_model(ns)}[check]()
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](stub)


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


def _counts_in_a_thread(ns):
    count = _builds_a_model_to_count(ns)

    def in_a_thread(input_shape, units):
        result = {}
        worker = threading.Thread(target=lambda: result.update(n=count(tuple(input_shape), list(units))))
        worker.start()
        worker.join()
        return result["n"]

    return in_a_thread


def _no_biases(input_shape, units):
    sizes = [math.prod(input_shape)] + list(units)
    return sum(a * b for a, b in zip(sizes, sizes[1:]))


def _last_axis_only(input_shape, units):  # forgets that Flatten feeds all 28 * 28 values
    sizes = [input_shape[-1]] + list(units)
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def _only_the_exercise_model(input_shape, units):
    return 28 * 28 * 128 + 128 + 128 * 10 + 10


def _bias_on_both_sides(input_shape, units):  # (n_in + 1) * (n_out + 1)
    sizes = [math.prod(input_shape)] + list(units)
    return sum((a + 1) * (b + 1) for a, b in zip(sizes, sizes[1:]))


def _first_layer_only(input_shape, units):
    n_in = math.prod(input_shape)
    return n_in * units[0] + units[0]


def _last_layer_forgotten(input_shape, units):
    sizes = [math.prod(input_shape)] + list(units)
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:-1])) if len(units) > 1 else sizes[0] * sizes[1] + sizes[1]


def _writes_into_units(input_shape, units):
    units = units if isinstance(units, list) else list(units)
    units.insert(0, math.prod(input_shape))  # on the caller's list, when it is a list
    return sum(a * b + b for a, b in zip(units, units[1:]))


def _a_float(input_shape, units):
    sizes = [float(np.prod(input_shape))] + list(units)
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


COUNT_MISTAKES = {
    "asks the model": _asks_the_model,
    "builds a model to count": _builds_a_model_to_count,
    "counts in a thread": _counts_in_a_thread,
    "no biases": lambda ns: _no_biases,
    "last axis only": lambda ns: _last_axis_only,
    "only the exercise model": lambda ns: _only_the_exercise_model,
    "a string": lambda ns: lambda input_shape, units: "101,770",
    "bias on both sides": lambda ns: _bias_on_both_sides,
    "first layer only": lambda ns: _first_layer_only,
    "last layer forgotten": lambda ns: _last_layer_forgotten,
    "writes into the units": lambda ns: _writes_into_units,
    "a float": lambda ns: _a_float,
}


@pytest.mark.parametrize("mistake", list(COUNT_MISTAKES))
def test_count_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_count_dense_params"](COUNT_MISTAKES[mistake](ns))


def test_count_check_names_the_library_call_and_the_thread(ns):
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_count_dense_params"](_asks_the_model(ns))
    with pytest.raises(AssertionError, match=r"called tinyfit .* \(from thread"):
        ns["check_count_dense_params"](_counts_in_a_thread(ns))


def test_count_check_names_the_write_and_the_type(ns):
    with pytest.raises(AssertionError, match="do not write into them"):
        ns["check_count_dense_params"](_writes_into_units)
    with pytest.raises(AssertionError, match="whole number"):
        ns["check_count_dense_params"](_a_float)


def test_count_check_accepts_other_correct_forms(ns, capsys):
    def count_dense_params(input_shape, units):
        sizes = [math.prod(input_shape), *units]
        return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))

    def recursive(input_shape, units):
        if not units:
            return 0
        n_in = int(np.prod(input_shape))
        return n_in * units[0] + units[0] + recursive((units[0],), units[1:])

    for answer in (count_dense_params, recursive):
        ns["check_count_dense_params"](answer)
        out = capsys.readouterr().out
        assert "correct" in out and "101,770" not in out and "101770" not in out


# ------------------------------------------------------------ exercise 2
def _scale(ns, initializer="ones", shape=lambda input_shape: (input_shape[-1],), in_init=False, trainable=True,
           dtype=None, call=None, build_in_call=False, extra_weight=False):
    layers = ns["layers"]

    class Scale(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if in_init:
                self.scale = self.add_weight(shape=(5,), initializer=initializer, name="scale")

        def build(self, input_shape):
            if not in_init and not build_in_call:
                options = {"dtype": dtype} if dtype else {}
                self.scale = self.add_weight(shape=shape(input_shape), initializer=initializer, trainable=trainable,
                                             name="scale", **options)
            if extra_weight:
                self.offset = self.add_weight(shape=shape(input_shape), initializer="zeros", name="offset")

        def call(self, inputs):
            if build_in_call:
                self.scale = self.add_weight(shape=(inputs.shape[-1],), initializer="ones", name="scale")
            return call(self, inputs) if call else inputs * self.scale

    return Scale


def _numpy_in_call(ns):
    Tensor = ns["Tensor"]
    return lambda self, inputs: Tensor(inputs.numpy() * self.scale.numpy())


SCALE_MISTAKES = {
    "zeros": lambda ns: _scale(ns, initializer="zeros"),
    "random factors": lambda ns: _scale(ns, initializer="glorot_uniform"),
    "one factor for all": lambda ns: _scale(ns, shape=lambda input_shape: ()),
    "weights in __init__": lambda ns: _scale(ns, in_init=True),
    "every axis but the batch": lambda ns: _scale(ns, shape=lambda input_shape: tuple(input_shape[1:])),
    "the lesson's 5 features": lambda ns: _scale(ns, shape=lambda input_shape: (5,)),
    "not trainable": lambda ns: _scale(ns, trainable=False),
    "float64 factors": lambda ns: _scale(ns, dtype="float64"),
    "call ignores the factors": lambda ns: _scale(ns, call=lambda self, inputs: inputs),
    "adds the factors": lambda ns: _scale(ns, call=lambda self, inputs: inputs + self.scale - 1.0),
    "NumPy in call": lambda ns: _scale(ns, call=_numpy_in_call(ns)),
    "a weight made on every call": lambda ns: _scale(ns, build_in_call=True),
    "a second weight": lambda ns: _scale(ns, extra_weight=True),
}


@pytest.mark.parametrize("mistake", list(SCALE_MISTAKES))
def test_scale_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_scale"](SCALE_MISTAKES[mistake](ns))


def test_scale_check_rejects_a_layer_that_is_not_one(ns):
    with pytest.raises(AssertionError, match="subclasses layers.Layer"):
        ns["check_scale"](lambda: None)
    with pytest.raises(AssertionError, match="inherits from tinyfit's Dense"):
        class Scale(ns["layers"].Dense):
            pass
        ns["check_scale"](Scale)


def test_scale_check_names_the_mistakes(ns):
    cases = {"zeros": "start at 1", "weights in __init__": "before its first call",
             "every axis but the batch": "one factor per feature", "not trainable": "exactly one, trainable",
             "NumPy in call": "(no gradient reached|does not depend on the factors)", "float64 factors": "float64",
             "a weight made on every call": "(new weight|exactly one)",
             "the lesson's 5 features": "(raised ValueError|one factor per feature)"}
    for mistake, message in cases.items():
        with pytest.raises(AssertionError, match=message):
            ns["check_scale"](SCALE_MISTAKES[mistake](ns))


def test_scale_check_accepts_other_correct_forms(ns, capsys):
    layers, ops = ns["layers"], ns["ops"]

    class Scale(layers.Layer):
        def build(self, input_shape):
            features = input_shape[-1]
            self.factors = self.add_weight(shape=(features,), initializer="ones", trainable=True, name="factors")

        def call(self, inputs):
            return ops.multiply(inputs, self.factors)

    class LastAxis(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=list(input_shape[-1:]), initializer="ones")

        def call(self, inputs):
            return self.scale * inputs

    for answer in (Scale, LastAxis):
        ns["check_scale"](answer)
        assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
def _my_model(ns, activations=("tanh", "relu", "softmax"), sizes=None, order=(0, 1, 2), reuse_first=False,
              wrap_target=False, layers_in_call=False):
    keras, layers = ns["keras"], ns["layers"]

    class MyModel(keras.Model):
        def __init__(self, hidden=16, classes=3, **kwargs):
            super().__init__(**kwargs)
            hidden, classes = sizes or (hidden, classes)
            self.hidden, self.classes = hidden, classes
            if wrap_target:
                self.inner = ns["target_model"]
            elif not layers_in_call:
                for index in order:  # the order the layers are created and assigned in
                    setattr(self, ("first", "second", "classify")[index],
                            layers.Dense((hidden, hidden, classes)[index], activation=activations[index]))

        def call(self, inputs):
            if wrap_target:
                return self.inner(inputs)
            if layers_in_call:
                self.first = layers.Dense(self.hidden, activation=activations[0])
                self.second = layers.Dense(self.hidden, activation=activations[1])
                self.classify = layers.Dense(self.classes, activation=activations[2])
            if reuse_first:
                return self.classify(self.first(self.first(inputs)))
            return self.classify(self.second(self.first(inputs)))

    return MyModel


def _target_graph(ns):
    keras = ns["keras"]

    class Functional(keras.Model):
        def __init__(self, hidden=16, classes=3, **kwargs):
            model = ns["target_model"]
            super().__init__(inputs=model.inputs, outputs=model.outputs, **kwargs)

    return Functional


def _sequential_subclass(ns):
    keras, layers = ns["keras"], ns["layers"]

    class MyModel(keras.Sequential):
        def __init__(self, hidden=16, classes=3, **kwargs):
            super().__init__([layers.Dense(hidden, activation="tanh"), layers.Dense(hidden, activation="relu"),
                              layers.Dense(classes, activation="softmax")], **kwargs)

    return MyModel


MODEL_MISTAKES = {
    "activations swapped": lambda ns: _my_model(ns, activations=("relu", "tanh", "softmax")),
    "no softmax": lambda ns: _my_model(ns, activations=("tanh", "relu", None)),
    "sigmoid for softmax": lambda ns: _my_model(ns, activations=("tanh", "relu", "sigmoid")),
    "tanh everywhere": lambda ns: _my_model(ns, activations=("tanh", "tanh", "softmax")),
    "the lesson's sizes hard-coded": lambda ns: _my_model(ns, sizes=(16, 3)),
    "classes units in the second layer": lambda ns: _swapped_sizes(ns),
    "layers created out of order": lambda ns: _my_model(ns, order=(2, 0, 1)),
    "the first layer used twice": lambda ns: _my_model(ns, reuse_first=True),
    "layers made in call": lambda ns: _my_model(ns, layers_in_call=True),
    "wraps target_model": lambda ns: _my_model(ns, wrap_target=True),
    "target_model's graph": _target_graph,
    "a Sequential subclass": _sequential_subclass,
}


def _swapped_sizes(ns):
    keras, layers = ns["keras"], ns["layers"]

    class MyModel(keras.Model):
        def __init__(self, hidden=16, classes=3, **kwargs):
            super().__init__(**kwargs)
            self.first = layers.Dense(hidden, activation="tanh")
            self.second = layers.Dense(classes, activation="relu")  # classes where hidden was meant
            self.classify = layers.Dense(classes, activation="softmax")

        def call(self, inputs):
            return self.classify(self.second(self.first(inputs)))

    return MyModel


@pytest.mark.parametrize("mistake", list(MODEL_MISTAKES))
def test_my_model_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_my_model"](MODEL_MISTAKES[mistake](ns))


def test_my_model_check_names_the_shared_weights_and_the_order(ns):
    with pytest.raises(AssertionError, match="target_model's own weights"):
        ns["check_my_model"](_target_graph(ns))
    with pytest.raises(AssertionError, match="in the order call uses them"):
        ns["check_my_model"](_my_model(ns, order=(2, 0, 1)))
    with pytest.raises(AssertionError, match="inherits from tinyfit's Sequential"):
        ns["check_my_model"](_sequential_subclass(ns))


def test_my_model_check_accepts_other_correct_forms(ns, capsys):
    keras, layers, ops = ns["keras"], ns["layers"], ns["ops"]

    class WithOps(keras.Model):
        def __init__(self, hidden=16, classes=3, **kwargs):
            super().__init__(**kwargs)
            self.stack = [layers.Dense(hidden), layers.Dense(hidden), layers.Dense(classes)]

        def call(self, inputs):
            h = ops.tanh(self.stack[0](inputs))
            h = ops.relu(self.stack[1](h))
            return ops.softmax(self.stack[2](h))

    class InALoop(keras.Model):
        def __init__(self, hidden=16, classes=3, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [layers.Dense(n, activation=a)
                           for n, a in [(hidden, "tanh"), (hidden, "relu"), (classes, "softmax")]]

        def call(self, inputs, training=False):
            for block in self.blocks:
                inputs = block(inputs)
            return inputs

    for answer in (WithOps, InALoop):
        ns["check_my_model"](answer)
        assert "Well done" in capsys.readouterr().out


def _scale_sharing_weights_by_width(ns):
    """Layers of the same width share one weight, kept on the class: each instance must keep its own."""
    layers = ns["layers"]

    class Scale(layers.Layer):
        shared = {}

        def build(self, input_shape):
            features = input_shape[-1]
            if features not in Scale.shared:
                Scale.shared[features] = self.add_weight(shape=(features,), initializer="ones", name="scale")
            self.scale = Scale.shared[features]
            self.scale.assign(np.ones(features, dtype="float32"))  # starts at ones, as asked

        def call(self, inputs):
            return inputs * self.scale

    return Scale


def test_scale_check_rejects_weights_shared_between_layers_of_the_same_width(ns):
    """Caught on every draw, not only when two cases happen to have the same width."""
    for _ in range(3):
        with pytest.raises(AssertionError):
            ns["check_scale"](_scale_sharing_weights_by_width(ns))


def test_my_model_check_rejects_layers_shared_between_models_of_the_same_sizes(ns):
    keras, layers = ns["keras"], ns["layers"]
    made = {}

    class MyModel(keras.Model):
        def __init__(self, hidden=16, classes=3, **kwargs):
            super().__init__(**kwargs)
            if (hidden, classes) not in made:
                made[hidden, classes] = (layers.Dense(hidden, activation="tanh"), layers.Dense(hidden, activation="relu"),
                                         layers.Dense(classes, activation="softmax"))
            self.first, self.second, self.classify = made[hidden, classes]

        def call(self, inputs):
            return self.classify(self.second(self.first(inputs)))

    with pytest.raises(AssertionError):
        ns["check_my_model"](MyModel)
