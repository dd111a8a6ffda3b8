"""GRUCell and GRU: Keras's gated recurrent unit, gates in the order z, r, h."""

from __future__ import annotations

from typing import Any

from ... import ops
from ...autograd.ops.recurrent import GRUStep
from .cell import RecurrentCell
from .rnn import RNN, cell_layer_config, cell_property


class GRUCell(RecurrentCell):
    """One step of a GRU; the output is the new state.

    z = recurrent_activation(x_z + h @ U_z), r = recurrent_activation(x_r + h @ U_r),
    h_t = z * h + (1 - z) * activation(x_h + r * (h @ U_h)) with reset_after=True (Keras's
    default, cuDNN's and PyTorch's form: the bias has shape (2, 3 * units), one row for the
    inputs and one for the state), or activation(x_h + (r * h) @ U_h) with reset_after=False
    (bias shape (3 * units,)).

    Args: as LSTMCell without unit_forget_bias, plus `reset_after`.
    """
    supports_jit = True
    gates = 3
    step_op = GRUStep

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, reset_after: bool = True,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.reset_after = bool(reset_after)

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def input_bias(self):
        if self.bias is None or not self.reset_after:
            return self.bias
        return self.bias[0]

    def recurrent_bias(self):
        return self.bias[1] if self.bias is not None and self.reset_after else None

    def step_attrs(self):
        return {"reset_after": self.reset_after}

    def call(self, inputs, states, training=None):
        h = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h) if training else None
        x = ops.matmul(inputs if dp_mask is None else inputs * dp_mask, self.kernel)
        bias = self.input_bias()
        if bias is not None:
            x = x + bias
        h_in = h if rec_mask is None else h * rec_mask
        if self.reset_after:
            inner = ops.matmul(h_in, self.recurrent_kernel)
            if self.bias is not None:
                inner = inner + self.recurrent_bias()
        else:
            inner = ops.matmul(h_in, self.recurrent_kernel[:, :2 * u])
        z = self.recurrent_activation(x[:, :u] + inner[:, :u])
        r = self.recurrent_activation(x[:, u:2 * u] + inner[:, u:2 * u])
        if self.reset_after:
            hh = self.activation(x[:, 2 * u:] + r * inner[:, 2 * u:])
        else:
            hh = self.activation(x[:, 2 * u:] + ops.matmul(r * h_in, self.recurrent_kernel[:, 2 * u:]))
        h = z * h + (1 - z) * hh
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


class GRU(RNN):
    """Gated recurrent unit over (batch, time, features) sequences (Cho et al., 2014).

    Takes GRUCell's arguments and RNN's (return_sequences, return_state, go_backwards, stateful,
    unroll), and `activity_regularizer`.
    """
    supports_jit = True
    keras_sublayer_names = True  # its sublayers sit in attributes named as Keras names them
    cell_class = GRUCell

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False, reset_after: bool = True,
                 use_cudnn: Any = "auto", **kwargs: Any):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                       kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                       kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, seed=seed, dtype=kwargs.get("dtype"),
                       trainable=kwargs.get("trainable", True), name="gru_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    reset_after = cell_property("reset_after")
    use_bias = cell_property("use_bias")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def get_config(self):
        return cell_layer_config(self)
