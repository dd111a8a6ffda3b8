"""Nested structures of tensors: a leaf, or lists, tuples and dicts of them.

Layers take and return such structures (`layer([a, b])`, a model's dict of
outputs); these two helpers walk them in one fixed order (dicts in insertion
order), so that a flat list of leaves and the structure can be matched up.
"""

from __future__ import annotations

from typing import Any, Callable


def flatten(structure: Any) -> list[Any]:
    """The leaves of a nested list/tuple/dict, in order."""
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in flatten(value)]
    if isinstance(structure, (list, tuple)):
        return [leaf for value in structure for leaf in flatten(value)]
    return [structure]


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    """The same structure with `fn` applied to every leaf."""
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, value) for value in structure)
    return fn(structure)
