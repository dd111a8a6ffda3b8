"""Class-index labels checked once per fit, where the whole array is in view.

A loss of class indices (sparse categorical cross-entropy) checks its labels:
whole numbers in [0, num_classes). Done by the loss, the check runs on every
batch, and float labels (the guide's `y_train.astype("float32")`) are cast to
integers on every batch too. When the labels are one array given to fit or
evaluate, the trainer has the array adapter check them all at once here and
hand out int64 labels from then on: each batch is then already what the loss
wants, and its own test has only integers left to look at. Sources whose
batches arrive one at a time (generators, PyDataset, Dataset) are checked
batch by batch by the loss, as they come.
"""

from __future__ import annotations

from typing import Any

import numpy

from ..autograd.ops.nn import class_indices
from ..autograd.tensor import Tensor


def checked_class_indices(labels: numpy.ndarray, num_classes: int, op: str) -> numpy.ndarray:
    """All of `labels`, checked to be class indices in [0, num_classes), as an int64 array.

    The check is the loss's own (the same op, so the same messages: the bad label,
    the class count and the fix), run once on the whole array.

    Args:
        labels: integer or integer-valued float labels, one per sample ((N,) or (N, 1)).
        num_classes: the size of the model output's class axis.
        op: the loss's name, for messages.
    """
    checked = class_indices(op, Tensor(labels), num_classes,
                            f"for an output with {num_classes} classes (axis -1)",
                            "for one-hot targets use categorical_crossentropy")
    return checked.numpy()


def target_of(y: Any, output_names: list[str], position: int) -> Any:
    """The target array of the output at `position` in `y` (None when not given)."""
    if isinstance(y, dict):
        return y.get(output_names[position])
    if isinstance(y, (list, tuple)) and len(output_names) > 1:
        return y[position] if position < len(y) else None
    return y if position == 0 else None


def with_class_indices(y: Any, output_names: list[str], converted: dict[int, numpy.ndarray]) -> Any:
    """`y` (one array, a list by output position or a dict by output name) with the targets of the
    outputs at the positions in `converted` replaced by the arrays given there."""
    if isinstance(y, dict):
        return {key: converted.get(output_names.index(key), value) if key in output_names else value
                for key, value in y.items()}
    if isinstance(y, (list, tuple)) and len(output_names) > 1:
        return type(y)(converted.get(i, value) for i, value in enumerate(y))
    return converted.get(0, y)
