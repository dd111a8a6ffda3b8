"""RNN: runs a cell over the time axis of (batch, time, features) sequences.

A cell is any object with `call(inputs, states, training=None) -> (output, new_states)`
and `state_size` (an int, or a list with one int per state), and optionally
`output_size` and `get_initial_state(batch_size)`: Keras's cell protocol, so a
cell written with tinyfit.ops works. The built-in cells (SimpleRNNCell,
LSTMCell, GRUCell) run a whole sequence at once instead, one fused op per step;
`unroll=True` makes them run their own call() step by step, with the same results.

Masks (a boolean (batch, time) tensor, True where a step is real), as Keras's
default loop treats them: a masked step keeps the previous states and outputs
the previous state's first entry (with zero_output_for_mask=True, zeros). The
same rule holds with unroll=True (Keras's own unrolled loop differs only before
a sequence's first real step, where it outputs zeros).
"""

from __future__ import annotations

from typing import Any

from ... import ops
from ...autograd.tensor import Tensor
from ...utils.declared import declared
from ..layer import Layer

_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask")


def _sizes(state_size: Any) -> list:
    return list(state_size) if isinstance(state_size, (list, tuple)) else [state_size]


class RNN(Layer):
    """Runs `cell` over every time step of (batch, time, features) inputs.

    Args:
        cell: an RNN cell (see above).
        return_sequences: return every step's output (batch, time, units), not only the last (batch, units).
        return_state: also return the final states: [output, state, ...].
        go_backwards: run over the steps from last to first (the outputs come in that order too).
        stateful: not supported (see the error); pass `initial_state` instead.
        unroll: run the cell's own call() step by step even for a built-in cell (same results).
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    Call arguments: `sequences`, `initial_state` (a list of one (batch, size) tensor per state),
    `mask` ((batch, time) booleans) and `training`.
    """
    # The built-in cells run the same ops whatever the values; a user's cell says so itself
    # (see __init__).
    supports_jit = True
    keras_sublayer_names = True  # its sublayers sit in attributes named as Keras names them

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any):
        if isinstance(cell, (list, tuple)):
            raise ValueError(
                f"{type(self).__name__}: a list of cells (stacked cells) is not supported; stack recurrent layers "
                "instead, each but the last with return_sequences=True."
            )
        if not callable(getattr(cell, "call", None)) or getattr(cell, "state_size", None) is None:
            raise ValueError(
                f"{type(self).__name__}: the cell must have a call(inputs, states) method and a state_size "
                f"attribute (an int, or a list of ints, one per state); got {cell!r}."
            )
        super().__init__(**kwargs)
        if stateful:
            raise ValueError(
                f"{type(self).__name__}: stateful=True is not supported in tinyfit. To carry the states from one "
                "batch to the next, call the layer with return_state=True and pass the states it returns as "
                "initial_state= of the next call."
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        if declared(cell, "supports_jit") is not True:  # a user's cell may branch on values: this layer cannot vouch for it
            self.supports_jit = False
        self.state_size = _sizes(cell.state_size)

    # ------------------------------------------------------------ build
    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        self._check_rank(sequences_shape)
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((sequences_shape[0],) + tuple(sequences_shape[2:]))
            self.cell.built = True
        self.built = True

    def _check_rank(self, shape: Any) -> None:
        if shape is None or len(shape) != 3:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expects 3-D inputs (batch, time, features), got inputs of "
                f"shape {None if shape is None else tuple(shape)}. Give one sample's shape as (time, features), "
                "e.g. keras.Input(shape=(timesteps, features)); add a features axis of size 1 to a (batch, time) "
                "array with x[..., None]."
            )

    # ------------------------------------------------------------ call
    def call(self, sequences, initial_state=None, mask=None, training=None):
        if not isinstance(sequences, Tensor):
            sequences = ops.convert_to_tensor(sequences)
        self._check_rank(sequences.shape)
        batch, time = sequences.shape[0], sequences.shape[1]
        mask = self._checked_mask(mask, (batch, time))
        states = self._initial_states(initial_state, batch)
        if self.go_backwards:
            sequences = ops.flip(sequences, axis=1)
            mask = None if mask is None else ops.flip(mask, axis=1)
        reset = getattr(self.cell, "reset_dropout_masks", None)
        if reset is not None:
            reset()
        try:
            fused = not self.unroll and getattr(self.cell, "can_fuse", lambda: False)()
            if fused:
                outputs, states = self.cell.run_sequence(sequences, states, mask, bool(training))
            else:
                outputs, states = self._loop(sequences, states, mask, training)
        finally:
            if reset is not None:
                reset()
        if mask is not None and self.zero_output_for_mask:
            outputs = outputs * ops.expand_dims(ops.cast(mask, outputs.dtype), -1)
        output = outputs if self.return_sequences else outputs[:, -1]
        if self.return_state:
            return [output, *states]
        return output

    def _loop(self, sequences, states, mask, training) -> tuple:
        """The cell's own call(), step by step."""
        cell = self.cell
        outputs = []
        for t in range(sequences.shape[1]):
            if isinstance(cell, Layer):
                output, new_states = cell(sequences[:, t], states, training=training)
            else:
                output, new_states = cell.call(sequences[:, t], states)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if mask is not None:
                real = ops.expand_dims(mask[:, t], -1)
                output = ops.where(real, output, states[0])
                new_states = [ops.where(real, new, old) for new, old in zip(new_states, states)]
            states = new_states
            outputs.append(output)
        return ops.stack(outputs, axis=1), states

    def _checked_mask(self, mask: Any, expected: tuple) -> Tensor | None:
        if mask is None:
            return None
        if isinstance(mask, (list, tuple)):  # Keras's way of passing one mask per input
            mask = mask[0]
            if mask is None:
                return None
        if not isinstance(mask, Tensor):
            mask = ops.convert_to_tensor(mask)
        if tuple(mask.shape) != tuple(expected):
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the mask has shape {tuple(mask.shape)} but the inputs need "
                f"one entry per sample and time step, shape {tuple(expected)} (batch, time): True where a step is "
                "real, False where it is padding."
            )
        if mask.dtype.kind != "b":
            mask = ops.cast(mask, "bool")
        return mask

    def _initial_states(self, initial_state: Any, batch: int) -> list:
        sizes = self.state_size
        if initial_state is None:
            make = getattr(self.cell, "get_initial_state", None)
            if make is not None:
                made = make(batch_size=batch)
                return list(made) if isinstance(made, (list, tuple)) else [made]
            return [ops.zeros((batch, size), dtype=self.dtype) for size in sizes]
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        expected = [(batch, size) for size in sizes]
        if len(given) != len(sizes):
            raise ValueError(
                f"{type(self).__name__} {self.name!r} has {len(sizes)} state(s), of shapes {expected}, but "
                f"initial_state has {len(given)}. Pass a list of {len(sizes)} tensor(s)"
                f"{' ([h, c] for an LSTM)' if len(sizes) == 2 else ''}."
            )
        states = []
        for i, (state, shape) in enumerate(zip(given, expected)):
            if not isinstance(state, Tensor):
                state = ops.convert_to_tensor(state, dtype=self.dtype)
            if tuple(state.shape) != shape:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r}: initial_state[{i}] has shape {tuple(state.shape)} but "
                    f"the state must have shape {shape} (batch, units) for these inputs."
                )
            states.append(state)
        return states

    # ------------------------------------------------------------ masks and shapes
    def compute_mask(self, inputs: Any, previous_mask: Any) -> Any:
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        output_mask = previous_mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        batch, time = sequences_shape[0], sequences_shape[1]
        size = getattr(self.cell, "output_size", None) or self.state_size[0]
        output = (batch, time, size) if self.return_sequences else (batch, size)
        if self.return_state:
            return [output] + [(batch, s) for s in self.state_size]
        return output

    # ------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        from ..layer_registry import serialize
        return {**super().get_config(), **{name: getattr(self, name) for name in _RNN_ARGS},
                "cell": serialize(self.cell)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> "RNN":
        from ..layer_registry import deserialize
        if "cell" not in config:  # a layer that makes its own cell (LSTM, ...): the cell's arguments are here
            return cls(**config)
        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict):
            cell = deserialize(cell, custom_objects)
        return cls(cell, **config)


def cell_layer_config(layer: RNN) -> dict[str, Any]:
    """The config of a layer that makes its own cell (SimpleRNN, LSTM, GRU): Keras's keys, the
    cell's arguments beside the RNN's."""
    cell = {k: v for k, v in layer.cell.get_config().items() if k not in ("name", "trainable", "dtype")}
    config = Layer.get_config(layer)
    config.setdefault("activity_regularizer", None)
    return {**config, **{name: getattr(layer, name) for name in _RNN_ARGS}, **cell}


def cell_property(name: str) -> property:
    """A property of a layer that reads its cell's attribute `name` (lstm.units is lstm.cell.units)."""
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's {name}.")
