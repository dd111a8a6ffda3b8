"""Subclassed models: layers found from attributes, training and losses in call(),
explicit build, use inside functional models, gradients, and errors."""

import numpy as np
import pytest

from tinyfit import layers, ops
from tinyfit.layers.naming import reset_names
from tinyfit.models import Model, check_input_data
from tinyfit.trainers.trainer import Trainer


@pytest.fixture(autouse=True)
def fresh_names():
    reset_names()
    yield


class MyModel(Model):
    def __init__(self, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.dense1 = layers.Dense(hidden, activation="relu")
        self.blocks = [layers.Dropout(0.5), layers.Dense(hidden, activation="relu")]
        self.head = layers.Dense(3)
        self.seen_training = []

    def call(self, inputs, training=None):
        self.seen_training.append(training)
        x = self.dense1(inputs)
        for block in self.blocks:
            x = block(x)
        self.add_loss(ops.mean(ops.square(x)) * 0.01)
        return self.head(x)


def test_layers_and_weights_come_from_attributes():
    model = MyModel()
    assert isinstance(model, Trainer) and model.name == "my_model"
    assert [layer.name for layer in model.layers] == ["dense", "dropout", "dense_1", "dense_2"]
    assert model.weights == [] and not model.built
    model(np.ones((2, 5), dtype="float32"))
    assert model.built
    assert [w.path for w in model.trainable_weights] == [
        "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"]
    assert model.count_params() == (5 * 8 + 8) + (8 * 8 + 8) + (8 * 3 + 3)
    assert model.inputs is None and model.input_names is None and model.output_names is None


def test_training_flag_and_losses_of_each_call():
    model = MyModel()
    x = np.ones((64, 5), dtype="float32")
    inference = model(x).numpy()
    assert len(model.losses) == 1
    np.testing.assert_array_equal(model(x, training=False).numpy(), inference)
    assert not np.allclose(model(x, training=True).numpy(), inference)
    assert model.seen_training == [None, False, True]
    assert len(model.losses) == 1


def test_gradients_reach_every_trainable_weight():
    model = MyModel()
    out = model(np.random.default_rng(0).random((4, 5)).astype("float32"), training=True)
    loss = ops.sum(ops.square(out)) + model.losses[0]
    loss.backward()
    assert all(w.grad is not None and w.grad.shape == w.shape for w in model.trainable_weights)


def test_build_with_a_shape_creates_the_weights_and_summary_shows_them():
    model = MyModel()
    model.build((None, 5))
    assert model.built and model.count_params() == 48 + 72 + 27
    assert model.losses == []  # the placeholder call's losses are dropped
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[0] == 'Model: "my_model"'
    assert "│ dense (Dense)                   │ ?                      │            48 │" in lines
    assert lines[-3] == " Total params: 147 (588.00 B)"


def test_a_subclassed_model_inside_a_functional_model():
    inner = MyModel(hidden=4)
    inputs = layers.Input(shape=(6,))
    outer = Model(inputs, layers.Dense(1, name="out")(inner(inputs)))
    assert outer.get_layer("my_model") is inner
    assert outer.count_params() == (28 + 20 + 15) + 4
    out = outer(np.ones((2, 6), dtype="float32"))
    assert out.shape == (2, 1) and len(outer.losses) == 1  # the inner add_loss


def test_model_add_loss_in_call_and_freezing():
    class WithPenalty(Model):
        def __init__(self):
            super().__init__(name="penalized")
            self.dense = layers.Dense(2, kernel_initializer="ones")

        def call(self, inputs):
            out = self.dense(inputs)
            self.add_loss(ops.sum(out))
            return out

    model = WithPenalty()
    model(np.ones((1, 3), dtype="float32"))
    assert [loss.item() for loss in model.losses] == [6.0]
    model.trainable = False
    assert model.trainable_weights == [] and not model.dense.trainable


def test_no_input_check_without_a_graph():
    check_input_data(MyModel(), np.ones((3,)))  # nothing known about the inputs: nothing to check


def test_model_without_call_says_how_to_make_one():
    with pytest.raises(NotImplementedError, match=r"Model 'model' \(Model\) has no call\(\)\. Either subclass Model"):
        Model()(np.ones((1, 2)))


def test_unknown_keyword_argument_to_a_model():
    with pytest.raises(TypeError, match=r"MyModel: unexpected keyword argument\(s\) 'hiden'\. Did you mean 'hidden'\?"):
        MyModel(hiden=3)


def test_build_needs_a_shape_and_stop_training_starts_false():
    model = MyModel()
    assert model.stop_training is False
    with pytest.raises(ValueError, match=r"build\(\) needs input_shape, e.g. build\(\(None, 784\)\)"):
        model.build()
