"""An ordered, bounded pool of workers that fetch `dataset[index]` in parallel.

Threads by default (they share memory and start at once; NumPy, file reads and
sleeps release the GIL, so they overlap), processes on request (for Python-heavy
work). Batches come back in the order asked for, each exactly once, with at most
`max_queue_size` requested ahead of the consumer. A failing `__getitem__` is
raised in the consumer, naming the index; however the consumer stops (end of the
pass, an exception, Ctrl-C), every worker is stopped and joined. A batch far
slower than the others is reported once (slow_batches.py), never stopped.

Worker processes end with the training process, however it ends (parent_watch.py).
One that ends while the pool still runs, with whatever exit status, is an error
naming the batch it was preparing: its result will never come.

Worker processes start the way multiprocessing starts them by default (or as the
user set with multiprocessing.set_start_method). Under 'fork' they inherit the
dataset: nothing is pickled and its arrays are shared until written to. Under
'spawn' and 'forkserver' each receives the dataset pickled, so it is checked first
(see sendable.py). Batches always come back pickled.
"""

from __future__ import annotations

import collections
import itertools
import multiprocessing
# Only to pass batches between this process and the worker processes it started itself, in
# memory, as multiprocessing does under the hood; nothing read from a file is ever unpickled.
import pickle
import queue
import signal
import threading
import time
import traceback
import warnings
from typing import Any, Iterable, Iterator

from .parent_watch import ParentWatch, watch_parent
from .sendable import check_can_send
from .slow_batches import SlowBatchWatch

_POLL_S = 0.1  # how often a waiting consumer checks that the workers are still alive
_JOIN_S = 5.0  # how long closing waits for a worker before giving up on it (threads) or killing it
_IDLE = -1  # a worker process between batches


class WorkerError(RuntimeError):
    """A worker's `__getitem__` failed; the message names the index and carries the original error."""


class RemoteTraceback(Exception):
    """The traceback of an error raised in a worker process, as text (the frames cannot travel)."""

    def __str__(self) -> str:
        return "\n" + self.args[0]


def ordered_batches(dataset: Any, order: Iterable[int], workers: int = 1, use_multiprocessing: bool = False,
                    max_queue_size: int = 10) -> Iterator[Any]:
    """Yields `dataset[i]` for each i of `order`, fetched by `workers` threads or processes."""
    name = type(dataset).__name__
    if workers <= 1 and not use_multiprocessing:
        for index in order:
            yield _get(dataset, index, name)
        return
    pool = _ProcessWorkers(dataset, workers) if use_multiprocessing else _ThreadWorkers(dataset, workers)
    try:
        indices = iter(order)
        ahead = collections.deque()
        for index in itertools.islice(indices, max_queue_size):
            pool.submit(index)
            ahead.append(index)
        while ahead:
            index = ahead.popleft()
            batch = pool.result(index, name)
            following = next(indices, None)
            if following is not None:
                pool.submit(following)
                ahead.append(following)
            yield batch
    finally:
        pool.close()


def _get(dataset: Any, index: int, name: str) -> Any:
    try:
        return dataset[index]
    except Exception as error:
        raise WorkerError(f"{name}.__getitem__({index}) raised {type(error).__name__}: {error}") from error


class _ThreadWorkers:
    def __init__(self, dataset: Any, workers: int):
        self._dataset = dataset
        self._tasks: queue.Queue = queue.Queue()
        self._results: dict[int, tuple[bool, Any]] = {}
        self._running: dict[int, float] = {}  # index: when a worker started it (time.monotonic)
        self._slow = SlowBatchWatch(type(dataset).__name__)
        self._ready = threading.Condition()
        self._threads = [threading.Thread(target=self._serve, name=f"tinyfit-worker-{i}", daemon=True)
                         for i in range(workers)]
        for t in self._threads:
            t.start()

    def _serve(self) -> None:
        while True:
            index = self._tasks.get()
            if index is None:
                return
            with self._ready:
                self._running[index] = time.monotonic()
            try:
                outcome = (True, self._dataset[index])
            except BaseException as error:  # noqa: BLE001 - the consumer decides what to do with it
                outcome = (False, error)
            with self._ready:
                self._slow.finished(time.monotonic() - self._running.pop(index))
                self._results[index] = outcome
                self._ready.notify_all()

    def submit(self, index: int) -> None:
        self._tasks.put(index)

    def result(self, index: int, name: str) -> Any:
        with self._ready:
            while index not in self._results:
                self._ready.wait(_POLL_S)
                now = time.monotonic()
                self._slow.check({i: now - start for i, start in self._running.items()})
            ok, value = self._results.pop(index)
        if ok:
            return value
        raise WorkerError(
            f"{name}.__getitem__({index}) raised {type(value).__name__} in a worker thread: {value}"
        ) from value

    def close(self) -> None:
        while True:  # batches nobody will read are not worth computing
            try:
                self._tasks.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._tasks.put(None)
        for t in self._threads:
            t.join(timeout=_JOIN_S)
        stuck = [t.name for t in self._threads if t.is_alive()]
        if stuck:
            warnings.warn(f"PyDataset worker thread(s) {stuck} still inside __getitem__ after {_JOIN_S:g} s; "
                          "they end when that call returns.", RuntimeWarning, stacklevel=3)
        self._results.clear()


def _serve_in_process(dataset: Any, tasks: Any, results: Any, stop: Any, watch: tuple, slot: int,
                      busy_index: Any, busy_since: Any) -> None:
    """A worker process: fetches the batches it is told to, until it reads None or its parent ends."""
    watch_parent(watch)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not a handler the training process had when it forked us
    while True:
        index = tasks.get()
        if index is None:
            return
        if stop.is_set():
            continue  # the consumer has gone: skip the batches still queued, up to our None
        # The wall clock, not time.monotonic: the parent reads it, and only the wall clock is shared.
        busy_since[slot] = time.time()
        busy_index[slot] = index
        try:
            # Pickled here, not in the queue's thread, so that a batch that cannot travel is reported.
            payload = pickle.dumps((True, dataset[index]), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as error:  # noqa: BLE001
            payload = pickle.dumps((False, (type(error).__name__, str(error), traceback.format_exc())))
        results.put((index, time.time() - busy_since[slot], payload))
        busy_index[slot] = _IDLE


class _ProcessWorkers:
    def __init__(self, dataset: Any, workers: int):
        context = multiprocessing.get_context()  # the platform's default, or the one the user set
        if context.get_start_method() != "fork":
            check_can_send(dataset, context.get_start_method())
        self._tasks = context.SimpleQueue()  # the parent only writes small ints: no feeder thread
        self._results = context.Queue()
        self._stop = context.Event()
        self._watch = ParentWatch(context)
        # What each worker is preparing and since when (shared memory, written by that worker only).
        self._busy_index = context.RawArray("q", [_IDLE] * workers)
        self._busy_since = context.RawArray("d", workers)
        self._slow = SlowBatchWatch(type(dataset).__name__)
        self._arrived: dict[int, bytes] = {}
        self._processes = [context.Process(target=_serve_in_process,
                                           args=(dataset, self._tasks, self._results, self._stop,
                                                 self._watch.for_worker(), i, self._busy_index, self._busy_since),
                                           name=f"tinyfit-worker-{i}", daemon=True) for i in range(workers)]
        try:
            for p in self._processes:
                p.start()
        finally:
            self._watch.workers_started()

    def submit(self, index: int) -> None:
        self._tasks.put(index)

    def result(self, index: int, name: str) -> Any:
        while index not in self._arrived:
            try:
                got, seconds, payload = self._results.get(timeout=_POLL_S)
                self._arrived[got] = payload
                self._slow.finished(seconds)
            except queue.Empty:
                self._raise_if_a_worker_ended(index, name)
                now = time.time()
                self._slow.check({i: now - since for i, since in zip(self._busy_index, self._busy_since)
                                  if i != _IDLE})
        ok, value = pickle.loads(self._arrived.pop(index))
        if ok:
            return value
        kind, message, remote = value
        raise WorkerError(
            f"{name}.__getitem__({index}) raised {kind} in a worker process: {message}"
        ) from RemoteTraceback(remote)

    def _raise_if_a_worker_ended(self, awaited: int, name: str) -> None:
        for slot, p in enumerate(self._processes):
            if p.exitcode is None:
                continue
            held = self._busy_index[slot]
            when = (f"while preparing batch {held}, without a result" if held != _IDLE
                    else f"between batches (training waits for batch {awaited})")
            raise WorkerError(
                f"{name}: worker process {p.name} (pid {p.pid}) {_how_it_ended(p.exitcode)} {when}. A worker that ends abruptly (out of memory, killed, os._exit or "
                "sys.exit inside __getitem__) cannot report an error."
            ) from None

    def close(self) -> None:
        self._stop.set()
        for _ in self._processes:
            self._tasks.put(None)
        deadline = time.monotonic() + _JOIN_S
        while any(p.is_alive() for p in self._processes) and time.monotonic() < deadline:
            try:  # a worker cannot exit while the batch it handed over waits unread in the pipe
                self._results.get(timeout=_POLL_S / 5)
            except queue.Empty:
                pass
        self._watch.release()  # a worker still inside a __getitem__ that does not return ends now
        for p in self._processes:
            if p.is_alive():
                p.terminate()  # still inside a __getitem__ that does not return
            p.join(timeout=_JOIN_S)
        self._results.close()
        self._results.join_thread()
        self._tasks.close()
        self._arrived.clear()


def _how_it_ended(exitcode: int) -> str:
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with status {exitcode}"
