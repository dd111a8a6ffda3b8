"""Workspace: large temporaries an op keeps from one call to the next.

A convnet's step allocates arrays of tens of megabytes (the im2col matrix, a
masked gradient). Allocated afresh every step, such an array costs page faults:
the allocator hands its memory back to the system when it is freed and takes it
again on the next step, and the system clears every page before handing it out.
Giving the same array back and taking it again costs nothing.

Only arrays that never leave an op belong here: its outputs and the gradients
it returns belong to the graph. One store per thread, holding a few arrays, so a
change of batch size does not keep old ones alive for long.
"""

from __future__ import annotations

import threading
from typing import Any

_LIMIT = 8  # arrays kept per thread, the oldest dropped first
_local = threading.local()


def _spare() -> dict:
    spare = getattr(_local, "spare", None)
    if spare is None:
        spare = _local.spare = {}
    return spare


def take(xp: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialised array of this shape and dtype: a kept one when there is one."""
    array = _spare().pop((xp.__name__, tuple(shape), xp.dtype(dtype).str), None)
    return xp.empty(shape, dtype=dtype) if array is None else array


def give(xp: Any, array: Any) -> None:
    """Keeps `array` for a later `take`; the caller must not use it any more."""
    spare = _spare()
    spare[(xp.__name__, array.shape, array.dtype.str)] = array
    while len(spare) > _LIMIT:
        del spare[next(iter(spare))]
