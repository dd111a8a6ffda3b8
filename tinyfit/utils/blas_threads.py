"""How many BLAS threads a run of steps uses: chosen by timing a few of them.

NumPy's matrix products run in a BLAS library (OpenBLAS, MKL) that starts one
thread per core. For a large product that is a gain; for the small ones of a
classroom model, handing work to other threads costs more than it saves, and
on a machine several kernels share, every process's threads fight for the
same cores: a run can take many times longer than it would on one thread.

No rule of thumb gets this right everywhere, so a run measures: after two
warm-up steps on one thread it times a few steps on one thread and a few on
the library's own number, alternating, and keeps the faster for the rest of
the run (one thread unless more is clearly faster). A machine already busy
(its load average near its core count) gets one thread without a trial, and
a trial step far slower on many threads ends the trial at once: there, extra
threads only fight for cores. The model remembers the choice, so a later evaluate or
predict uses it at once. threadpoolctl changes the count; the library's own
count comes back when the run ends.

`tinyfit.config.set_num_threads(n)` (or a thread variable) takes the choice over.
"""

from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager
from typing import Callable, Iterator, MutableMapping

from .. import config

__all__ = ["StepThreads", "available_cores", "for_run"]

WARMUP_STEPS = 2  # the first steps pay for allocation and caches: never timed
BLOCK_STEPS = 4  # steps in a row on one thread count; the first after a switch is not timed
ROUNDS = 2  # one-thread and many-thread blocks, alternated, so a change in load hits both
MARGIN = 0.10  # more threads must be at least this much faster to be kept
GIVE_UP = 3.0  # a many-thread step this many times slower than one thread ends the trial at once
BUSY = 0.5  # a load average within this of the core count: the machine is busy, one thread without a trial

_controller = None


def _blas():
    """threadpoolctl's controller of the BLAS libraries loaded in this process (made once: it scans them)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _library_threads() -> int:
    """The BLAS library's own thread count, never more than the cores this process may use."""
    counts = [info["num_threads"] for info in _blas().info()]
    return min(max(counts, default=1), available_cores())


class _Limit:
    """Sets the BLAS thread count now; restore() gives the libraries their own count back."""

    def __init__(self):
        self._limiter = None

    def set(self, threads: int) -> None:
        self.restore()  # a few times a run at most: each limiter remembers the counts it found
        self._limiter = _blas().limit(limits=threads)

    def restore(self) -> None:
        if self._limiter is not None:
            self._limiter.restore_original_limits()
            self._limiter = None


class StepThreads:
    """The thread count of one run (fit, evaluate or predict), chosen while its steps run.

    Wrap each step in `with threads.step():`, and call `close()` when the run
    ends (in a `finally`). The trial runs the first steps on one thread (the
    warm-up, then a block), then a block on `many`, and once more each; a
    many-thread step much slower than one thread ends it early (on a busy
    machine such a step can take many times longer, and the trial must not
    cost more than it saves).

    Args:
        choices: where the chosen count is remembered between runs (a dict
            kept by the model), or None.
        key: the entry of `choices` for this kind of run ("train", "test", "predict").
        fixed: a count to use throughout (the user's setting), or None to choose.
        many: the count tried against one thread (the library's own).
        busy: whether the machine is already busy (then one thread, no trial).
        clock: a function returning seconds; tests pass a fake one.
        limit: what sets the count: set(n) and restore(); tests pass a fake one.
    """

    def __init__(self, choices: MutableMapping[str, int] | None, key: str, *, fixed: int | None = None,
                 many: int = 1, busy: bool = False, clock: Callable[[], float] = time.perf_counter, limit=None):
        self.choices, self.key = choices, key
        self.many = many
        self._clock = clock
        self._limit = limit if limit is not None else _Limit()
        self._times: dict[int, list[float]] = {1: [], many: []}
        self._step = 0
        # The user's count; else this kind's last choice; else any other kind's (a model's fit tells
        # its evaluate); else a trial, unless there is only one thread to have or no core to spare.
        remembered = dict(choices or {})
        known = fixed or remembered.get(key) or next(iter(remembered.values()), None)
        if known is None and (many <= 1 or busy):
            known = 1
        self.chosen: int | None = known
        self._current = 1 if known is None else known
        self._limit.set(self._current)

    def _count_for(self, step: int) -> int:
        """The count the trial runs step `step` (from 0) on."""
        block = max(step - WARMUP_STEPS, 0) // BLOCK_STEPS
        return 1 if block % 2 == 0 else self.many

    @contextmanager
    def step(self) -> Iterator[None]:
        """Runs one step, on the chosen count or, during the trial, on the count being timed."""
        if self.chosen is not None:
            yield
            return
        count = self._count_for(self._step)
        switched = count != self._current  # the first step after a switch is not timed
        if switched:
            self._limit.set(count)
            self._current = count
        start = self._clock()
        yield
        seconds = self._clock() - start
        self._step += 1
        if self._step <= WARMUP_STEPS:
            return
        if count != 1 and self._times[1] and seconds > GIVE_UP * statistics.median(self._times[1]):
            self._decide(1)  # far slower on many threads: contention, no need to look further
        elif not switched:
            self._times[count].append(seconds)
        if self.chosen is None and self._step == WARMUP_STEPS + 2 * ROUNDS * BLOCK_STEPS:
            one, many = statistics.median(self._times[1]), statistics.median(self._times[self.many])
            self._decide(self.many if many < (1 - MARGIN) * one else 1)

    def _decide(self, threads: int) -> None:
        self.chosen = self._current = threads
        self._limit.set(threads)
        if self.choices is not None:
            self.choices[self.key] = threads

    def close(self) -> None:
        """Gives the BLAS libraries their own thread count back."""
        self._limit.restore()


class _Untouched:
    """A run that leaves the threads alone (a thread variable is set, or the arrays are on a GPU)."""

    chosen = None

    @contextmanager
    def step(self) -> Iterator[None]:
        yield

    def close(self) -> None:
        pass


def for_run(choices: MutableMapping[str, int] | None, key: str, *, on_cpu: bool = True):
    """The thread plan of one run: a `StepThreads`, or one that changes nothing where the
    user's thread variable or a GPU decides."""
    source, count = config.thread_setting()
    if not on_cpu or (source in config.BLAS_VARIABLES):
        return _Untouched()
    if count is not None:
        return StepThreads(None, key, fixed=count)
    cores = available_cores()
    try:
        busy = os.getloadavg()[0] > cores - BUSY
    except (AttributeError, OSError):  # not on a Unix
        busy = False
    return StepThreads(choices, key, many=_library_threads(), busy=busy)
