"""Workspace: the large arrays of a step, kept and handed out again on the next one.

A convnet's step makes arrays of megabytes: the im2col matrix, each layer's
output, the gradients flowing back. Made afresh every step, such an array costs
page faults: the allocator gives memory this large back to the system when it
is freed and asks for it again on the next step, and the system clears every
page before handing it back (a few milliseconds of kernel time per step).
Whether it does so depends on the allocator's own heuristics (glibc's changes
its threshold as it goes), so the same model can fault on one run and not on
the next. Keeping the arrays and handing them out again costs nothing.

An array may be handed out again only when nothing still uses it: the graph
may hold a layer's output for backward, the caller may hold a result or a
gradient. Python already counts who holds an array. Every view of a NumPy
array (a reshape, a slice, a transpose, a strided window) holds its owner, so
when the workspace's own reference is the only one left, nothing can read or
write that memory any more and it is free to use again. No op has to say when
it is done: an array is free exactly when it is no longer referenced.

CuPy keeps its own memory pool on the GPU, so there arrays are simply made.
Arrays smaller than MIN_BYTES are made too: the allocator reuses small blocks
by itself. One store per thread, so two threads never take the same array.
"""

from __future__ import annotations

import math
import threading
from sys import getrefcount
from typing import Any

MIN_BYTES = 1 << 16  # smaller arrays come from the allocator, which keeps small blocks itself
LIMIT = 32  # arrays kept per thread; beyond it the longest unused one is let go
_local = threading.local()


def _kept() -> list:
    kept = getattr(_local, "kept", None)
    if kept is None:
        kept = _local.kept = []
    return kept


def _find(kept: list, nbytes: int | None, free_at: int) -> int:
    """The position of the first kept buffer of `nbytes` bytes (any size for None) that
    only `kept` refers to, else -1."""
    for i, buffer in enumerate(kept):
        if (nbytes is None or buffer.nbytes == nbytes) and getrefcount(buffer) <= free_at:
            return i
    return -1


class _Probe:
    nbytes = 0


def _calibrate() -> int:
    """The reference count `_find` sees for an object held by nothing but its list.

    Measured rather than assumed: how many references the loop and the call add
    differs between Python versions.
    """
    for count in range(1, 16):
        if _find([_Probe()], 0, count) == 0:
            return count
    raise RuntimeError("workspace: could not measure a free buffer's reference count")


_FREE_AT = _calibrate()


def take(xp: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialised array of this shape and dtype that nothing else uses.

    A kept buffer of the same size in bytes when one is free, else a new one,
    kept for later calls. The caller owns the array for as long as it holds it
    (or any view of it).
    """
    dtype = xp.dtype(dtype)
    shape = tuple(shape)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES or xp.__name__ != "numpy":
        return xp.empty(shape, dtype=dtype)
    kept = _kept()
    i = _find(kept, nbytes, _FREE_AT)
    if i >= 0:
        buffer = kept.pop(i)
    else:
        buffer = xp.empty(nbytes, dtype=xp.uint8)
        if len(kept) >= LIMIT:
            _let_go(kept)
    kept.append(buffer)  # the most recently taken last
    return buffer.view(dtype).reshape(shape)


def zeros(xp: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """`take`, filled with zeros."""
    array = take(xp, shape, dtype)
    array.fill(0)
    return array


def _let_go(kept: list) -> None:
    """Drops the longest unused free buffer (the oldest one when none is free).

    Dropping a buffer someone still holds is safe: the workspace only stops
    keeping it, and it is freed as usual when its holder lets go.
    """
    i = _find(kept, None, _FREE_AT)
    del kept[max(i, 0)]


def clear() -> None:
    """Lets go of every buffer this thread keeps (memory in use stays with its holders)."""
    _kept().clear()


def kept_bytes() -> int:
    """How many bytes this thread's workspace holds, free or in use."""
    return sum(buffer.nbytes for buffer in _kept())
