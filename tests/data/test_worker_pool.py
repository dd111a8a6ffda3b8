"""PyDataset workers: parallel, ordered, bounded, exactly once, errors that arrive, nothing left running."""

import multiprocessing
import os
import sys
import threading
import time

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.data import WorkerError
from tinyfit.data.sendable import check_can_send
from tinyfit.data.worker_pool import RemoteTraceback, ordered_batches
from tinyfit.models import Sequential


# Datasets live at module level: worker processes must be able to find their class.
class SlowSquares(keras.utils.PyDataset):
    """Batch i is x=[[i]], y=[[i*i]] after `delay` seconds, with the pid that served it as sample weight."""

    def __init__(self, n=12, delay=0.0, fail_at=None, exit_at=None, **kwargs):
        super().__init__(**kwargs)
        self.n, self.delay, self.fail_at, self.exit_at = n, delay, fail_at, exit_at

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index == self.fail_at:
            raise KeyError(f"no image file for batch {index}")
        if index == self.exit_at:
            os._exit(3)  # a crash that cannot report anything (only ever run in a worker process)
        time.sleep(self.delay)
        return np.array([[float(index)]]), np.array([[float(index * index)]]), np.array([float(os.getpid())])


class Tracked(keras.utils.PyDataset):
    """Records the indices requested (threads share it), to watch order and the queue bound."""

    def __init__(self, n=30, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        self.requested = []

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        self.requested.append(index)
        return np.array([[float(index)]]), np.array([[float(index)]])


class LockHolder(SlowSquares):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lock = threading.Lock()  # cannot be pickled


def our_threads():
    return [t.name for t in threading.enumerate() if t.name.startswith("tinyfit-")]


def nothing_running():
    deadline = time.monotonic() + 5
    while (our_threads() or multiprocessing.active_children()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not our_threads() and not multiprocessing.active_children()


def read(ds, order=None):
    order = range(len(ds)) if order is None else order
    return list(ordered_batches(ds, order, ds.workers, ds.use_multiprocessing, ds.max_queue_size))


# ************************************************************* order and bounds
@pytest.mark.parametrize("workers, processes", [(1, False), (4, False), (3, True)])
def test_batches_arrive_in_order_each_exactly_once(workers, processes):
    ds = SlowSquares(n=15, workers=workers, use_multiprocessing=processes)
    order = list(np.random.default_rng(0).permutation(15))
    batches = read(ds, order)
    assert [int(x[0, 0]) for x, _, _ in batches] == order
    assert [int(y[0, 0]) for _, y, _ in batches] == [i * i for i in order]
    assert nothing_running()


def test_threads_request_each_batch_once_and_at_most_max_queue_size_ahead():
    ds = Tracked(n=30, workers=3, max_queue_size=4)
    consumed, furthest_ahead = 0, 0
    for x, _ in ordered_batches(ds, range(30), 3, False, 4):
        consumed += 1
        time.sleep(0.01)  # the workers have time to run ahead as far as they may
        furthest_ahead = max(furthest_ahead, len(ds.requested) - consumed)
        assert int(x[0, 0]) == consumed - 1
    assert sorted(ds.requested) == list(range(30))
    assert furthest_ahead == 4  # they did run ahead, up to the bound and no further
    assert nothing_running()


# ****************************************************************** parallelism
def test_thread_workers_really_run_in_parallel():
    start = time.perf_counter()
    read(SlowSquares(n=8, delay=0.1, workers=1))
    serial = time.perf_counter() - start
    start = time.perf_counter()
    read(SlowSquares(n=8, delay=0.1, workers=4))
    parallel = time.perf_counter() - start
    assert serial >= 0.8 and parallel < 0.6 * serial, (serial, parallel)


def test_process_workers_really_run_in_parallel_in_other_processes():
    start = time.perf_counter()
    read(SlowSquares(n=8, delay=0.15, workers=1))
    serial = time.perf_counter() - start
    start = time.perf_counter()
    batches = read(SlowSquares(n=8, delay=0.15, workers=4, use_multiprocessing=True))
    parallel = time.perf_counter() - start
    pids = {int(w[0]) for _, _, w in batches}
    assert os.getpid() not in pids and len(pids) > 1
    assert parallel < 0.7 * serial, (serial, parallel)
    assert nothing_running()


# *********************************************************************** errors
def test_an_error_in_a_worker_thread_names_the_batch_and_chains_the_original():
    with pytest.raises(WorkerError, match=r"SlowSquares.__getitem__\(5\) raised KeyError in a worker thread: "
                                          r"'no image file for batch 5'") as info:
        read(SlowSquares(n=12, fail_at=5, workers=4))
    original = info.value.__cause__
    assert isinstance(original, KeyError) and original.__traceback__ is not None
    assert nothing_running()


def test_an_error_in_the_serial_path_names_the_batch_too():
    with pytest.raises(WorkerError, match=r"SlowSquares.__getitem__\(2\) raised KeyError: 'no image file") as info:
        read(SlowSquares(n=4, fail_at=2))
    assert isinstance(info.value.__cause__, KeyError)


def test_an_error_in_a_worker_process_carries_its_remote_traceback():
    with pytest.raises(WorkerError, match=r"__getitem__\(3\) raised KeyError in a worker process: "
                                          r"'no image file for batch 3'") as info:
        read(SlowSquares(n=12, fail_at=3, workers=2, use_multiprocessing=True))
    remote = info.value.__cause__
    assert isinstance(remote, RemoteTraceback)
    assert "Traceback" in str(remote) and "in __getitem__" in str(remote) and "KeyError" in str(remote)
    assert nothing_running()


def test_a_worker_process_that_dies_is_an_error_not_a_hang():
    with pytest.raises(WorkerError, match=r"SlowSquares: worker process tinyfit-worker-\d \(pid \d+\) exited with "
                                          r"status 3 while preparing batch 2, without a result\."):
        read(SlowSquares(n=6, exit_at=2, workers=2, use_multiprocessing=True))
    assert nothing_running()


# ************************************************** stopping early, Ctrl-C in fit
class Interrupt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 3:
            raise KeyboardInterrupt


@pytest.mark.parametrize("processes", [False, True])
def test_ctrl_c_during_fit_leaves_no_worker_running(processes):
    model = Sequential([keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    ds = Tracked(n=40, workers=3, use_multiprocessing=processes)
    with pytest.raises(KeyboardInterrupt):
        model.fit(ds, epochs=2, verbose=0, callbacks=[Interrupt()])
    assert nothing_running()


def test_closing_the_reader_early_stops_the_workers():
    reader = ordered_batches(SlowSquares(n=50, workers=4), range(50), 4, False, 10)
    next(reader)
    assert our_threads()
    reader.close()
    assert nothing_running()


# **************************************************** datasets processes cannot use
# (more in test_fork_workers.py)
@pytest.fixture
def start_method():
    """Sets multiprocessing's start method as a user would, and puts the previous one back."""
    previous = multiprocessing.get_start_method(allow_none=True)
    yield lambda method: multiprocessing.set_start_method(method, force=True)
    multiprocessing.set_start_method(previous, force=True)


def test_a_dataset_that_cannot_be_pickled_works_under_fork_and_is_refused_under_spawn(start_method):
    start_method("fork")
    assert len(read(LockHolder(n=3, workers=2, use_multiprocessing=True))) == 3
    start_method("spawn")
    with pytest.raises(TypeError, match=r"(?s)LockHolder cannot be sent to worker processes started with 'spawn' "
                                        r"\(use_multiprocessing=True\).*\n  dataset.lock: a lock \(_thread.lock\); "
                                        r"create it inside __getitem__.*use threads \(use_multiprocessing=False\)"):
        read(LockHolder(n=3, workers=2, use_multiprocessing=True))
    assert nothing_running()


def test_a_notebook_class_under_spawn_gets_a_message_saying_what_to_do(monkeypatch, start_method):
    main = sys.modules["__main__"]
    notebook_class = type("NotebookData", (SlowSquares,), {"__module__": "__main__"})
    monkeypatch.setattr(main, "NotebookData", notebook_class, raising=False)
    monkeypatch.delattr(main, "__file__", raising=False)  # a notebook's __main__ has no file
    with pytest.raises(TypeError, match=r"(?s)NotebookData cannot be sent to worker processes started with 'spawn'.*\n"
                                        r"  dataset.__class__: the class __main__.NotebookData, defined in a notebook "
                                        r"or interactive session; define it at the top level of a \.py module"):
        check_can_send(notebook_class(n=2), "spawn")
    start_method("fork")
    ds = notebook_class(n=2, workers=2, use_multiprocessing=True)
    assert len(read(ds)) == 2  # a forked worker inherits the class


# ********************************************************************* arguments
def test_py_dataset_arguments_are_checked():
    with pytest.raises(ValueError, match=r"SlowSquares: workers must be a whole number >= 1, got 0"):
        SlowSquares(workers=0)
    with pytest.raises(ValueError, match=r"SlowSquares: max_queue_size must be a whole number >= 1, got 2.5"):
        SlowSquares(max_queue_size=2.5)
    with pytest.raises(ValueError, match=r"use_multiprocessing must be True or False, got 'yes'"):
        SlowSquares(use_multiprocessing="yes")
    ds = SlowSquares(workers=3, use_multiprocessing=True, max_queue_size=7)
    assert (ds.workers, ds.use_multiprocessing, ds.max_queue_size) == (3, True, 7)


def test_a_subclass_missing_its_methods_says_which():
    class Empty(keras.utils.PyDataset):
        pass

    with pytest.raises(NotImplementedError, match=r"Empty must define __len__\(self\)"):
        len(Empty())
    with pytest.raises(NotImplementedError, match=r"Empty must define __getitem__\(self, index\)"):
        Empty()[0]
