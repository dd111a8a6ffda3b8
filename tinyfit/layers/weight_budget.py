"""Caps on what layers may allocate while a file's config is rebuilt.

A loader builds a model from a config it read from a file before the file's arrays are
read; a forged config (Dense(units=10**9)) would otherwise allocate gigabytes for a file of
a few kilobytes. Inside `weight_budget(limit, refuse)`:
- every weight a layer adds is counted first, and one that would take the total past
  `limit` numbers raises `refuse(message)` before anything is allocated;
- a layer is called on made-up inputs (to learn its output shape, see probe.py) only if
  they hold at most MAX_SAMPLE_NUMBERS per sample: a weight-free layer
  (RepeatVector(10**9), UpSampling2D(size=10**6)) would otherwise make the next layer's
  made-up input huge.
Outside it, nothing is counted.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator

__all__ = ["weight_budget", "charge_weight", "charge_probe", "MAX_SAMPLE_NUMBERS"]

# Numbers in one sample of any tensor of a model being loaded: 4096 x 4096, far past what a
# class trains, and small enough that the made-up batches of 2-3 samples stay in memory.
MAX_SAMPLE_NUMBERS = 2**24

_local = threading.local()


@contextlib.contextmanager
def weight_budget(limit: int, refuse: Callable[[str], Exception]) -> Iterator[None]:
    """Within the block, layers may create weights of at most `limit` numbers in all."""
    outer = getattr(_local, "budget", None)
    _local.budget = [int(limit), refuse]
    try:
        yield
    finally:
        _local.budget = outer


def charge_weight(layer: str, name: str | None, shape: tuple[int, ...]) -> None:
    """Counts a weight about to be created against the budget; raises the budget's refusal past it."""
    budget = getattr(_local, "budget", None)
    if budget is None:
        return
    count = 1
    for size in shape:
        count *= int(size)
    if count > budget[0]:
        raise budget[1](f"layer '{layer}' would create weight '{name or 'variable'}' of shape {tuple(shape)} "
                        f"({count} numbers), more than the file's arrays hold (room for {budget[0]} more); its "
                        f"config does not match its arrays")
    budget[0] -= count


def charge_probe(layer: str, shape: tuple[int, ...]) -> None:
    """Refuses, inside a budget, a made-up input of `shape` (batch first) over MAX_SAMPLE_NUMBERS a sample."""
    budget = getattr(_local, "budget", None)
    if budget is None:
        return
    count = 1
    for size in shape[1:]:
        count *= int(size)
    if count > MAX_SAMPLE_NUMBERS:
        raise budget[1](f"layer '{layer}' would be built on inputs of shape (None, {', '.join(map(str, shape[1:]))})"
                        f" ({count} numbers per sample, over the {MAX_SAMPLE_NUMBERS} a loaded model may have); "
                        f"its config asks for tensors that no saved model holds")
