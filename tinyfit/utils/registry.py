"""One registry per family of named objects ("relu", "adam", "mse", ...).

`compile(optimizer="rmsprop", loss="mse")` and model loading both resolve names
here, so a name that works in one place works in the other, and an unknown name
gets the same helpful error everywhere.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable


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
        close = difflib.get_close_matches(name, self._items, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown {self.family} {name!r}.{hint} Known {self.family} names: {', '.join(self.names())}."
        )
