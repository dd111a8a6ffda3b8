"""timeseries_dataset_from_array: sliding windows over a time series, batched, as a Dataset.

Window i starts at start_index + p_i, where p_i = 0, sequence_stride,
2 * sequence_stride, ..., and takes sequence_length steps, sampling_rate apart:

    data[start_index + p_i + k * sampling_rate]   for k = 0 .. sequence_length - 1

Its target, when targets are given, is targets[start_index + p_i]: the target
of a window is the one at the window's first step (shift the targets yourself
to predict the step after the window, as Keras's guides do).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy

from .convert import to_numpy
from .dataset import Dataset


def _check_positive(name: str, value: Any, length: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value <= 0:
        raise ValueError(f"timeseries_dataset_from_array: {name} must be an int > 0, got {name}={value!r}.")
    if name != "sequence_length" and value >= length:
        raise ValueError(f"timeseries_dataset_from_array: {name} must be lower than the length of the data "
                         f"({length}), got {name}={value}.")


def _window_starts(length: int, start_index: int | None, end_index: int | None) -> tuple[int, int]:
    """start_index and end_index, checked against the data's length, with their defaults."""
    start = start_index or 0
    if start < 0 or start >= length:
        raise ValueError(f"timeseries_dataset_from_array: start_index must be in [0, {length}) for data of length "
                         f"{length}, got start_index={start_index}.")
    end = length if end_index is None else end_index
    if end_index is not None and not start < end_index < length:
        raise ValueError(f"timeseries_dataset_from_array: end_index must be above start_index ({start}) and below "
                         f"the data's length ({length}), got end_index={end_index}.")
    return start, end


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int, sequence_stride: int = 1,
                                  sampling_rate: int = 1, batch_size: int | None = 128, shuffle: bool = False,
                                  seed: int | None = None, start_index: int | None = None,
                                  end_index: int | None = None) -> Dataset:
    """A Dataset of sliding windows over `data` (and their targets), in batches.

    Args:
        data: an array of time steps, shape (steps, ...) (axis 0 is time).
        targets: the target of each step, targets[i] for the window starting at step i;
            None for a dataset of windows only.
        sequence_length: the number of steps in a window.
        sequence_stride: how far each window starts from the previous one. Defaults to 1.
        sampling_rate: the distance between the steps taken into a window. Defaults to 1.
        batch_size: windows per batch (the last may be smaller). Defaults to 128;
            None gives single windows, unbatched.
        shuffle: whether the windows come in random order (a new order each pass).
        seed: makes the shuffling reproducible.
        start_index: the first step used (e.g. where the validation data starts).
        end_index: the step after the last one used. Defaults to the end of the data.

    Returns:
        A `tinyfit.data.Dataset` whose batches are `windows` of shape
        (batch, sequence_length, ...) or `(windows, targets)`.

    >>> ds = timeseries_dataset_from_array(numpy.arange(10), None, sequence_length=5, batch_size=None)
    >>> [w.tolist() for w in ds][:2]
    [[0, 1, 2, 3, 4], [1, 2, 3, 4, 5]]
    """
    data = to_numpy(data)
    _check_positive("sequence_length", sequence_length, len(data))
    _check_positive("sampling_rate", sampling_rate, len(data))
    _check_positive("sequence_stride", sequence_stride, len(data))
    if batch_size is not None:
        _check_positive("batch_size", batch_size, float("inf"))
    start, end = _window_starts(len(data), start_index, end_index)
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = to_numpy(targets)
        count = min(count, len(targets) - start)
    starts = numpy.arange(0, max(count, 0), sequence_stride)
    offsets = numpy.arange(sequence_length) * sampling_rate
    window_data = data[start:end]
    window_targets = None if targets is None else targets[start:]
    order = numpy.random.RandomState(seed if seed is not None else numpy.random.randint(10**6))

    def make() -> Iterator[Any]:
        positions = order.permutation(starts) if shuffle else starts
        step = batch_size or 1
        for i in range(0, len(positions), step):
            chosen = positions[i:i + step]
            windows = window_data[chosen[:, None] + offsets]
            element = windows if window_targets is None else (windows, window_targets[chosen])
            if batch_size is None:
                element = element[0] if window_targets is None else (element[0][0], element[1][0])
            yield element

    batches = len(starts) if batch_size is None else -(-len(starts) // batch_size)
    return Dataset(make, batches, batched=batch_size is not None,
                   description=f"<TimeseriesDataset: {batches} {'batches' if batch_size else 'windows'}>")
