"""Batches from anything that yields them: a Dataset, a generator, a PyTorch DataLoader, any iterable.

A re-iterable source (a Dataset, a DataLoader, an object whose `__iter__` starts
afresh) restarts every epoch. A one-shot iterator (a generator: `iter(g) is g`)
cannot: one pass over it is all there is, so several epochs need steps_per_epoch.
PyTorch objects are recognised by the module of their type, without importing torch.
"""

from __future__ import annotations

import inspect
from typing import Any, Iterator

from .class_weight import ClassWeighter
from .convert import to_batch
from .dataset import INFINITE, Dataset


def torch_kind(obj: Any) -> str | None:
    """"DataLoader" or "Dataset" when obj is (a subclass of) PyTorch's, else None."""
    for cls in type(obj).__mro__:
        if getattr(cls, "__module__", "").startswith("torch.utils.data"):
            if "DataLoader" in cls.__name__:
                return "DataLoader"
            if cls.__name__.endswith("Dataset"):
                return "Dataset"
    return None


class IterableAdapter:
    """Turns each element a source yields into an (x, y, sample_weight) NumPy batch."""

    x = None  # batches arrive one at a time: the trainer checks the first against the model

    def __init__(self, source: Any, class_weight: ClassWeighter | None = None, caller: str = "fit"):
        self.data = source
        self.class_weight = class_weight
        self.caller = caller
        # iter() only on what is already an iterator: on a DataLoader it may start worker processes.
        self.one_shot = hasattr(source, "__next__") and iter(source) is source
        self.infinite = False
        self.num_batches: int | None = None
        kind = torch_kind(source)
        if isinstance(source, Dataset):
            self.source = "the Dataset"
            if not source._batched:
                raise ValueError(
                    f"{caller}: the Dataset yields single samples, not batches ({source!r}). Call "
                    ".batch(batch_size) on it first, e.g. Dataset.from_tensor_slices((x, y)).batch(32)."
                )
            card = source.cardinality()
            self.infinite = card == INFINITE
            self.num_batches = card if card >= 0 else None
        elif kind == "Dataset":
            raise TypeError(
                f"{caller}: got a PyTorch Dataset ({type(source).__name__}), which yields single samples. Wrap it "
                "in a DataLoader, which makes batches: torch.utils.data.DataLoader(dataset, batch_size=32)."
            )
        elif kind == "DataLoader":
            self.source = f"the {type(source).__name__}"
            self.num_batches = _length(source)
        elif inspect.isgenerator(source):
            self.source = "the generator"
        else:
            self.source = f"the {type(source).__name__}"
            self.num_batches = None if self.one_shot else _length(source)

    def batches(self) -> Iterator[tuple]:
        """One pass of (x, y, sample_weight) NumPy batches (for a one-shot iterator, what is left)."""
        for item in (self.data if self.one_shot else iter(self.data)):
            x, y, sample_weight = to_batch(item, self.source)
            if self.class_weight is not None:
                sample_weight = self.class_weight(y, sample_weight)
            yield x, y, sample_weight

    def on_epoch_begin(self) -> None:
        """Nothing to prepare: the source restarts (or goes on) by itself."""

    def on_epoch_end(self) -> None:
        """Nothing to tidy between epochs."""


def _length(source: Any) -> int | None:
    try:
        return len(source)
    except TypeError:  # no __len__, or (a DataLoader over an iterable dataset) a length it cannot know
        return None
