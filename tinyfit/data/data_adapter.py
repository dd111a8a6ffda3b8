"""get_data_adapter: which adapter turns this kind of data into NumPy batches.

    arrays (NumPy, Tensors, pandas; lists/dicts of them)   ArrayDataAdapter
    PyDataset / Sequence                                   PyDatasetAdapter
    Dataset, generators, PyTorch DataLoader, iterables     IterableAdapter
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy

from .array_adapter import ArrayDataAdapter
from .class_weight import ClassWeighter
from .convert import is_leaf_array
from .dataset import Dataset
from .iterable_adapter import IterableAdapter, torch_kind
from .py_dataset import PyDataset
from .py_dataset_adapter import PyDatasetAdapter


def is_array_data(x: Any) -> bool:
    """Whether x is in-memory arrays (cut into batches by fit) rather than a source of batches."""
    if isinstance(x, (PyDataset, Dataset)) or torch_kind(x) is not None:
        return False  # (a PyTorch Dataset has no __iter__, but NumPy must not read it as a sequence)
    if isinstance(x, (list, tuple, dict)) or is_leaf_array(x) or isinstance(x, (str, bytes)):
        return True
    return not (hasattr(x, "__iter__") or hasattr(x, "__next__"))


def describe_source(x: Any) -> str:
    """What kind of data source x is, for messages ("a generator", "a PyTorch DataLoader", ...)."""
    if isinstance(x, Dataset):
        return "a tinyfit Dataset"
    if isinstance(x, PyDataset):
        return f"a PyDataset ({type(x).__name__})"
    if inspect.isgenerator(x):
        return "a generator"
    kind = torch_kind(x)
    if kind is not None:
        return f"a PyTorch {kind} ({type(x).__name__})"
    return f"an iterable of batches ({type(x).__name__})"


def get_data_adapter(x: Any, y: Any = None, sample_weight: Any = None, batch_size: int | None = None,
                     shuffle: bool = False, class_weight: dict | None = None, caller: str = "fit"):
    """The adapter for this kind of data.

    Args:
        x: arrays (with y and sample_weight beside them), or a source that yields
            whole batches: a Dataset, a PyDataset, a generator or any iterable of
            batches (a PyTorch DataLoader included).
        batch_size: samples per batch when cutting arrays (sources batch themselves).
        shuffle: reshuffle arrays, or a PyDataset's batch order, every epoch.
        class_weight: {class index: weight}, turned into sample weights batch by batch.
    """
    if batch_size is not None and (not isinstance(batch_size, (int, numpy.integer)) or isinstance(batch_size, bool)
                                   or batch_size < 1):
        raise ValueError(f"{caller}: batch_size must be a whole number >= 1, got {batch_size!r}.")
    if x is None:
        raise ValueError(f"{caller}: no input data; pass x (an array, or a list or dict of arrays, or a Dataset, "
                         "PyDataset, generator or DataLoader).")
    weigher = ClassWeighter(class_weight, caller) if class_weight is not None else None
    if is_array_data(x):
        return ArrayDataAdapter(x, y, sample_weight, batch_size=int(batch_size or 32), shuffle=shuffle,
                                class_weight=weigher, caller=caller)
    given = [name for name, value in (("y", y), ("sample_weight", sample_weight)) if value is not None]
    if given:
        raise ValueError(
            f"{caller}: x is {describe_source(x)}, which yields whole batches, so {' and '.join(given)} cannot be "
            "passed beside it. Make it yield (x, y) or (x, y, sample_weight) tuples instead."
        )
    if isinstance(x, PyDataset):
        return PyDatasetAdapter(x, shuffle=shuffle, class_weight=weigher, caller=caller)
    return IterableAdapter(x, class_weight=weigher, caller=caller)


def check_can_split(x: Any, caller: str = "fit") -> None:
    """Raises a ValueError when validation_split cannot cut x (only arrays can be cut)."""
    if not is_array_data(x):
        raise ValueError(
            f"{caller}: validation_split needs arrays, whose last samples it keeps apart, but x is "
            f"{describe_source(x)}, which cannot be cut. Pass validation_data=... instead (e.g. a second "
            "Dataset, PyDataset, generator or DataLoader holding the validation batches)."
        )
