"""Embedding lookup: rows of a table picked by integer ids, the ids checked inside the op.

`table[ids]` with a Tensor index would also work, but the index would travel as
an attribute of the indexing op, outside the graph. Here the ids are an input:
a compiled step (autograd/recorder.py) that replays this op looks up, and
checks, the ids of each new batch.
"""

from __future__ import annotations

from typing import Any, Callable

from ... import backend
from ..function import Function


class EmbeddingLookup(Function):
    """table[check_ids(ids)]; the gradient adds each output row back onto the row it came from.

    `check_ids(ids)` returns the ids as an integer array, or raises a clear error
    (the layer that owns the table knows what to say).
    """

    name = "embedding"

    def forward(self, table: Any, ids: Any, check_ids: Callable[[Any], Any]) -> Any:
        self.ids = check_ids(ids)
        self.table_shape = table.shape
        return table[self.ids]

    def backward(self, grad: Any) -> tuple:
        d_table = backend.array_module(grad).zeros(self.table_shape, dtype=grad.dtype)
        backend.scatter_add(d_table, self.ids, grad)  # an id read twice gets both contributions
        return d_table, None
