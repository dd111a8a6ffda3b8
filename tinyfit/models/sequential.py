"""Sequential: a model that is a plain stack of layers, each feeding the next.

    model = Sequential([keras.Input(shape=(784,)), Dense(64, activation="relu"), Dense(10)])

Once the input shape is known (from an Input given first, an `input_shape=`
argument of the first layer, or the first batch of data) the model calls its
layers on a symbolic input and keeps the resulting functional graph; from then
on it runs exactly like a functional model. Adding or removing a layer rebuilds
that graph.
"""

from __future__ import annotations

from typing import Any

from ..layers.input_layer import Input, InputLayer
from ..layers.layer import Layer
from ..layers.symbolic import KerasTensor
from .functional import FunctionalGraph
from ..utils import object_config
from ..utils.registry import custom_object_scope
from .model import Model
from .model_config import layer_from_entry


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: the layers in order; the first element may be `keras.Input(shape=...)`.
        trainable: whether fit() trains the weights.
        name: the model's name ("sequential" by default).
    """

    supports_jit = True  # its call() runs its layers in order; a subclass of it declares its own

    def __init__(self, layers: list[Any] | None = None, trainable: bool = True, name: str | None = None):
        super().__init__(trainable=trainable, name=name)
        self._input_tensor: KerasTensor | None = None
        self._layers: list[Layer] = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._rebuild()

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Appends a layer (or, as the very first element, an Input) to the stack."""
        if isinstance(layer, KerasTensor) and isinstance(layer.node.layer, InputLayer):
            if self._layers or self._input_tensor is not None:
                raise ValueError(
                    f"Sequential {self.name!r}: an Input can only come first, before any layer."
                )
            self._input_tensor = layer
        elif isinstance(layer, InputLayer):
            self.add(layer._output, rebuild)
            return
        elif isinstance(layer, Layer):
            self._layers.append(layer)
        else:
            raise TypeError(
                f"Sequential.add: expected a Layer (or keras.Input as the first element), got "
                f"{type(layer).__name__}: {layer!r}."
            )
        if rebuild:
            self._rebuild()

    def pop(self) -> Layer:
        """Removes the last layer and returns it."""
        if not self._layers:
            raise IndexError(f"Sequential.pop: model {self.name!r} has no layers to remove.")
        layer = self._layers.pop()
        self._rebuild()
        return layer

    def _rebuild(self) -> None:
        """Rebuilds the graph when the input shape is known; otherwise waits for the first call."""
        self._graph, self.built = None, False
        shape = self._known_input_shape()
        if shape is not None and self._layers:
            self.build(shape)

    def _known_input_shape(self) -> tuple | None:
        if self._input_tensor is not None:
            return self._input_tensor.shape
        first = self._layers[0]._input_shape_arg if self._layers else None
        return None if first is None else (None, *first)

    def build(self, input_shape: Any = None) -> None:
        """Calls the layers on a symbolic input of `input_shape` (batch axis included)."""
        if input_shape is None:
            raise ValueError(f"Sequential {self.name!r}: build() needs input_shape, e.g. build((None, 784)).")
        if not self._layers:
            raise ValueError(f"Sequential {self.name!r} has no layers to build; add() some first.")
        inputs = self._input_tensor
        if inputs is None or tuple(inputs.shape) != tuple(input_shape):
            inputs = Input(batch_shape=tuple(input_shape), dtype=self._layers[0].dtype)
        outputs = inputs
        for layer in self._layers:
            outputs = layer(outputs)
        extra = self._symbolic_losses + [value for _, value in self._symbolic_metrics]
        self._set_graph(FunctionalGraph(inputs, outputs, extra))

    def _set_graph(self, graph: FunctionalGraph | None) -> None:
        self._graph, self.built = graph, graph is not None  # self._layers stays the user's list

    def _build_on_first_call(self, input_shape: Any) -> None:
        if not isinstance(input_shape, tuple):
            raise TypeError(f"Sequential {self.name!r} takes one input array, got a {type(input_shape).__name__}.")
        self.build((None,) + tuple(input_shape[1:]))

    def _convert_arrays(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return args, kwargs  # the graph (built on the first call if need be) converts the data

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if self._graph is None:
            raise ValueError(f"Sequential {self.name!r} has no layers; add() some before calling it.")
        return self._run_graph(inputs)

    @property
    def layers(self) -> list[Layer]:
        """The layers in order (without the Input)."""
        return list(self._layers)

    @property
    def input_shape(self) -> tuple | None:
        return self._graph.inputs[0].shape if self._graph is not None else self._known_input_shape()

    # ------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """The layers' configs in order, and the input's batch shape when it is known."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable,
                                  "layers": [object_config.serialize(layer) for layer in self._layers]}
        shape = self.input_shape
        if shape is not None:
            config["batch_shape"] = list(shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> "Sequential":
        """The Sequential model `get_config` described, with new weights."""
        config = dict(config)
        entries = config.pop("layers", [])
        batch_shape = config.pop("batch_shape", None)
        with custom_object_scope(custom_objects):
            stack = [layer_from_entry(entry, custom_objects) for entry in entries]
        if batch_shape is not None:
            stack.insert(0, Input(batch_shape=tuple(batch_shape), dtype=stack[0].dtype if stack else None))
        return cls(stack, **config)
