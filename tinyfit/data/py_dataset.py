"""PyDataset (and its older name, Sequence): batches by index, fetched by parallel workers.

Subclass it and define `__len__` (the number of batches) and `__getitem__(index)`
(batch `index`, as x, (x, y) or (x, y, sample_weight)). Because batches are
addressed by index, fit(shuffle=True) can shuffle their order each epoch and
workers can prepare several at once.
"""

from __future__ import annotations

from typing import Any

import numpy


class PyDataset:
    """Base class for datasets that hand out whole batches by index.

    Args:
        workers: how many threads (or processes) prepare batches at once.
        use_multiprocessing: use processes instead of threads. The dataset is then
            sent to each process, so it must be picklable and its class defined in a
            .py module (not in a notebook).
        max_queue_size: at most this many batches are requested ahead of training.
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10):
        name = type(self).__name__
        for arg, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
                raise ValueError(f"{name}: {arg} must be a whole number >= 1, got {value!r}.")
        if not isinstance(use_multiprocessing, bool):
            raise ValueError(f"{name}: use_multiprocessing must be True or False, got {use_multiprocessing!r}.")
        self._workers = int(workers)
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = int(max_queue_size)

    # A subclass written for the older Sequence may never call super().__init__():
    # these read the defaults then.
    @property
    def workers(self) -> int:
        return self.__dict__.get("_workers", 1)

    @property
    def use_multiprocessing(self) -> bool:
        return self.__dict__.get("_use_multiprocessing", False)

    @property
    def max_queue_size(self) -> int:
        return self.__dict__.get("_max_queue_size", 10)

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must define __getitem__(self, index), returning batch number `index` "
            "as x, (x, y) or (x, y, sample_weight)."
        )

    def __len__(self) -> int:
        raise NotImplementedError(
            f"{type(self).__name__} must define __len__(self), returning the number of batches per epoch."
        )

    @property
    def num_batches(self) -> int:
        """The number of batches in one epoch (len(self))."""
        return len(self)

    def on_epoch_begin(self) -> None:
        """Called before each training epoch; override to prepare it."""

    def on_epoch_end(self) -> None:
        """Called after each training epoch; override to change the data between epochs."""


Sequence = PyDataset  # the name the 2020 Keras guide uses
