"""Batches from a PyDataset: its batches in order (or shuffled), fetched by its workers."""

from __future__ import annotations

from typing import Any, Iterator

from ..utils.random import rng
from .class_weight import ClassWeighter
from .convert import to_batch
from .worker_pool import ordered_batches


class PyDatasetAdapter:
    """Reads a PyDataset by index; fit(shuffle=True) reorders its batches every epoch."""

    one_shot = False
    infinite = False
    x = None  # batches arrive one at a time: the trainer checks the first against the model

    def __init__(self, dataset: Any, shuffle: bool = False, class_weight: ClassWeighter | None = None,
                 caller: str = "fit"):
        self.dataset = dataset
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.source = f"{type(dataset).__name__}.__getitem__"
        self.caller = caller
        self.num_batches  # noqa: B018 - checks __len__ now, before any training starts

    @property
    def num_batches(self) -> int:
        try:
            n = len(self.dataset)
        except NotImplementedError:
            raise
        except Exception as error:
            raise TypeError(f"{self.caller}: len() of the {type(self.dataset).__name__} failed: {error}") from error
        if n < 1:
            raise ValueError(
                f"{self.caller}: the {type(self.dataset).__name__} has no batches (its __len__ returned {n})."
            )
        return n

    def batches(self) -> Iterator[tuple]:
        """One epoch of (x, y, sample_weight) NumPy batches."""
        n = self.num_batches
        order = rng().permutation(n).tolist() if self.shuffle else range(n)
        ds = self.dataset
        # An empty batch from a PyDataset nearly always means __len__ counts past the data.
        hint = (f"Its __len__ says {n} batches: does it count more batches than the data holds? For a batch "
                "size b over N samples it is math.ceil(N / b).")
        items = ordered_batches(ds, order, ds.workers, ds.use_multiprocessing, ds.max_queue_size)
        for item, index in zip(items, order):  # items first: its end closes the workers at once
            x, y, sample_weight = to_batch(item, f"{self.source}({index})", empty_hint=hint)
            if self.class_weight is not None:
                sample_weight = self.class_weight(y, sample_weight)
            yield x, y, sample_weight

    def on_epoch_begin(self) -> None:
        self.dataset.on_epoch_begin()

    def on_epoch_end(self) -> None:
        self.dataset.on_epoch_end()
