"""Worker processes never outlive or silently hang training: they end with it, a silent exit is an error, a slow batch is named."""

import multiprocessing
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.data import WorkerError
from tinyfit.data import slow_batches
from tinyfit.models import Sequential

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and /proc")

REPO = pathlib.Path(__file__).resolve().parents[2]

# Trains on healthy data whose batches from 8 on never return, so that when it is killed its two
# workers are inside __getitem__ or waiting for a task. It prints the workers' pids, then waits.
TRAINER = textwrap.dedent("""
    import multiprocessing, sys, time
    import numpy as np
    import tinyfit as keras
    from tinyfit.data import parent_watch

    class Healthy(keras.utils.PyDataset):
        def __len__(self):
            return 100

        def __getitem__(self, index):
            time.sleep(0.01 if index < 8 else 1000)
            return np.ones((2, 1), "float32"), np.ones((2, 1), "float32")

    class SayWorkers(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3:
                print(*(p.pid for p in multiprocessing.active_children()), flush=True)

    if __name__ == "__main__":
        method, watch = sys.argv[1:]
        multiprocessing.set_start_method(method)
        parent_watch.USE_PARENT_DEATH_SIGNAL = watch == "signal and pipe"
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(Healthy(workers=2, use_multiprocessing=True), epochs=3, shuffle=False, verbose=0,
                  callbacks=[SayWorkers()])
""")


def alive(pid):
    """Whether process `pid` runs (a zombie, ended and waiting for its parent to read its status, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return not pathlib.Path("/proc").is_dir()
    return state not in ("Z", "X")


@pytest.mark.parametrize("kill, method, watch", [
    (signal.SIGKILL, "fork", "signal and pipe"),
    (signal.SIGTERM, "fork", "signal and pipe"),
    (signal.SIGKILL, "fork", "pipe only"),  # as on a platform with no parent-death signal
    (signal.SIGKILL, "spawn", "pipe only"),
], ids=["SIGKILL", "SIGTERM", "SIGKILL-pipe-only", "SIGKILL-spawn-pipe-only"])
def test_killing_the_trainer_leaves_no_worker_alive(tmp_path, kill, method, watch):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method!r} is not available on this platform")
    script = tmp_path / "trainer.py"
    script.write_text(TRAINER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    trainer = subprocess.Popen([sys.executable, str(script), method, watch], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    workers = []
    stuck = threading.Timer(60, trainer.kill)  # a trainer that never prints must not hang the test
    stuck.start()
    try:
        workers = [int(pid) for pid in trainer.stdout.readline().split()]
        stuck.cancel()
        assert len(workers) == 2 and all(alive(pid) for pid in workers), trainer.stderr.read() if not workers else workers
        time.sleep(0.3)  # both workers now sit inside a __getitem__ that never returns
        trainer.send_signal(kill)
        assert trainer.wait(timeout=10) == -kill
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if alive(pid)], f"workers alive 5 s after {kill.name} of the trainer"
    finally:
        stuck.cancel()
        trainer.kill()
        trainer.wait()
        trainer.stdout.close()
        trainer.stderr.close()
        for pid in workers:  # the test never leaves them behind, even when it fails
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# Module level: worker processes must be able to find the class.
class Batches(keras.utils.PyDataset):
    """Batch i is x=[[i]], y=[[i]]; one batch may end its worker or take `slow_s` seconds."""

    def __init__(self, n=12, exit_at=None, slow_at=None, slow_s=0.0, delay=0.01, **kwargs):
        super().__init__(**kwargs)
        self.n, self.exit_at, self.slow_at, self.slow_s, self.delay = n, exit_at, slow_at, slow_s, delay

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index == self.exit_at:
            os._exit(0)  # a "successful" exit, with no result (only ever run in a worker process)
        time.sleep(self.slow_s if index == self.slow_at else self.delay)
        return np.array([[float(index)]]), np.array([[float(index)]])


def compiled_model():
    model = Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the test's dataset class is local to it")
def test_a_worker_that_exits_with_status_0_mid_batch_makes_fit_raise_naming_the_batch():
    start = time.monotonic()
    with pytest.raises(WorkerError, match=r"^Batches: worker process tinyfit-worker-\d \(pid \d+\) exited with status 0 "
                                          r"while preparing batch 5, without a result\."):
        compiled_model().fit(Batches(exit_at=5, workers=2, use_multiprocessing=True), epochs=1, verbose=0)
    assert time.monotonic() - start < 10
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("processes", [False, True])
def test_a_batch_far_slower_than_the_others_warns_once_naming_it(monkeypatch, processes):
    monkeypatch.setattr(slow_batches, "SLOW_AFTER_S", 0.3)  # instead of 5 s, to keep the test short
    with pytest.warns(RuntimeWarning) as records:
        compiled_model().fit(Batches(slow_at=6, slow_s=1.2, workers=2, use_multiprocessing=processes),
                             epochs=1, verbose=0)
    slow = [str(r.message) for r in records if "has been running" in str(r.message)]
    assert len(slow) == 1, slow
    assert slow[0].startswith("Batches.__getitem__(6) has been running for ")
    assert "the median batch took 0.01" in slow[0] and "Nothing is stopped" in slow[0]


def test_batches_all_equally_slow_do_not_warn(monkeypatch):
    # The floor is low here, but no batch is 10 times the median: pyproject makes any warning an error.
    monkeypatch.setattr(slow_batches, "SLOW_AFTER_S", 0.01)
    compiled_model().fit(Batches(n=8, delay=0.05, workers=2), epochs=1, verbose=0)
