"""Objects to plain JSON data and back, through the registries only.

`serialize_keras_object(obj)` describes a layer, loss, metric, optimizer,
schedule, initializer, regularizer or a named function as
{"class_name": registered name, "config": {...}}. `deserialize_keras_object`
turns that back into an object by looking the name up in tinyfit's registries
(and the user's, filled by `register_keras_serializable`). A name is never
imported: a config naming "os.system" is an unknown name, nothing more, which is
what makes loading a file safe.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from .. import activations, initializers, layers, losses, metrics, optimizers, regularizers
from ..optimizers import schedules
from ..utils import registry as _registry
from ..utils.registry import DECORATOR_HINT, Registry, custom_object_scope, registered_name

# Each family's own registry: the one compile() and the family's get() resolve names in.
FAMILIES: dict[str, Registry] = {
    "layer": layers.registry,
    "loss": losses.registry,
    "metric": metrics.registry,
    "optimizer": optimizers.registry,
    "learning rate schedule": schedules.registry,
    "initializer": initializers.registry,
    "regularizer": regularizers.registry,
    "activation": activations.registry,
}


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[Any], Any]:
    """Decorator that registers your own class or function for saving and loading.

    It is saved as "package>name" and found again by that name on load, and by
    every family's lookup (so a registered loss also works in compile()).

    Args:
        package: a prefix that keeps your names apart from others' ("Custom").
        name: the name to save under; the class's or function's own name by default.
    """
    for what, value in (("package", package), ("name", name)):
        if value is not None and (not isinstance(value, str) or not value or ">" in value):
            raise ValueError(
                f"register_keras_serializable: {what}={value!r} must be a non-empty string without '>'."
            )

    def decorate(obj: Any) -> Any:
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            raise TypeError(
                f"register_keras_serializable decorates a class or a function defined with def, "
                f"got {type(obj).__name__}: {obj!r}."
            )
        full = f"{package}>{name or obj.__name__}"
        existing = _registry.CUSTOM_OBJECTS.get(full)
        if existing is not None and existing is not obj and _qualname(existing) != _qualname(obj):
            raise ValueError(
                f"register_keras_serializable: {full!r} is already registered for {_qualname(existing)}; "
                f"pick another name= or package= for {_qualname(obj)}."
            )
        _registry.register_custom(full, obj)
        return obj

    return decorate


def get_registered_name(obj: Any) -> str:
    """The name `obj` (a class or function) is saved under."""
    return registered_name(obj)


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """The class or function saved under `name`, or None."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return _registry.scoped_lookup(name)


def serialize_keras_object(obj: Any) -> Any:
    """Plain JSON-ready data describing `obj` (see the module docstring)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): serialize_keras_object(value) for key, value in obj.items()}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        if obj.__name__ == "<lambda>":
            raise ValueError(
                f"serialize_keras_object: a lambda ({obj!r}) cannot be saved: a config stores no code. "
                "Define the function with def and decorate it with @keras.saving.register_keras_serializable()."
            )
        return {"class_name": "function", "config": registered_name(obj)}
    if hasattr(obj, "get_config"):
        return {"class_name": registered_name(type(obj)), "config": obj.get_config()}
    if hasattr(obj, "item") and getattr(obj, "ndim", None) == 0:  # a NumPy scalar
        return obj.item()
    raise TypeError(
        f"serialize_keras_object: cannot describe {type(obj).__name__} {obj!r} as JSON; "
        "pass a tinyfit object (a layer, loss, metric, optimizer...), a named function or plain data."
    )


def deserialize_keras_object(config: Any, custom_objects: dict[str, Any] | None = None,
                             family: str | None = None) -> Any:
    """The object that `serialize_keras_object` described.

    Args:
        config: {"class_name": ..., "config": ...}, a registered name, or plain data.
        custom_objects: {name: class or function} for objects of your own that
            are not registered with `register_keras_serializable`.
        family: where to look a name up ("layer", "loss", ...; see FAMILIES);
            every family when None.

    Returns:
        A new object made by the class's from_config, or the function named.
    """
    if family is not None and family not in FAMILIES:
        raise ValueError(f"deserialize_keras_object: unknown family {family!r}; choose one of {sorted(FAMILIES)}.")
    if config is None or isinstance(config, (bool, int, float)):
        return config
    with custom_object_scope(custom_objects):
        if isinstance(config, str):
            return _find(config, family)
        if isinstance(config, list):
            return [deserialize_keras_object(item, None, family) for item in config]
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(
                f"deserialize_keras_object: expected a name or a dict with 'class_name' and 'config', "
                f"got {_short(config)}."
            )
        name = config["class_name"]
        if not isinstance(name, str):
            raise ValueError(f"deserialize_keras_object: 'class_name' must be a string, got {_short(name)}.")
        inner = config.get("config")
        if name == "function":
            if not isinstance(inner, str):
                raise ValueError(f"deserialize_keras_object: a function's config is its name, got {_short(inner)}.")
            return _find(inner, family, function=True)
        cls = _find(name, family)
        if not inspect.isclass(cls) or not hasattr(cls, "from_config"):
            raise ValueError(f"deserialize_keras_object: {name!r} names {cls!r}, not a class with from_config.")
        if inner is None:
            inner = {}
        if not isinstance(inner, dict):
            raise ValueError(f"deserialize_keras_object: the config of {name!r} must be a dict, got {_short(inner)}.")
        try:
            if "custom_objects" in inspect.signature(cls.from_config).parameters:
                return cls.from_config(dict(inner), custom_objects=custom_objects)
            return cls.from_config(dict(inner))
        except TypeError as error:
            # Typically a class of the user's whose __init__ needs arguments its config lacks.
            raise ValueError(
                f"{name}.from_config() could not rebuild the object from its saved config "
                f"(keys: {', '.join(sorted(inner)) or 'none'}): {error}. If {name} is your own class, "
                f"define get_config() returning every argument its __init__ needs (and from_config, if "
                f"they are not plain data), then save again; or save only the weights with "
                f"model.save_weights(path) and load them into a model you build with model.load_weights(path)."
            ) from error


def _find(name: str, family: str | None, function: bool = False) -> Any:
    """The object registered as `name`; with function=True, a function (names like "mse" may
    also name a class, e.g. the metric MeanSquaredError)."""
    custom = _registry.scoped_lookup(name)
    if custom is not None:
        return custom
    searched = [family] if family is not None else list(FAMILIES)
    for fam in searched:
        if name in FAMILIES[fam]:
            found = FAMILIES[fam].lookup(name)
            if not (function and inspect.isclass(found)):
                return found
        if function and fam == "metric" and name in metrics._FUNCTIONS:
            return metrics._FUNCTIONS[name]
    if family is not None:
        known = ", ".join(FAMILIES[family].names())
    else:
        known = "; ".join(f"{fam}: {', '.join(FAMILIES[fam].names())}" for fam in searched)
    custom = ", ".join(sorted(_registry.CUSTOM_OBJECTS)) or "none"
    what = family or "object"
    raise ValueError(
        f"Unknown {what} {name!r}. Registered {what} names: {known}. Registered with "
        f"register_keras_serializable: {custom}. " + DECORATOR_HINT.format(name=name)
    )


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
