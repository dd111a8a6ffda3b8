"""Nested structures: a leaf, or lists, tuples and dicts of structures (as `keras.tree`).

Layers take and return such structures (`layer([a, b])`, a model's dict of
outputs) and data arrives in them (`x={"image": ..., "meta": ...}`). These two
functions walk a structure in one fixed order - lists and tuples front to back,
dicts in insertion order (Keras sorts dict keys; tinyfit keeps the order the
user wrote) - so that a flat list of leaves and the structure can be matched up.

Whether None is a leaf is the one choice callers differ on, so it is an argument:

- `none_is_leaf=True` (the default, as in Keras): None is a value like any other.
  A layer called with `mask=None` sees it; `flatten(None) == [None]`.
- `none_is_leaf=False`: None marks something absent (no targets, no sample
  weights, an output without labels). It is skipped by `flatten` and passed
  through unchanged by `map_structure`, so `fn` only ever sees real values.

This module imports nothing from tinyfit, so every layer of the library may use it.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["flatten", "map_structure"]


def flatten(structure: Any, none_is_leaf: bool = True) -> list[Any]:
    """The leaves of a nested list/tuple/dict, in order.

    Args:
        structure: a leaf, or a list, tuple or dict of structures.
        none_is_leaf: whether a None is a leaf (kept) or an absent value (skipped).

    Returns:
        A flat list of the leaves.

    >>> flatten({"a": [1, 2], "b": (3, None)})
    [1, 2, 3, None]
    >>> flatten({"a": [1, 2], "b": (3, None)}, none_is_leaf=False)
    [1, 2, 3]
    """
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in flatten(value, none_is_leaf)]
    if isinstance(structure, (list, tuple)):
        return [leaf for value in structure for leaf in flatten(value, none_is_leaf)]
    if structure is None and not none_is_leaf:
        return []
    return [structure]


def map_structure(fn: Callable[[Any], Any], structure: Any, none_is_leaf: bool = True) -> Any:
    """The same structure with `fn` applied to every leaf.

    Lists stay lists, tuples stay tuples (of the same type), dicts keep their keys.

    Args:
        fn: a function of one leaf.
        structure: a leaf, or a list, tuple or dict of structures.
        none_is_leaf: whether `fn` is applied to a None (True) or the None is kept
            as it is (False).

    >>> map_structure(lambda v: v * 10, {"a": [1, 2], "b": (3, None)}, none_is_leaf=False)
    {'a': [10, 20], 'b': (30, None)}
    """
    if isinstance(structure, dict):
        return {key: map_structure(fn, value, none_is_leaf) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, value, none_is_leaf) for value in structure)
    if structure is None and not none_is_leaf:
        return None
    return fn(structure)
