"""One registry per family of named objects ("relu", "adam", "mse", ...).

`compile(optimizer="rmsprop", loss="mse")` and model loading both resolve names
here, so a name that works in one place works in the other, and an unknown name
gets the same helpful error everywhere. Users' own classes and functions live in
one global dict (`get_custom_objects`) that every family also searches, and
`custom_object_scope` adds more for the length of a `with` block.
"""

from __future__ import annotations

import difflib
import threading
from typing import Any, Callable

# Users' own classes and functions, registered with
# `tinyfit.saving.register_keras_serializable` under "package>name". Every
# family's lookup sees them, so a registered loss works in compile() as well as on load.
CUSTOM_OBJECTS: dict[str, Any] = {}
_CUSTOM_NAMES: dict[Any, str] = {}
_scope = threading.local()

DECORATOR_HINT = (
    "If it is your own class or function, decorate it with "
    "@keras.saving.register_keras_serializable(package=\"Custom\") before loading, "
    "or pass custom_objects={{{name!r}: ...}}."
)


# The public namespace of each family: where its objects are exported, and the
# part of a saved "module" (tinyfit.losses, keras.losses, keras.src.losses.losses)
# that says which family a saved object belongs to.
NAMESPACES = {
    "layer": "layers", "loss": "losses", "metric": "metrics", "optimizer": "optimizers",
    "learning rate schedule": "optimizers.schedules", "initializer": "initializers",
    "regularizer": "regularizers", "activation": "activations",
}
# Every family's Registry, in the order a name is searched when the family is not known.
REGISTRIES: dict[str, "Registry"] = {}


def get_custom_objects() -> dict[str, Any]:
    """The global dict of your registered classes and functions, by saved name.

    `register_keras_serializable` fills it; writing to it registers too
    (`get_custom_objects()["MyLayer"] = MyLayer`), and loading finds those names.
    """
    return CUSTOM_OBJECTS


class CustomObjectScope:
    """Within a `with` block, loading and name lookups also find these objects.

    >>> with custom_object_scope({"MyLayer": MyLayer}):   # doctest: +SKIP
    ...     model = keras.models.load_model("model.tinyfit")

    Args:
        *custom_objects: dicts {name: class or function} (None is ignored).
    """

    def __init__(self, *custom_objects: dict[str, Any] | None):
        self.custom_objects: dict[str, Any] = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, dict):
                raise TypeError(
                    f"custom_object_scope: expected dicts {{name: class or function}}, got {type(objects).__name__}."
                )
            self.custom_objects.update(objects)
        self._saved: list[dict[str, Any]] | None = None

    def __enter__(self) -> "CustomObjectScope":
        self._saved = getattr(_scope, "stack", [])
        _scope.stack = self._saved + [self.custom_objects]
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _scope.stack = self._saved


custom_object_scope = CustomObjectScope  # Keras's name for it in keras.saving and keras.utils


def register_custom(name: str, obj: Any) -> None:
    """Records a user's class or function under `name` ("package>name")."""
    CUSTOM_OBJECTS[name] = obj
    _CUSTOM_NAMES[obj] = name


def registered_name(obj: Any) -> str:
    """The name that saving writes for a class or function: its custom name, else its __name__."""
    try:
        return _CUSTOM_NAMES[obj]
    except (KeyError, TypeError):
        return obj.__name__


def scoped_lookup(name: str) -> Any:
    """The object of `name` in the active custom_objects scopes or the custom registry, else None."""
    for objects in reversed(getattr(_scope, "stack", [])):
        if name in objects:
            return objects[name]
    return CUSTOM_OBJECTS.get(name)


class Registry:
    """Maps names to objects for one family (e.g. "loss", "optimizer")."""

    def __init__(self, family: str):
        self.family = family
        self.namespace = NAMESPACES.get(family)
        self._items: dict[str, Any] = {}
        self._functions: dict[str, Callable] = {}
        self._modules: dict[Any, str] = {}
        REGISTRIES.setdefault(family, self)

    def register(self, *names: str) -> Callable[[Any], Any]:
        """Decorator registering an object under one or more names."""

        def decorate(obj: Any) -> Any:
            for name in names or (obj.__name__,):
                self._items[name] = obj
            return obj

        return decorate

    def add(self, name: str, obj: Any, module: str | None = None) -> None:
        """Registers `obj` under `name`; `module` is where it is exported, if not the family's namespace."""
        self._items[name] = obj
        if module is not None:
            self._modules[obj] = module

    def add_function(self, name: str, fn: Callable) -> None:
        """Registers a function that is found by name only where a function is asked for
        (a saved {"class_name": "function"}), beside a class of the same name."""
        self._functions[name] = fn

    def function(self, name: str) -> Callable | None:
        """The function registered as `name`, or None (a class of that name does not count)."""
        found = self._functions.get(name, self._items.get(name))
        return None if found is None or isinstance(found, type) else found

    def function_names(self) -> list[str]:
        """The names `function` finds."""
        return sorted(name for name in {**self._items, **self._functions} if self.function(name) is not None)

    def module_of(self, obj: Any) -> str | None:
        """The public module that exports `obj` ("tinyfit.layers"), or None if this family lacks it."""
        if obj in self._modules:
            return self._modules[obj]
        if self.namespace and any(item is obj for item in self._items.values()):
            return f"tinyfit.{self.namespace}"
        return None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def resolve(self, identifier: Any, deserialize: Callable[[dict], Any]) -> Any:
        """What a family's `get` starts from: a name looked up here, a config dict given to
        `deserialize`, anything else (a class, an object, a function) as it is."""
        if isinstance(identifier, dict):
            return deserialize(identifier)
        if isinstance(identifier, str):
            return self.lookup(identifier)
        return identifier

    def lookup(self, name: str) -> Any:
        """The object registered under `name`, or a ValueError that lists the choices."""
        if not isinstance(name, str):
            raise TypeError(f"Could not interpret {self.family} identifier {name!r}: expected a string.")
        if name in self._items:
            return self._items[name]
        custom = scoped_lookup(name)
        if custom is not None:
            return custom
        close = difflib.get_close_matches(name, self._items, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown {self.family} {name!r}.{hint} Known {self.family} names: {', '.join(self.names())}. "
            + DECORATOR_HINT.format(name=name)
        )
