"""Which batches each epoch of fit() sees, and how many steps evaluate/predict take.

The data adapter cuts the data into batches; this decides how many of them make
an epoch (all of them, or `steps_per_epoch`) and where the next epoch starts.
"""

from __future__ import annotations

from typing import Any

from .arguments import check_positive_int


class EpochIterator:
    """fit's batches: one full pass per epoch, or with steps_per_epoch that many
    batches per epoch, each epoch going on where the last one stopped (a new,
    reshuffled pass starts when the data runs out)."""

    def __init__(self, adapter: Any, steps_per_epoch: int | None):
        self.adapter = adapter
        self.steps = steps_per_epoch or adapter.num_batches
        self._continuing = steps_per_epoch is not None
        self._pass = None

    def next_epoch(self):
        if not self._continuing:
            yield from enumerate(self.adapter.batches())
            return
        for step in range(self.steps):
            batch = next(self._pass, None) if self._pass is not None else None
            if batch is None:
                self._pass = self.adapter.batches()
                batch = next(self._pass)
            yield step, batch


def steps_for(caller: str, name: str, steps: int | None, adapter) -> int:
    if steps is None:
        return adapter.num_batches
    check_positive_int(caller, name, steps)
    if steps > adapter.num_batches:
        raise ValueError(
            f"{caller}: {name}={steps} but the data holds only {adapter.num_batches} batches of "
            f"{adapter.batch_size} ({adapter.num_samples} samples); use at most {adapter.num_batches}."
        )
    return steps


def take(batches, n: int):
    for step, batch in enumerate(batches):
        if step >= n:
            break
        yield step, batch
