"""A functional model's config: its graph as plain JSON data, and the model rebuilt from it.

Each layer is saved with its config and the calls made of it in the graph
("inbound_nodes"). A call's arguments keep their structure; every KerasTensor
among them becomes a reference [layer name, node index, output index]: the
output of that layer's node-th call in this graph. Rebuilding creates the layers
from their configs, then repeats the calls in the saved order, so the same
references point at the new tensors.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..layers import registry as layer_registry
from ..layers.input_layer import InputLayer
from ..layers.symbolic import KerasTensor
from ..layers.layer import Layer
from ..tree import flatten
from ..utils.registry import custom_object_scope, registered_name

_REF = "keras_tensor"  # the key marking a reference in a call's arguments


def functional_config(model: Any) -> dict[str, Any]:
    """{"name", "trainable", "layers", "input_layers", "output_layers"} of a functional model."""
    graph = model._graph
    if graph.extra_outputs:
        raise ValueError(
            f"Model {model.name!r} cannot give a config: it holds symbolic add_loss/add_metric values, "
            "which are computations outside any layer. Compute them in a Layer subclass's call() "
            "(self.add_loss) so that the config can name that layer."
        )
    positions: dict[int, tuple[str, int]] = {}  # id(node) -> (layer name, its index in this graph)
    calls: dict[str, list[dict]] = {layer.name: [] for layer in graph.layers}
    for tensor in graph.inputs:
        positions[id(tensor.node)] = (tensor.node.layer.name, 0)

    def ref(value: Any) -> Any:
        if isinstance(value, KerasTensor):
            name, index = positions[id(value.node)]
            return {_REF: [name, index, value.index]}
        if isinstance(value, (list, tuple)):
            return [ref(v) for v in value]
        if isinstance(value, dict):
            return {str(k): ref(v) for k, v in value.items()}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise ValueError(
            f"Model {model.name!r} cannot give a config: a layer call receives {type(value).__name__} "
            f"{value!r}, which is not plain data. Pass such values to the layer's constructor instead."
        )

    for node in graph.nodes:
        calls[node.layer.name].append({"args": ref(list(node.args)), "kwargs": ref(node.kwargs)})
        positions[id(node)] = (node.layer.name, len(calls[node.layer.name]) - 1)
    layer_configs = []
    for layer in graph.layers:
        entry = {"class_name": registered_name(type(layer)), "config": layer.get_config(), "name": layer.name}
        entry["inbound_nodes"] = calls[layer.name]
        layer_configs.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": ref(graph.inputs_structure),
        "output_layers": ref(graph.outputs_structure),
    }


def functional_from_config(cls: type, config: dict[str, Any], custom_objects: dict | None = None) -> Any:
    """The model `functional_config` described, with new (untrained) weights."""
    with custom_object_scope(custom_objects):
        return _rebuild(cls, config, custom_objects)


def _rebuild(cls: type, config: dict[str, Any], custom_objects: dict | None) -> Any:
    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise ValueError(
                f"{cls.__name__}.from_config: a functional model's config needs {key!r}; "
                f"got the keys {sorted(config)}."
            )
    outputs: dict[str, list[Any]] = {}  # layer name -> what each of its calls returned
    pending: list[tuple[Any, list[dict]]] = []
    for entry in config["layers"]:
        layer = layer_from_entry(entry, custom_objects)
        name = entry.get("name", layer.name)
        if name in outputs:
            raise ValueError(f"{cls.__name__}.from_config: two layers are named {name!r}; layer names must be unique.")
        if isinstance(layer, InputLayer):
            outputs[name] = [[layer._output]]
        else:
            outputs[name] = []
            pending.append((layer, list(entry.get("inbound_nodes", []))))

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {_REF}:
            name, node, index = value[_REF]
            if name not in outputs:
                raise ValueError(
                    f"{cls.__name__}.from_config: a call reads from layer {name!r}, which the config does not "
                    f"hold (its layers: {', '.join(outputs)})."
                )
            if node >= len(outputs[name]):
                raise _NotYet()
            return outputs[name][node][index]
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    # Calls are saved in an order that can run; the loop also copes with any other order.
    while pending:
        progressed = False
        for layer, calls in pending:
            while calls:
                try:
                    args, kwargs = resolve(calls[0].get("args", [])), resolve(calls[0].get("kwargs", {}))
                except _NotYet:
                    break
                result = layer(*args, **kwargs)
                outputs[layer.name].append(flatten(result))
                calls.pop(0)
                progressed = True
        pending = [(layer, calls) for layer, calls in pending if calls]
        if pending and not progressed:
            raise ValueError(
                f"{cls.__name__}.from_config: the calls of layers {[l.name for l, _ in pending]} read from "
                "each other in a cycle or from calls the config does not hold."
            )
    try:
        inputs, outs = resolve(config["input_layers"]), resolve(config["output_layers"])
    except _NotYet:
        raise ValueError(f"{cls.__name__}.from_config: the inputs or outputs name a layer call the config does not hold.") from None
    return cls(inputs=inputs, outputs=outs, name=config.get("name"), trainable=config.get("trainable", True))


def layer_from_entry(entry: Any, custom_objects: dict | None) -> Any:
    """A layer (or model) from {"class_name", "config"}, its class found in the layer registry."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(f"Model.from_config: each layer entry needs a 'class_name' string, got {entry!r:.80}.")
    layer_cls = layer_registry.lookup(entry["class_name"])
    if not (isinstance(layer_cls, type) and issubclass(layer_cls, Layer)):
        raise ValueError(f"Model.from_config: {entry['class_name']!r} names {layer_cls!r}, not a Layer class.")
    layer_config = dict(entry.get("config") or {})
    if "custom_objects" in inspect.signature(layer_cls.from_config).parameters:
        return layer_cls.from_config(layer_config, custom_objects=custom_objects)
    return layer_cls.from_config(layer_config)


class _NotYet(Exception):
    """A reference to a call that has not been repeated yet."""
