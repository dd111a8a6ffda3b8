"""Dataset: a small, readable subset of tf.data for feeding fit(), evaluate() and predict().

A Dataset describes a pipeline (slices of arrays, then shuffle, batch, map, ...);
each `iter(dataset)` runs it afresh, so fit() can start a new pass every epoch.
Elements are NumPy arrays, or tuples/dicts (possibly nested) of them:

    ds = Dataset.from_tensor_slices((x_train, y_train)).shuffle(1024).batch(64)
    model.fit(ds, epochs=3)
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import numpy

from ..utils.random import rng
from . import dataset_iterators as steps
from .convert import describe, is_leaf_array, to_numpy
from .prefetch import prefetch

INFINITE = -1  # cardinality() of a dataset that never ends (repeat())
UNKNOWN = -2  # cardinality() when the length cannot be known without running the pipeline
AUTOTUNE = -1  # prefetch(AUTOTUNE) / map(num_parallel_calls=AUTOTUNE), as tf.data writes them
_AUTOTUNE_BUFFER = 2


class Dataset:
    """A re-iterable pipeline of elements; build one with `Dataset.from_tensor_slices`."""

    def __init__(self, make: Callable[[], Iterator[Any]], cardinality: int, batched: bool = False,
                 description: str = "Dataset"):
        self._make = make
        self._cardinality = cardinality
        self._batched = batched
        self._description = description

    # ------------------------------------------------------------- sources
    @staticmethod
    def from_tensor_slices(tensors: Any) -> "Dataset":
        """One element per row of the given arrays (sliced along their first axis).

        Args:
            tensors: an array, or a tuple/dict (possibly nested) of arrays that all
                hold the same number of rows. A list is read as one array.

        Returns:
            A Dataset whose i-th element has the structure of `tensors`, holding row i.
        """
        arrays = _as_arrays(tensors)
        counts = {}
        _row_counts(arrays, "tensors", counts)
        if len(set(counts.values())) > 1:
            found = ", ".join(f"{where}: {n}" for where, n in counts.items())
            raise ValueError(
                f"Dataset.from_tensor_slices: every array must hold the same number of rows (its first axis); "
                f"got {found}."
            )
        count = next(iter(counts.values()))
        return Dataset(lambda: steps.slices(arrays, count), count,
                       description=f"<TensorSliceDataset: {count} elements>")

    @staticmethod
    def zip(*datasets: Any) -> "Dataset":
        """Elements of several datasets side by side; stops with the shortest.

        Args:
            datasets: Datasets, or one tuple or dict of Datasets (the elements then
                have that structure).
        """
        sources = datasets[0] if len(datasets) == 1 and isinstance(datasets[0], (tuple, dict)) else datasets
        members = list(sources.values()) if isinstance(sources, dict) else list(sources)
        bad = [type(d).__name__ for d in members if not isinstance(d, Dataset)]
        if not members or bad:
            raise TypeError(f"Dataset.zip: expects Datasets (as arguments, a tuple or a dict), got {bad or 'none'}.")
        cards = [d._cardinality for d in members]
        finite = [c for c in cards if c >= 0]
        if finite:
            card = min(finite)
        else:
            card = UNKNOWN if UNKNOWN in cards else INFINITE
        return Dataset(lambda: steps.zipped(sources), card, all(d._batched for d in members),
                       description=f"<ZipDataset of {len(members)}>")

    # ---------------------------------------------------- transformations
    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True) -> "Dataset":
        """Shuffles the elements with a buffer of `buffer_size` elements.

        The buffer holds the next `buffer_size` elements; each element out is a
        random one of them, and its place is refilled from upstream. An element can
        therefore only move about `buffer_size` places forward: with a buffer smaller
        than the data the order is mixed locally, not a full shuffle (the first
        element out is always one of the first `buffer_size`). Use a buffer at least
        as large as the data for a full shuffle.

        Args:
            buffer_size: how many elements the buffer holds.
            seed: makes the order repeatable; by default it comes from tinyfit's
                generator, so `keras.utils.set_random_seed` makes runs repeatable.
            reshuffle_each_iteration: a new order for every pass (every epoch).
        """
        _check_count("shuffle", "buffer_size", buffer_size, minimum=1)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer))):
            raise TypeError(f"Dataset.shuffle: seed must be an int or None, got {seed!r}.")
        # A fixed order needs its seed now; otherwise each pass draws one, from the seed
        # given (counting passes) or from tinyfit's generator at the time of the pass.
        fixed = None if reshuffle_each_iteration else (int(seed) if seed is not None else _draw_seed())
        passes = [0]

        def make():
            passes[0] += 1
            if fixed is not None:
                generator = numpy.random.default_rng(fixed)
            elif seed is not None:
                generator = numpy.random.default_rng([int(seed), passes[0]])
            else:
                generator = numpy.random.default_rng(_draw_seed())
            return steps.shuffled(self._make(), buffer_size, generator)

        return self._then(make, self._cardinality, f"shuffle(buffer_size={buffer_size})")

    def batch(self, batch_size: int, drop_remainder: bool = False) -> "Dataset":
        """Stacks runs of `batch_size` consecutive elements into batches (the last may be smaller)."""
        _check_count("batch", "batch_size", batch_size, minimum=1)
        card = self._cardinality
        if card >= 0:
            card = card // batch_size if drop_remainder else math.ceil(card / batch_size)
        return self._then(lambda: steps.batched(self._make(), batch_size, drop_remainder), card,
                          f"batch({batch_size})", batched=True)

    def map(self, map_func: Callable[..., Any], num_parallel_calls: int | None = None,
            deterministic: bool | None = None) -> "Dataset":
        """Applies `map_func` to each element (a tuple element is passed as separate arguments).

        `num_parallel_calls` and `deterministic` are accepted as tf.data writes them;
        tinyfit maps in order on the consuming thread (add prefetch() to overlap).
        """
        if not callable(map_func):
            raise TypeError(f"Dataset.map: map_func must be callable, got {describe(map_func)}.")
        return self._then(lambda: steps.mapped(self._make(), map_func), self._cardinality,
                          f"map({getattr(map_func, '__name__', 'fn')})")

    def take(self, count: int) -> "Dataset":
        """The first `count` elements (all of them for count=-1)."""
        _check_count("take", "count", count, minimum=-1)
        card = self._cardinality
        if count >= 0:
            card = count if card == INFINITE else (min(count, card) if card >= 0 else UNKNOWN)
        return self._then(lambda: steps.taken(self._make(), count) if count >= 0 else self._make(), card,
                          f"take({count})")

    def skip(self, count: int) -> "Dataset":
        """All but the first `count` elements (none of them for count=-1)."""
        _check_count("skip", "count", count, minimum=-1)
        card = self._cardinality
        if count == -1:
            card = 0 if card != INFINITE else INFINITE
            make = (lambda: steps.taken(self._make(), 0)) if card == 0 else self._make
        else:
            card = max(card - count, 0) if card >= 0 else card
            make = lambda: steps.skipped(self._make(), count)  # noqa: E731
        return self._then(make, card, f"skip({count})")

    def repeat(self, count: int | None = None) -> "Dataset":
        """The data `count` times over, or forever when count is None (or -1)."""
        if count is not None:
            _check_count("repeat", "count", count, minimum=-1)
        times = None if count in (None, -1) else count
        card = self._cardinality
        if times is None:
            card = 0 if card == 0 else INFINITE
        elif card >= 0:
            card *= times
        return self._then(lambda: steps.repeated(self._make, times), card, f"repeat({count})")

    def cache(self, filename: str = "") -> "Dataset":
        """Keeps the elements of the first complete pass in memory and replays them after.

        `filename` is accepted as tf.data writes it; tinyfit caches in memory only.
        """
        store = steps.CacheStore()
        return self._then(lambda: steps.cached(self._make, store), self._cardinality, "cache()")

    def prefetch(self, buffer_size: int) -> "Dataset":
        """Prepares up to `buffer_size` elements ahead on a background thread.

        The thread stops when the pass ends, when its iterator is closed or dropped,
        and an error raised upstream is raised where the elements are consumed.
        """
        _check_count("prefetch", "buffer_size", buffer_size, minimum=-1)
        size = _AUTOTUNE_BUFFER if buffer_size in (AUTOTUNE, 0) else buffer_size
        return self._then(lambda: prefetch(self._make, size), self._cardinality, f"prefetch({buffer_size})")

    # --------------------------------------------------------------- reading
    def __iter__(self) -> Iterator[Any]:
        return iter(self._make())

    def as_numpy_iterator(self) -> Iterator[Any]:
        """The elements with every array as a NumPy array (map may produce Tensors or numbers)."""
        for element in self:
            yield _leaves_to_numpy(element)

    def cardinality(self) -> int:
        """The number of elements, or INFINITE (-1) or UNKNOWN (-2), as tf.data reports it."""
        return self._cardinality

    def __len__(self) -> int:
        if self._cardinality == INFINITE:
            raise TypeError("The dataset is infinite (it repeats forever), so it has no len().")
        if self._cardinality == UNKNOWN:
            raise TypeError("The dataset's length is unknown, so it has no len(); count its elements by iterating "
                            "over it, e.g. sum(1 for _ in dataset).")
        return self._cardinality

    def __repr__(self) -> str:
        return self._description

    def _then(self, make: Callable[[], Iterator[Any]], cardinality: int, what: str,
              batched: bool | None = None) -> "Dataset":
        card = {INFINITE: "infinite", UNKNOWN: "unknown length"}.get(cardinality, f"{cardinality} elements")
        return Dataset(make, cardinality, self._batched if batched is None else batched,
                       description=f"{self._description.rsplit(':', 1)[0]}.{what}: {card}>")


def _as_arrays(tensors: Any) -> Any:
    if isinstance(tensors, dict):
        if not tensors:
            raise ValueError("Dataset.from_tensor_slices: got an empty dict; give at least one array.")
        return {k: _as_arrays(v) for k, v in tensors.items()}
    if isinstance(tensors, tuple):
        if not tensors:
            raise ValueError("Dataset.from_tensor_slices: got an empty tuple; give at least one array.")
        return tuple(_as_arrays(v) for v in tensors)
    if tensors is None or isinstance(tensors, (str, bytes)) or not (is_leaf_array(tensors)
                                                                    or isinstance(tensors, list)):
        raise TypeError(
            f"Dataset.from_tensor_slices: expects arrays (or a tuple/dict of them), got {describe(tensors)}."
        )
    if isinstance(tensors, list):
        try:
            return numpy.asarray(tensors)
        except ValueError:
            # tf.data reads a list as one tensor too; a list of unequal arrays is almost
            # always an (x, y) pair written with square brackets.
            shapes = ", ".join(describe(v) for v in tensors[:4]) + (", ..." if len(tensors) > 4 else "")
            raise ValueError(
                f"Dataset.from_tensor_slices: a list is read as one array, but its {len(tensors)} items ({shapes}) "
                "do not stack into one. For separate arrays such as inputs and targets pass a tuple: "
                "from_tensor_slices((x, y))."
            ) from None
    return to_numpy(tensors)


def _row_counts(arrays: Any, where: str, counts: dict) -> None:
    if isinstance(arrays, dict):
        for k, v in arrays.items():
            _row_counts(v, f"{where}[{k!r}]", counts)
    elif isinstance(arrays, tuple):
        for i, v in enumerate(arrays):
            _row_counts(v, f"{where}[{i}]", counts)
    else:
        if arrays.ndim == 0:
            raise ValueError(
                f"Dataset.from_tensor_slices: {where} is a single number; slicing needs a first axis of rows."
            )
        counts[where] = arrays.shape[0]


def _leaves_to_numpy(element: Any) -> Any:
    if isinstance(element, dict):
        return {k: _leaves_to_numpy(v) for k, v in element.items()}
    if isinstance(element, tuple):
        return tuple(_leaves_to_numpy(v) for v in element)
    return to_numpy(element)


def _draw_seed() -> int:
    return int(rng().integers(2**63))


def _check_count(method: str, name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < minimum:
        raise ValueError(f"Dataset.{method}: {name} must be a whole number >= {minimum}, got {value!r}.")
