"""Walking nested data: an array, or a list/tuple/dict of them (multi-input models)."""

from __future__ import annotations

from typing import Any, Callable


def map_structure(fn: Callable[[Any], Any], data: Any) -> Any:
    """Applies fn to every leaf of a nested list/tuple/dict, keeping its shape."""
    if isinstance(data, dict):
        return {k: map_structure(fn, v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(map_structure(fn, v) for v in data)
    return None if data is None else fn(data)


def flatten(data: Any) -> list[Any]:
    """The leaves of a nested list/tuple/dict, in order (dicts in insertion order)."""
    if isinstance(data, dict):
        return [leaf for v in data.values() for leaf in flatten(v)]
    if isinstance(data, (list, tuple)):
        return [leaf for v in data for leaf in flatten(v)]
    return [] if data is None else [data]


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Splits a batch given as x, (x,), (x, y) or (x, y, sample_weight)."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
        raise ValueError(
            f"A batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of {len(data)} items."
        )
    return data, None, None
