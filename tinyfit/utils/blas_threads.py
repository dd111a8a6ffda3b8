"""How many BLAS threads a run of steps uses: chosen by timing the model's forward pass.

NumPy's matrix products run in a BLAS library (OpenBLAS, MKL) that starts one
thread per core. For a large product that is a gain; for the small ones of a
classroom model, handing work to other threads costs more than it saves, and
on a machine several kernels share, every process's threads fight for the
same cores: a run can take many times longer than it would on one thread.

No rule of thumb gets this right everywhere, so a run measures. Its first step
runs on one thread; then the model's forward pass on that batch is timed a few
times on one thread and on the library's own number, alternating, without
training and leaving no trace (no gradient, no assignment, no random draw),
and every later step runs on the faster (one thread unless more is clearly
faster). Where other work is running right now on the cores the threads
would need (Linux tells it in /proc/loadavg), it is one thread without
timing: waking threads on a busy machine costs every process on it, since
they spin a while waiting for more work. And a forward pass far slower on
many threads ends the timing at once. (The load average itself is not asked:
it trails the machine's state by a minute and counts this process's own
last run.)

Different thread counts add up a product's terms in a different order, so the
last bits of the results differ: the model remembers its choice (a later
evaluate or predict uses it at once, and BackupAndRestore saves it, so that a
resumed run computes exactly what the uninterrupted one would have). For
bit-identical runs anywhere, fix the count: `tinyfit.config.set_num_threads(1)`.
threadpoolctl changes the count; the library's own count comes back when the
run ends.
"""

from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, ContextManager, Iterator, MutableMapping

from .. import config

__all__ = ["StepThreads", "available_cores", "for_run"]

ROUNDS = 3  # timed forward passes on each count, alternated, so a change in load hits both
MARGIN = 0.10  # more threads must be at least this much faster to be kept
GIVE_UP = 3.0  # a many-thread pass this many times slower than one thread ends the timing at once
WARM_UP_SLACK = 0.002  # seconds a first many-thread pass may take beyond that for waking its threads

SAMPLES = 3  # reads of the runnable count, a millisecond apart: busy only if busy in each

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


def others_running(samples: int = SAMPLES, path: str = "/proc/loadavg") -> int | None:
    """How many threads of other work are ready to run right now (the fewest of a few reads),
    or None where the system does not say (not Linux)."""
    seen = []
    for i in range(samples):
        try:
            with open(path) as f:
                running = int(f.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return None
        seen.append(running - 1)  # this thread, reading, is one of them
        if i + 1 < samples:
            time.sleep(0.001)
    return max(min(seen), 0)


_library_count: int | None = None


def _library_threads() -> int:
    """The BLAS library's own thread count, never more than the cores this process may use.

    Read once, before any run limits it (a run inside another, like fit's validation, would
    otherwise read the outer run's limit)."""
    global _library_count
    if _library_count is None:
        counts = [info["num_threads"] for info in _blas().info()]
        _library_count = min(max(counts, default=1), available_cores())
    return _library_count


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
    """The thread count of one run (fit, evaluate or predict).

    Wrap each step in `with threads.step(forward):`, where `forward()` runs
    the model's forward pass on the step's batch, and call `close()` when
    the run ends (in a `finally`). Until a count is known, steps run on one
    thread; after the first, `forward` is timed to choose.

    Args:
        choices: where the chosen count is remembered between runs (a dict
            kept by the model), or None.
        key: the entry of `choices` for this kind of run ("train", "test", "predict").
        fixed: a count to use throughout (the user's setting), or None to choose.
        many: the count tried against one thread (the library's own).
        busy: whether other work already runs on the cores `many` would need (then one thread, no timing).
        scope: makes the `with` block the timing runs in (one that leaves no trace).
        clock: a function returning seconds; tests pass a fake one.
        limit: what sets the count: set(n) and restore(); tests pass a fake one.
    """

    def __init__(self, choices: MutableMapping[str, int] | None, key: str, *, fixed: int | None = None,
                 many: int = 1, busy: bool = False, scope: Callable[[], ContextManager] = nullcontext,
                 clock: Callable[[], float] = time.perf_counter, limit=None):
        self.choices, self.key = choices, key
        self.many = many
        self._scope, self._clock = scope, clock
        self._limit = limit if limit is not None else _Limit()
        # The user's count; else this kind's last choice; else any other kind's (a model's fit tells
        # its evaluate); else timing, unless there is only one thread to have or no core to spare.
        remembered = dict(choices or {})
        known = fixed or remembered.get(key) or next(iter(remembered.values()), None)
        self.chosen: int | None = known
        self._limit.set(1 if known is None else known)
        if known is None and (many <= 1 or busy):
            self._decide(1)

    @contextmanager
    def step(self, forward: Callable[[], Any] | None = None) -> Iterator[None]:
        """Runs one step on the count in force; after it, chooses the count if none is known yet."""
        yield
        if self.chosen is None and forward is not None:
            with self._scope():
                self._decide(self._time(forward))

    def _time(self, forward: Callable[[], Any]) -> int:
        """The faster count for `forward`: one thread unless `many` is clearly faster."""
        warm_up = {}
        for count in (1, self.many):  # a pass on each first (caches, waking threads): not compared closely
            self._limit.set(count)
            start = self._clock()
            forward()
            warm_up[count] = self._clock() - start
        if warm_up[self.many] > GIVE_UP * warm_up[1] + WARM_UP_SLACK:
            return 1  # already far slower on many threads: contention, no need to look further
        times: dict[int, list[float]] = {1: [], self.many: []}
        for _ in range(ROUNDS):
            for count in (1, self.many):
                self._limit.set(count)
                start = self._clock()
                forward()
                seconds = self._clock() - start
                if count != 1 and seconds > GIVE_UP * min(times[1]):
                    return 1
                times[count].append(seconds)
        one, many = statistics.median(times[1]), statistics.median(times[self.many])
        return self.many if many < (1 - MARGIN) * one else 1

    def _decide(self, threads: int) -> None:
        self.chosen = threads
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
    def step(self, forward: Callable[[], Any] | None = None) -> Iterator[None]:
        yield

    def close(self) -> None:
        pass


def for_run(choices: MutableMapping[str, int] | None, key: str, *, on_cpu: bool = True,
            scope: Callable[[], ContextManager] = nullcontext):
    """The thread plan of one run: a `StepThreads`, or one that changes nothing where the
    user's thread variable or a GPU decides. `scope` as in StepThreads."""
    source, count = config.thread_setting()
    if not on_cpu or (source in config.BLAS_VARIABLES):
        return _Untouched()
    if count is not None:
        return StepThreads(None, key, fixed=count)
    many = _library_threads()
    busy = False
    if many > 1 and not choices:  # the machine's state matters only where a choice is still to make
        others = others_running()
        busy = others is not None and others > available_cores() - many
    return StepThreads(choices, key, many=many, busy=busy, scope=scope)
