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
        use_multiprocessing: use processes instead of threads, for a `__getitem__`
            that computes in pure Python. How the processes start is
            multiprocessing's default for the platform, or what
            `multiprocessing.set_start_method` chose: see below.
        max_queue_size: at most this many batches are requested ahead of training.

    Worker processes and their start method:

    - `"fork"` (the default on Linux before Python 3.14): each worker is a copy
      of the training process and inherits the dataset as it is. Nothing is
      pickled, arrays are shared until someone writes to them, and open files,
      locks and classes defined in a notebook or inside a function all work.
      An inherited file keeps one read position for all workers: read it with
      `os.pread` or `numpy.memmap`, or open it in `__getitem__`. An inherited
      lock is a separate copy in each worker and no longer coordinates them.
    - `"spawn"` (Windows, macOS) and `"forkserver"` (Linux from Python 3.14):
      each worker is a fresh Python that receives the dataset pickled. Open
      files, locks, threads and generators cannot be pickled, and its classes
      must be importable by name from a .py module; otherwise training stops
      before any worker starts, naming each attribute that cannot be sent and
      what to do. Create such objects in `__getitem__` on first use instead.

    Each epoch starts its workers afresh, so they see what `on_epoch_end`
    changed. Batches come back from the workers pickled (arrays travel well).

    Worker processes end with the training process, however it ends (killed,
    or a notebook kernel restarted). A worker process that ends while preparing
    a batch (out of memory, `os._exit`) stops training with an error naming that
    batch. A batch still being prepared long after the others took (10 times
    their median, and at least 5 s) is named once in a warning; nothing is
    stopped or timed out.
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
