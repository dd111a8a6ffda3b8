"""Training with the recurrent layers: a compiled (replayed) fit gives the same weights as an eager one,
dropout draws one mask per sequence, unroll changes nothing, and what the layers declare."""

import warnings

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.tensor import Tensor

B, T, F, U = 4, 7, 3, 5


def build_model(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(T, F))
    x = layers.LSTM(U, return_sequences=True, dropout=0.2, recurrent_dropout=0.3, seed=3)(inputs)
    x = layers.Bidirectional(layers.GRU(U, return_sequences=True, seed=4, recurrent_dropout=0.2), merge_mode="sum")(x)
    x = layers.SimpleRNN(U, go_backwards=True, dropout=0.1, seed=5)(x)
    x = layers.RNN(layers.GRUCell(U, reset_after=False))(layers.Dense(F)(ops_expand(x)))
    return keras.Model(inputs, layers.Dense(1)(x))


def ops_expand(x):
    return layers.RepeatVector(3)(x)


@pytest.mark.parametrize("jit", [True, "auto"])
def test_compiled_fit_gives_the_eager_fit_s_weights(jit):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, T, F)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    eager, compiled = build_model(0), build_model(0)
    compiled.set_weights(eager.get_weights())
    eager.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", run_eagerly=True)
    compiled.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", jit_compile=jit)
    keras.utils.set_random_seed(1)
    eager.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    keras.utils.set_random_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would say the two recordings differed
        compiled.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(eager.get_weights()[0], build_model(0).get_weights()[0])  # it did train


def test_every_recurrent_class_declares_supports_jit_and_a_user_s_cell_turns_it_off():
    for cls in (layers.RNN, layers.SimpleRNN, layers.LSTM, layers.GRU, layers.Bidirectional,
                layers.SimpleRNNCell, layers.LSTMCell, layers.GRUCell):
        assert vars(cls)["supports_jit"] is True

    class Cell(layers.Layer):
        state_size = 2

        def call(self, inputs, states):
            return states[0], states

    assert layers.RNN(Cell()).supports_jit is False
    assert layers.RNN(layers.LSTMCell(2)).supports_jit is True


def test_input_dropout_drops_the_same_features_at_every_step():
    layer = layers.LSTM(U, dropout=0.5, seed=0)
    x = Tensor(np.random.default_rng(2).normal(size=(B, T, F)).astype("float32"), requires_grad=True)
    layer(x, training=True).sum().backward()
    dropped = x.grad == 0
    assert dropped.any() and not dropped.all()
    assert (dropped == dropped[:, :1, :]).all()  # a feature dropped at one step is dropped at all
    np.testing.assert_array_equal(layer(x.numpy()).numpy(), layer(x.numpy(), training=False).numpy())


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_unroll_gives_the_same_results_dropout_included(cls):
    x = np.random.default_rng(3).normal(size=(B, T, F)).astype("float32")
    fused = cls(U, return_sequences=True, dropout=0.3, recurrent_dropout=0.4, seed=7)
    unrolled = cls(U, return_sequences=True, dropout=0.3, recurrent_dropout=0.4, seed=7, unroll=True)
    fused.build(x.shape)
    unrolled.build(x.shape)
    unrolled.set_weights(fused.get_weights())
    for training in (False, True):
        np.testing.assert_allclose(fused(x, training=training).numpy(), unrolled(x, training=training).numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_regularizers_add_their_penalties():
    layer = layers.GRU(U, kernel_regularizer="l2", recurrent_regularizer="l1", bias_regularizer="l2")
    layer(np.ones((B, T, F), "float32"))
    assert len(layer.losses) == 3
    assert all(float(loss.numpy()) > 0 for loss in layer.losses[:2])
