"""A Keras 3 config.json read into tinyfit's config, as data: no module imported, no code run.

Every object's class is found in tinyfit's registries only (the built-in classes, those
registered with register_keras_serializable, and custom_objects=). Its `module` key is
information: "keras.*" and "tinyfit.*" name built-ins; any other module must belong to a
registered class. A Lambda layer's Python bytecode is refused, never run. A subclassed model's class must be
the user's own, found the same way (registered, or given in custom_objects).

Keras's configs carry a few keys tinyfit's classes do not take. Those that only switch off
what tinyfit lacks (null, false, a Keras default such as groups=1) are dropped, as they change
nothing; any other value is refused with the layer and the key, since tinyfit cannot represent it.
"""

from __future__ import annotations

import inspect
from typing import Any

from .. import layers as _layers
from ..utils import registry as _registry
from .serialization import FAMILIES

__all__ = ["tinyfit_model_config", "tinyfit_compile_config"]

_REF = "keras_tensor"
_BUILT_IN_MODULES = ("keras", "tinyfit")
# Keys whose value matters only when a switch tinyfit refuses is on (use_ema, renorm), or bookkeeping.
_IGNORED = {"shared_object_id", "ema_momentum", "renorm_momentum"}
# Keras's defaults for keys tinyfit's classes lack: these values mean "not used".
_DEFAULTS = {"groups": 1, "renorm_clipping": None, "reduction": "sum_over_batch_size"}
_LAYER_BASE_KEYS = ("activity_regularizer", "input_shape", "input_dim", "batch_size", "autocast")


def _refuse(path: str, cause: str) -> ValueError:
    return ValueError(f"Refusing to load '{path}': {cause}")


class _Reader:
    """Converts one file's config; `path` and `custom_objects` are carried for messages and lookups."""

    def __init__(self, path: str, custom_objects: dict | None):
        self.path, self.custom_objects = path, dict(custom_objects or {})

    # ------------------------------------------------------------ classes
    def lookup(self, where: str, data: dict, family: str | None) -> tuple[str, Any]:
        """(tinyfit's name, the class) of a serialized object, found only in the registries."""
        class_name, registered, module = data.get("class_name"), data.get("registered_name"), data.get("module")
        if not isinstance(class_name, str) or not (registered is None or isinstance(registered, str)):
            raise _refuse(self.path, f"{where}: 'class_name' must be a string, got {class_name!r:.60}.")
        for name in (registered, class_name):
            if not name:
                continue
            found = self.custom_objects.get(name)
            if found is None:
                found = _registry.scoped_lookup(name)
            if found is not None:
                return name, found
        built_in = module is None or (isinstance(module, str) and module.split(".")[0] in _BUILT_IN_MODULES)
        families = [family] if family else list(FAMILIES)
        if built_in and not (registered and ">" in registered):
            for fam in families:
                if class_name in FAMILIES[fam]:
                    return class_name, FAMILIES[fam].lookup(class_name)
        known = ", ".join(FAMILIES[family].names()) if family else "see keras.saving.get_registered_object"
        origin = f"module {module!r}" if module else "no module"
        raise _refuse(self.path, (
            f"{where} names the class {class_name!r} ({origin}"
            + (f", registered as {registered!r}" if registered else "") + "), which tinyfit does not have "
            + f"and which no registered or custom object provides (tinyfit's {family or 'object'} classes: "
            + f"{known}). Modules named in a file are never imported. If it is your own class, decorate it "
            + "with @keras.saving.register_keras_serializable() or pass "
            + f"custom_objects={{{(registered or class_name)!r}: YourClass}} to load_model."))

    # ------------------------------------------------------------ objects
    def obj(self, where: str, value: Any, family: str | None = None) -> Any:
        """A nested value in tinyfit's form: objects as {"class_name", "config"}, plain data as it is."""
        if isinstance(value, list):
            return [self.obj(where, item, family) for item in value]
        if not isinstance(value, dict):
            return value
        if "class_name" not in value:
            return {key: self.obj(where, item, family) for key, item in value.items()}
        kind, inner = value["class_name"], value.get("config")
        if kind == "__tuple__" and isinstance(inner, dict):
            return [self.obj(where, item, family) for item in inner.get("value", [])]
        if kind == "__lambda__":
            raise _refuse(self.path, (
                f"{where} holds a Python lambda as bytecode, which tinyfit never runs (running code from a "
                f"file is how a model file attacks). Define the function with def, register it with "
                f"@keras.saving.register_keras_serializable(), use it in place of the lambda, and save again; or "
                f"build the model in code and load only its weights with model.load_weights('x.weights.h5')."))
        if isinstance(kind, str) and kind.startswith("__"):
            raise _refuse(self.path, f"{where} holds a {kind} value, which tinyfit does not read from a config.")
        if kind == "function":
            if not isinstance(inner, str):
                raise _refuse(self.path, f"{where}: a function's config must be its name, got {inner!r:.60}.")
            return {"class_name": "function", "config": inner}
        name, cls = self.lookup(where, value, family)
        if inner is None:
            inner = {}
        if not isinstance(inner, dict):
            raise _refuse(self.path, f"{where}: the config of {name!r} must be an object, got {inner!r:.60}.")
        return {"class_name": name, "config": self.clean(f"{where} ({name})", cls, inner)}

    def clean(self, where: str, cls: Any, config: dict) -> dict:
        """`config` with nested objects converted and the keys `cls` lacks dropped or refused."""
        accepted = _accepted_keys(cls)
        cleaned = {}
        for key, value in config.items():
            if key == "dtype":
                value = self.dtype(where, value)
            elif key.endswith("_constraint"):
                if value is not None:
                    raise _refuse(self.path, f"{where} has {key}={_short(value)}; tinyfit has no weight "
                                             f"constraints. Rebuild the layer without it and load the weights.")
                continue
            else:
                value = self.obj(f"{where}.{key}", value, _family_of_key(key))
            if accepted is not None and key not in accepted:
                if value is None or value is False or key in _IGNORED or _DEFAULTS.get(key, object()) == value:
                    continue
                raise _refuse(self.path, (
                    f"{where} has {key}={_short(value)}, which tinyfit's {getattr(cls, '__name__', cls)} cannot "
                    f"represent (it takes: {', '.join(sorted(accepted))}). Rebuild the model without it, or in "
                    f"Keras, and load only the weights."))
            cleaned[key] = value
        return cleaned

    def dtype(self, where: str, value: Any) -> Any:
        if isinstance(value, dict):
            value = (value.get("config") or {}).get("name") if isinstance(value.get("config"), dict) else None
        if value is not None and (not isinstance(value, str) or value.startswith("mixed_")):
            raise _refuse(self.path, f"{where} has the dtype policy {value!r}; tinyfit computes in one dtype per "
                                     f"layer (e.g. 'float32'), not mixed precision.")
        return value

    # ------------------------------------------------------------ models
    def model(self, where: str, data: Any) -> dict:
        if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
            raise _refuse(self.path, f"{where} is not a model's config (expected an object with 'class_name' "
                                     f"and 'config', got {_short(data)}).")
        kind = data.get("class_name")
        module = data.get("module")
        keras_made = module is None or (isinstance(module, str) and module.split(".")[0] in _BUILT_IN_MODULES)
        if kind in ("Functional", "Model") and keras_made:
            return {"class_name": "Functional", "config": self.functional(where, data["config"])}
        if kind == "Sequential" and keras_made:
            return {"class_name": "Sequential", "config": self.sequential(where, data["config"])}
        return self.subclassed(where, data)

    def subclassed(self, where: str, data: dict) -> dict:
        """A subclassed model: its class from the registries, its config read as any layer's."""
        name, cls = self.lookup(where, data, "layer")
        model_class = _layers.registry.lookup("Model")
        if not (isinstance(cls, type) and issubclass(cls, model_class)) or cls in (
                model_class, _layers.registry.lookup("Sequential"), _layers.registry.lookup("Functional")):
            raise _refuse(self.path, (
                f"{where} is a {data.get('class_name')!r}, which tinyfit finds as {getattr(cls, '__name__', cls)!r}, "
                f"not a subclass of keras.Model: a .keras file holds a model. Register the model's own class "
                f"under the name the file gives, or pass custom_objects={{{name!r}: YourModel}}."))
        return {"class_name": name, "config": self.clean(f"{where} ({name})", cls, data["config"])}

    def layer_entry(self, data: Any) -> dict:
        if not isinstance(data, dict):
            raise _refuse(self.path, f"a layer entry is {_short(data)}, not an object.")
        label = f"layer {(data.get('config') or {}).get('name', data.get('name'))!r}"
        if data.get("class_name") in ("Functional", "Model", "Sequential"):
            return self.model(label, data)
        if data.get("class_name") == "InputLayer":
            config = data.get("config") or {}
            for key in ("sparse", "ragged", "optional"):
                if config.get(key):
                    raise _refuse(self.path, f"{label} is a {key} input, which tinyfit does not have.")
            return {"class_name": "InputLayer", "config": {
                "batch_shape": config.get("batch_shape"), "dtype": self.dtype(label, config.get("dtype")),
                "name": config.get("name")}}
        return self.obj(label, data, "layer")

    def functional(self, where: str, config: dict) -> dict:
        entries = []
        for data in _as_list(self.path, where, config.get("layers")):
            entry = self.layer_entry(data)
            entry["name"] = data.get("name", (data.get("config") or {}).get("name"))
            entry["inbound_nodes"] = [self.call(entry["name"], node) for node in data.get("inbound_nodes") or []]
            entries.append(entry)
        return {"name": config.get("name"), "trainable": config.get("trainable", True), "layers": entries,
                "input_layers": _refs(config.get("input_layers")), "output_layers": _refs(config.get("output_layers"))}

    def sequential(self, where: str, config: dict) -> dict:
        converted = {"name": config.get("name"), "trainable": config.get("trainable", True),
                     "layers": [self.layer_entry(data) for data in _as_list(self.path, where, config.get("layers"))]}
        shape = config.get("build_input_shape")
        starts_with_input = converted["layers"] and converted["layers"][0]["class_name"] == "InputLayer"
        if shape is not None and not starts_with_input:
            converted["batch_shape"] = shape
        return converted

    def call(self, layer: str, node: Any) -> dict:
        if not isinstance(node, dict):
            raise _refuse(self.path, (
                f"layer {layer!r} records its calls in Keras 2's form; tinyfit reads Keras 3's .keras files. "
                f"Load the model in Keras 3 and save it again with model.save('model.keras')."))

        def tensor(value: Any) -> Any:
            if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
                history = (value.get("config") or {}).get("keras_history")
                if not (isinstance(history, list) and len(history) == 3 and isinstance(history[0], str)
                        and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in history[1:])):
                    raise _refuse(self.path, f"layer {layer!r} has a call whose tensor has no valid keras_history.")
                return {_REF: list(history)}
            if isinstance(value, list):
                return [tensor(v) for v in value]
            if isinstance(value, dict) and "class_name" not in value:
                return {k: tensor(v) for k, v in value.items()}
            return self.obj(f"layer {layer!r}", value)

        # The model's own training flag decides at run time, as in Keras; a mask of None is no mask.
        kwargs = {k: v for k, v in (node.get("kwargs") or {}).items()
                  if k != "training" and not (k == "mask" and v is None)}
        return {"args": tensor(node.get("args") or []), "kwargs": tensor(kwargs)}


def _as_list(path: str, where: str, value: Any) -> list:
    if not isinstance(value, list):
        raise _refuse(path, f"{where}: 'layers' must be a list, got {_short(value)}.")
    return value


def _refs(value: Any) -> Any:
    """Keras's ["name", node, index] (or a list/dict of them) as tinyfit's tensor references."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and isinstance(value[1], int):
        return {_REF: list(value)}
    if isinstance(value, list):
        return [_refs(v) for v in value]
    if isinstance(value, dict):
        return {k: _refs(v) for k, v in value.items()}
    return value


def _family_of_key(key: str) -> str | None:
    if key.endswith("_initializer"):
        return "initializer"
    if key.endswith("_regularizer"):
        return "regularizer"
    if key == "activation":
        return "activation"
    if key == "learning_rate":
        return "learning rate schedule"
    if key in ("layer", "layers", "backward_layer"):
        return "layer"
    return None


def _accepted_keys(cls: Any) -> set[str] | None:
    """The config keys tinyfit's class takes; None (take all) for the user's own classes."""
    if not inspect.isclass(cls) or not cls.__module__.startswith("tinyfit."):
        return None
    keys: set[str] = set()
    for klass in cls.__mro__:
        if klass is object or "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(klass.__init__).parameters.values()
        keys |= {p.name for p in parameters if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    if issubclass(cls, _layers.registry.lookup("Layer")):
        keys |= set(_LAYER_BASE_KEYS)
    return keys


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def tinyfit_model_config(path: str, config: Any, custom_objects: dict | None = None) -> dict:
    """The tinyfit config ({"class_name", "config"}) of the model a Keras 3 config.json describes."""
    return _Reader(path, custom_objects).model("the model", config)


def tinyfit_compile_config(path: str, config: Any, custom_objects: dict | None = None) -> dict | None:
    """The compile arguments of a Keras 3 config.json in tinyfit's form, or None when not compiled."""
    compile_config = config.get("compile_config") if isinstance(config, dict) else None
    if not compile_config:
        return None
    if not isinstance(compile_config, dict):
        raise _refuse(path, f"its compile_config is {_short(compile_config)}, not an object.")
    reader = _Reader(path, custom_objects)
    families = {"optimizer": "optimizer", "loss": "loss", "loss_weights": None, "metrics": "metric",
                "weighted_metrics": "metric"}
    return {key: reader.obj(f"compile_config.{key}", compile_config.get(key), family)
            for key, family in families.items()}
