"""Variable: a named Tensor whose values change in place (weights, optimizer and metric state).

Layers create their weights as Variables, optimizers update them with `assign`,
and metrics keep their running totals in them. Updating in place keeps the
object the same, so every list that holds it (a layer's weights, an optimizer's
slots) sees the new values.
"""

from __future__ import annotations

import contextlib
import itertools
from contextvars import ContextVar
from typing import Any, Iterator

import numpy

from .. import backend
from . import function as _function
from .tensor import Tensor, as_dtype

_ids = itertools.count()

# While `assignments_undone()` runs: every Variable assigned in it, with its value from before.
_undo_log: ContextVar[dict[int, tuple["Variable", Any]] | None] = ContextVar("tinyfit_undo_log", default=None)


@contextlib.contextmanager
def assignments_undone() -> Iterator[None]:
    """Runs the block, then puts back every Variable that assign/assign_add/assign_sub changed in it.

    Shape inference runs a layer's call on made-up data inside this, so a layer
    that counts its calls (`self.total.assign_add(1.0)`) counts only real ones.
    Scopes nest; each thread (and asyncio task) has its own.
    """
    log: dict[int, tuple[Variable, Any]] = {}
    token = _undo_log.set(log)
    try:
        yield
    finally:
        _undo_log.reset(token)
        for variable, value in log.values():
            variable.data[...] = value


@contextlib.contextmanager
def assignments_kept() -> Iterator[None]:
    """Inside assignments_undone(): a block whose assignments stay (a layer building its weights)."""
    token = _undo_log.set(None)
    try:
        yield
    finally:
        _undo_log.reset(token)


class Variable(Tensor):
    """A Tensor with a name, a `trainable` flag, and in-place `assign` methods.

    Args:
        initializer: the initial value (number, list, array, Tensor) or a callable
            `initializer(shape, dtype)` returning one.
        shape: needed when `initializer` is a callable.
        dtype: defaults to float32.
        trainable: trainable Variables get gradients (`requires_grad=True`).
        name: a readable name (made unique by the caller, e.g. a layer).
    """

    def __init__(self, initializer: Any, shape: Any = None, dtype: Any = None,
                 trainable: bool = True, name: str | None = None):
        if callable(initializer) and not isinstance(initializer, Tensor):
            if shape is None:
                raise ValueError(
                    f"Variable {name or ''}: an initializer function needs a shape; pass shape=(...)."
                )
            value = initializer(tuple(shape), as_dtype(dtype or "float32", "Variable").name)
        else:
            value = initializer
        dtype = as_dtype(dtype, "Variable") if dtype is not None else None
        super().__init__(value, dtype=dtype)
        if shape is not None and tuple(self.shape) != tuple(shape):
            raise ValueError(
                f"Variable {name or ''}: the initial value has shape {self.shape} but shape={tuple(shape)} was given."
            )
        # Own the buffer: assign() writes into it, and must never write into an
        # array the caller still holds.
        self.data = self.data.copy()
        self.trainable = bool(trainable) and self.dtype.kind == "f"
        self.requires_grad = self.trainable
        self.name = name or f"variable_{next(_ids)}"
        self.path = self.name

    # A Variable is a leaf for as long as it lives; changing `trainable` later
    # (freezing a layer) must switch gradients off too.
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = self._trainable

    @property
    def value(self) -> "Variable":
        return self

    def _incoming(self, value: Any, method: str):
        if _function._recording is not None:  # a compiled step replays this assignment (autograd/recorder.py)
            _function._recording.note_assign(self, method, value)
        data = value.data if isinstance(value, Tensor) else value
        xp = backend.array_module(self.data)
        if backend.is_array(data) and backend.device_of(data) != self.device:
            data = backend.to_device(data, self.device)
        data = xp.asarray(data, dtype=self.dtype)
        if data.shape != self.shape and data.size != 1:
            raise ValueError(
                f"{method}: Variable {self.name!r} has shape {self.shape}, the new value has shape "
                f"{data.shape}. Assign a value of the same shape."
            )
        return data

    def _remember(self) -> None:
        """Inside assignments_undone(): keeps the value from before the first change, to put back."""
        log = _undo_log.get()
        if log is not None and id(self) not in log:
            log[id(self)] = (self, self.data.copy())

    def assign(self, value: Any) -> "Variable":
        """Overwrites the values in place (the object stays the same)."""
        data = self._incoming(value, "assign")
        self._remember()
        self.data[...] = data
        return self

    def assign_add(self, value: Any) -> "Variable":
        data = self._incoming(value, "assign_add")
        self._remember()
        self.data += data
        return self

    def assign_sub(self, value: Any) -> "Variable":
        data = self._incoming(value, "assign_sub")
        self._remember()
        self.data -= data
        return self

    def __repr__(self) -> str:
        # One line, so that a list of weights (layer.weights) stays readable;
        # small values are shown, large ones are a print(v.numpy()) away.
        values = ""
        if self.size <= 8:
            values = ", value=" + numpy.array2string(self.numpy(), separator=", ").replace("\n", "")
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"trainable={self.trainable}{values}>")

