"""How many BLAS threads a run of steps uses: chosen by timing, and revisited when the steps slow down or speed up.

NumPy's matrix products run in a BLAS library (OpenBLAS, MKL) that starts one
thread per core. For a large product that is a gain; for the small ones of a
classroom model, handing work to other threads costs more than it saves, and
on a machine several kernels share, every process's threads fight for the
same cores: a run can take many times longer than it would on one thread.

The choice. No rule of thumb gets this right everywhere, so a run measures.
Its first step runs on one thread; then the pass the trainer hands over (run
without training and leaving no trace: no gradient, no assignment, no random
draw) is timed on one thread and on the library's own number: one untimed pass
on each first (caches, waking threads), then ROUNDS rounds, each a pass on one
count and at once on the other. Each round gives a ratio, the other count's
time over the count in force; a slow spell hits both passes of a round, so the
ratio keeps little of it, and the median of the ratios ignores the rounds a
spell split. The other count is taken only when that median is below
1 - MARGIN; anything closer keeps the count in force, which at the first choice
is one thread. So the same machine gives the same choice run after run: noise
of a few per cent cannot reach the margin, and ties go to one thread. Where
other work is running right now on the cores the threads would need (Linux
tells it in /proc/loadavg), it is one thread without timing: waking threads on
a busy machine costs every process on it, since they spin a while waiting for
more work. And a pass far slower on the other count ends the timing at once.
(The load average itself is not asked: it trails the machine's state by a
minute and counts this process's own last run.)

Revisits. A choice made at the first step goes stale when another process
starts training beside this one, or stops. So every step's time is kept (the
steps themselves, no extra work): the median of the first WINDOW steps on a
count is the reference, and once the median of the last WINDOW steps is
DRIFT times slower or faster than it, the count is timed again as above (a
few passes) and may change. Three things keep it from flapping: a step that
is merely noisy does not move a median of WINDOW; no revisit comes sooner
than SETTLE steps after the last one; and a change needs the other count to
be clearly faster (the margin) than the one in force. After a revisit the
reference is measured afresh, whatever it chose.

Exact resume. Different thread counts add up a product's terms in a different
order, so the last bits of the results differ. The model remembers its choice
(a later evaluate or predict uses it at once) and BackupAndRestore saves it. A
run with a callback that can resume it (one offering `resume_point`, as
BackupAndRestore does) never revisits: the count chosen at its first step, or
the backup's when it resumes, holds for the whole run, so a resumed run
computes exactly what the uninterrupted one would have. Elsewhere a revisit
may change the count mid-run, and so the last bits of what follows. For
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

ROUNDS = 7  # timed rounds, each a pass on both counts back to back: the median ratio decides
MARGIN = 0.10  # the other count must be at least this much faster than the one in force to be taken
GIVE_UP = 3.0  # a many-thread pass this many times slower than one thread ends the timing at once
WARM_UP_SLACK = 0.002  # seconds a first many-thread pass may take beyond that for waking its threads

WINDOW = 20  # steps whose median time is compared: the reference after a choice, and the latest
DRIFT = 1.5  # the latest median this many times slower or faster than the reference: time again
SETTLE = 100  # steps after a choice before the next revisit may come

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
    the pass that is timed (leaving no trace) on the step's batch, and call
    `close()` when the run ends (in a `finally`). Until a count is known,
    steps run on one thread; after the first, `forward` is timed to choose,
    and again when the steps' times drift (see the module's docstring).

    Args:
        choices: where the chosen count is remembered between runs (a dict
            kept by the model), or None.
        key: the entry of `choices` for this kind of run ("train", "test", "predict").
        fixed: a count to use throughout (the user's setting), or None to choose.
        many: the count tried against one thread (the library's own).
        busy: whether other work already runs on the cores `many` would need (then one thread, no timing).
        revisit: whether the count may change when the steps' times drift (False where a run must
            be resumable exactly: its count then holds from the first step to the last).
        scope: makes the `with` block the timing runs in (one that leaves no trace).
        clock: a function returning seconds; tests pass a fake one.
        limit: what sets the count: set(n) and restore(); tests pass a fake one.
    """

    def __init__(self, choices: MutableMapping[str, int] | None, key: str, *, fixed: int | None = None,
                 many: int = 1, busy: bool = False, revisit: bool = True,
                 scope: Callable[[], ContextManager] = nullcontext,
                 clock: Callable[[], float] = time.perf_counter, limit=None):
        self.choices, self.key = choices, key
        self.many = many
        self._scope, self._clock = scope, clock
        self._limit = limit if limit is not None else _Limit()
        self.revisits = 0  # how many times the count was timed again after a drift
        # The user's count; else this kind's last choice; else any other kind's (a model's fit tells
        # its evaluate); else timing, unless there is only one thread to have or no core to spare.
        remembered = dict(choices or {})
        known = fixed or remembered.get(key) or next(iter(remembered.values()), None)
        self.chosen: int | None = known
        self._watch = revisit and fixed is None and many > 1
        self._reference: float | None = None  # the median step time just after the choice
        self._recent: list[float] = []  # the latest step times, WINDOW at most
        self._since = 0  # steps since the last choice
        self._limit.set(1 if known is None else known)
        if known is None and (many <= 1 or busy):
            self._decide(1)

    @contextmanager
    def step(self, forward: Callable[[], Any] | None = None) -> Iterator[None]:
        """Runs one step on the count in force; after it, chooses the count if none is known yet,
        or times it again if the steps' times have drifted."""
        start = self._clock()
        yield
        if self.chosen is not None:
            if self._watch and self._drifted(self._clock() - start) and forward is not None:
                self.revisits += 1
                with self._scope():
                    self._decide(self._time(forward, self.chosen))
        elif forward is not None:
            with self._scope():
                self._decide(self._time(forward, 1))

    def _drifted(self, seconds: float) -> bool:
        """Notes a step's time; whether the latest steps' median has moved DRIFT times from the reference."""
        self._since += 1
        self._recent = (self._recent + [seconds])[-WINDOW:]
        if len(self._recent) < WINDOW:
            return False
        latest = statistics.median(self._recent)
        if self._reference is None:
            self._reference = latest  # the first WINDOW steps on this count
            return False
        if self._since < SETTLE or self._reference <= 0 or latest <= 0:
            return False
        return not (1 / DRIFT < latest / self._reference < DRIFT)

    def _time(self, forward: Callable[[], Any], current: int) -> int:
        """The count to run on: `current` unless the other count is clearly faster for `forward`."""
        other = self.many if current == 1 else 1
        warm_up = {}
        for count in (1, self.many):  # a pass on each first (caches, waking threads): not compared closely
            warm_up[count] = self._timed(forward, count)
        if warm_up[self.many] > GIVE_UP * warm_up[1] + WARM_UP_SLACK:
            return 1  # already far slower on many threads: contention, no need to look further
        ratios = []
        for _ in range(ROUNDS):
            times = {count: self._timed(forward, count) for count in (1, self.many)}
            if times[self.many] > GIVE_UP * times[1]:
                return 1
            ratios.append(times[other] / times[current] if times[current] > 0 else 1.0)
        return other if statistics.median(ratios) < 1 - MARGIN else current

    def _timed(self, forward: Callable[[], Any], count: int) -> float:
        self._limit.set(count)
        start = self._clock()
        forward()
        return self._clock() - start

    def _decide(self, threads: int) -> None:
        self.chosen = threads
        self._limit.set(threads)
        self._reference, self._recent, self._since = None, [], 0  # measured afresh on this count
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


def for_run(choices: MutableMapping[str, int] | None, key: str, *, on_cpu: bool = True, revisit: bool = True,
            scope: Callable[[], ContextManager] = nullcontext):
    """The thread plan of one run: a `StepThreads`, or one that changes nothing where the
    user's thread variable or a GPU decides. `revisit` and `scope` as in StepThreads."""
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
    return StepThreads(choices, key, many=many, busy=busy, revisit=revisit, scope=scope)
