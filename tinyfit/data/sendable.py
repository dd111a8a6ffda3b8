"""Whether a dataset can be sent to worker processes that start a fresh Python.

Workers started with 'spawn' or 'forkserver' receive the dataset pickled, and its
classes by name, imported again in the worker. When that cannot work, the check
walks the dataset as pickle would and names each part that cannot travel (its
attribute path and what it is), with the fix for that kind of object. Workers
started with 'fork' inherit the dataset and are never checked.
"""

from __future__ import annotations

import io
# Only to test, in memory, whether the dataset could be pickled; the bytes are discarded and
# nothing is ever unpickled here.
import pickle
import socket
import sys
import threading
import types
from typing import Any, Iterator

_MOST_REPORTED = 8  # a dataset with more broken parts than this has the same fix for the rest
_DEEPEST = 20

_LOCKS = (type(threading.Lock()), type(threading.RLock()))
_SYNCHRONIZERS = (threading.Condition, threading.Semaphore, threading.Event, threading.Barrier)
# Pickled by name or refused as a whole: nothing inside them is worth naming.
_OPAQUE = (type, set, frozenset, types.ModuleType, types.FunctionType, types.MethodType, types.BuiltinFunctionType)
_LAZY = "create it inside __getitem__ (each worker then makes its own, on first use) instead of in __init__"
_IMPORTABLE = "define it at the top level of a .py module and import it from there"


def check_can_send(dataset: Any, start_method: str) -> None:
    """Raises a TypeError naming each part of `dataset` that workers started by `start_method` cannot receive."""
    if _pickle_error(dataset) is None:
        return
    found: list[tuple[str, Any]] = []
    _collect(dataset, "dataset", found, set(), 0)
    lines = [f"  {path}: {what}; {fix}." for path, (what, fix) in
             ((path, _describe(obj)) for path, obj in found[:_MOST_REPORTED])]
    if len(found) > _MOST_REPORTED:
        lines.append(f"  ... and {len(found) - _MOST_REPORTED} more.")
    raise TypeError(
        f"{type(dataset).__name__} cannot be sent to worker processes started with {start_method!r} "
        f"(use_multiprocessing=True): they receive the dataset pickled, and this cannot be pickled:\n"
        + "\n".join(lines)
        + "\nOr use threads (use_multiprocessing=False), which share the dataset as it is."
    )


def _collect(obj: Any, path: str, found: list, seen: set, depth: int) -> None:
    """Appends (path, object) for each smallest part of `obj`, itself unpicklable, that cannot be pickled."""
    if id(obj) in seen or len(found) > _MOST_REPORTED:
        return
    seen.add(id(obj))
    before = len(found)
    if depth < _DEEPEST and _kind(obj) is None:
        if not isinstance(obj, (dict, list, tuple, *_OPAQUE)) and _pickle_error(type(obj)) is not None:
            found.append((f"{path}.__class__", type(obj)))
        for child_path, child in _parts(obj, path):
            if _pickle_error(child) is not None:
                _collect(child, child_path, found, seen, depth + 1)
    if len(found) == before:  # nothing inside is to blame: the object itself is
        found.append((path, obj))


def _parts(obj: Any, path: str) -> Iterator[tuple[str, Any]]:
    """What pickle would send for `obj`, each with the path a user would write to reach it."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield f"{path}[{key!r}]", value
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield f"{path}[{i}]", value
    elif not isinstance(obj, _OPAQUE):
        try:
            reduced = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - the object refuses to be pickled: it is the part to blame
            return
        state = reduced[2] if isinstance(reduced, tuple) and len(reduced) > 2 else None
        if isinstance(state, tuple) and len(state) == 2 and all(s is None or isinstance(s, dict) for s in state):
            state = {**(state[0] or {}), **(state[1] or {})}  # (__dict__, __slots__ values)
        if isinstance(state, dict):
            for name, value in state.items():
                yield f"{path}.{name}", value
        elif state is not None:
            yield f"{path}.__getstate__()", state


def _kind(obj: Any) -> tuple[str, str] | None:
    """(what it is, how to fix it) for the objects that never travel between processes."""
    if isinstance(obj, io.IOBase):
        return "an open file", "open it inside __getitem__ (each worker then opens its own) instead of in __init__"
    if isinstance(obj, socket.socket):
        return "an open connection", _LAZY
    if isinstance(obj, _LOCKS):
        return "a lock", _LAZY
    if isinstance(obj, _SYNCHRONIZERS):
        return "a synchronization object holding a lock", _LAZY
    if isinstance(obj, threading.Thread):
        return "a thread", "start it inside the worker, from __getitem__, instead of in __init__"
    if isinstance(obj, types.GeneratorType):
        return "a generator", "keep what it reads (a list, an array, file names) and index that in __getitem__"
    if isinstance(obj, types.ModuleType):
        return "a module", "import it at the top of the module that defines the dataset instead of storing it"
    return None


def _describe(obj: Any) -> tuple[str, str]:
    kind = _kind(obj)
    if kind is not None:
        name = _type_name(type(obj))
        return (kind[0] if kind[0].endswith(f" {name}") else f"{kind[0]} ({name})"), kind[1]
    if isinstance(obj, type) or (callable(obj) and hasattr(obj, "__qualname__")):
        what = "the class" if isinstance(obj, type) else "the function"
        qualname = f"{obj.__module__}.{obj.__qualname__}"
        if obj.__qualname__ == "<lambda>" or ".<lambda>" in obj.__qualname__:
            return f"a lambda ({qualname})", "give it a name with def at the top level of a .py module"
        if "<locals>" in obj.__qualname__:
            return f"{what} {qualname}, defined inside a function", _IMPORTABLE
        if _in_notebook(obj):
            return f"{what} {qualname}, defined in a notebook or interactive session", _IMPORTABLE
    error = _pickle_error(obj)
    return f"an object of type {_type_name(type(obj))} ({type(error).__name__}: {error})", _LAZY


def _type_name(cls: type) -> str:
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _in_notebook(obj: Any) -> bool:
    # A worker started afresh imports the classes it receives by name; a notebook's or an
    # interactive session's __main__ has no file it could import them from.
    return getattr(obj, "__module__", None) == "__main__" and not hasattr(sys.modules.get("__main__"), "__file__")


def _pickle_error(obj: Any) -> Exception | None:
    try:
        _Probe().dump(obj)
    except Exception as error:  # noqa: BLE001 - any failure means it cannot be sent
        return error
    return None


class _Probe(pickle.Pickler):
    """Pickles into nothing (arrays are handed over out of band, so this costs no copy)."""

    def __init__(self):
        super().__init__(_Discard(), protocol=5, buffer_callback=lambda buffer: None)

    def reducer_override(self, obj: Any) -> Any:
        # Pickling a class or function by name succeeds here, yet fails in the worker that
        # imports it: refuse those from a notebook now, so that they are reported.
        if isinstance(obj, (type, types.FunctionType)) and _in_notebook(obj):
            raise pickle.PicklingError(f"{obj.__qualname__} is defined in a notebook and cannot be imported")
        return NotImplemented


class _Discard:
    def write(self, data: Any) -> int:
        return len(data)
