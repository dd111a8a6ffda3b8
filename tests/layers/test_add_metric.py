"""Layer.add_metric: values logged during a call, kept per call like add_loss's losses."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops
from tinyfit.autograd.tensor import Tensor


class LogsMean(layers.Layer):
    def call(self, inputs):
        self.add_metric(ops.mean(inputs), name="mean_input")
        return inputs


class Outer(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = LogsMean()

    def call(self, inputs):
        self.add_metric(ops.max(inputs), name="max_input")
        return self.inner(inputs) * 2.0


def values(layer):
    return {name: float(value.numpy()) for name, value in layer._added_metric_values()}


def test_values_of_the_last_call_only_and_without_gradient():
    layer = LogsMean()
    x = Tensor(np.array([[1.0, 3.0]], "float32"), requires_grad=True)
    layer(x)
    (name, value), = layer._added_metric_values()
    assert name == "mean_input" and float(value.numpy()) == 2.0 and not value.requires_grad
    layer(np.array([[5.0, 7.0]], "float32"))
    assert values(layer) == {"mean_input": 6.0}  # replaced, not accumulated


def test_an_outer_call_gathers_the_values_of_the_layers_inside():
    outer = Outer()
    outer(np.array([[1.0, 3.0]], "float32"))
    assert values(outer) == {"max_input": 3.0, "mean_input": 2.0}
    outer.inner(np.array([[9.0, 9.0]], "float32"))  # the inner layer called on its own
    assert values(outer) == {"max_input": 3.0}  # belongs to another call: not the outer's


def test_values_from_stand_in_data_while_building_a_graph_are_dropped():
    layer = LogsMean()
    layer(keras.Input((2,)))
    assert layer._added_metric_values() == [] and layer._last_call is None


def test_a_number_is_accepted():
    class LogsNumber(layers.Layer):
        def call(self, inputs):
            self.add_metric(0.5, name="half")
            return inputs

    layer = LogsNumber()
    layer(np.ones((1, 2), "float32"))
    assert values(layer) == {"half": 0.5}


class HoldsAccuracy(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.accuracy_fn = keras.metrics.BinaryAccuracy()

    def call(self, targets, probabilities):
        self.add_metric(self.accuracy_fn(targets, probabilities), name="accuracy")
        return probabilities


def test_a_held_metric_object_does_not_count_the_stand_in_data_of_a_graph():
    layer = HoldsAccuracy()
    layer(keras.Input((4,)), keras.Input((4,)))
    assert [float(v.numpy()) for v in layer.accuracy_fn.variables] == [0.0, 0.0]
    assert layer._held_metrics() == [layer.accuracy_fn]


def test_a_missing_name_is_explained():
    class NoName(layers.Layer):
        def call(self, inputs):
            self.add_metric(ops.mean(inputs))
            return inputs

    with pytest.raises(ValueError, match=r"'no_name.*': add_metric\(\) needs a name .*got None.*name=\"std_of"):
        NoName()(np.ones((1, 2), "float32"))


def test_an_unknown_aggregation_lists_the_choice():
    class Sums(layers.Layer):
        def call(self, inputs):
            self.add_metric(ops.mean(inputs), name="m", aggregation="sum")
            return inputs

    with pytest.raises(ValueError, match=r"add_metric\(name='m'\) got aggregation='sum'; the choices are 'mean'"):
        Sums()(np.ones((1, 2), "float32"))


def test_a_symbolic_value_given_to_a_layer_says_where_it_belongs():
    layer = LogsMean()
    with pytest.raises(ValueError, match=r"add_metric\(\) got a symbolic tensor.*model.add_metric\(tensor, "
                                         r"name='m'\)"):
        layer.add_metric(keras.Input((2,)), name="m")


def test_forgetting_super_init_is_explained():
    class Forgot(layers.Layer):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match=r"super\(\).__init__"):
        Forgot().add_metric(1.0, name="m")
