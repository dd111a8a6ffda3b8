"""The graph of a functional model: which layer feeds which, and how to run it.

`Model(inputs, outputs)` hands its KerasTensors to a FunctionalGraph. Every
KerasTensor remembers the Node (layer call) that produced it, and every Node its
input tensors, so walking back from the outputs finds the whole graph. Sorted
so that each node comes after the nodes it reads from, running the model is one
loop: put the data in place of the inputs, then call each node's layer on the
values of its inputs.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..autograd.tensor import Tensor
from ..layers.input_layer import InputLayer
from ..layers.symbolic import KerasTensor, Node
from ..tree import flatten, map_structure
from .input_check import match_inputs


class FunctionalGraph:
    """The layers between `inputs` and `outputs`, in an order that can be run.

    Args:
        inputs: a KerasTensor from `Input`, or a list or dict of them.
        outputs: KerasTensors computed from the inputs (one, a list, or a dict).
        extra_outputs: more KerasTensors to compute on every run (symbolic losses).

    Attributes:
        input_names, output_names: dict keys when given as dicts, otherwise the
            names of the Input layers and of the layers producing the outputs.
        nodes: the layer calls, each after those it reads from (Inputs excluded).
        layers: every layer once, Input layers first.
    """

    def __init__(self, inputs: Any, outputs: Any, extra_outputs: list[KerasTensor] | tuple = ()):
        self.inputs_structure = inputs
        self.outputs_structure = outputs
        self.inputs = _input_tensors(inputs)
        self.outputs = _output_tensors(outputs)
        self.extra_outputs = list(extra_outputs)
        self.input_names = list(inputs) if isinstance(inputs, dict) else [t.name for t in self.inputs]
        self.output_names = (list(outputs) if isinstance(outputs, dict)
                             else _unique_names([t.node.layer.name for t in self.outputs]))
        self.nodes = _sorted_nodes(self.outputs + self.extra_outputs, self.inputs)
        # Most nodes are a layer called on tensors alone; those skip the structure walk.
        self._plain = [not node.kwargs and all(isinstance(a, KerasTensor) for a in node.args)
                       for node in self.nodes]
        self.layers = _unique([t.node.layer for t in self.inputs] + [node.layer for node in self.nodes])
        _check_unique_names(self.layers)

    @property
    def input_shapes(self) -> list[tuple]:
        return [t.shape for t in self.inputs]

    def run(self, data: Any, model_name: str = "model") -> tuple[Any, list[Any]]:
        """Computes the outputs (in the structure they were given) and the extra outputs for `data`."""
        values = match_inputs(model_name, self.input_names, self.input_shapes, data)
        computed: dict[int, Any] = {id(t): _as_input(v, t) for t, v in zip(self.inputs, values)}

        def value_of(x: Any) -> Any:
            return computed[id(x)] if isinstance(x, KerasTensor) else x

        for node, plain in zip(self.nodes, self._plain):
            if plain:
                results = node.layer(*[computed[id(a)] for a in node.args])
            else:
                args, kwargs = map_structure(value_of, (node.args, node.kwargs))
                results = node.layer(*args, **kwargs)
            if isinstance(results, Tensor):
                computed[id(node.output_tensors[0])] = results
            else:
                for tensor, value in zip(node.output_tensors, flatten(results)):
                    computed[id(tensor)] = value
        return map_structure(value_of, self.outputs_structure), [computed[id(t)] for t in self.extra_outputs]

    def node_of(self, layer: Any) -> Node | None:
        """The call of `layer` that belongs to this graph (its first one here)."""
        for t in self.inputs:
            if t.node.layer is layer:
                return t.node
        for node in self.nodes:
            if node.layer is layer:
                return node
        return None


def _input_tensors(inputs: Any) -> list[KerasTensor]:
    tensors = flatten(inputs)
    if not tensors:
        raise ValueError("Model: inputs= is empty; pass the tensor(s) returned by keras.Input().")
    for t in tensors:
        if not isinstance(t, KerasTensor) or not isinstance(t.node.layer, InputLayer):
            made_by = f"the output of layer {t.node.layer.name!r}" if isinstance(t, KerasTensor) else repr(t)
            raise TypeError(
                f"Model: every input must be a tensor returned by keras.Input(...), got {made_by}."
            )
    return tensors


def _output_tensors(outputs: Any) -> list[KerasTensor]:
    tensors = flatten(outputs)
    if not tensors:
        raise ValueError("Model: outputs= is empty; pass the tensor(s) your layers computed from the inputs.")
    for t in tensors:
        if not isinstance(t, KerasTensor):
            raise TypeError(
                f"Model: outputs must be symbolic tensors computed from keras.Input() by calling layers, got "
                f"{type(t).__name__}. A value computed from real data cannot be part of a model definition."
            )
    return tensors


def _sorted_nodes(targets: list[KerasTensor], inputs: list[KerasTensor]) -> list[Node]:
    """The nodes the targets depend on, each after the nodes it reads from (iterative DFS)."""
    known_inputs = {id(t) for t in inputs}
    order: list[Node] = []
    done: set[int] = set()
    stack: list[tuple[KerasTensor, bool]] = [(t, False) for t in reversed(targets)]
    while stack:
        tensor, expanded = stack.pop()
        node = tensor.node
        if id(tensor) in known_inputs or id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        if node.is_input:
            raise ValueError(
                f"Model: the outputs depend on Input {tensor.name!r}, which is not in inputs=. "
                "Add it to the model's inputs."
            )
        stack.append((tensor, True))
        stack.extend((t, False) for t in reversed(node.inputs) if id(t.node) not in done)
    return order


def _as_input(value: Any, placeholder: KerasTensor) -> Tensor:
    """Data for one input as a Tensor of the Input's dtype."""
    tensor = value if isinstance(value, Tensor) else ops.convert_to_tensor(value, dtype=placeholder.dtype)
    return tensor if tensor.dtype == placeholder.dtype else ops.cast(tensor, placeholder.dtype)


def _unique(items: list[Any]) -> list[Any]:
    seen: set[int] = set()
    return [x for x in items if not (id(x) in seen or seen.add(id(x)))]


def _unique_names(names: list[str]) -> list[str]:
    """Output names, numbered when one layer gives several outputs ("split", "split_1")."""
    counts: dict[str, int] = {}
    result = []
    for name in names:
        n = counts.get(name, 0)
        counts[name] = n + 1
        result.append(name if n == 0 else f"{name}_{n}")
    return result


def _check_unique_names(layers: list[Any]) -> None:
    seen: dict[str, Any] = {}
    for layer in layers:
        if layer.name in seen:
            raise ValueError(
                f"Model: two different layers are named {layer.name!r} ({type(seen[layer.name]).__name__} and "
                f"{type(layer).__name__}). Layer names must be unique within a model: rename one."
            )
        seen[layer.name] = layer
