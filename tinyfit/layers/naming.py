"""Layer names: "dense", "dense_1", ... unique across a session, as Keras gives them."""

from __future__ import annotations

import re

_name_counts: dict[str, int] = {}
_used_names: set[str] = set()


def unique_name(base: str) -> str:
    """"dense", then "dense_1", "dense_2", ...: a name no layer has taken yet."""
    n = _name_counts.get(base, 0)
    name = base if n == 0 else f"{base}_{n}"
    while name in _used_names:
        n += 1
        name = f"{base}_{n}"
    _name_counts[base] = n + 1
    _used_names.add(name)
    return name


def claim_name(name: str) -> None:
    """Marks a name chosen by the user as taken, so no automatic name repeats it."""
    _used_names.add(name)


def reset_names() -> None:
    """Forgets the names given so far, so automatic names start again at "dense"."""
    _name_counts.clear()
    _used_names.clear()


def snake_case(name: str) -> str:
    """"ActivityRegularization" -> "activity_regularization"."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    # A digit before a capital does not split, as in Keras: "Conv2D" -> "conv2d".
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
