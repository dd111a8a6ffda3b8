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

An array may be handed out again only when nothing uses it any more, and only
the code that ran the step knows when that is. So the arrays are lent to a
step, never to an op:

    with workspace.step() as scope:     # what fit/evaluate/predict run per batch
        outputs = ...                   # take() and zeros() lend pooled buffers
        scope.keep(outputs)             # what leaves the step is given away for good
    # every other buffer lent in the step goes back to the pool here

Outside any step, take() and zeros() make fresh arrays that are never handed
out again, so eager code (calling a model, an op in a lesson) may hold its
results for as long as it likes. Only a step whose code tinyfit knows keeps
nothing it did not hand back (trainers/vouched.py) runs inside a step scope.
A step opened inside another joins it: its buffers go back when the outermost
step ends, since the outer step may still use what the inner one made.

A free buffer that has not been taken for AGE takes is let go: the shapes
have changed (evaluation after training, another batch size), and memory is
not held for a phase that may not come back. At most LIMIT free buffers are
kept; beyond it the longest unused are let go.

CuPy keeps its own memory pool on the GPU, so there arrays are simply made.
Arrays smaller than MIN_BYTES are made too: the allocator reuses small blocks
by itself. One store per thread, so two threads never take the same array.
"""

from __future__ import annotations

import math
import threading
from typing import Any

MIN_BYTES = 1 << 16  # smaller arrays come from the allocator, which keeps small blocks itself
AGE = 4096  # a free buffer not taken for this many takes is let go (a phase with other shapes has begun)
LIMIT = 256  # free buffers kept per thread at most; beyond it the longest unused ones are let go
_local = threading.local()


class _Store:
    """One thread's buffers: the free ones, each as [buffer, the take count when it was last taken],
    and those lent to the open step, by id."""

    def __init__(self):
        self.free: list[list] = []
        self.lent: dict[int, list] = {}
        self.depth = 0  # how many steps are open (an inner one joins the outer)
        self.takes = 0
        self.made = 0  # buffers made since the last clear(): a repeated step makes none


def _store() -> _Store:
    store = getattr(_local, "store", None)
    if store is None:
        store = _local.store = _Store()
    return store


class StepScope:
    """The open step, as `workspace.step()` hands it out: `keep(array)` gives a buffer away."""

    def __init__(self, store: _Store):
        self._store = store

    def keep(self, array: Any) -> Any:
        """Takes the buffer behind `array` (through its views' bases) out of the pool for good.

        For what leaves the step: results handed to the user, arrays kept across
        steps. Returns `array`. An array that is not the workspace's is left as it is.
        """
        lent = self._store.lent
        base = array
        while base is not None:
            if lent.pop(id(base), None) is not None:
                break
            base = getattr(base, "base", None)
        return array


class step:
    """A context manager: the buffers taken while it is open go back to the pool when it closes.

    Per thread; one opened inside another joins it (see the module docstring).
    """

    def __enter__(self) -> StepScope:
        store = _store()
        store.depth += 1
        return StepScope(store)

    def __exit__(self, *exc: Any) -> bool:
        store = _store()
        store.depth -= 1
        if store.depth == 0 and store.lent:
            store.free.extend(store.lent.values())
            store.lent.clear()
            if len(store.free) > LIMIT:
                store.free.sort(key=lambda entry: entry[1])
                del store.free[:len(store.free) - LIMIT]
        return False


def keep(array: Any) -> Any:
    """Gives the buffer behind `array` away from the step open on this thread (nothing outside one)."""
    return StepScope(_store()).keep(array)


def in_step() -> bool:
    """Whether a step is open on this thread (take() lends pooled buffers)."""
    return _store().depth > 0


def take(xp: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialised array of this shape and dtype that nothing else uses.

    Inside a step: a free buffer of the size in bytes (up to twice it) when the
    pool has one, else a new one, lent to the step until it ends. Outside: a
    new array, never handed out again.
    """
    dtype = xp.dtype(dtype)
    shape = tuple(shape)
    nbytes = math.prod(shape) * dtype.itemsize
    store = _store()
    if store.depth == 0 or nbytes < MIN_BYTES or xp.__name__ != "numpy":
        return xp.empty(shape, dtype=dtype)
    store.takes += 1
    # The smallest free buffer that fits, up to twice the size: a last, smaller batch
    # is served by the full batches' buffers, a small array never takes a huge one.
    fit, at = None, -1
    for i, entry in enumerate(store.free):
        size = entry[0].nbytes
        if nbytes <= size <= 2 * nbytes and (fit is None or size < fit[0].nbytes):
            fit, at = entry, i
            if size == nbytes:
                break
    if fit is None:
        _let_go_unused(store)
        fit = [xp.empty(nbytes, dtype=xp.uint8), 0]
        store.made += 1
    else:
        del store.free[at]
    fit[1] = store.takes
    store.lent[id(fit[0])] = fit
    return fit[0][:nbytes].view(dtype).reshape(shape)


def zeros(xp: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """`take`, filled with zeros."""
    array = take(xp, shape, dtype)
    array.fill(0)
    return array


def _let_go_unused(store: _Store) -> None:
    """Drops the free buffers not taken for AGE takes."""
    oldest = store.takes - AGE
    store.free = [entry for entry in store.free if entry[1] > oldest]


def clear() -> None:
    """Lets go of every buffer this thread keeps; those lent to an open step stay with their holders."""
    store = _store()
    store.free.clear()
    store.lent.clear()
    store.made = 0


def kept_bytes() -> int:
    """How many bytes this thread's workspace holds, free or lent to the open step."""
    store = _store()
    return sum(entry[0].nbytes for entry in [*store.free, *store.lent.values()])
