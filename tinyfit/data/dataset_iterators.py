"""The generators behind each Dataset transformation: one function per transformation.

An element is a NumPy array or a tuple/dict (possibly nested) of them. Each
function takes the upstream iterator and yields the transformed elements; the
Dataset class (dataset.py) strings them together afresh for every pass.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterable, Iterator

import numpy

from .convert import describe


def slices(tensors: Any, count: int) -> Iterator[Any]:
    """Element i of every array in the structure `tensors`, for i in range(count)."""
    for i in range(count):
        yield _pick(tensors, i)


def _pick(tensors: Any, i: int) -> Any:
    if isinstance(tensors, dict):
        return {k: _pick(v, i) for k, v in tensors.items()}
    if isinstance(tensors, tuple):
        return tuple(_pick(v, i) for v in tensors)
    return tensors[i]


def shuffled(source: Iterable[Any], buffer_size: int, generator: numpy.random.Generator) -> Iterator[Any]:
    """Yields a random element of a buffer holding the next `buffer_size` elements, refilling it."""
    buffer: list[Any] = []
    draws = generator.random(1024)  # uniform draws in blocks: one call per element would be slow
    used = 0
    for item in source:
        if len(buffer) < buffer_size:
            buffer.append(item)
            continue
        if used == len(draws):
            draws, used = generator.random(1024), 0
        j = int(draws[used] * len(buffer))
        used += 1
        yield buffer[j]
        buffer[j] = item
    for j in generator.permutation(len(buffer)):
        yield buffer[j]


def batched(source: Iterable[Any], batch_size: int, drop_remainder: bool) -> Iterator[Any]:
    """Stacks each run of `batch_size` elements into one element with a leading batch axis."""
    group: list[Any] = []
    for item in source:
        group.append(item)
        if len(group) == batch_size:
            yield stack(group)
            group = []
    if group and not drop_remainder:
        yield stack(group)


def stack(elements: list[Any]) -> Any:
    """One element whose arrays are the given elements' arrays stacked along a new first axis."""
    first = elements[0]
    if isinstance(first, dict):
        for e in elements:
            if not isinstance(e, dict) or e.keys() != first.keys():
                raise ValueError(f"Dataset.batch: elements differ in structure: {describe(first)} and {describe(e)}.")
        return {k: stack([e[k] for e in elements]) for k in first}
    if isinstance(first, tuple):
        for e in elements:
            if not isinstance(e, tuple) or len(e) != len(first):
                raise ValueError(f"Dataset.batch: elements differ in structure: {describe(first)} and {describe(e)}.")
        return tuple(stack([e[i] for e in elements]) for i in range(len(first)))
    shapes = {numpy.shape(e) for e in elements}
    if len(shapes) > 1:
        raise ValueError(
            f"Dataset.batch: cannot stack elements of different shapes {sorted(shapes)} into one batch; "
            "make every element the same shape first (e.g. with map)."
        )
    return numpy.stack([numpy.asarray(e) for e in elements])


def mapped(source: Iterable[Any], fn: Callable[..., Any]) -> Iterator[Any]:
    """fn applied to each element; a tuple element is passed as separate arguments, as in tf.data."""
    for item in source:
        args = item if isinstance(item, tuple) else (item,)
        try:
            out = fn(*args)
        except TypeError:
            if _accepts(fn, len(args)):
                raise  # the function itself failed: its own error says best what went wrong
            raise TypeError(_arity_message(fn, item, len(args))) from None
        yield out


def _accepts(fn: Callable[..., Any], count: int) -> bool:
    """Whether fn can be called with `count` positional arguments (True when its signature is hidden)."""
    try:
        inspect.signature(fn).bind(*range(count))
    except TypeError:
        return False
    except ValueError:  # some builtins do not describe their signature
        return True
    return True


def _arity_message(fn: Callable[..., Any], item: Any, count: int) -> str:
    name = getattr(fn, "__name__", type(fn).__name__)
    try:
        takes = f"{name}{inspect.signature(fn)}"
    except ValueError:
        takes = name
    passed = (f"its {count} items are passed as {count} separate arguments" if isinstance(item, tuple)
              else "not a tuple, so it is passed as one argument")
    example = ", ".join(["x", "y", "sample_weight"][:count]) if isinstance(item, tuple) and count <= 3 else "element"
    return (
        f"Dataset.map: the function {takes} cannot take the elements: each is {describe(item)}, {passed} "
        f"(as tf.data does). Give the function one parameter per item, e.g. lambda {example}: ..."
    )


def taken(source: Iterable[Any], count: int) -> Iterator[Any]:
    if count == 0:
        return
    for n, item in enumerate(source, start=1):
        yield item
        if n == count:
            return


def skipped(source: Iterable[Any], count: int) -> Iterator[Any]:
    for n, item in enumerate(source):
        if n >= count:
            yield item


def repeated(make: Callable[[], Iterable[Any]], count: int | None) -> Iterator[Any]:
    """`count` passes over the data (forever when None); stops if a pass yields nothing."""
    done = 0
    while count is None or done < count:
        empty = True
        for item in make():
            empty = False
            yield item
        done += 1
        if empty:
            return  # an empty dataset repeated forever is still empty, not a hang


class CacheStore:
    """What cache() remembers: the elements of the first complete pass."""

    def __init__(self):
        self.elements: list[Any] | None = None


def cached(make: Callable[[], Iterable[Any]], store: CacheStore) -> Iterator[Any]:
    """Replays the first complete pass; a pass left unfinished is not kept."""
    if store.elements is not None:
        yield from store.elements
        return
    seen = []
    for item in make():
        seen.append(item)
        yield item
    store.elements = seen


def zipped(sources: Any) -> Iterator[Any]:
    """Elements of several datasets side by side, as a tuple or dict like `sources`; stops at the shortest."""
    if isinstance(sources, dict):
        keys = list(sources)
        for items in zip(*(iter(sources[k]) for k in keys)):
            yield dict(zip(keys, items))
        return
    yield from zip(*(iter(s) for s in sources))
