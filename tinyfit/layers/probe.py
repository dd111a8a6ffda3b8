"""Probing: how a layer called on symbolic inputs learns its output shapes.

Calling a layer on KerasTensors (from `keras.Input`) runs its `call` twice on
small stand-in tensors, with two different sizes for every unknown axis; an
output axis whose size differs between the runs is unknown (None) too. This
works for any layer, custom ones with several inputs and add_loss included,
without each layer having to describe its output shape.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator

import numpy

from .. import backend
from ..autograd.tensor import Tensor
from .symbolic import KerasTensor


def is_shape(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(n is None or isinstance(n, int) for n in value)


def placeholders_for(shapes: Any) -> Any:
    """KerasTensors for a shape, or for a list/tuple/dict of shapes."""
    if is_shape(shapes):
        return KerasTensor(shapes)
    if isinstance(shapes, dict):
        return {key: placeholders_for(value) for key, value in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(placeholders_for(value) for value in shapes)
    raise TypeError(f"Expected a shape (a tuple of sizes or None) or a list/dict of them, got {shapes!r}.")


def stand_in(leaf: Any, sizes: tuple[int, int]) -> Any:
    """A real tensor in place of a KerasTensor: ones (zeros for integers), unknown axes filled in."""
    if not isinstance(leaf, KerasTensor):
        return leaf
    batch, other = sizes
    shape = tuple((batch if i == 0 else other) if n is None else n for i, n in enumerate(leaf.shape))
    fill = 1 if leaf.dtype.kind == "f" else 0
    return Tensor._make(backend.xp().full(shape, fill, dtype=leaf.dtype), False)


def spec_of(layer: Any, a: Any, b: Any) -> Any:
    """The KerasTensor matching two probe outputs (axes whose sizes differ are unknown)."""
    if a is None:
        return None
    if not isinstance(a, Tensor):
        raise TypeError(
            f"Layer {layer.name!r} returned {type(a).__name__} from call(); layers must return tensors "
            "(or lists/tuples/dicts of them)."
        )
    shape = tuple(m if m == n else None for m, n in zip(a.shape, b.shape))
    if a.ndim != b.ndim:
        shape = tuple(None for _ in a.shape)
    return KerasTensor(shape, a.dtype, name=layer.name)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silences warnings while probing: the stand-in data is not real, its warnings would mislead."""
    with warnings.catch_warnings(), numpy.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield
