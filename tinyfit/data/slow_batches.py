"""One warning for a batch that takes far longer than the others.

A `__getitem__` that hangs (a lock inherited while held, a read that never
returns) would otherwise stop training without a word. Nothing is killed and
nothing times out: a batch may be slow for good reasons that only its author
knows. A batch still being prepared after SLOW_FACTOR times the median time of
the batches finished so far, and at least SLOW_AFTER_S seconds (or after
FIRST_SLOW_AFTER_S while no batch has finished yet), gets one RuntimeWarning
naming its index.
"""

from __future__ import annotations

import collections
import statistics
import warnings

SLOW_FACTOR = 10.0
SLOW_AFTER_S = 5.0
FIRST_SLOW_AFTER_S = 60.0  # the first batches may include a worker's start-up (imports, opening files)
_REMEMBERED = 256  # recent batches are what "the others" means


class SlowBatchWatch:
    """Remembers how long batches took and warns, once per batch, about one far slower than those."""

    def __init__(self, name: str):
        self._name = name
        self._durations: collections.deque = collections.deque(maxlen=_REMEMBERED)
        self._warned: set[int] = set()

    def finished(self, seconds: float) -> None:
        """Records how long a batch took to prepare."""
        self._durations.append(seconds)

    def check(self, running: dict[int, float]) -> None:
        """Warns about each batch in `running` (index: seconds so far) past the limit, once per index."""
        median = statistics.median(self._durations) if self._durations else None
        limit = FIRST_SLOW_AFTER_S if median is None else max(SLOW_FACTOR * median, SLOW_AFTER_S)
        for index, elapsed in sorted(running.items()):
            if elapsed <= limit or index in self._warned:
                continue
            self._warned.add(index)
            others = ("no batch has finished yet" if median is None
                      else f"the median batch took {median:.3g} s")
            warnings.warn(
                f"{self._name}.__getitem__({index}) has been running for {elapsed:.1f} s and {others}; "
                "training waits for this batch. Nothing is stopped: if it hangs, interrupt training "
                "(Ctrl-C) and look at what it waits on (a lock, a file, the network).",
                RuntimeWarning, stacklevel=2)
