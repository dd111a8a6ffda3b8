"""How tinyfit reads what a class says of itself: a declared capability, or an overridden method.

A capability (`supports_jit`, `class_index_targets`) is a promise about the code that
computes: a subclass that overrides that code would inherit a promise it may break, so
only the class's own body (or the object itself) can make it. A method the user
overrides (build, compute_mask, a callback hook, a step) is asked about one way, by
`overrides`.
"""

from __future__ import annotations

from typing import Any


def declared(thing: Any, name: str, default: Any = None) -> Any:
    """What `thing` declares as `name`: set on itself (a function, or an object in its
    __init__) or in its own class's body; `default` when neither says. A subclass does not
    inherit its parent's word, since it may override the code the word is about."""
    own = getattr(thing, "__dict__", {})
    if name in own:
        return own[name]
    return vars(type(thing)).get(name, default)


def overrides(kind: type, base: type, name: str) -> bool:
    """Whether class `kind` has a method `name` other than `base`'s (its own, or a mixin's)."""
    return getattr(kind, name) is not getattr(base, name)
