"""One registry per family of named objects ("relu", "adam", "mse", ...).

`compile(optimizer="rmsprop", loss="mse")` and model loading both resolve names
here, so a name that works in one place works in the other, and an unknown name
gets the same helpful error everywhere.
"""

from __future__ import annotations

import contextlib
import difflib
import threading
from typing import Any, Callable, Iterator

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


@contextlib.contextmanager
def custom_object_scope(custom_objects: dict[str, Any] | None) -> Iterator[None]:
    """Within the block, every registry also resolves the names in `custom_objects`."""
    stack = getattr(_scope, "stack", [])
    _scope.stack = stack + [dict(custom_objects or {})]
    try:
        yield
    finally:
        _scope.stack = stack


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
        self._items: dict[str, Any] = {}

    def register(self, *names: str) -> Callable[[Any], Any]:
        """Decorator registering an object under one or more names."""

        def decorate(obj: Any) -> Any:
            for name in names or (obj.__name__,):
                self._items[name] = obj
            return obj

        return decorate

    def add(self, name: str, obj: Any) -> None:
        self._items[name] = obj

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items

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
