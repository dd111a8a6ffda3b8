"""Session-wide state as keras.utils exposes it: clear_session, and is_keras_tensor."""

from __future__ import annotations

import gc
from typing import Any, Callable

# What clear_session resets: each part that keeps session-wide state (the layers, their
# automatic names) hands its reset here when it is imported, so this module needs none of them.
_resets: list[Callable[[], None]] = []


def on_clear_session(reset: Callable[[], None]) -> None:
    """Has `clear_session` call `reset()` (once, however often this is called with it)."""
    if reset not in _resets:
        _resets.append(reset)


def clear_session(free_memory: bool = True) -> None:
    """Starts the automatic layer names again ("dense", "dense_1", ... from the top).

    Call it before building a model again in the same notebook or loop, so
    its layers get the same names as the first time (and weights saved by
    name load into it).

    Args:
        free_memory: also run Python's garbage collector, so the arrays of
            models no longer referenced are freed now. Defaults to True.
    """
    for reset in _resets:
        reset()
    if free_memory:
        gc.collect()


def is_keras_tensor(x: Any) -> bool:
    """Whether `x` is a symbolic tensor (made by keras.Input, or by calling layers on one).

    Symbolic tensors describe a functional model's graph: they have a shape
    and a dtype but no values, unlike a Tensor or an array.
    """
    # A symbolic tensor is what tinyfit.ops hands its calls to (layers' KerasTensor has the method).
    return hasattr(type(x), "__tinyfit_symbolic_apply__")
