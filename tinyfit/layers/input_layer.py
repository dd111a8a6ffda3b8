"""Input: where a functional model's graph starts.

`keras.Input(shape=(784,), name="digits")` makes an InputLayer and returns its
output, a KerasTensor of shape (None, 784): None is the batch axis, whose size
is only known when data arrives. Layers called on it build the model's graph.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import as_dtype
from .layer import Layer
from .symbolic import KerasTensor, Node


class InputLayer(Layer):
    """The layer behind `Input`: it has no weights and passes data through.

    Args:
        shape: the shape of one sample (without the batch axis); None for sizes
            that vary (e.g. (None, 10) for sequences of any length).
        batch_size: a fixed batch size, if the model needs one (rarely).
        dtype: the dtype of the data (default "float32").
        batch_shape: the full shape including the batch axis, instead of shape/batch_size.
        name: the input's name; data dicts are matched to inputs by it.
    """
    supports_jit = True

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 sparse: bool | None = None, batch_shape: Any = None, name: str | None = None, **kwargs: Any):
        if sparse:
            raise ValueError("Input: sparse=True is not supported; tinyfit tensors are dense. Leave sparse unset.")
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.batch_shape = _batch_shape(shape, batch_size, batch_shape)
        self.built = True
        self._output = KerasTensor(self.batch_shape, dtype=as_dtype(self.dtype), name=self.name)
        Node(self, (), {}, self._output)

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "name": self.name}


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None, sparse: bool | None = None,
          batch_shape: Any = None, name: str | None = None) -> KerasTensor:
    """A symbolic input for a functional model: a KerasTensor of shape (batch_size, *shape).

    >>> x = Input(shape=(784,), name="digits")
    >>> x.shape
    (None, 784)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name)
    return layer._output


def _batch_shape(shape: Any, batch_size: int | None, batch_shape: Any) -> tuple:
    if batch_shape is not None:
        if shape is not None:
            raise ValueError("Input: give either shape= (one sample) or batch_shape= (with the batch axis), not both.")
        full = tuple(batch_shape)
    else:
        if shape is None:
            raise ValueError(
                "Input: shape= is required: the shape of one sample without the batch axis, "
                "e.g. Input(shape=(784,)) for vectors of 784 numbers."
            )
        full = (batch_size,) + ((shape,) if isinstance(shape, int) else tuple(shape))
    for n in full:
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
            raise ValueError(f"Input: sizes must be whole numbers >= 0 or None, got shape {full[1:]}.")
    return full
