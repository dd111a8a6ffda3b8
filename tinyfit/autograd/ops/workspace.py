"""Workspace: the large arrays of a step, kept and handed out again on the next one.

A convnet's step makes arrays of megabytes: the im2col matrix, each layer's
output, the gradients flowing back. Made afresh every step, such an array costs
page faults: the allocator gives memory this large back to the system when it
is freed and asks for it again on the next step, and the system clears every
page before handing it back (for the MNIST convnet of benchmarks/cnn.py, about
3,000-4,000 page faults and 10-30 ms of kernel time per step).
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

A free buffer that has not been taken for AGE takes is let go: the shapes
have changed (evaluation after training, another batch size), and memory is
not held for a phase that may not come back. Buffers in use are not memory
the workspace adds, so all of them are tracked, up to LIMIT.

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
AGE = 4096  # a free buffer not taken for this many takes is let go (a phase with other shapes has begun)
LIMIT = 256  # buffers tracked per thread at most; beyond it the longest unused one is let go
_local = threading.local()


class _Store:
    """One thread's buffers, each as [buffer, the take count when it was last taken]."""

    def __init__(self):
        self.kept: list[list] = []
        self.takes = 0


def _store() -> "_Store":
    store = getattr(_local, "store", None)
    if store is None:
        store = _local.store = _Store()
    return store


def _is_free(entry: list, free_at: int) -> bool:
    """Whether the workspace's own reference is the only one left to this entry's buffer."""
    buffer = entry[0]
    return getrefcount(buffer) <= free_at


class _Probe:
    pass


def _calibrate() -> int:
    """The reference count `_is_free` sees for a buffer nothing else refers to.

    Measured rather than assumed: how many references a local name and a call
    add differs between Python versions.
    """
    for count in range(1, 16):
        if _is_free([_Probe(), 0], count):
            return count
    raise RuntimeError("workspace: could not measure a free buffer's reference count")


_FREE_AT = _calibrate()


def take(xp: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialised array of this shape and dtype that nothing else uses.

    A kept buffer when one of the size in bytes (up to twice it) is free, else a
    new one, kept for later calls. The caller owns the array for as long as it holds it
    (or any view of it).
    """
    dtype = xp.dtype(dtype)
    shape = tuple(shape)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES or xp.__name__ != "numpy":
        return xp.empty(shape, dtype=dtype)
    store = _store()
    store.takes += 1
    # The smallest free buffer that fits, up to twice the size: a last, smaller batch
    # is served by the full batches' buffers, a small array never takes a huge one.
    fit = None
    for entry in store.kept:
        size = entry[0].nbytes
        if nbytes <= size <= 2 * nbytes and (fit is None or size < fit[0].nbytes) and _is_free(entry, _FREE_AT):
            fit = entry
            if size == nbytes:
                break
    if fit is None:
        _let_go_unused(store)
        fit = [xp.empty(nbytes, dtype=xp.uint8), 0]
        store.kept.append(fit)
    fit[1] = store.takes
    return fit[0][:nbytes].view(dtype).reshape(shape)


def zeros(xp: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """`take`, filled with zeros."""
    array = take(xp, shape, dtype)
    array.fill(0)
    return array


def _let_go_unused(store: _Store) -> None:
    """Drops the free buffers not taken for AGE takes, and the longest unused beyond LIMIT.

    Dropping a buffer someone still holds is safe: the workspace only stops
    keeping it, and it is freed as usual when its holder lets go.
    """
    oldest = store.takes - AGE
    store.kept = [entry for entry in store.kept if entry[1] > oldest or not _is_free(entry, _FREE_AT)]
    if len(store.kept) >= LIMIT:
        store.kept.sort(key=lambda entry: entry[1])
        del store.kept[:len(store.kept) - LIMIT + 1]


def clear() -> None:
    """Lets go of every buffer this thread keeps (memory in use stays with its holders)."""
    _store().kept.clear()


def kept_bytes() -> int:
    """How many bytes this thread's workspace holds, free or in use."""
    return sum(entry[0].nbytes for entry in _store().kept)
