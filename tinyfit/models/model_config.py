"""A functional model's config: its graph as plain JSON data, and the model rebuilt from it.

Each layer is saved as `serialize_keras_object` describes it (module,
class_name, config, registered_name), plus its name in the graph and the calls
made of it ("inbound_nodes"). A call's arguments keep their structure; every
KerasTensor among them becomes a reference [layer name, node index, output
index]: the output of that layer's node-th call in this graph. Rebuilding
creates the layers from their configs, files each under its saved name (and
gives it that name back when its own config leaves the name out), then repeats
the calls in the saved order, so the same references point at the new tensors.
Keras 3's references ({"class_name": "__keras_tensor__", "config": {...,
"keras_history": [...]}}, and [name, node, index] as inputs or outputs) are read too.
"""

from __future__ import annotations

from typing import Any, Callable

from ..layers import registry as layer_registry
from ..layers.input_layer import InputLayer
from ..layers.symbolic import KerasTensor
from ..layers.layer import Layer
from ..tree import flatten
from ..utils import object_config
from ..utils.registry import custom_object_scope

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
        entry = object_config.serialize(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = calls[layer.name]
        layer_configs.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": ref(graph.inputs_structure),
        "output_layers": ref(graph.outputs_structure),
    }


def functional_from_config(cls: type, config: dict[str, Any], custom_objects: dict | None = None,
                           make_layer: Callable[[dict], Any] | None = None) -> Any:
    """The model `functional_config` described, with new (untrained) weights.

    `make_layer(entry)` may give the layer for a saved entry (clone_model's copies);
    when it returns None the layer is made from the entry's config.
    """
    with custom_object_scope(custom_objects):
        return _rebuild(cls, config, custom_objects, make_layer)


def _rebuild(cls: type, config: dict[str, Any], custom_objects: dict | None,
             make_layer: Callable[[dict], Any] | None) -> Any:
    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise ValueError(
                f"{cls.__name__}.from_config: a functional model's config needs {key!r}; "
                f"got the keys {sorted(config)}."
            )
    outputs: dict[str, list[Any]] = {}  # saved layer name -> what each of its calls returned
    pending: list[tuple[str, Any, list[dict]]] = []
    for entry in config["layers"]:
        layer = make_layer(entry) if make_layer is not None else None
        if layer is None:
            layer = layer_from_entry(entry, custom_objects)
        name = entry.get("name", layer.name) if isinstance(entry.get("name"), str) else layer.name
        if name in outputs:
            raise ValueError(f"{cls.__name__}.from_config: two layers are named {name!r}; layer names must be unique.")
        if isinstance(layer, InputLayer):
            outputs[name] = [[layer._output]]
        else:
            outputs[name] = []
            pending.append((name, layer, list(entry.get("inbound_nodes", []))))

    def resolve(value: Any) -> Any:
        reference = _reference(value)
        if reference is not None:
            name, node, index = reference
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
        for name, layer, calls in pending:
            while calls:
                try:
                    args, kwargs = resolve(calls[0].get("args", [])), resolve(calls[0].get("kwargs", {}))
                except _NotYet:
                    break
                result = layer(*args, **kwargs)
                outputs[name].append(flatten(result))
                calls.pop(0)
                progressed = True
        pending = [(name, layer, calls) for name, layer, calls in pending if calls]
        if pending and not progressed:
            raise ValueError(
                f"{cls.__name__}.from_config: the calls of layers {[name for name, _, _ in pending]} read from "
                "each other in a cycle or from calls the config does not hold."
            )
    try:
        inputs, outs = resolve(_ends(config["input_layers"])), resolve(_ends(config["output_layers"]))
    except _NotYet:
        raise ValueError(f"{cls.__name__}.from_config: the inputs or outputs name a layer call the config does not hold.") from None
    return cls(inputs=inputs, outputs=outs, name=config.get("name"), trainable=config.get("trainable", True))


def layer_from_entry(entry: Any, custom_objects: dict | None) -> Any:
    """A layer (or model) from its saved entry, its class found among custom objects or in the layer registry.

    A layer whose own config leaves out its name gets back the name the entry saved.
    """
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(f"Model.from_config: each layer entry needs a 'class_name' string, got {entry!r:.80}.")
    description = {key: entry[key] for key in ("module", "class_name", "config", "registered_name") if key in entry}
    layer = object_config.deserialize(description, custom_objects, layer_registry)
    if not isinstance(layer, Layer):
        raise ValueError(f"Model.from_config: {entry['class_name']!r} names {type(layer).__name__}, not a Layer class.")
    saved_name = entry.get("name")
    if isinstance(saved_name, str) and saved_name and "name" not in (entry.get("config") or {}):
        layer.name = saved_name
    return layer


def _reference(value: Any) -> tuple[str, int, int] | None:
    """(layer name, node, index) if `value` is a saved tensor reference (tinyfit's or Keras 3's), else None."""
    if isinstance(value, dict) and set(value) == {_REF}:
        return _checked(value[_REF])
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return _checked((value.get("config") or {}).get("keras_history"))
    return None


def _checked(history: Any) -> tuple[str, int, int]:
    if (not isinstance(history, (list, tuple)) or len(history) != 3 or not isinstance(history[0], str)
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in history[1:])):
        raise ValueError(f"Model.from_config: a tensor reference must be [layer name, node index, tensor index], "
                         f"got {history!r:.80}.")
    return history[0], history[1], history[2]


def _ends(value: Any) -> Any:
    """Keras 3 writes a model's inputs and outputs as [name, node, index] triples (one, or a list of them)."""
    if _is_triple(value):
        return {_REF: value}
    if isinstance(value, list) and value and all(_is_triple(v) for v in value):
        return [{_REF: v} for v in value]
    if isinstance(value, dict) and value and _REF not in value and all(_is_triple(v) for v in value.values()):
        return {k: {_REF: v} for k, v in value.items()}
    return value


def _is_triple(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(n, int) for n in value[1:]))


class _NotYet(Exception):
    """A reference to a call that has not been repeated yet."""
