"""atomic_write: the target is always the old or the new complete file, even under kill -9."""

import os
import signal
import subprocess
import sys
import textwrap

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


# ------------------------------------------------------------------ kill -9
# The child stops at a chosen point of the write, says so, and waits there (on its stdin, which
# the parent never writes to) until the parent kills it: the kill lands at that point every time,
# however loaded the machine, instead of at a moment guessed with a sleep.
_PAUSES = textwrap.dedent("""
    import os, sys, tempfile
    stage, half = sys.argv[1], int(sys.argv[2])

    def pause(here):
        if here == stage:
            print(here, flush=True)
            sys.stdin.readline()

    real_mkstemp, real_fdopen, real_fsync, real_replace = tempfile.mkstemp, os.fdopen, os.fsync, os.replace

    def mkstemp(*args, **kwargs):
        made = real_mkstemp(*args, **kwargs)
        pause("created")  # the temporary exists, empty
        return made

    class HalfWritten:
        def __init__(self, file):
            self.file, self.written = file, 0
        def write(self, data):
            count = self.file.write(data)
            self.written += len(data)
            if self.written >= half:
                pause("half")  # about half the new content is in the temporary
            return count
        def __enter__(self):
            self.file.__enter__()
            return self
        def __exit__(self, *error):
            return self.file.__exit__(*error)
        def __getattr__(self, name):
            return getattr(self.file, name)

    def fdopen(fd, mode="r", *args, **kwargs):
        file = real_fdopen(fd, mode, *args, **kwargs)
        return HalfWritten(file) if "w" in mode else file

    def fsync(fd):
        pause("written")  # all written and flushed, not yet synced
        real_fsync(fd)
        os.fsync = real_fsync

    def replace(source, target):
        pause("renaming")  # the complete temporary, about to take the target's place
        real_replace(source, target)
        pause("renamed")  # the target is the new file; its folder is not synced yet

    tempfile.mkstemp, os.fdopen, os.fsync, os.replace = mkstemp, fdopen, fsync, replace
""")

# Where the kill lands, and which file the target must then be.
STAGES = [("created", "old"), ("half", "old"), ("written", "old"), ("renaming", "old"), ("renamed", "new"),
          ("done", "new")]


def _kill_at(stage, script, args, old_size):
    child = subprocess.Popen([sys.executable, "-c", _PAUSES + script, stage, str(old_size // 2), *args],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=os.getcwd())
    try:
        said = child.stdout.readline().strip().decode()
        assert said == stage, f"the child stopped at {said!r} instead of {stage!r} (or died: see its stderr)"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdin.close()
        child.stdout.close()


_WRITE = textwrap.dedent("""
    from tinyfit.saving.atomic import atomic_write
    path, fill = sys.argv[3], sys.argv[4].encode()

    def write(f):
        for _ in range({chunks}):
            f.write(fill * {chunk})

    atomic_write(path, write)
    pause("done")
""").format(chunks=CHUNKS, chunk=CHUNK)


@pytest.mark.parametrize("stage, expect", STAGES)
def test_kill_9_at_each_point_of_a_write_leaves_the_old_or_the_new_file_whole(tmp_path, stage, expect):
    target = tmp_path / "big.bin"
    size = CHUNK * CHUNKS
    atomic_write(target, b"a" * size)
    _kill_at(stage, _WRITE, [str(target), "b"], size)
    assert target.read_bytes() == (b"a" if expect == "old" else b"b") * size
    # Until the rename, the killed write's temporary is left behind; the next write removes it.
    assert len(_strays(tmp_path, "big.bin")) == (1 if expect == "old" else 0)
    atomic_write(target, b"z" * 10)
    assert target.read_bytes() == b"z" * 10
    assert _strays(tmp_path, "big.bin") == []


_SAVE = textwrap.dedent("""
    import numpy as np
    import tinyfit as keras
    path, value = sys.argv[3], float(sys.argv[4])
    model = keras.Sequential([keras.Input(shape=(256,))] + [keras.layers.Dense(256) for _ in range(3)])
    model.set_weights([np.full(w.shape, value, "float32") for w in model.get_weights()])
    model.save(path)
    pause("done")
""")


@pytest.mark.parametrize("stage, expect", STAGES)
def test_kill_9_at_each_point_of_a_model_save_leaves_a_loadable_model(tmp_path, stage, expect):
    import tinyfit as keras

    target = tmp_path / "model.tinyfit"
    model = keras.Sequential([keras.Input(shape=(256,))] + [keras.layers.Dense(256) for _ in range(3)])
    model.set_weights([np.zeros(w.shape, "float32") for w in model.get_weights()])
    model.save(target)
    _kill_at(stage, _SAVE, [str(target), "1.0"], os.path.getsize(target))
    weights = keras.models.load_model(target).get_weights()
    assert len(weights) == 6
    value = 0.0 if expect == "old" else 1.0
    assert all(np.all(w == value) for w in weights), f"killed at {stage!r}, the file holds a mix or the wrong save"
    assert len(_strays(tmp_path, "model.tinyfit")) == (1 if expect == "old" else 0)
    model.save(target)
    assert _strays(tmp_path, "model.tinyfit") == []
