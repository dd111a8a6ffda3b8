"""Logs read when someone looks: a step's metric values stay where they were computed until then.

A training step leaves each metric's value as a 0-d tensor. On a GPU, reading one
back (`float(x)`) waits for the device and copies across, so reading every value
of every step would cost a synchronisation per value per step, for figures that
nobody may look at (`verbose=0`, no callback reading batch logs). The training
loop therefore hands the values on unread; `read_logs` turns them into Python
floats when a callback, the progress bar or the epoch's end needs them, copying
all of a step's single numbers across in one transfer.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.ops import deferred_checks
from ..autograd.tensor import Tensor

__all__ = ["read_logs", "unread"]


def unread(value: Any) -> bool:
    """Whether a log value still sits in an array or tensor (not yet a Python number)."""
    return isinstance(value, Tensor) or backend.is_array(value)


def read_logs(logs: dict[str, Any] | None) -> dict[str, Any] | None:
    """Reads every value of `logs` in place: single numbers become Python floats (those on a
    device copied over together, in one transfer), several numbers a NumPy array; returns `logs`."""
    checks = deferred_checks.pending()  # the step's data checks a GPU left to settle now
    pending = [key for key, value in (logs or {}).items() if unread(value)]
    if not pending:
        deferred_checks.settle(checks)
        return logs
    single: dict[Any, list[str]] = {}  # array module -> the names of its one-number values
    for key in pending:
        data = logs[key].data if isinstance(logs[key], Tensor) else logs[key]
        if data.size == 1:
            single.setdefault(backend.array_module(data), []).append(key)
        else:  # a per-class result: logged as a NumPy array, as Keras does
            logs[key] = backend.to_numpy(data)
    flags = None
    for xp, keys in single.items():
        arrays = [(logs[k].data if isinstance(logs[k], Tensor) else logs[k]).reshape(()).astype("float64")
                  for k in keys]
        ride = checks and backend.array_module(checks[0][0]) is xp  # the checks come back in the same copy
        if ride:
            arrays += [failed.reshape(()).astype("float64") for failed, _ in checks]
        values = backend.to_numpy(xp.stack(arrays)).tolist()
        if ride:
            values, flags = values[:len(keys)], values[len(keys):]
        for key, value in zip(keys, values):
            logs[key] = value
    deferred_checks.settle(checks, flags)
    return logs
