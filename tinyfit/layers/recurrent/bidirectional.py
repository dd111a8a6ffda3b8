"""Bidirectional: a recurrent layer run over the sequence forwards and a copy of it backwards."""

from __future__ import annotations

from typing import Any

from ... import ops
from ...utils.declared import declared
from ..layer import Layer
from ..layer_registry import deserialize, serialize
from .rnn import RNN

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Runs `layer` forwards and a copy of it backwards over the time axis, then merges the two outputs.

    Args:
        layer: a recurrent layer (RNN, SimpleRNN, LSTM, GRU). It is copied from its config twice, as
            Keras does: "forward_<name>" and "backward_<name>" (the latter with go_backwards flipped);
            the layer passed in is not run itself.
        merge_mode: "concat" (default), "sum", "mul", "ave", or None for a list [forward, backward].
        weights: initial weights, the forward layer's then the backward layer's, set once built.
        backward_layer: a recurrent layer to run backwards instead of the copy; its go_backwards must be
            the opposite of `layer`'s, and its return_sequences and return_state the same.

    The backward layer's sequence of outputs is put back in time order before merging; with
    return_sequences, both layers output zeros at masked steps (zero_output_for_mask). With
    return_state, the call returns [output, *forward_states, *backward_states].
    """
    supports_jit = True
    keras_sublayer_names = True  # its sublayers sit in attributes named as Keras names them

    def __init__(self, layer: Any, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Any = None, **kwargs: Any):
        if not isinstance(layer, RNN):
            raise ValueError(
                f"Bidirectional: `layer` must be a recurrent layer (RNN, SimpleRNN, LSTM, GRU), got {layer!r}."
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {_MERGE_MODES}, got {merge_mode!r}.")
        super().__init__(**kwargs)
        config = layer.get_config()
        base_name = config["name"].removeprefix("forward_")  # a config saved by a Bidirectional has it already
        self.forward_layer = type(layer).from_config({**config, "name": "forward_" + base_name})
        if backward_layer is None:
            backward_config = {**config, "name": "backward_" + base_name, "go_backwards": not layer.go_backwards}
            self.backward_layer = type(layer).from_config(backward_config)
        else:
            if not isinstance(backward_layer, RNN):
                raise ValueError(f"Bidirectional: backward_layer must be a recurrent layer, got {backward_layer!r}.")
            for name, same in (("go_backwards", False), ("return_sequences", True), ("return_state", True)):
                if (getattr(backward_layer, name) == getattr(layer, name)) != same:
                    raise ValueError(
                        f"Bidirectional: backward_layer.{name} is {getattr(backward_layer, name)} and layer.{name} "
                        f"is {getattr(layer, name)}; they must be {'equal' if same else 'opposite'}."
                    )
            self.backward_layer = backward_layer
        # Padding outputs zeros in both directions, as Keras has it: a repeated output would sit
        # at different steps once the backward sequence is put back in time order.
        for inner in (self.forward_layer, self.backward_layer):
            inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self._initial_weights = weights
        if not all(declared(half, "supports_jit") is True for half in (self.forward_layer, self.backward_layer)):
            self.supports_jit = False

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(sequences_shape)
                layer.built = True
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            half = len(self.forward_layer.state_size)
            if len(states) != half + len(self.backward_layer.state_size):
                raise ValueError(
                    f"Bidirectional {self.name!r}: initial_state has {len(states)} tensor(s), but the forward "
                    f"layer has {half} state(s) and the backward layer {len(self.backward_layer.state_size)}: "
                    "pass the forward layer's states, then the backward layer's."
                )
            forward_state, backward_state = states[:half], states[half:]
        forward = self.forward_layer(sequences, initial_state=forward_state, mask=mask, training=training)
        backward = self.backward_layer(sequences, initial_state=backward_state, mask=mask, training=training)
        states = []
        if self.return_state:
            forward, states = forward[0], list(forward[1:]) + list(backward[1:])
            backward = backward[0]
        if self.return_sequences:
            backward = ops.flip(backward, axis=1)
        if self.merge_mode == "concat":
            output = ops.concatenate([forward, backward], axis=-1)
        elif self.merge_mode == "sum":
            output = forward + backward
        elif self.merge_mode == "ave":
            output = (forward + backward) / 2
        elif self.merge_mode == "mul":
            output = forward * backward
        else:
            output = [forward, backward]
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def compute_mask(self, inputs: Any, previous_mask: Any) -> Any:
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        output_mask = previous_mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            states = len(self.forward_layer.state_size) + len(self.backward_layer.state_size)
            return masks + [None] * states
        return masks if self.merge_mode is None else output_mask

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "merge_mode": self.merge_mode, "layer": serialize(self.forward_layer),
                "backward_layer": serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> "Bidirectional":
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        if isinstance(config.get("backward_layer"), dict):
            config["backward_layer"] = deserialize(config["backward_layer"], custom_objects)
        return cls(**config)
