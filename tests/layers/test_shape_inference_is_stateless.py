"""Calling a layer on keras.Input works out its output shape from made-up data; nothing of it remains.

Variable assignments, metric updates, added losses and metric values, and random
draws made while inferring shapes are undone, as Keras's stateless scope does;
output sizes that depend on the values are unknown (None).
"""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops
from tinyfit.autograd.variable import Variable
from tinyfit.utils.random import get_random_states, rng

X = np.arange(6, dtype="float32").reshape(2, 3)


class CountsCalls(layers.Layer):
    """The review's example: a running total of the calls, kept in a weight."""

    def build(self, input_shape):
        self.total = self.add_weight(shape=(), initializer="zeros", trainable=False, name="total")

    def call(self, inputs):
        self.total.assign_add(1.0)
        return inputs


# ------------------------------------------------------------ assignments
def test_a_counter_counts_only_the_real_calls_after_input_then_one_call():
    layer = CountsCalls()
    layer(keras.Input((3,)))
    assert float(layer.total.numpy()) == 0.0
    layer(X)
    assert float(layer.total.numpy()) == 1.0


def test_a_functional_model_built_from_the_counter_counts_exactly_its_calls():
    inputs = keras.Input((3,))
    counter = CountsCalls()
    model = keras.Model(inputs, layers.Dense(2)(counter(inputs)))
    nested = keras.Model(inputs, model(inputs))  # the model called symbolically in turn
    assert float(counter.total.numpy()) == 0.0
    model(X)
    nested(X)
    model.predict(X, verbose=0)
    assert float(counter.total.numpy()) == 3.0


def test_a_subclassed_model_built_from_a_shape_counts_nothing():
    class Counted(keras.Model):
        def __init__(self):
            super().__init__()
            self.counter = CountsCalls()
            self.dense = layers.Dense(1)

        def call(self, inputs):
            return self.dense(self.counter(inputs))

    model = Counted()
    model.build((None, 3))
    assert model.built and float(model.counter.total.numpy()) == 0.0
    model(X)
    assert float(model.counter.total.numpy()) == 1.0


def test_assign_and_assign_sub_on_a_variable_no_layer_holds_are_undone_too():
    shared = Variable(np.array([5.0, 5.0], "float32"), trainable=False, name="shared")

    class Touches(layers.Layer):
        def call(self, inputs):
            shared.assign_sub(1.0)
            shared.assign(ops.sum(inputs, axis=0)[:2])
            return inputs

    Touches()(keras.Input((3,)))
    np.testing.assert_array_equal(shared.numpy(), [5.0, 5.0])
    Touches()(X)
    np.testing.assert_array_equal(shared.numpy(), [3.0, 5.0])


def test_weights_a_custom_build_assigns_keep_their_values():
    class AssignsInBuild(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(), initializer="zeros", trainable=False, name="scale")
            self.scale.assign(float(input_shape[-1]))

        def call(self, inputs):
            return inputs * self.scale

    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = AssignsInBuild()

        def call(self, inputs):
            return self.inner(inputs)

    outer = Outer()
    outer(keras.Input((3,)))  # the inner layer is built during the outer's shape inference: for real
    assert outer.inner.built and float(outer.inner.scale.numpy()) == 3.0


# ------------------------------------------------------- losses and metrics
class Penalized(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs))
        self.add_metric(ops.mean(inputs), name="mean_input")
        return inputs


def test_losses_added_while_inferring_do_not_reach_model_losses():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, Penalized()(layers.Dense(3, kernel_initializer="ones")(inputs)))
    assert model.losses == [] and model._added_metric_values() == []
    model(X)
    (loss,) = model.losses
    assert loss.item() == pytest.approx(3 * X.sum())


def test_a_layers_real_losses_survive_a_later_symbolic_call():
    layer = Penalized()
    layer(X)
    layer(keras.Input((3,)))  # reused in a model definition
    assert [loss.item() for loss in layer.losses] == [X.sum()]
    assert [name for name, _ in layer._added_metric_values()] == ["mean_input"]


def test_a_metric_object_updated_in_call_does_not_count_the_made_up_data():
    class Watches(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seen = keras.metrics.Mean(name="seen")

        def call(self, inputs):
            self.seen.update_state(inputs)
            return inputs

    layer = Watches()
    layer(keras.Input((3,)))
    assert [float(v.numpy()) for v in layer.seen.variables] == [0.0, 0.0]
    layer(X)
    assert float(layer.seen.result()) == pytest.approx(X.mean())


# ------------------------------------------------------------- randomness
class Noisy(layers.Layer):
    """Draws from tinyfit's generator and from a NumPy generator of its own on every call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.own = np.random.default_rng(3)

    def call(self, inputs):
        noise = rng().normal(size=inputs.shape) + self.own.normal(size=inputs.shape)
        return inputs + keras.Tensor(noise.astype("float32"))


def test_building_a_model_with_dropout_and_noise_moves_no_random_state():
    keras.utils.set_random_seed(11)
    dropout, noisy, dense = layers.Dropout(0.5), Noisy(), layers.Dense(4)
    dense.build((None, 3))  # weights drawn before: what follows must draw nothing
    before, own_before = get_random_states(), noisy.own.bit_generator.state
    inputs = keras.Input((3,))
    outputs = layers.Dropout(0.3, seed=5)(dropout(noisy(dense(inputs)), training=True))
    keras.Model(inputs, outputs)
    assert repr(get_random_states()) == repr(before)
    assert noisy.own.bit_generator.state == own_before


def _train_dropout_model(build_symbolically):
    """A subclassed model with Dropout and noise, built from a shape (made-up data, noise drawn
    and undone) or layer by layer on real data (nothing drawn but the weights), then trained."""
    class WithDropout(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.dropout = layers.Dropout(0.5)
            self.noisy = Noisy()
            self.out = layers.Dense(1)

        def call(self, inputs, training=False):
            return self.out(self.dropout(self.noisy(self.hidden(inputs)), training=training))

    keras.utils.set_random_seed(4)
    model = WithDropout()
    if build_symbolically:
        model.build((None, 3))
    else:  # the same weights drawn in the same order, with no call that draws noise
        model.hidden(np.zeros((1, 3), "float32"))
        model.out(np.zeros((1, 8), "float32"))
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    history = model.fit(x, x[:, :1], batch_size=8, epochs=2, verbose=0)
    return model.get_weights(), history.history["loss"]


def test_training_after_a_symbolic_build_is_the_same_as_without_it():
    weights, losses = _train_dropout_model(build_symbolically=True)
    expected_weights, expected_losses = _train_dropout_model(build_symbolically=False)
    np.testing.assert_array_equal(losses, expected_losses)
    for got, want in zip(weights, expected_weights):
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------ data-dependent sizes
class KeepsLarge(layers.Layer):
    """Returns the input values above one half, flattened: how many depends on the values."""

    def call(self, inputs):
        return inputs[inputs > 0.5]


class Distinct(layers.Layer):
    """The distinct values of each input column: how many depends on the values only."""

    def call(self, inputs):
        values = np.unique(inputs.numpy())
        return keras.Tensor(np.broadcast_to(values, (inputs.shape[0], values.size)).copy())


def test_a_size_that_depends_on_the_values_is_unknown():
    x = keras.Input((4,))
    assert KeepsLarge()(x).shape == (None,)
    assert Distinct()(x).shape == (None, None)
    assert Distinct()(keras.Input((4,), batch_size=6)).shape == (6, None)  # the batch axis is known here


def test_a_size_fixed_by_the_shapes_stays_known():
    x = keras.Input((4, 5))
    assert layers.Lambda(lambda t: ops.sum(t, axis=1)[:, :3])(x).shape == (None, 3)
    assert layers.Lambda(lambda t: t[:, :, :2] * 2.0)(x).shape == (None, 4, 2)


def test_a_layer_returning_a_different_structure_for_other_data_is_explained():
    class Moody(layers.Layer):
        def call(self, inputs):
            return [inputs] if inputs.shape[0] == 2 else [inputs, inputs]

    with pytest.raises(ValueError, match=r"Layer 'moody.*': call\(\) returned 1 tensor\(s\) for one batch and 2 "
                                         r"for another of a different size.*same structure"):
        Moody()(keras.Input((3,)))
