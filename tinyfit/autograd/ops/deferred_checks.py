"""Checks of a step's data that a GPU settles later, when the step's figures are read.

On the CPU, an op checks its inputs on the spot (labels in range, ids whole numbers)
and raises before anything is computed. On a GPU the same test is a read back from the
device: a wait at every step, for a check that almost always passes. So there the op
computes the test on the device (one 0-d bool: "something is wrong") and leaves it here;
the next time the step's figures are read anyway (the progress bar, a callback, the
epoch's end: utils/log_values.py), the flags come back with them, and the first that
failed raises the op's own message, naming the batch's bad value.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from ... import backend

__all__ = ["check_later", "pending", "settle"]

_local = threading.local()  # each thread's steps settle their own checks


def _pending_list() -> list:
    found = getattr(_local, "checks", None)
    if found is None:
        found = _local.checks = []
    return found


def check_later(failed: Any, explain: Callable[[], None]) -> None:
    """Leaves a device check: `failed`, a 0-d bool array, True when the data is wrong; `explain()`
    raises the error that says what is wrong (it may read the data back: it runs only then)."""
    _pending_list().append((failed, explain))


def pending() -> list:
    """The checks left since the last settle, taken (the caller settles them with `settle(flags)`)."""
    checks = _pending_list()
    taken, checks[:] = list(checks), []
    return taken


def settle(checks: list | None = None, flags: Any = None) -> None:
    """Raises the first failed check's error. `flags`: the checks' results already read back (one
    bool each); read here, in one copy, when not given."""
    checks = pending() if checks is None else checks
    if not checks:
        return
    if flags is None:
        xp = backend.array_module(checks[0][0])
        flags = backend.to_numpy(xp.stack([failed.reshape(()) for failed, _ in checks]))
    for flag, (_, explain) in zip(flags, checks):
        if flag:
            explain()
