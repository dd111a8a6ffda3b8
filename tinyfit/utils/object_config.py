"""An object as plain JSON data and back, in Keras 3's form, through the registries only.

Every object is described by four keys, as in Keras's serialization guide:

    {"module": "tinyfit.layers", "class_name": "Dense", "config": {...}, "registered_name": "Dense"}

`module` is the public namespace that exports the class (for your own class:
its Python module), `config` is what `get_config()` returns with every object
inside it described the same way, and `registered_name` is the name given by
`register_keras_serializable` ("package>Name"), else the class name. A function
is {"module": "builtins", "class_name": "function", "config": its registered
name, "registered_name": "function"}, exactly as Keras writes it.

Reading, `module` is information only: it says which family to look in
(tinyfit's and Keras's own module names alike, so files written by Keras are
understood) and is never imported. A module outside tinyfit and Keras names a
user's object, which must be registered or passed in `custom_objects`. The
older two-key form {"class_name", "config"} is read as before.
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any

import numpy

from . import registry as _registry
from .registry import DECORATOR_HINT, REGISTRIES, CustomObjectScope, Registry, registered_name

_PLAIN = (bool, int, float, str)
# Arrays inside a config, written as Keras writes them; only numbers and booleans are read back.
_ARRAY_CLASSES = ("__numpy__", "__tensor__")


def serialize(obj: Any) -> Any:
    """Plain JSON-ready data describing `obj` (see the module docstring)."""
    if obj is None or isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): serialize(value) for key, value in obj.items()}
    if isinstance(obj, numpy.generic):
        return obj.item()
    if isinstance(obj, numpy.ndarray):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return _serialize_function(obj)
    if hasattr(obj, "get_config") and not inspect.isclass(obj):
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(
                f"serialize_keras_object: {type(obj).__name__}.get_config() must return a dict, "
                f"got {type(config).__name__}: {_short(config)}."
            )
        cls = type(obj)
        return {"module": module_of(cls), "class_name": cls.__name__, "config": serialize(config),
                "registered_name": registered_name(cls)}
    raise TypeError(
        f"serialize_keras_object: cannot describe {type(obj).__name__} {_short(obj)} as JSON; "
        "pass a tinyfit object (a layer, loss, metric, optimizer...), a named function or plain data. "
        "A class of your own needs a get_config() method."
    )


def _serialize_function(fn: Any) -> dict[str, Any]:
    if fn.__name__ == "<lambda>":
        raise ValueError(
            f"serialize_keras_object: a lambda ({fn!r}) cannot be saved: a config stores no code. "
            "Define the function with def and decorate it with @keras.saving.register_keras_serializable()."
        )
    return {"module": "builtins", "class_name": "function", "config": registered_name(fn),
            "registered_name": "function"}


def module_of(cls: type) -> str:
    """The public module that exports `cls` ("tinyfit.layers"), or its Python module for a user's class."""
    if cls not in _registry._CUSTOM_NAMES:
        for family in all_families():
            module = family.module_of(cls)
            if module is not None:
                return module
    return cls.__module__


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None, family: Registry | None = None) -> Any:
    """The object that `serialize` described.

    Args:
        config: the four-key dict, the older {"class_name", "config"}, a registered
            name, or plain data (lists and dicts are read item by item).
        custom_objects: {name: class or function} for your own objects that are
            not registered with `register_keras_serializable`.
        family: the Registry to look names up in; found from `module`, or every
            family in turn, when None.

    Returns:
        A new object made by its class's from_config, or the function named.
    """
    if config is None or isinstance(config, (bool, int, float)):
        return config
    with CustomObjectScope(custom_objects):
        if isinstance(config, str):
            return find(config, family)
        if isinstance(config, (list, tuple)):
            return [deserialize(item, None, family) for item in config]
        if not isinstance(config, dict):
            raise TypeError(f"deserialize_keras_object: cannot read {type(config).__name__} {_short(config)}.")
        if "class_name" not in config:
            if family is not None:
                raise ValueError(
                    f"deserialize: expected a {family.family} name or a dict with 'class_name' and 'config' "
                    f"(from serialize()), got {_short(config)}."
                )
            return {key: deserialize(value) for key, value in config.items()}
        return _from_description(config, custom_objects, family)


def _from_description(config: dict[str, Any], custom_objects: dict | None, family: Registry | None) -> Any:
    class_name, inner = config["class_name"], config.get("config")
    if not isinstance(class_name, str):
        raise ValueError(f"deserialize_keras_object: 'class_name' must be a string, got {_short(class_name)}.")
    module = config.get("module")
    if module is not None and not isinstance(module, str):
        raise ValueError(f"deserialize_keras_object: 'module' must be a string, got {_short(module)}.")
    registered = config.get("registered_name")
    if class_name in _ARRAY_CLASSES:
        return _array(inner)
    if class_name == "function":
        if not isinstance(inner, str):
            raise ValueError(f"deserialize_keras_object: a function's config is its name, got {_short(inner)}.")
        return find(inner, family or family_of(module), function=True, module=module)
    if not isinstance(registered, str) or registered == "function":
        registered = class_name
    cls = _find_class(class_name, registered, module, family)
    if not inspect.isclass(cls) or not hasattr(cls, "from_config"):
        if callable(cls) and not inspect.isclass(cls):
            return cls  # a function saved under a class-like entry, as Keras allows
        raise ValueError(f"deserialize_keras_object: {class_name!r} names {cls!r}, not a class with from_config.")
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise ValueError(f"deserialize_keras_object: the config of {class_name!r} must be a dict, got {_short(inner)}.")
    return _call_from_config(cls, class_name, dict(inner), custom_objects)


def _call_from_config(cls: type, class_name: str, inner: dict[str, Any], custom_objects: dict | None) -> Any:
    try:
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            return cls.from_config(inner, custom_objects=custom_objects)
        return cls.from_config(inner)
    except TypeError as error:
        # Typically a class of the user's whose __init__ needs arguments its config lacks.
        raise ValueError(
            f"{class_name}.from_config() could not rebuild the object from its saved config "
            f"(keys: {', '.join(sorted(inner)) or 'none'}): {error}. If {class_name} is your own class, "
            f"define get_config() returning every argument its __init__ needs (and a from_config that "
            f"deserializes the objects among them with keras.saving.deserialize_keras_object), then save "
            f"again; or save only the weights with model.save_weights(path) and load them into a model you "
            f"build with model.load_weights(path)."
        ) from error


def _find_class(class_name: str, registered: str, module: str | None, family: Registry | None) -> Any:
    """Custom objects first (by registered name, then class name); built-ins only for tinyfit/Keras modules."""
    for name in (registered, class_name):
        custom = _registry.scoped_lookup(name)
        if custom is not None:
            return custom
    if module is not None and not is_library_module(module):
        what = family.family if family is not None else "object"
        known = f"Registered {what} names: {', '.join(family.names())}. " if family is not None else ""
        raise ValueError(
            f"Unknown {what} {registered!r} (class {class_name!r} of module {module!r}): it is not registered, "
            f"and a saved module is never imported. {known}Registered with register_keras_serializable: "
            f"{_custom_names()}. " + DECORATOR_HINT.format(name=registered)
        )
    return find(class_name, family or family_of(module))


def find(name: str, family: Registry | None, function: bool = False, module: str | None = None) -> Any:
    """The object registered as `name`: among custom objects, then in `family` (every family when None).

    With function=True only a function counts: "mse" names the loss function, not
    the metric class of that name.
    """
    custom = _registry.scoped_lookup(name)
    if custom is None and function and ">" not in name:
        custom = _by_short_name(name)
    if custom is not None:
        return custom
    if module is not None and module != "builtins" and not is_library_module(module):
        raise ValueError(
            f"Unknown function {name!r} of module {module!r}: it is not registered, and a saved module is never "
            f"imported. Registered with register_keras_serializable: {_custom_names()}. "
            + DECORATOR_HINT.format(name=name)
        )
    searched = [family] if family is not None else all_families()
    for fam in searched:
        found = fam.function(name) if function else (fam.lookup(name) if name in fam else None)
        if found is not None:
            return found
    what = family.family if family is not None else ("function" if function else "object")

    def names(fam: Registry) -> list[str]:
        return fam.function_names() if function else fam.names()

    if family is not None:
        known = ", ".join(names(family))
    else:
        known = "; ".join(f"{fam.family}: {', '.join(names(fam))}" for fam in searched if names(fam))
    close = difflib.get_close_matches(name, [n for fam in searched for n in names(fam)], n=1, cutoff=0.75)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"Unknown {what} {name!r}.{hint} Registered {what} names: {known}. Registered with "
        f"register_keras_serializable: {_custom_names()}. " + DECORATOR_HINT.format(name=name)
    )


def _by_short_name(name: str) -> Any:
    """A registered "package>name" found by its bare name, as Keras does for functions."""
    matches = [obj for full, obj in _registry.CUSTOM_OBJECTS.items() if full.endswith(">" + name)]
    return matches[0] if len(matches) == 1 else None


def all_families() -> list[Registry]:
    """Every family's Registry, in the order a name is searched when its family is not known."""
    return [REGISTRIES[name] for name in _registry.NAMESPACES if name in REGISTRIES]


def is_library_module(module: str) -> bool:
    """Whether a saved module names tinyfit's or Keras's own namespace (information, never imported)."""
    return module.split(".", 1)[0] in ("tinyfit", "keras")


def family_of(module: str | None) -> Registry | None:
    """The family a tinyfit or Keras module name points to (keras.src.layers.core.dense: layers), or None."""
    if not module or not is_library_module(module):
        return None
    parts = [part for part in module.split(".")[1:] if part != "src"]
    if parts[:1] == ["optimizers"] and "schedules" in parts:
        parts = ["optimizers.schedules"]
    if parts[:1] == ["models"]:
        parts = ["layers"]  # models are layers: the layer family holds Model and Sequential
    for family in all_families():
        if parts and family.namespace == parts[0]:
            return family
    return None


def _array(inner: Any) -> Any:
    if not isinstance(inner, dict) or "value" not in inner or not isinstance(inner.get("dtype"), str):
        raise ValueError(f"deserialize_keras_object: an array's config needs 'value' and 'dtype', got {_short(inner)}.")
    try:
        dtype = numpy.dtype(inner["dtype"])
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in "biuf":
        raise ValueError(f"deserialize_keras_object: arrays of dtype {inner['dtype']!r} are not read; "
                         "only numbers and booleans.")
    return numpy.array(inner["value"], dtype=dtype)


def _custom_names() -> str:
    return ", ".join(sorted(_registry.CUSTOM_OBJECTS)) or "none"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
