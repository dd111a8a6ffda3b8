"""Checks on fit()/evaluate()/predict() arguments, with messages that name the fix."""

from __future__ import annotations

from typing import Any

import numpy

from ..data import is_array_data


def check_int(caller: str, name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, (int, numpy.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{caller}: {name} must be a whole number >= {minimum}, got {value!r}.")


def check_positive_int(caller: str, name: str, value: Any) -> None:
    check_int(caller, name, value, minimum=1)


def check_batch_size(caller: str, name: str, value: Any) -> None:
    if value is not None:
        check_int(caller, name, value, minimum=1)


def unpack_validation(validation_data: Any):
    """(x, y, sample_weight) from validation_data: a tuple of arrays, or a source of batches."""
    if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
        x, y, *rest = validation_data
        return x, y, rest[0] if rest else None
    if not isinstance(validation_data, (tuple, list)) and not is_array_data(validation_data):
        return validation_data, None, None  # a Dataset, PyDataset, generator or DataLoader: it yields (x, y)
    raise ValueError(
        "fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight), or a "
        f"Dataset, PyDataset, generator or DataLoader of batches; got {type(validation_data).__name__}"
        + (f" of length {len(validation_data)}" if hasattr(validation_data, "__len__") else "") + "."
    )
