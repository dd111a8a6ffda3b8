"""What plot_model draws: a box per layer, an arrow per connection, a frame per expanded model.

The model is read through its public structure only (its graph's nodes, its
layers), so this module depends on no model class: a functional or Sequential
model gives its graph; a subclassed model, which has none, is one box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FONT_SIZE = 12.0
CHAR_WIDTH = 0.6 * FONT_SIZE  # a monospace font: every character is this wide
LINE_HEIGHT = 1.4 * FONT_SIZE
PAD_X, PAD_Y = 10.0, 6.0


@dataclass
class Box:
    """One layer's box: its text (the first line is the title) and its size."""

    key: int
    name: str
    lines: list[str]

    @property
    def size(self) -> tuple[float, float]:
        width = max(len(line) for line in self.lines) * CHAR_WIDTH + 2 * PAD_X
        return width, len(self.lines) * LINE_HEIGHT + 2 * PAD_Y


@dataclass
class Frame:
    """An expanded nested model: its own diagram, drawn inside a dashed frame titled with its name."""

    key: int
    name: str
    diagram: "Diagram"


@dataclass
class Edge:
    """An arrow between two items of one diagram (boxes or frames), and the boxes it really joins:
    into a frame, it goes on to the box of the nested model's Input; out of one, it starts at
    the box making the output."""

    source: int
    target: int
    source_box: int
    target_box: int


@dataclass
class Diagram:
    """The items (boxes and frames, in the order the layers come) and the arrows between them."""

    items: list[Box | Frame] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


@dataclass
class Options:
    show_shapes: bool = False
    show_dtype: bool = False
    show_layer_names: bool = True
    expand_nested: bool = False
    show_layer_activations: bool = False
    show_trainable: bool = False


def model_diagram(model: Any, options: Options) -> Diagram:
    """The boxes and arrows of `model` (its graph; one box when it has none)."""
    graph = getattr(model, "_graph", None)
    if graph is None:
        return Diagram(items=[Box(id(model), model.name, _lines(model, None, options))])
    return _graph_diagram(graph, options)


def _expands(layer: Any, options: Options) -> bool:
    return options.expand_nested and getattr(layer, "_graph", None) is not None


def _graph_diagram(graph: Any, options: Options) -> Diagram:
    """One graph's layers (nested models expanded into frames when asked) and its arrows."""
    diagram = Diagram()
    for layer in graph.layers:
        if _expands(layer, options):
            diagram.items.append(Frame(id(layer), layer.name, _graph_diagram(layer._graph, options)))
        else:
            diagram.items.append(Box(id(layer), layer.name, _lines(layer, graph.node_of(layer), options)))
    seen = set()
    for node in graph.nodes:
        for position, tensor in enumerate(node.inputs):
            edge = Edge(id(tensor.node.layer), id(node.layer), _exit(tensor, options),
                        _entry(node.layer, position, options))
            if (edge.source_box, edge.target_box) not in seen:
                seen.add((edge.source_box, edge.target_box))
                diagram.edges.append(edge)
    return diagram


def _exit(tensor: Any, options: Options) -> int:
    """The box a tensor leaves from: its layer's, or inside an expanded model, the inner layer making it."""
    layer = tensor.node.layer
    while _expands(layer, options):
        tensor = layer._graph.outputs[tensor.index]
        layer = tensor.node.layer
    return id(layer)


def _entry(layer: Any, position: int, options: Options) -> int:
    """The box the `position`-th input of a call of `layer` goes to (in an expanded model, its Input's)."""
    while _expands(layer, options):
        inputs = layer._graph.inputs
        layer = (inputs[position] if position < len(inputs) else inputs[-1]).node.layer
        position = 0
    return id(layer)


def _lines(layer: Any, node: Any, options: Options) -> list[str]:
    """The text of a layer's box."""
    kind = _kind(layer)
    lines = [f"{layer.name} ({kind})" if options.show_layer_names else kind]
    if options.show_layer_activations and callable(getattr(layer, "activation", None)):
        lines.append(f"Activation: {_activation_name(layer.activation)}")
    ins, outs = _io(layer, node)
    if options.show_dtype:
        lines.append(f"Input dtype: {_describe(ins, 'dtype')}")
        lines.append(f"Output dtype: {_describe(outs, 'dtype')}")
    if options.show_shapes:
        lines.append(f"Input shape: {_describe(ins, 'shape')}")
        lines.append(f"Output shape: {_describe(outs, 'shape')}")
    if options.show_trainable:
        lines.append(f"Trainable: {'yes' if layer.trainable else 'no'}")
    return lines


def _kind(layer: Any) -> str:
    name = type(layer).__name__
    return "Functional" if name == "Model" and getattr(layer, "_graph", None) is not None else name


def _io(layer: Any, node: Any) -> tuple[list[Any], list[Any]]:
    """The symbolic tensors going in and out of the layer's call (an Input's output is also its input)."""
    if node is None:
        node = layer._inbound_nodes[0] if getattr(layer, "_inbound_nodes", None) else None
    if node is None:
        graph = getattr(layer, "_graph", None)  # a model drawn alone: its own inputs and outputs
        return (list(graph.inputs), list(graph.outputs)) if graph is not None else ([], [])
    outs = list(node.output_tensors)
    return (list(node.inputs) or outs), outs


def _describe(tensors: list[Any], what: str) -> str:
    """One tensor's shape (or dtype) as Keras prints it, a list of them for several, "?" when unknown."""
    if not tensors:
        return "?"
    values = [t.shape if what == "shape" else str(t.dtype) for t in tensors]
    if len(values) == 1:
        return str(values[0])
    return "[" + ", ".join(map(str, values)) + "]"


def _activation_name(activation: Any) -> str:
    return getattr(activation, "__name__", type(activation).__name__)
