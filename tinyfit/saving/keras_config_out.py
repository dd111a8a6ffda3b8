"""A tinyfit model's config written the way Keras 3 writes it (the config.json of a .keras file).

tinyfit's layers take the arguments Keras's do, so a layer's config carries over key for key;
what differs is the wrapping: every object gets Keras's four keys, a layer's dtype becomes a
DTypePolicy, a functional graph's tensor references become Keras's `__keras_tensor__` records
(with shape, dtype and `keras_history`), and a Sequential model starts with its InputLayer.
Functional and Sequential models (nested ones included) are written, and subclassed ones as
Keras writes them: their class and config (the arguments of __init__) with a build_config,
the input shapes that create their weights when Keras rebuilds them.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..layers.symbolic import KerasTensor
from ..utils import registry as _registry
from .keras_names import KERAS_MODULES, dtype_policy, is_functional, is_sequential, keras_class_name
from .serialization import FAMILIES, serialize_keras_object

__all__ = ["keras_model_config", "keras_object"]

_REF = "keras_tensor"


def _family_of(name: str) -> str | None:
    for family, registry in FAMILIES.items():
        if name in registry:
            return family
    return None


def keras_object(data: Any) -> Any:
    """tinyfit's serialized data (from serialize_keras_object) in Keras's form, recursively."""
    if isinstance(data, list):
        return [keras_object(item) for item in data]
    if not isinstance(data, dict):
        return data
    if "class_name" not in data or "config" not in data:
        return {key: keras_object(value) for key, value in data.items()}
    name = data.get("registered_name") or data["class_name"]
    if name == "function" or data["class_name"] == "function":
        return {"module": "builtins", "class_name": "function", "config": data["config"],
                "registered_name": "function"}
    custom = _registry.scoped_lookup(name) if ">" in name else None
    if custom is not None:
        return {"module": getattr(custom, "__module__", None), "class_name": custom.__name__,
                "config": keras_object(data["config"]), "registered_name": name}
    family = _family_of(name)
    return {"module": KERAS_MODULES.get(family, "keras"), "class_name": name,
            "config": keras_object(data["config"]), "registered_name": None}


# Keys tinyfit's config has but Keras's class of the same name does not take.
_NOT_IN_KERAS = {"SpatialDropout1D": ("trainable",), "SpatialDropout2D": ("trainable",),
                 "SpatialDropout3D": ("trainable",)}


def _layer_config(layer: Any) -> dict:
    config = keras_object(serialize_keras_object(layer))["config"]
    for key in _NOT_IN_KERAS.get(type(layer).__name__, ()):
        config.pop(key, None)
    if "dtype" in config and isinstance(config["dtype"], str):
        config["dtype"] = dtype_policy(config["dtype"])
    return config


def _input_layer_config(batch_shape: Any, dtype: Any, name: str) -> dict:
    return {"batch_shape": list(batch_shape), "dtype": str(dtype), "sparse": False, "ragged": False,
            "name": name, "optional": False}


def _wrap(layer: Any, config: dict, build_config: dict | None = None) -> dict:
    name = keras_class_name(layer)
    registered = _registry.registered_name(type(layer))
    custom = ">" in registered
    entry = {"module": type(layer).__module__ if custom else "keras.layers", "class_name": name,
             "config": config, "registered_name": registered if custom else None}
    if build_config is not None:
        entry["build_config"] = build_config
    return entry


def _layer_entry(layer: Any, build_config: dict | None = None) -> dict:
    """One layer (or nested model) as Keras writes it inside a model's "layers" list."""
    if is_functional(layer) or is_sequential(layer):
        return _model_entry(layer)
    if type(layer).__name__ == "InputLayer":
        return _wrap(layer, _input_layer_config(layer.batch_shape, layer.dtype, layer.name))
    return _wrap(layer, _layer_config(layer), build_config if getattr(layer, "weights", None) else None)


def _shape_of(tensors: list) -> Any:
    shapes = [list(t.shape) for t in tensors]
    return shapes[0] if len(shapes) == 1 else shapes


def _functional_config(model: Any) -> dict:
    graph = model._graph
    tensors: dict[tuple[str, int], list] = {}   # (layer name, call index) -> that call's output tensors
    counts: dict[str, int] = {}
    for tensor in graph.inputs:
        tensors[tensor.node.layer.name, 0] = [tensor]
    for node in graph.nodes:
        index = counts.get(node.layer.name, 0)
        counts[node.layer.name] = index + 1
        tensors[node.layer.name, index] = node.output_tensors
    build_configs = _first_inputs(graph)

    def ref(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {_REF}:
            name, node, index = value[_REF]
            tensor = tensors[name, node][index]
            return {"class_name": "__keras_tensor__", "config": {
                "shape": list(tensor.shape), "dtype": str(tensor.dtype), "keras_history": [name, node, index]}}
        if isinstance(value, list):
            return [ref(v) for v in value]
        if isinstance(value, dict):
            return {k: ref(v) for k, v in value.items()}
        return value

    def history(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {_REF}:
            return list(value[_REF])
        if isinstance(value, list):
            return [history(v) for v in value]
        if isinstance(value, dict):
            return {k: history(v) for k, v in value.items()}
        return value

    own = model.get_config()
    by_name = {layer.name: layer for layer in graph.layers}
    entries = []
    for saved in own["layers"]:
        layer = by_name[saved["name"]]
        entry = _layer_entry(layer, build_configs.get(layer.name))
        entry["name"] = saved["name"]
        entry["inbound_nodes"] = [{"args": ref(call.get("args", [])), "kwargs": ref(call.get("kwargs", {}))}
                                  for call in saved.get("inbound_nodes", [])]
        entries.append(entry)
    return {"name": own["name"], "trainable": own["trainable"], "layers": entries,
            "input_layers": history(own["input_layers"]), "output_layers": history(own["output_layers"])}


def _first_inputs(graph: Any) -> dict[str, Any]:
    """{layer name: Keras's build_config, from the input shape(s) of its first call in `graph`}."""
    configs: dict[str, Any] = {}
    for node in graph.nodes:
        if node.layer.name not in configs:
            configs[node.layer.name] = _build_config(node) if node.inputs else None
    return configs


def _build_config(node: Any) -> dict:
    """{"input_shape": ...}, or for a layer whose build() takes one shape per call argument
    (MultiHeadAttention's query_shape, value_shape), Keras's {"shapes_dict": {"<argument>_shape": ...}}."""
    layer = node.layer
    if len(inspect.signature(type(layer).build).parameters) <= 2:  # self and one shape
        return {"input_shape": _shape_of(node.inputs)}
    names = list(inspect.signature(type(layer).call).parameters)[1:]
    bound = {**dict(zip(names, node.args)), **node.kwargs}
    shapes = {f"{name}_shape": list(value.shape) for name, value in bound.items() if isinstance(value, KerasTensor)}
    if len(shapes) == 1:  # as Keras: one tensor argument is written as input_shape
        return {"input_shape": next(iter(shapes.values()))}
    return {"shapes_dict": shapes}


def _sequential_config(model: Any) -> tuple[dict, Any]:
    graph = getattr(model, "_graph", None)
    entries, shape = [], None
    if graph is not None:
        first = graph.inputs[0]
        shape = list(first.shape)
        entries.append({"module": "keras.layers", "class_name": "InputLayer",
                        "config": _input_layer_config(shape, first.dtype, first.node.layer.name),
                        "registered_name": None})
    build_configs = _first_inputs(graph) if graph is not None else {}
    entries += [_layer_entry(layer, build_configs.get(layer.name)) for layer in model.layers]
    config = {"name": model.name, "trainable": model.trainable, "dtype": dtype_policy("float32"),
              "layers": entries}
    if shape is not None:
        config["build_input_shape"] = shape
    return config, shape


def _model_entry(model: Any) -> dict:
    if is_sequential(model):
        config, shape = _sequential_config(model)
        return {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None,
                "build_config": {"input_shape": shape}}
    if is_functional(model) and keras_class_name(model) == "Functional":
        return {"module": "keras.src.models.functional", "class_name": "Functional",
                "config": _functional_config(model), "registered_name": "Functional",
                "build_config": {"input_shape": None}}
    if is_functional(model):
        raise ValueError(
            f"Model {model.name!r} is a subclass of Model ({type(model).__name__}) built functionally; Keras 3's "
            f".keras format is written here for functional, Sequential and subclassed models (with call()). "
            f"Save it in tinyfit's own format with model.save('model.tinyfit').")
    return _subclassed_entry(model)


def _subclassed_entry(model: Any) -> dict:
    """A subclassed model as Keras writes one: its class, its config, and the shapes that build it."""
    build = model.get_build_config()
    if build is None:
        raise ValueError(
            f"Model {model.name!r} ({type(model).__name__}) is a subclassed model that has not been built: it "
            f"makes its weights when first called, so there is nothing to save yet and no input shape to "
            f"rebuild it from. Call it on one batch (or fit it, or call model.build(input_shape)) first.")
    entry = _wrap(model, _layer_config(model))
    if entry["registered_name"] is None:  # Keras finds an unregistered class by its name in custom_objects
        entry["module"], entry["registered_name"] = type(model).__module__, type(model).__name__
    entry["build_config"] = build
    return entry


def keras_model_config(model: Any, compile_config: dict | None) -> dict:
    """config.json of a .keras file for `model`, with its compile config in Keras's form."""
    entry = _model_entry(model)
    entry["compile_config"] = keras_object(compile_config) if compile_config else {}
    return entry
