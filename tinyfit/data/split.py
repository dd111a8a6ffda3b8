"""split_dataset: one dataset cut in two (train and validation), as keras.utils.split_dataset does."""

from __future__ import annotations

from typing import Any

import numpy

from .convert import to_numpy
from .dataset import Dataset


def _size(name: str, size: Any, total: int) -> int | None:
    """A split's number of elements from a count (int) or a fraction (float), checked."""
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, (int, float)):
        raise TypeError(f"split_dataset: {name} must be an int (a count) or a float (a fraction), got {size!r}.")
    if isinstance(size, int) and not 0 < size < total:
        raise ValueError(f"split_dataset: {name}={size} must be a count between 0 and the {total} elements "
                         "(both excluded).")
    if isinstance(size, float) and not 0 < size < 1:
        raise ValueError(f"split_dataset: {name}={size} must be a fraction between 0 and 1 (both excluded).")
    return round(size * total) if isinstance(size, float) else size


def _elements(dataset: Any) -> tuple[Any, int, Any]:
    """(a way to pick element i, the number of elements, the arrays or list behind them)."""
    if isinstance(dataset, Dataset):
        items = list(dataset)
        return (lambda chosen: [items[i] for i in chosen]), len(items), items
    if isinstance(dataset, (tuple, list)) and dataset and not numpy.isscalar(dataset[0]):
        arrays = tuple(to_numpy(a) for a in dataset)
        lengths = {len(a) for a in arrays}
        if len(lengths) > 1:
            raise ValueError(f"split_dataset: the arrays hold different numbers of rows ({sorted(lengths)}); "
                             "every array must have one row per element.")
        return (lambda chosen: tuple(a[chosen] for a in arrays)), len(arrays[0]), arrays
    if isinstance(dataset, dict):
        arrays = {k: to_numpy(v) for k, v in dataset.items()}
        return (lambda chosen: {k: a[chosen] for k, a in arrays.items()}), len(next(iter(arrays.values()))), arrays
    array = to_numpy(dataset)
    return (lambda chosen: array[chosen]), len(array), array


def split_dataset(dataset: Any, left_size: int | float | None = None, right_size: int | float | None = None,
                  shuffle: bool = False, seed: int | None = None) -> tuple[Dataset, Dataset]:
    """Splits a dataset into a left and a right Dataset (e.g. training and validation).

    Args:
        dataset: an array, a tuple or dict of arrays (one row per element), or an unbatched Dataset.
        left_size: the left part's size: a count (int) or a fraction of the whole (float).
            Defaults to what right_size leaves.
        right_size: the same for the right part. Defaults to the rest; give at least one of the two.
        shuffle: whether to shuffle the elements before splitting.
        seed: makes the shuffling reproducible.

    Returns:
        (left, right): two unbatched Datasets; batch them with `.batch(n)`.
    """
    pick, total, _ = _elements(dataset)
    left, right = _size("left_size", left_size, total), _size("right_size", right_size, total)
    if left is None and right is None:
        raise ValueError("split_dataset: give left_size or right_size (a count, or a fraction such as 0.8).")
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"split_dataset: left_size and right_size ask for {left} + {right} elements; the dataset "
                         f"has {total}.")
    if left == 0 or right == 0:
        raise ValueError(f"split_dataset: the sizes give an empty part ({left} and {right} of {total} elements).")
    order = numpy.arange(total)
    if shuffle:
        numpy.random.RandomState(seed if seed is not None else numpy.random.randint(10**6)).shuffle(order)
    return _as_dataset(dataset, pick(order[:left])), _as_dataset(dataset, pick(order[left:left + right]))


def _as_dataset(source: Any, part: Any) -> Dataset:
    if isinstance(source, Dataset):
        return Dataset(lambda: iter(part), len(part), description=f"<SplitDataset: {len(part)} elements>")
    return Dataset.from_tensor_slices(part)
