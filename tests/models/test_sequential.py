"""Sequential: built from an Input, from input_shape=, or lazily from the first batch;
add and pop; the same numbers as the equivalent functional model; errors."""

import numpy as np
import pytest

from tinyfit import layers
from tinyfit.layers.naming import reset_names
from tinyfit.models import Model, Sequential


@pytest.fixture(autouse=True)
def fresh_names():
    reset_names()
    yield


def _mlp_layers():
    return [layers.Dense(8, activation="relu"), layers.Dropout(0.5), layers.Dense(3, activation="softmax")]


def test_with_an_input_first_it_is_built_at_once():
    model = Sequential([layers.Input(shape=(4,)), *_mlp_layers()])
    assert model.built and model.name == "sequential"
    assert [layer.name for layer in model.layers] == ["dense", "dropout", "dense_1"]  # no InputLayer
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3
    assert [t.shape for t in model.outputs] == [(None, 3)]
    assert model.input_shape == (None, 4)


def test_input_shape_on_the_first_layer_builds_it_too():
    model = Sequential([layers.Dense(2, input_shape=(5,)), layers.Dense(1)])
    assert model.built and model.count_params() == 12 + 3
    assert Sequential([layers.Dense(2, input_dim=5)]).built


def test_without_an_input_shape_it_builds_on_the_first_batch():
    model = Sequential(_mlp_layers())
    assert not model.built and model.weights == [] and model.input_shape is None
    lines = []
    model.summary(print_fn=lines.append)
    assert any("0 (unbuilt)" in line for line in lines) and any("│ ?" in line for line in lines)
    out = model(np.ones((2, 6), dtype="float32"))
    assert out.shape == (2, 3) and model.built and model.input_shape == (None, 6)
    lines = []
    model.summary(print_fn=lines.append)
    assert "│ dense (Dense)                   │ (None, 8)              │            56 │" in lines


def test_same_numbers_as_the_functional_model_with_the_same_weights():
    seq = Sequential([layers.Input(shape=(4,)), *_mlp_layers()])
    inputs = layers.Input(shape=(4,))
    x = inputs
    for layer in _mlp_layers():
        x = layer(x)
    functional = Model(inputs, x)
    functional.set_weights(seq.get_weights())
    data = np.random.default_rng(0).random((5, 4)).astype("float32")
    np.testing.assert_allclose(seq(data).numpy(), functional(data).numpy(), rtol=1e-6)


def test_training_flag_reaches_its_dropout():
    model = Sequential([layers.Input(shape=(50,)), layers.Dropout(0.5)])
    x = np.ones((4, 50), dtype="float32")
    np.testing.assert_array_equal(model(x).numpy(), x)
    assert (model(x, training=True).numpy() == 0).any()


def test_add_and_pop_rebuild_the_graph():
    model = Sequential([layers.Input(shape=(3,))])
    model.add(layers.Dense(4))
    model.add(layers.Dense(2))
    assert model(np.ones((1, 3))).shape == (1, 2)
    removed = model.pop()
    assert removed.name == "dense_1" and len(model.layers) == 1
    assert model(np.ones((1, 3))).shape == (1, 4)
    assert [t.shape for t in model.outputs] == [(None, 4)]


def test_get_layer_and_losses_work_as_for_any_model():
    model = Sequential([layers.Input(shape=(2,)), layers.Dense(2, kernel_regularizer="l2", name="reg"),
                        layers.ActivityRegularization(l1=1.0)])
    model(np.ones((1, 2), dtype="float32"))
    assert model.get_layer("reg") is model.layers[0]
    assert len(model.losses) == 2
    with pytest.raises(ValueError, match=r"no layer named 'nope'\. Its layers are: 'reg', 'activity_regularization'"):
        model.get_layer("nope")


def test_sequential_inside_a_functional_model():
    block = Sequential([layers.Dense(4), layers.Dense(2)])
    inputs = layers.Input(shape=(3,))
    outer = Model(inputs, layers.Dense(1)(block(inputs)))
    assert block.built and outer.count_params() == (12 + 4) + (8 + 2) + (2 + 1)
    assert outer(np.ones((2, 3))).shape == (2, 1)


def test_errors_name_what_went_wrong():
    with pytest.raises(TypeError, match=r"Sequential.add: expected a Layer \(or keras.Input as the first element\),"
                                        r" got str"):
        Sequential(["dense"])
    with pytest.raises(ValueError, match="an Input can only come first"):
        Sequential([layers.Dense(2), layers.Input(shape=(2,))])
    with pytest.raises(IndexError, match="model 'empty' has no layers to remove"):
        Sequential(name="empty").pop()
    with pytest.raises(ValueError, match=r"has no layers to build; add\(\) some first"):
        Sequential()(np.ones((1, 2)))
