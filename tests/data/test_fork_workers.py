"""Worker processes and how they start: 'fork' inherits the dataset; 'spawn' and 'forkserver' name what cannot travel."""

import multiprocessing
import os
import threading
import time

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.data import PyDatasetAdapter
from tinyfit.data.sendable import check_can_send
from tinyfit.data.worker_pool import ordered_batches
from tinyfit.models import Sequential

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="this platform cannot fork (Windows)")

ROWS = np.arange(64, dtype=np.float32).reshape(16, 4)


@pytest.fixture
def start_method():
    """Sets multiprocessing's start method as a user would, and puts the previous one back."""
    previous = multiprocessing.get_start_method(allow_none=True)
    yield lambda method: multiprocessing.set_start_method(method, force=True)
    multiprocessing.set_start_method(previous, force=True)


@pytest.fixture
def rows_file(tmp_path):
    path = tmp_path / "rows.bin"
    ROWS.tofile(path)
    return path


def file_lock_and_local_class_dataset(path, **kwargs):
    """A dataset as a notebook would write it: local classes, an open file and a lock, made in __init__."""

    class Scale:
        def __init__(self, factor):
            self.factor = factor

        def __call__(self, x):
            return x * self.factor

    class RowFile(keras.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.handle = open(path, "rb")
            self.lock = threading.Lock()
            self.scale = Scale(0.5)
            self.row_bytes = ROWS.itemsize * ROWS.shape[1]

        def __len__(self):
            return 4

        def __getitem__(self, index):
            with self.lock:
                # pread: forked workers share the file's read position, so each read says where it starts.
                raw = os.pread(self.handle.fileno(), 4 * self.row_bytes, 4 * index * self.row_bytes)
            x = self.scale(np.frombuffer(raw, np.float32).reshape(4, 4))
            return x, x.sum(axis=1, keepdims=True)

    return RowFile(**kwargs)


def nothing_running():
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    return not multiprocessing.active_children()


def trained_weights(dataset):
    keras.utils.set_random_seed(0)  # the same initial weights and the same shuffled order
    model = Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(dataset, epochs=2, shuffle=True, verbose=0)
    return model.get_weights()


# ********************************************************************* fork
def test_under_fork_a_dataset_with_an_open_file_a_lock_and_a_local_class_trains_as_with_threads(
        rows_file, start_method):
    start_method("fork")
    processes = file_lock_and_local_class_dataset(rows_file, workers=2, use_multiprocessing=True)
    threads = file_lock_and_local_class_dataset(rows_file, workers=2)
    try:
        order = [3, 0, 2, 1]
        for (xp, yp), (xt, yt) in zip(ordered_batches(processes, order, 2, True, 10),
                                      ordered_batches(threads, order, 2, False, 10), strict=True):
            np.testing.assert_array_equal(xp, xt)
            np.testing.assert_array_equal(yp, yt)
        np.testing.assert_array_equal(xp, ROWS[4:8] * 0.5)  # the last batch read: index 1
        for wp, wt in zip(trained_weights(processes), trained_weights(threads), strict=True):
            np.testing.assert_array_equal(wp, wt)
    finally:
        processes.handle.close()
        threads.handle.close()
    assert nothing_running()


class NeverPickled(keras.utils.PyDataset):
    """Reports, from the worker, where its array lives and which process read it; refuses to be pickled."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.big = np.ones(2_000_000)  # 16 MB
        self.epoch = 0

    def __reduce_ex__(self, protocol):
        raise AssertionError("the dataset was pickled")

    def __len__(self):
        return 3

    def __getitem__(self, index):
        where = float(self.big.ctypes.data)  # an address below 2**53: exact as a float
        return np.array([[where, float(os.getpid()), float(self.epoch)]]), np.zeros((1, 1))

    def on_epoch_end(self):
        self.epoch += 1


def test_fork_workers_inherit_the_dataset_never_pickled_and_its_arrays_not_copied(start_method):
    start_method("fork")
    ds = NeverPickled(workers=2, use_multiprocessing=True)
    rows = [x[0] for x, _ in ordered_batches(ds, range(3), 2, True, 10)]
    # Unpickling would have allocated a new array; the worker reads the parent's own memory.
    assert {int(where) for where, _, _ in rows} == {ds.big.ctypes.data}
    assert os.getpid() not in {int(pid) for _, pid, _ in rows}
    assert nothing_running()


def test_each_epoch_forks_workers_that_see_what_on_epoch_end_changed(start_method):
    start_method("fork")
    ds = NeverPickled(workers=2, use_multiprocessing=True)
    adapter = PyDatasetAdapter(ds)
    epochs_seen = []
    for _ in range(2):
        adapter.on_epoch_begin()
        epochs_seen.append([x[0, 2] for x, _, _ in adapter.batches()])
        adapter.on_epoch_end()
    assert epochs_seen == [[0, 0, 0], [1, 1, 1]]
    assert nothing_running()


# ******************************************************* spawn and forkserver
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_under_spawn_and_forkserver_fit_names_each_part_that_cannot_be_sent(rows_file, start_method, method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method!r} is not available on this platform")
    start_method(method)
    ds = file_lock_and_local_class_dataset(rows_file, workers=2, use_multiprocessing=True)
    model = Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    local = f"{__name__}.file_lock_and_local_class_dataset.<locals>"
    try:
        with pytest.raises(TypeError) as info:
            model.fit(ds, epochs=1, verbose=0)
    finally:
        ds.handle.close()
    message = str(info.value)
    assert message.startswith(f"RowFile cannot be sent to worker processes started with {method!r} "
                              "(use_multiprocessing=True): they receive the dataset pickled")
    assert f"  dataset.__class__: the class {local}.RowFile, defined inside a function; define it at the top " \
           "level of a .py module and import it from there." in message
    assert "  dataset.handle: an open file (_io.BufferedReader); open it inside __getitem__" in message
    assert "  dataset.lock: a lock (_thread.lock); create it inside __getitem__" in message
    assert f"  dataset.scale.__class__: the class {local}.Scale, defined inside a function;" in message
    assert message.endswith("Or use threads (use_multiprocessing=False), which share the dataset as it is.")
    assert "row_bytes" not in message and "notebook" not in message
    assert nothing_running()


def test_the_message_follows_the_path_into_containers_and_names_each_kind(rows_file):
    ds = file_lock_and_local_class_dataset(rows_file)
    ds.handle.close()  # a closed file cannot be pickled either
    ds.lock = None
    ds.transforms = {"flip": lambda x: x[:, ::-1], "gain": 2.0, "pending": (i for i in range(3))}
    ds.shards = [np.zeros(3), threading.Event()]
    with pytest.raises(TypeError) as info:
        check_can_send(ds, "forkserver")
    lines = str(info.value).splitlines()[1:-1]
    assert [line.split(":")[0].strip() for line in lines] == [
        "dataset.__class__", "dataset.handle", "dataset.scale.__class__", "dataset.transforms['flip']",
        "dataset.transforms['pending']", "dataset.shards[1]"]
    assert lines[3].startswith(f"  dataset.transforms['flip']: a lambda ({__name__}.test_the_message_follows_"
                               "the_path_into_containers_and_names_each_kind.<locals>.<lambda>); give it a name")
    assert lines[4] == ("  dataset.transforms['pending']: a generator; keep what it reads (a list, an array, file "
                        "names) and index that in __getitem__.")
    assert lines[5].startswith("  dataset.shards[1]: a synchronization object holding a lock (threading.Event);")


class PicklableRows(keras.utils.PyDataset):
    def __init__(self, broken=False):
        super().__init__(workers=2, use_multiprocessing=True)
        self.rows = ROWS
        self.broken = broken

    def __reduce_ex__(self, protocol):
        if self.broken:
            raise RuntimeError("the reader cannot be copied")
        return super().__reduce_ex__(protocol)


def test_a_dataset_that_pickles_passes_and_one_that_refuses_as_a_whole_is_named_with_its_error():
    check_can_send(PicklableRows(), "spawn")
    with pytest.raises(TypeError, match=r"\n  dataset: an object of type [\w.]+\.PicklableRows \(RuntimeError: the reader cannot be "
                                        r"copied\); create it inside __getitem__"):
        check_can_send(PicklableRows(broken=True), "spawn")
