"""LSTMCell and LSTM: Keras's long short-term memory, gates in the order i, f, c, o."""

from __future__ import annotations

from typing import Any

from ... import ops
from ...autograd.tensor import Tensor
from ...autograd.ops.recurrent import LSTMStep
from .cell import RecurrentCell
from .rnn import RNN, cell_layer_config, cell_property


def _unit_forget_bias(inner: Any, units: int):
    """An initializer giving `inner`'s values with the forget gate's block set to ones."""
    def initialize(shape, dtype=None):
        array = ops.convert_to_numpy(inner(shape, dtype=dtype)).copy()
        array[units:2 * units] = 1
        return Tensor(array, dtype=array.dtype)
    return initialize


class LSTMCell(RecurrentCell):
    """One step of an LSTM. The states are [h, c]; the output is h.

    z = x_t @ kernel + h @ recurrent_kernel + bias, split into i, f, c, o:
    c_t = sigmoid(f) * c + sigmoid(i) * tanh(c~), h_t = sigmoid(o) * tanh(c_t)
    (activation tanh, recurrent_activation sigmoid by default).

    Args: as SimpleRNNCell, plus `recurrent_activation` and `unit_forget_bias` (default True:
    the forget gate's bias starts at 1, so the cell remembers from the start).
    """
    supports_jit = True
    gates = 4
    step_op = LSTMStep

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def make_bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        return _unit_forget_bias(self.bias_initializer, self.units)

    def pack_states(self, states):
        return ops.concatenate([states[0], states[1]], axis=1)

    def unpack_state(self, state):
        return [state[:, :self.units], state[:, self.units:]]

    def call(self, inputs, states, training=None):
        h, c = states[0], states[1]
        u = self.units
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h) if training else None
        x = inputs if dp_mask is None else inputs * dp_mask
        z = ops.matmul(x, self.kernel) + ops.matmul(h if rec_mask is None else h * rec_mask, self.recurrent_kernel)
        if self.bias is not None:
            z = z + self.bias
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * self.activation(z[:, 2 * u:3 * u])
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class LSTM(RNN):
    """Long short-term memory over (batch, time, features) sequences (Hochreiter and Schmidhuber, 1997).

    Takes LSTMCell's arguments and RNN's (return_sequences, return_state, go_backwards, stateful,
    unroll), and `activity_regularizer`. With return_state=True it returns [output, h, c].
    """
    supports_jit = True
    keras_sublayer_names = True  # its sublayers sit in attributes named as Keras names them
    cell_class = LSTMCell

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, use_cudnn: Any = "auto", **kwargs: Any):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                        kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                        dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
                        dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True), name="lstm_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    unit_forget_bias = cell_property("unit_forget_bias")
    use_bias = cell_property("use_bias")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def get_config(self):
        return cell_layer_config(self)
