"""Objects to plain JSON data and back, through the registries only.

`serialize_keras_object(obj)` describes a layer, loss, metric, optimizer,
schedule, initializer, regularizer or a named function in Keras 3's form,
{"module", "class_name", "config", "registered_name"}, with the objects its
config holds described the same way. `deserialize_keras_object` turns that (or
the older {"class_name", "config"}) back into an object by looking the name up
in tinyfit's registries and the user's (`register_keras_serializable`,
`get_custom_objects`, `custom_object_scope`). A name is never imported: a
config naming "os.system" is an unknown name, nothing more, which is what makes
loading a file safe. The form itself lives in tinyfit/utils/object_config.py,
where every family's serialize/deserialize finds it.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from .. import activations, initializers, layers, losses, metrics, optimizers, regularizers
from ..optimizers import schedules
from ..utils import object_config
from ..utils import registry as _registry
from ..utils.registry import Registry, registered_name
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
    """The name `obj` (a class or function) is saved under: "package>name" if registered, else its name."""
    return registered_name(obj)


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None,
                          module_objects: dict[str, Any] | None = None) -> Any:
    """The class or function saved under `name` (custom objects, then the registered ones), or None."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    found = _registry.scoped_lookup(name)
    if found is None and module_objects and name in module_objects:
        return module_objects[name]
    return found


def serialize_keras_object(obj: Any) -> Any:
    """Plain JSON-ready data describing `obj`: {"module", "class_name", "config", "registered_name"}.

    Lists, tuples and dicts are described item by item; the objects a config
    holds (a regularizer, a sublayer, a list of layers) are described recursively.
    """
    return object_config.serialize(obj)


def deserialize_keras_object(config: Any, custom_objects: dict[str, Any] | None = None,
                             family: str | None = None) -> Any:
    """The object that `serialize_keras_object` described.

    Args:
        config: the four-key dict (Keras 3's or tinyfit's), the older
            {"class_name", "config"}, a registered name, or plain data.
        custom_objects: {name: class or function} for objects of your own that
            are not registered with `register_keras_serializable`.
        family: where to look a name up ("layer", "loss", ...; see FAMILIES);
            found from the saved module, or every family, when None.

    Returns:
        A new object made by the class's from_config, or the function named.
        The objects inside its config are left for its from_config to rebuild.
    """
    if family is not None and family not in FAMILIES:
        raise ValueError(f"deserialize_keras_object: unknown family {family!r}; choose one of {sorted(FAMILIES)}.")
    return object_config.deserialize(config, custom_objects, FAMILIES[family] if family else None)


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
