"""SimpleRNNCell and SimpleRNN: h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)."""

from __future__ import annotations

from typing import Any

from ... import ops
from ...autograd.ops.recurrent import SimpleRNNStep
from .cell import RecurrentCell
from .rnn import RNN, cell_layer_config, cell_property


class SimpleRNNCell(RecurrentCell):
    """One step of a fully connected recurrent network; the output is the new state.

    Args:
        units: the size of the state (and of the output).
        activation: default "tanh".
        use_bias, kernel_initializer ("glorot_uniform"), recurrent_initializer ("orthogonal"),
        bias_initializer ("zeros"), kernel_regularizer, recurrent_regularizer, bias_regularizer:
            as in Keras; the constraints must stay None.
        dropout, recurrent_dropout: fractions of the inputs and of the state dropped during training
            (one mask per sequence).
        seed: a seed of its own for the dropout masks.
    """
    supports_jit = True
    step_op = SimpleRNNStep

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)

    def call(self, inputs, states, training=None):
        h = states[0] if isinstance(states, (list, tuple)) else states
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h) if training else None
        x = inputs if dp_mask is None else inputs * dp_mask
        z = ops.matmul(x, self.kernel)
        if self.bias is not None:
            z = z + self.bias
        z = z + ops.matmul(h if rec_mask is None else h * rec_mask, self.recurrent_kernel)
        output = self.activation(z)
        return output, [output] if isinstance(states, (list, tuple)) else output

    def get_config(self):
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class SimpleRNN(RNN):
    """A fully connected recurrent layer over (batch, time, features) sequences.

    Takes SimpleRNNCell's arguments and RNN's (return_sequences, return_state, go_backwards,
    stateful, unroll), and `activity_regularizer`.
    """
    supports_jit = True
    keras_sublayer_names = True  # its sublayers sit in attributes named as Keras names them
    cell_class = SimpleRNNCell

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, **kwargs: Any):
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                             dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
                             dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                             name="simple_rnn_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    units = cell_property("units")
    activation = cell_property("activation")
    use_bias = cell_property("use_bias")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def get_config(self):
        config = cell_layer_config(self)
        del config["seed"]  # Keras's SimpleRNN leaves it out of its config too
        return config
