"""The recurrent layers against real Keras 3 (NumPy backend) with copied weights: outputs and
states for every layer and option, the weights' names and shapes, and the config's keys."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.autograd.tensor import Tensor

B, T, F, U = 3, 5, 4, 6

LAYERS = {
    "SimpleRNN": {},
    "LSTM": {},
    "GRU": {},
    "GRU reset_after=False": {"reset_after": False},
}
OPTIONS = {
    "last": {},
    "sequences": {"return_sequences": True},
    "state": {"return_state": True},
    "backwards sequences and state": {"go_backwards": True, "return_sequences": True, "return_state": True},
    "relu, no bias": {"activation": "relu", "use_bias": False},
    "hard_sigmoid gates (not fused)": {"recurrent_activation": "hard_sigmoid", "return_sequences": True},
}


def class_name(case):
    return case.split()[0]


def both(keras3, case, **options):
    """(tinyfit layer, Keras layer), built, with Keras's (random, nonzero-bias) weights in both."""
    kwargs = {**LAYERS[case], **options}
    if class_name(case) == "SimpleRNN":
        kwargs.pop("recurrent_activation", None)
    theirs = getattr(keras3.layers, class_name(case))(U, **kwargs)
    theirs.build((B, T, F))
    rng = np.random.default_rng(0)
    theirs.set_weights([w + rng.normal(size=w.shape).astype("float32") * 0.1 for w in theirs.get_weights()])
    mine = getattr(keras.layers, class_name(case))(U, **kwargs)
    mine.build((B, T, F))
    mine.set_weights(theirs.get_weights())
    return mine, theirs


def as_list(out):
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("case", LAYERS)
def test_outputs_and_states_match_keras(keras3, case, option):
    if class_name(case) == "SimpleRNN" and "recurrent_activation" in OPTIONS[option]:
        pytest.skip("SimpleRNN has no recurrent_activation")
    mine, theirs = both(keras3, case, **OPTIONS[option])
    x = np.random.default_rng(1).normal(size=(B, T, F)).astype("float32")
    expected = as_list(theirs(x))
    got = as_list(mine(x))
    assert [g.shape for g in got] == [e.shape for e in expected]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", LAYERS)
def test_initial_state_matches_keras(keras3, case):
    mine, theirs = both(keras3, case, return_sequences=True, return_state=True)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(B, T, F)).astype("float32")
    states = [rng.normal(size=(B, U)).astype("float32") for _ in range(2 if case == "LSTM" else 1)]
    expected = as_list(theirs(x, initial_state=states))
    got = as_list(mine(x, initial_state=[Tensor(s) for s in states]))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", LAYERS)
def test_weights_and_config_keys_are_keras_s(keras3, case):
    mine, theirs = both(keras3, case)
    assert [w.path.split("/")[-1] for w in mine.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    assert [tuple(w.shape) for w in mine.weights] == [tuple(w.shape) for w in theirs.weights]
    assert set(mine.get_config()) == set(theirs.get_config())
    cell_keys = set(theirs.cell.get_config())
    assert set(mine.cell.get_config()) == cell_keys


def test_a_fresh_lstm_starts_as_keras_s_does(keras3):
    mine, theirs = keras.layers.LSTM(U), keras3.layers.LSTM(U)
    mine.build((B, T, F))
    theirs.build((B, T, F))
    np.testing.assert_array_equal(mine.get_weights()[2], theirs.get_weights()[2])  # forget gate's bias at 1
    rkernel = mine.get_weights()[1]
    np.testing.assert_allclose(rkernel @ rkernel.T, np.eye(U), atol=1e-5)  # (U, 4U) with orthonormal rows
    assert mine.cell.get_config()["unit_forget_bias"] is True


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes_match_keras(keras3, merge_mode):
    theirs = keras3.layers.Bidirectional(keras3.layers.LSTM(U, return_sequences=True, return_state=True),
                                         merge_mode=merge_mode)
    theirs.build((B, T, F))
    mine = keras.layers.Bidirectional(keras.layers.LSTM(U, return_sequences=True, return_state=True),
                                      merge_mode=merge_mode)
    mine.build((B, T, F))
    mine.set_weights(theirs.get_weights())
    x = np.random.default_rng(3).normal(size=(B, T, F)).astype("float32")
    expected, got = as_list(theirs(x)), as_list(mine(x))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    assert mine.forward_layer.name.startswith("forward_lstm") and mine.backward_layer.name.startswith("backward_lstm")
    assert set(mine.get_config()) == set(theirs.get_config())


def test_bidirectional_gru_last_output_matches_keras(keras3):
    theirs = keras3.layers.Bidirectional(keras3.layers.GRU(U, reset_after=False), merge_mode="sum")
    theirs.build((B, T, F))
    mine = keras.layers.Bidirectional(keras.layers.GRU(U, reset_after=False), merge_mode="sum")
    mine.build((B, T, F))
    mine.set_weights(theirs.get_weights())
    x = np.random.default_rng(4).normal(size=(B, T, F)).astype("float32")
    np.testing.assert_allclose(mine(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)


def test_rnn_of_a_cell_and_of_a_user_s_cell_match_keras(keras3):
    from tinyfit import ops

    class MinimalCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

        def call(self, inputs, states):
            output = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel))
            return output, [output]

    x = np.random.default_rng(5).normal(size=(B, T, F)).astype("float32")
    theirs = keras3.layers.RNN(keras3.layers.GRUCell(U), return_sequences=True, go_backwards=True)
    theirs.build((B, T, F))
    mine = keras.layers.RNN(keras.layers.GRUCell(U), return_sequences=True, go_backwards=True)
    mine.build((B, T, F))
    mine.set_weights(theirs.get_weights())
    np.testing.assert_allclose(mine(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)

    reference = keras3.layers.SimpleRNN(U, use_bias=False, return_state=True)
    reference.build((B, T, F))
    own = keras.layers.RNN(MinimalCell(U), return_state=True)
    own.build((B, T, F))
    own.set_weights(reference.get_weights())
    for g, e in zip(as_list(own(x)), as_list(reference(x))):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    assert own.supports_jit is False  # a user's cell does not vouch for its call()
