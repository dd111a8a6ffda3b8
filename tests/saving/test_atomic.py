"""atomic_write: the target is always the old or the new complete file, even under kill -9."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tinyfit.saving.atomic import atomic_write

CHUNK = 512 * 1024
CHUNKS = 48


def _strays(folder, name):
    return [entry for entry in os.listdir(folder) if entry != name]


def test_writes_bytes_and_replaces_the_old_file(tmp_path):
    target = tmp_path / "model.tinyfit"
    atomic_write(target, b"old")
    atomic_write(str(target), b"new content")
    assert target.read_bytes() == b"new content"
    assert _strays(tmp_path, "model.tinyfit") == []


def test_a_function_writes_through_the_open_file(tmp_path):
    target = tmp_path / "array.npy"
    atomic_write(target, lambda f: np.save(f, np.arange(4)))
    assert np.load(target).tolist() == [0, 1, 2, 3]


def test_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "shared.bin"
    target.write_bytes(b"x")
    os.chmod(target, 0o640)
    atomic_write(target, b"y")
    assert os.stat(target).st_mode & 0o777 == 0o640


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.tinyfit"
    atomic_write(target, b"old")

    def broken(f):
        f.write(b"half")
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError, match="disk went away"):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert _strays(tmp_path, "model.tinyfit") == []


def test_missing_folder_names_it_and_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"folder '.*nowhere' does not exist.*os.makedirs"):
        atomic_write(tmp_path / "nowhere" / "m.tinyfit", b"x")


def test_a_folder_as_target_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"it is a folder.*model.tinyfit"):
        atomic_write(tmp_path, b"x")


def test_content_of_a_wrong_type_is_refused(tmp_path):
    with pytest.raises(TypeError, match="got str"):
        atomic_write(tmp_path / "m", "text")


def test_a_live_writers_temporary_is_left_alone(tmp_path):
    # A temporary named with a running process's pid (this one's parent) belongs to a write in progress.
    live = tmp_path / f".m.bin.{os.getppid()}.tmp-abc"
    live.write_bytes(b"partial")
    atomic_write(tmp_path / "m.bin", b"done")
    assert live.exists()


_CHILD = textwrap.dedent("""
    import sys, time
    from tinyfit.saving.atomic import atomic_write
    path, fill = sys.argv[1], sys.argv[2].encode()
    def write(f):
        print("writing", flush=True)
        for _ in range({chunks}):
            f.write(fill * {chunk})
            time.sleep(0.004)
    atomic_write(path, write)
    print("done", flush=True)
""").format(chunks=CHUNKS, chunk=CHUNK)


def _kill_at_random(script, args, rng, latest):
    child = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                             cwd=os.getcwd())
    assert child.stdout.readline().strip() == b"writing"
    time.sleep(rng.uniform(0.0, latest))
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()


def test_kill_9_mid_write_leaves_old_or_new_whole_and_the_next_write_cleans_up(tmp_path):
    target = tmp_path / "big.bin"
    size = CHUNK * CHUNKS
    atomic_write(target, b"a" * size)
    rng = random.Random(8)
    strays_seen = 0
    for round_ in range(5):
        old = target.read_bytes()[:1]
        new = b"bcdefgh"[round_:round_ + 1]
        _kill_at_random(_CHILD, [str(target), new.decode()], rng, latest=0.35)
        content = target.read_bytes()
        assert len(content) == size
        assert content in (old * size, new * size)
        strays_seen += len(_strays(tmp_path, "big.bin"))
    assert strays_seen > 0, "no kill landed mid-write; the test did not exercise the crash"
    atomic_write(target, b"z" * 10)
    assert target.read_bytes() == b"z" * 10
    assert _strays(tmp_path, "big.bin") == []


_SAVE_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import tinyfit as keras
    path, value = sys.argv[1], float(sys.argv[2])
    model = keras.Sequential([keras.Input(shape=(1024,))] + [keras.layers.Dense(1024) for _ in range(3)])
    model.set_weights([np.full(w.shape, value, "float32") for w in model.get_weights()])
    print("writing", flush=True)
    for _ in range(1000):
        model.save(path)
""")


def test_kill_9_during_model_save_leaves_a_loadable_model(tmp_path):
    import tinyfit as keras

    target = tmp_path / "model.tinyfit"
    model = keras.Sequential([keras.Input(shape=(1024,))] + [keras.layers.Dense(1024) for _ in range(3)])
    model.set_weights([np.zeros(w.shape, "float32") for w in model.get_weights()])
    model.save(target)
    rng = random.Random(9)
    strays_seen = 0
    for value in (1.0, 2.0, 3.0):
        _kill_at_random(_SAVE_CHILD, [str(target), str(value)], rng, latest=0.6)
        strays_seen += len(_strays(tmp_path, "model.tinyfit"))
        weights = keras.models.load_model(target).get_weights()
        assert len(weights) == 6
        assert weights[0][0, 0] in (0.0, 1.0, 2.0, 3.0)
        assert all(np.all(w == weights[0][0, 0]) for w in weights)
    assert strays_seen > 0, "no kill landed mid-save; the test did not exercise the crash"
    model.save(target)
    assert _strays(tmp_path, "model.tinyfit") == []
