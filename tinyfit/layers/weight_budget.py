"""A cap on the numbers that layers may create as weights while a file's config is rebuilt.

A loader builds a model from a config it read from a file before the file's arrays are
read; a forged config (Dense(units=10**9)) would otherwise allocate gigabytes for a file of
a few kilobytes. Inside `weight_budget(limit, refuse)`, every weight a layer adds is counted
first, and one that would take the total past `limit` numbers raises `refuse(message)`
before anything is allocated. Outside it, add_weight counts nothing.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator

__all__ = ["weight_budget", "charge_weight"]

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
