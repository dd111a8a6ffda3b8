"""Label encoding helpers."""

from __future__ import annotations

from typing import Any

import numpy


def to_categorical(x: Any, num_classes: int | None = None) -> numpy.ndarray:
    """Turns integer class labels into one-hot rows (float32), as Keras does.

    Args:
        x: integer labels of any shape; a trailing axis of size 1 is dropped.
        num_classes: how many classes; defaults to max(x) + 1.

    Returns:
        An array of shape x.shape + (num_classes,).
    """
    labels = numpy.asarray(x)
    if labels.size and not numpy.all(numpy.equal(numpy.mod(labels, 1), 0)):
        raise ValueError("to_categorical: labels must be whole numbers (class indices).")
    labels = labels.astype("int64")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = int(labels.min()) if labels.min() < 0 else int(labels.max())
        raise ValueError(
            f"to_categorical: label {bad} is outside [0, {num_classes}); "
            f"pass num_classes larger than the largest label."
        )
    out = numpy.zeros(labels.shape + (num_classes,), dtype="float32")
    numpy.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out
