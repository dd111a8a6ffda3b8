"""Session-wide state as keras.utils exposes it: clear_session, and is_keras_tensor."""

from __future__ import annotations

import gc
from typing import Any


def clear_session(free_memory: bool = True) -> None:
    """Starts the automatic layer names again ("dense", "dense_1", ... from the top).

    Call it before building a model again in the same notebook or loop, so
    its layers get the same names as the first time (and weights saved by
    name load into it).

    Args:
        free_memory: also run Python's garbage collector, so the arrays of
            models no longer referenced are freed now. Defaults to True.
    """
    from ..layers.naming import reset_names

    reset_names()
    if free_memory:
        gc.collect()


def is_keras_tensor(x: Any) -> bool:
    """Whether `x` is a symbolic tensor (made by keras.Input, or by calling layers on one).

    Symbolic tensors describe a functional model's graph: they have a shape
    and a dtype but no values, unlike a Tensor or an array.
    """
    from ..layers.symbolic import KerasTensor

    return isinstance(x, KerasTensor)
