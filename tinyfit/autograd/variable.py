"""Variable: a named Tensor whose values change in place (weights, optimizer and metric state).

Layers create their weights as Variables, optimizers update them with `assign`,
and metrics keep their running totals in them. Updating in place keeps the
object the same, so every list that holds it (a layer's weights, an optimizer's
slots) sees the new values.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy

from .. import backend
from .tensor import Tensor, as_dtype

_ids = itertools.count()


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

    def assign(self, value: Any) -> "Variable":
        """Overwrites the values in place (the object stays the same)."""
        self.data[...] = self._incoming(value, "assign")
        return self

    def assign_add(self, value: Any) -> "Variable":
        self.data += self._incoming(value, "assign_add")
        return self

    def assign_sub(self, value: Any) -> "Variable":
        self.data -= self._incoming(value, "assign_sub")
        return self

    def __repr__(self) -> str:
        # One line, so that a list of weights (layer.weights) stays readable;
        # small values are shown, large ones are a print(v.numpy()) away.
        values = ""
        if self.size <= 8:
            values = ", value=" + numpy.array2string(self.numpy(), separator=", ").replace("\n", "")
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"trainable={self.trainable}{values}>")

