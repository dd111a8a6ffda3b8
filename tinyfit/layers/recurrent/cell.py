"""RecurrentCell: what SimpleRNNCell, LSTMCell and GRUCell share.

A cell computes one time step: `call(inputs, states, training=None)` returns
`(output, new_states)`, and `state_size` / `output_size` say how wide they are
(Keras's cell protocol; RNN runs any object that follows it). The built-in cells
also run a whole sequence at once (`run_sequence`): the inputs of every step
projected by one matmul, then one fused op per step (autograd/ops/recurrent.py).

Dropout, as in Keras, draws one mask per sequence: the same units are dropped at
every step. The masks are drawn inside the dropout op, so a replayed training
step draws afresh. One input mask and one state mask serve all the gates (Keras
draws one per gate, 4 for an LSTM and 3 for a GRU, when recurrent_dropout is set).
"""

from __future__ import annotations

from typing import Any

import numpy

from ... import activations, initializers, ops, regularizers
from ...autograd.ops.dropout import Dropout as DropoutOp
from ...autograd.ops.linalg import FusedDense
from ...autograd.ops.recurrent import ACTIVATIONS, InputGradients
from ...autograd.tensor import Tensor
from ...utils import random as _random
from ..core import _serialize
from ..layer import Layer


def check_units(owner: str, units: Any) -> int:
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise ValueError(f"{owner}: units must be a whole number >= 1 (the size of the state), got {units!r}.")
    return units


def check_rate(owner: str, name: str, rate: Any) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(f"{owner}: {name} must be a number in [0, 1), got {rate!r}.")
    return float(rate)


def _fused_name(function: Any) -> str | None:
    """The name a step op knows `function` by; None when the op cannot apply it itself."""
    for name in ACTIVATIONS:
        if function is getattr(activations, name):
            return name
    return None


class RecurrentCell(Layer):
    """The arguments, weights, dropout masks and config shared by the built-in cells.

    A subclass sets `gates` (how many blocks of `units` the kernels have), `step_op`
    (its fused Function) and writes `call`; it may add arguments of its own.
    """

    gates = 1
    step_op: Any = None

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None, **kwargs: Any):
        kwargs.pop("implementation", None)  # Keras's choice of kernels; the maths is the same
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.units = check_units(owner, units)
        for name, value in (("kernel_constraint", kernel_constraint), ("recurrent_constraint", recurrent_constraint),
                            ("bias_constraint", bias_constraint)):
            if value is not None:
                raise ValueError(
                    f"{owner}: {name} is not supported in tinyfit (it has no constraints); leave it None and "
                    "clip or project the weights yourself after each step, e.g. in a callback's on_train_batch_end."
                )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = self.recurrent_constraint = self.bias_constraint = None
        self.dropout = check_rate(owner, "dropout", dropout)
        self.recurrent_dropout = check_rate(owner, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self._generator = None if seed is None else numpy.random.default_rng(seed)
        self.reset_dropout_masks()

    # ------------------------------------------------------------ the protocol
    @property
    def state_size(self) -> Any:
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def get_initial_state(self, batch_size: int) -> list:
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.dtype) for size in sizes]

    # ------------------------------------------------------------ weights
    def build(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1] if input_shape else None
        if input_dim is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the inputs' last axis (features) must have a known size, "
                f"but the input shape is {input_shape}."
            )
        width = self.gates * self.units
        self.kernel = self.add_weight(shape=(input_dim, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, width), initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer, name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=self.bias_shape(), initializer=self.make_bias_initializer(),
                                        regularizer=self.bias_regularizer, name="bias")
        self.built = True

    def bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def make_bias_initializer(self) -> Any:
        return self.bias_initializer

    def input_bias(self) -> Any:
        """The bias added to the projected inputs (None without one)."""
        return self.bias

    def recurrent_bias(self) -> Any:
        """The bias added to the state's projection, for cells that keep one apart (GRU, reset_after)."""
        return None

    # ------------------------------------------------------------ dropout, one mask per sequence
    def reset_dropout_masks(self) -> None:
        """Forgets the masks, so that the next sequence draws its own (RNN calls it per call)."""
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def _draw(self, rate: float, shape: tuple, dtype: Any) -> Any:
        keep = (self._generator or _random.rng()).random(shape) >= rate
        return (keep * numpy.asarray(1.0 / (1.0 - rate), dtype=dtype)).astype(dtype)

    # Bound methods, not closures: a recorded step compares the ops' attributes with the next
    # recording's, and two bound methods of one cell are equal.
    def _draw_dropout(self, shape: tuple, dtype: Any) -> Any:
        return self._draw(self.dropout, shape, dtype)

    def _draw_recurrent_dropout(self, shape: tuple, dtype: Any) -> Any:
        return self._draw(self.recurrent_dropout, shape, dtype)

    def get_dropout_mask(self, step_input: Tensor) -> Tensor | None:
        if self.dropout > 0 and self._dropout_mask is None:
            shape = tuple(step_input.shape)
            self._dropout_mask = DropoutOp.apply(ops.ones(shape, dtype=step_input.dtype),
                                                 draw_mask=self._draw_dropout, mask_shape=shape)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, h: Tensor) -> Tensor | None:
        if self.recurrent_dropout > 0 and self._recurrent_dropout_mask is None:
            shape = tuple(h.shape)
            self._recurrent_dropout_mask = DropoutOp.apply(ops.ones(shape, dtype=h.dtype),
                                                           draw_mask=self._draw_recurrent_dropout, mask_shape=shape)
        return self._recurrent_dropout_mask

    # ------------------------------------------------------------ a whole sequence, fused
    def can_fuse(self) -> bool:
        return (self.step_op is not None and _fused_name(self.activation) is not None
                and _fused_name(self.recurrent_activation) is not None)

    def step_attrs(self) -> dict:
        return {}

    def pack_states(self, states: list) -> Tensor:
        """The states as the step op keeps them: one (batch, size) tensor."""
        return states[0]

    def unpack_state(self, state: Tensor) -> list:
        return [state]

    def run_sequence(self, sequences: Tensor, states: list, mask: Tensor | None, training: bool) -> tuple:
        """(outputs (batch, time, units), final states), the steps in the order of `sequences`' time axis.

        A masked step keeps the state; its output is the state's h (Keras's rule: the
        previous output repeated).
        """
        batch, time = sequences.shape[0], sequences.shape[1]
        if training and self.dropout > 0:
            sequences = DropoutOp.apply(sequences, draw_mask=self._draw_dropout,
                                        mask_shape=(batch, 1, sequences.shape[2]))
        if sequences.dtype.kind != "f":
            sequences = ops.cast(sequences, self.kernel.dtype)
        time_major = ops.transpose(sequences, (1, 0, 2))
        bias = self.input_bias()
        xproj = FusedDense.apply(time_major, self.kernel, *(() if bias is None else (bias,)))
        extras, attrs = [], dict(units=self.units, activation=_fused_name(self.activation),
                                 recurrent_activation=_fused_name(self.recurrent_activation), **self.step_attrs())
        rbias = self.recurrent_bias()
        if rbias is not None:
            extras.append(rbias)
            attrs["recurrent_bias"] = True
        if mask is not None:
            extras.append(ops.transpose(mask))
            attrs["masked"] = True
        if training and self.recurrent_dropout > 0:
            extras.append(self.get_recurrent_dropout_mask(states[0]))
            attrs["recurrent_dropout"] = True
        grads = InputGradients()
        state = self.pack_states(states)
        steps = []
        for t in range(time):
            state = self.step_op.apply(xproj, state, self.recurrent_kernel, *extras, t=t, grads=grads, **attrs)
            steps.append(state)
        width = state.shape[1]
        outputs = ops.reshape(ops.concatenate(steps, axis=1), (batch, time, width))
        if width != self.units:
            outputs = outputs[:, :, :self.units]
        return outputs, self.unpack_state(state)

    # ------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _serialize(initializers, self.kernel_initializer),
            "recurrent_initializer": _serialize(initializers, self.recurrent_initializer),
            "bias_initializer": _serialize(initializers, self.bias_initializer),
            "kernel_regularizer": _serialize(regularizers, self.kernel_regularizer),
            "recurrent_regularizer": _serialize(regularizers, self.recurrent_regularizer),
            "bias_regularizer": _serialize(regularizers, self.bias_regularizer),
            "kernel_constraint": None,
            "recurrent_constraint": None,
            "bias_constraint": None,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return config
