"""What a batch is made of: splitting it into (x, y, sample_weight), and counting its rows.

Walking nested data (lists and dicts of arrays) is `tinyfit.tree`'s job; in the
data pipeline None means "absent" (no targets, no weights), so callers here pass
`none_is_leaf=False`.
"""

from __future__ import annotations

from typing import Any

from ..tree import flatten


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Splits a batch given as x, (x,), (x, y) or (x, y, sample_weight)."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
        raise ValueError(
            f"A batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of {len(data)} items."
        )
    return data, None, None


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The batch that `unpack_x_y_sample_weight` splits: (x,), (x, y) or (x, y, sample_weight).

    As in Keras, x alone comes back as it is unless it is a list or tuple (then
    (x,), so that it is not read as (x, y)).
    """
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def batch_size_of(data: Any) -> int:
    """The number of rows in a batch: the first axis of its first array.

    `data` is one array or Tensor, or a structure of them (several inputs share
    one batch size, so the first leaf answers for all). Absent parts (None) are
    skipped; a batch with no array, or a single number (a 0-d loss), counts as 1.
    """
    for leaf in flatten(data, none_is_leaf=False):
        shape = getattr(leaf, "shape", None)
        if shape is not None:
            return int(shape[0]) if len(shape) else 1
    return 1
