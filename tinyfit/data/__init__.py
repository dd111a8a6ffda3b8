"""Data pipelines: turning what the user passes to fit() into batches.

Step 2 handles in-memory arrays (NumPy arrays, Tensors, lists and dicts of
them); generators, datasets and DataLoaders come in step 3.
"""

import numpy

from .array_adapter import ArrayDataAdapter, split_validation
from .structure import flatten, map_structure, unpack_x_y_sample_weight

__all__ = ["ArrayDataAdapter", "get_data_adapter", "split_validation", "flatten", "map_structure",
           "unpack_x_y_sample_weight"]


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, shuffle=False, class_weight=None,
                     caller="fit"):
    """The adapter for this kind of data (arrays only, for now)."""
    if batch_size is not None and (not isinstance(batch_size, (int, numpy.integer)) or isinstance(batch_size, bool)
                                   or batch_size < 1):
        raise ValueError(f"{caller}: batch_size must be a whole number >= 1, got {batch_size!r}.")
    if x is None:
        raise ValueError(f"{caller}: no input data; pass x (an array, or a list or dict of arrays).")
    if _is_iterator_like(x):
        raise TypeError(
            f"{caller}: x of type {type(x).__name__} is not supported yet; pass NumPy arrays or Tensors "
            "(or lists/dicts of them). Generators and datasets arrive in step 3."
        )
    return ArrayDataAdapter(x, y, sample_weight, batch_size=int(batch_size or 32), shuffle=shuffle,
                            class_weight=class_weight, caller=caller)


def _is_iterator_like(x) -> bool:
    if isinstance(x, (numpy.ndarray, list, tuple, dict)) or hasattr(x, "numpy") or hasattr(x, "__array__"):
        return False
    return hasattr(x, "__iter__") or hasattr(x, "__next__")
