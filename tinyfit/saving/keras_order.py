"""The order Keras 3 gives a functional model's layers, which its weights file depends on.

Keras names a layer's HDF5 group by its position among same-class layers ("dense", "dense_1")
and keeps an optimizer's slots in the order of the model's trainable variables, both following
the model's layer list. Keras builds that list from the graph alone: a depth-first walk from
the outputs numbers the layers as first met, each layer's depth is its longest path to an
output, and layers are listed deepest first (inputs first), ties by that number. tinyfit's own
graph order can differ (it follows the calls as written), so files use this one on both sides.
"""

from __future__ import annotations

from typing import Any

from .keras_names import is_functional, is_sequential

__all__ = ["keras_layers", "keras_trainable_variables"]


def _flatten(structure: Any) -> list:
    """Tensors of a structure in Keras's order (dict entries by sorted key)."""
    if isinstance(structure, dict):
        return [t for key in sorted(structure) for t in _flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in _flatten(item)]
    return [structure]


def _is_input(node: Any) -> bool:
    return type(node.layer).__name__ == "InputLayer"


def keras_layers(model: Any) -> list:
    """The model's layers in Keras 3's order (a Sequential model's: its own list)."""
    if not is_functional(model):
        return list(model.layers)
    graph = model._graph
    inputs = _flatten(graph.inputs_structure)
    finished: set[int] = set()
    post_order: list[Any] = []          # nodes, each after the nodes it reads from
    index: dict[int, int] = {}          # id(layer) -> when the walk first met it

    def visit(tensor: Any) -> None:
        node = tensor.node
        if id(node) in finished:
            return
        if not _is_input(node) and any(tensor is t for t in inputs):
            finished.add(id(node))
            return
        index.setdefault(id(node.layer), len(index))
        if not _is_input(node):
            for parent in node.inputs:
                visit(parent)
        finished.add(id(node))
        post_order.append(node)

    for output in _flatten(graph.outputs_structure):
        visit(output)
    in_graph = {id(node) for node in post_order}
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers: dict[int, Any] = {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        for parent in (t.node for t in node.inputs):
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in inputs:
        if id(tensor.node.layer) not in layer_depth and _is_input(tensor.node):
            layer_depth[id(tensor.node.layer)] = 0
            index[id(tensor.node.layer)] = -1
            layers[id(tensor.node.layer)] = tensor.node.layer
    return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)], index[id(layer)]))


def keras_trainable_variables(model: Any) -> list:
    """The model's trainable variables in the order Keras 3 lists them (its layers', in its order)."""
    ordered: list[Any] = []

    def walk(layer: Any) -> None:
        if is_functional(layer) or is_sequential(layer):
            for child in keras_layers(layer):
                walk(child)
        else:
            ordered.extend(layer.trainable_variables)

    walk(model)
    trainable = {id(v) for v in model.trainable_variables}
    seen: set[int] = set()
    result = []
    for variable in ordered:
        if id(variable) in trainable and id(variable) not in seen:
            seen.add(id(variable))
            result.append(variable)
    return result
