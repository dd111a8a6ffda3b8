"""Bad input to the recurrent layers: each error names what was given, what was expected, and the fix."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.tensor import Tensor

X = np.zeros((4, 6, 3), "float32")


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_inputs_that_are_not_3_d(cls):
    with pytest.raises(ValueError, match=r"expects 3-D inputs \(batch, time, features\), got inputs of shape "
                                         r"\(4, 6\).*x\[\.\.\., None\]"):
        cls(2)(np.zeros((4, 6), "float32"))
    with pytest.raises(ValueError, match=r"3-D inputs.*\(None, 5\)"):
        cls(2)(keras.Input(shape=(5,)))


def test_initial_state_of_the_wrong_count():
    with pytest.raises(ValueError, match=r"has 2 state\(s\), of shapes \[\(4, 5\), \(4, 5\)\], but initial_state "
                                         r"has 1\. Pass a list of 2 tensor\(s\) \(\[h, c\] for an LSTM\)"):
        layers.LSTM(5)(X, initial_state=[Tensor(np.zeros((4, 5)))])
    with pytest.raises(ValueError, match=r"has 1 state\(s\).*initial_state has 2"):
        layers.GRU(5)(X, initial_state=[np.zeros((4, 5)), np.zeros((4, 5))])


def test_initial_state_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"initial_state\[1\] has shape \(4, 3\) but the state must have shape "
                                         r"\(4, 5\)"):
        layers.LSTM(5)(X, initial_state=[np.zeros((4, 5), "float32"), np.zeros((4, 3), "float32")])
    with pytest.raises(ValueError, match=r"initial_state\[0\] has shape \(2, 5\).*\(4, 5\)"):
        layers.SimpleRNN(5)(X, initial_state=np.zeros((2, 5), "float32"))


@pytest.mark.parametrize("make", [lambda: layers.LSTM(0), lambda: layers.GRU(-3), lambda: layers.SimpleRNNCell(0),
                                  lambda: layers.LSTMCell(2.5), lambda: layers.GRUCell(True)])
def test_units_below_one(make):
    with pytest.raises(ValueError, match=r"units must be a whole number >= 1"):
        make()


def test_stateful_says_what_to_do_instead():
    with pytest.raises(ValueError, match=r"stateful=True is not supported.*return_state=True.*initial_state="):
        layers.LSTM(3, stateful=True)


def test_constraints_and_bad_rates_and_bad_cells():
    with pytest.raises(ValueError, match=r"kernel_constraint is not supported"):
        layers.GRU(3, kernel_constraint="non_neg")
    with pytest.raises(ValueError, match=r"recurrent_dropout must be a number in \[0, 1\), got 1.5"):
        layers.LSTM(3, recurrent_dropout=1.5)
    with pytest.raises(ValueError, match=r"must have a call\(inputs, states\) method and a state_size"):
        layers.RNN(object())
    with pytest.raises(ValueError, match=r"stack recurrent layers instead"):
        layers.RNN([layers.LSTMCell(2), layers.LSTMCell(2)])
    with pytest.raises(ValueError, match=r"merge_mode must be one of"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match=r"must be a recurrent layer"):
        layers.Bidirectional(layers.Dense(2))
    with pytest.raises(ValueError, match=r"backward_layer.go_backwards is False.*opposite"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))


def test_bidirectional_initial_state_count():
    with pytest.raises(ValueError, match=r"initial_state has 2 tensor\(s\), but the forward layer has 2 state\(s\) "
                                         r"and the backward layer 2"):
        layers.Bidirectional(layers.LSTM(5))(X, initial_state=[np.zeros((4, 5), "float32")] * 2)
