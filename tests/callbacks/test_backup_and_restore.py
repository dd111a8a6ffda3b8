"""BackupAndRestore: an interrupted fit() restarted with the same code ends exactly where an uninterrupted one does."""

import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.callbacks import BackupAndRestore, Callback, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from tinyfit.saving.archive import read_archive, write_archive
from tinyfit.utils.random import get_random_states, set_random_seed, set_random_states

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def data(n=96):
    r = np.random.default_rng(1)
    x = r.normal(size=(n, 5)).astype("float32")
    y = (x[:, :1] * 2 - x[:, 1:2] + 1).astype("float32")
    return x, y


def make_model():
    # Seeded, with Dropout: the weights depend on the shuffling order and the dropout masks.
    set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"), layers.Dropout(0.3),
                              layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


class Crash(Callback):
    """Raises after the given number of training batches (counted across epochs): the interruption."""

    def __init__(self, after):
        super().__init__()
        self.after, self.seen = after, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.after:
            raise KeyboardInterrupt("interrupted")


def run(backup, crash_after=None, fit_kwargs=None, extra=None, **options):
    """One fit() as a script would run it; returns (model, history, extra callbacks) or None when it crashed."""
    model = make_model()
    extra = extra() if extra else []
    callbacks = [*extra, BackupAndRestore(backup, **options)]
    if crash_after is not None:
        callbacks.append(Crash(crash_after))
    x, y = data()
    kwargs = {"batch_size": 16, "epochs": 4, "verbose": 0, **(fit_kwargs or {})}
    try:
        history = model.fit(x, y, callbacks=callbacks, **kwargs)
    except KeyboardInterrupt:
        return None
    return model, history, extra


def assert_same_run(a, b):
    (model_a, history_a, _), (model_b, history_b, _) = a, b
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    for wa, wb in zip(model_a.optimizer.variables, model_b.optimizer.variables):
        np.testing.assert_array_equal(wa.numpy(), wb.numpy())
    assert history_a.epoch == history_b.epoch
    assert history_a.history == history_b.history


@pytest.mark.parametrize("save_freq, crashes", [("epoch", [9]), (4, [10]), (5, [3, 7, 13]), (6, [6, 12])])
def test_an_interrupted_run_resumes_exactly(tmp_path, save_freq, crashes):
    # 96 samples / 16 = 6 batches per epoch; crashes mid-epoch, on a backup batch and before the first backup.
    reference = run(tmp_path / "reference", save_freq=save_freq)
    backup = tmp_path / "backup"
    for after in crashes:
        assert run(backup, crash_after=after, save_freq=save_freq) is None
        # A crash inside the batch that would be backed up comes first: BackupAndRestore runs last.
        assert os.listdir(backup) or after <= (6 if save_freq == "epoch" else save_freq)
    assert_same_run(run(backup, save_freq=save_freq), reference)


def test_resume_with_steps_per_epoch_validation_and_stateful_callbacks(tmp_path):
    # steps_per_epoch=4 over 5 batches (72 training samples): a pass runs across epoch ends,
    # so the backup must keep its position.
    def extra():
        return [EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
                ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_delta=10.0)]

    fit_kwargs = dict(steps_per_epoch=4, epochs=5, validation_split=0.25)
    reference = run(tmp_path / "reference", fit_kwargs=fit_kwargs, extra=extra, save_freq=3)
    backup = tmp_path / "backup"
    for after in (5, 11):
        assert run(backup, crash_after=after, fit_kwargs=fit_kwargs, extra=extra, save_freq=3) is None
    resumed = run(backup, fit_kwargs=fit_kwargs, extra=extra, save_freq=3)
    assert_same_run(resumed, reference)
    (early, reduce), (early_ref, reduce_ref) = resumed[2], reference[2]
    assert (early.best, early.best_epoch, early.wait) == (early_ref.best, early_ref.best_epoch, early_ref.wait)
    assert (reduce.best, reduce.wait) == (reduce_ref.best, reduce_ref.wait)
    rate = float(resumed[0].optimizer.learning_rate.numpy())
    assert rate == float(reference[0].optimizer.learning_rate.numpy()) < 0.0009  # cuts made before a crash kept


def test_model_checkpoint_keeps_its_best_and_batch_count_across_a_resume(tmp_path):
    def extra(folder):
        folder.mkdir(exist_ok=True)
        return lambda: [ModelCheckpoint(str(folder / "best.weights.h5"), monitor="loss", save_best_only=True,
                                        save_weights_only=True, save_freq=4)]

    reference = run(tmp_path / "reference", extra=extra(tmp_path / "ref"), save_freq=5)
    # Backed up after batch 10, when the checkpoint had counted 2 batches since its last save.
    backup, folder = tmp_path / "backup", tmp_path / "resumed"
    assert run(backup, crash_after=14, extra=extra(folder), save_freq=5) is None
    resumed = run(backup, extra=extra(folder), save_freq=5)
    assert_same_run(resumed, reference)
    checkpoint, checkpoint_ref = resumed[2][0], reference[2][0]
    assert checkpoint.best == checkpoint_ref.best
    assert checkpoint._batches_since_save == checkpoint_ref._batches_since_save
    # The best checkpoint on disk is the same one the uninterrupted run kept.
    best, best_ref = make_model(), make_model()
    best.load_weights(folder / "best.weights.h5")
    best_ref.load_weights(tmp_path / "ref" / "best.weights.h5")
    for a, b in zip(best.get_weights(), best_ref.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_backup_is_deleted_at_the_end(tmp_path):
    backup = tmp_path / "backup"
    assert run(backup, crash_after=8, save_freq=2) is None
    assert os.listdir(backup) == ["backup.tinyfit"]
    run(backup, save_freq=2)
    assert not backup.exists()


def test_delete_checkpoint_false_keeps_the_backup_and_a_rerun_trains_no_further(tmp_path):
    backup = tmp_path / "backup"
    first = run(backup, delete_checkpoint=False)
    assert os.listdir(backup) == ["backup.tinyfit"]
    again = run(backup, delete_checkpoint=False)  # the backup says all 4 epochs are done
    assert_same_run(again, first)


def test_double_checkpoint_alternates_and_falls_back_to_the_older_backup(tmp_path):
    reference = run(tmp_path / "reference", save_freq=4)
    backup = tmp_path / "backup"
    assert run(backup, crash_after=14, save_freq=4, double_checkpoint=True) is None
    assert sorted(os.listdir(backup)) == ["backup-0.tinyfit", "backup-1.tinyfit"]
    # The newer backup (after batch 12) is damaged: the older one (after batch 8) is as good a start.
    newest = max(backup.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    raw = bytearray(newest.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    newest.write_bytes(bytes(raw))
    assert_same_run(run(backup, save_freq=4, double_checkpoint=True), reference)


def test_a_backup_of_another_model_is_refused_with_both_shapes(tmp_path):
    backup = tmp_path / "backup"
    assert run(backup, crash_after=3, save_freq=2) is None
    model = keras.Sequential([keras.Input((5,)), layers.Dense(3), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    with pytest.raises(ValueError, match=r"holds weights of shapes \[\(5, 8\).*this model's are \[\(5, 3\)"
                                         r".*delete the folder or pass another backup_dir"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[BackupAndRestore(backup)])


def test_resuming_with_other_metrics_is_refused(tmp_path):
    backup = tmp_path / "backup"
    assert run(backup, crash_after=3, save_freq=2) is None  # backed up mid-epoch, with loss and mae running
    model = make_model()
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    with pytest.raises(ValueError, match=r"backup holds 4 metric values but the model's metrics have 2; resume "
                                         r"with the same compile\(\) arguments, or delete the backup folder"):
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[BackupAndRestore(backup, save_freq=2)])


def test_resuming_on_less_data_is_refused(tmp_path):
    backup = tmp_path / "backup"
    assert run(backup, crash_after=5, save_freq=4) is None  # backed up after 4 of the epoch's 6 batches
    model = make_model()
    x, y = data(32)
    with pytest.raises(ValueError, match=r"the backup says the data had given 4 batches of this pass, but .* "
                                         r"now gives fewer. Resume with the same data, or delete the backup"):
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[BackupAndRestore(backup, save_freq=4)])


def test_backup_dir_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("x")
    with pytest.raises(ValueError, match=r"backup_dir='.*notes\.txt' is a file; it must be a folder"):
        BackupAndRestore(path)


@pytest.mark.parametrize("bad", ["batch", 2.5, True, None])
def test_save_freq_of_a_wrong_type_is_refused(tmp_path, bad):
    with pytest.raises(TypeError, match=rf"BackupAndRestore: save_freq must be 'epoch' or a whole number of batches, "
                                        rf"got {type(bad).__name__} {re.escape(repr(bad))}.*back up every 100 batches"):
        BackupAndRestore(tmp_path, save_freq=bad)


@pytest.mark.parametrize("bad", [0, -3])
def test_save_freq_below_one_is_refused(tmp_path, bad):
    with pytest.raises(ValueError, match=rf"BackupAndRestore: save_freq={bad} must be at least 1 batch"):
        BackupAndRestore(tmp_path, save_freq=bad)


def test_backup_dir_of_a_wrong_type_is_refused():
    with pytest.raises(TypeError, match=r"backup_dir must be a folder path .*got 3"):
        BackupAndRestore(3)


def test_random_states_round_trip():
    set_random_seed(5)
    states = get_random_states()
    first = (keras.utils.random.rng().random(3), np.random.random(3), random.random())
    set_random_states(states)
    again = (keras.utils.random.rng().random(3), np.random.random(3), random.random())
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert first[2] == again[2]


# -- THE kill test: a training subprocess is killed with SIGKILL at random moments and restarted.
SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import tinyfit as keras
    from tinyfit import layers
    from tinyfit.callbacks import BackupAndRestore, Callback
    from tinyfit.utils.random import set_random_seed

    backup, out, progress = sys.argv[1:4]
    set_random_seed(0)
    r = np.random.default_rng(1)
    x = r.normal(size=(512, 8)).astype("float32")
    y = (x @ r.normal(size=(8, 1)) + 0.5).astype("float32")
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"), layers.Dropout(0.2),
                              layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")

    class Progress(Callback):
        def on_train_batch_end(self, batch, logs=None):
            with open(progress, "a") as f:
                f.write(".")

    model.fit(x, y, batch_size=16, epochs=6, verbose=0,
              callbacks=[Progress(), BackupAndRestore(backup, save_freq=5)])
    np.savez(out, *model.get_weights())
""")


def _batches_done(progress):
    return os.path.getsize(progress) if os.path.exists(progress) else 0


def test_sigkill_at_random_moments_then_resume_gives_the_uninterrupted_weights(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}

    def start(backup, out, progress):
        return subprocess.Popen([sys.executable, str(script), str(backup), str(out), str(progress)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def finish(proc):
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, output.decode()

    finish(start(tmp_path / "ref_backup", tmp_path / "ref.npz", tmp_path / "ref_progress"))
    chooser = random.Random()
    backup, progress = tmp_path / "backup", tmp_path / "progress"
    kills = 0
    for _ in range(3):
        # Kill after a random number of batches (6 epochs x 32 batches in all; at least 6, so each run
        # writes a backup), plus a random moment inside a batch or a backup write.
        target = _batches_done(progress) + chooser.randint(6, 40)
        proc = start(backup, tmp_path / "out.npz", progress)
        deadline = time.monotonic() + 120
        while _batches_done(progress) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(chooser.uniform(0, 0.01))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=120)
    # A kill during a backup write leaves a temporary file beside the backup; the next write removes it.
    assert kills == 3 and not (tmp_path / "out.npz").exists() and "backup.tinyfit" in os.listdir(backup)
    finish(start(backup, tmp_path / "out.npz", progress))
    with np.load(tmp_path / "ref.npz", allow_pickle=False) as ref, \
            np.load(tmp_path / "out.npz", allow_pickle=False) as out:
        assert len(ref.files) == len(out.files) == 4
        for name in ref.files:
            np.testing.assert_array_equal(out[name], ref[name])
    assert not backup.exists()  # deleted once the run finished, stray temporaries with it
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


# -- damaged backups: a restore is all or nothing, and double_checkpoint takes the newest that reads cleanly.
def _truncate(path):
    raw = path.read_bytes()
    path.write_bytes(raw[:len(raw) // 2])


def _flip_bytes(path):
    raw = bytearray(path.read_bytes())
    for at in (len(raw) // 3, len(raw) // 2, len(raw) - 40):  # array data and the zip's central directory
        raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))


def _delete_member(path, name="weights/1.npy"):
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist() if info.filename != name]
    with zipfile.ZipFile(path, "w") as archive:
        for info, raw in members:
            archive.writestr(info, raw)


def _rewrite(path, edit):
    """Rewrites a backup as a whole, valid archive (every checksum right) after `edit(state, arrays)`."""
    state, _, arrays = read_archive(path)
    edit(state, arrays)
    write_archive(path, state, None, arrays)


def _transpose_weight(path):
    _rewrite(path, lambda state, arrays: arrays["weights"].__setitem__(0, arrays["weights"][0].T.copy()))


DAMAGES = {"truncated": _truncate, "flipped bytes": _flip_bytes, "member deleted": _delete_member,
           "wrong-shaped array": _transpose_weight}


class Recorder(Callback):
    """Notes every training batch as (epoch, batch): where a resumed run starts."""

    def __init__(self):
        super().__init__()
        self.epoch, self.batches = None, []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self.batches.append((self.epoch, batch))


def _two_backups(tmp_path):
    """A double_checkpoint run killed after batch 14: backups after batches 5 and 10 (6 batches an epoch)."""
    backup = tmp_path / "backup"
    assert run(backup, crash_after=14, save_freq=5, double_checkpoint=True) is None
    # Written in turn, the n-th backup to backup-{n % 2}: the newest (2nd) is backup-0.
    return backup, backup / "backup-0.tinyfit", backup / "backup-1.tinyfit"


NEWEST_START, OLDER_START = (1, 4), (0, 5)  # after batch 10: epoch 1's 5th batch; after batch 5: epoch 0's 6th


@pytest.mark.parametrize("damaged", ["newest", "older"])
@pytest.mark.parametrize("damage", DAMAGES)
def test_double_checkpoint_resumes_from_the_newest_backup_that_reads_cleanly(tmp_path, damage, damaged):
    reference = run(tmp_path / "reference", save_freq=5)
    backup, newest, older = _two_backups(tmp_path)
    DAMAGES[damage](newest if damaged == "newest" else older)
    resumed = run(backup, extra=lambda: [Recorder()], save_freq=5, double_checkpoint=True)
    recorder = resumed[2][0]
    start = OLDER_START if damaged == "newest" else NEWEST_START
    assert recorder.batches[0] == start
    assert len(recorder.batches) == 24 - (5 if damaged == "newest" else 10)
    assert_same_run(resumed, reference)


def test_double_checkpoint_with_both_backups_healthy_resumes_from_the_newest(tmp_path):
    backup, newest, older = _two_backups(tmp_path)
    # Modification times say nothing: the backup's own count does.
    os.utime(newest, ns=(1, 1))
    resumed = run(backup, extra=lambda: [Recorder()], save_freq=5, double_checkpoint=True)
    assert resumed[2][0].batches[0] == NEWEST_START


def test_double_checkpoint_with_both_backups_damaged_names_both(tmp_path):
    backup, newest, older = _two_backups(tmp_path)
    _truncate(newest)
    _transpose_weight(older)
    model = make_model()
    x, y = data()
    with pytest.raises(ValueError, match=r"(?s)no backup in .* can be resumed from:.*backup-0\.tinyfit.*"
                                         r"backup-1\.tinyfit.*holds weights of shapes.*Delete the folder"):
        model.fit(x, y, batch_size=16, epochs=4, verbose=0,
                  callbacks=[BackupAndRestore(backup, save_freq=5, double_checkpoint=True)])


class Counter(Callback):
    """Counts training batches; the count is part of every backup, and set_state checks what it is given."""

    def __init__(self, count=0):
        super().__init__()
        self.count = count

    def on_train_batch_end(self, batch, logs=None):
        self.count += 1

    def get_state(self):
        return {"count": self.count}

    def set_state(self, state):
        if not isinstance(state.get("count"), int):
            raise ValueError(f"Counter: the count must be an int, got {state.get('count')!r}.")
        self.count = state["count"]


REFUSED = {
    **DAMAGES,
    "wrong-shaped optimizer array": lambda p: _rewrite(p, lambda s, a: a["optimizer"].__setitem__(
        -1, np.zeros((3, 3), "float32"))),
    "bad random state": lambda p: _rewrite(p, lambda s, a: s["random"].__setitem__("tinyfit", {"bit_generator": 1})),
    "bad callback state": lambda p: _rewrite(p, lambda s, a: s["callbacks"]["Counter-1"].__setitem__("count", "x")),
    "array index out of range": lambda p: _rewrite(p, lambda s, a: s.__setitem__("metrics", [{"__array__": 99}])),
}


@pytest.mark.parametrize("damage", REFUSED)
def test_a_refused_backup_leaves_model_optimizer_random_states_and_callbacks_as_they_were(tmp_path, damage):
    backup = tmp_path / "backup"
    assert run(backup, crash_after=9, save_freq=4, extra=lambda: [Counter(), Counter()]) is None
    path = backup / "backup.tinyfit"
    REFUSED[damage](path)
    model = make_model()
    x, y = data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # its own weights and optimizer state
    counters = [Counter(100), Counter(200)]
    weights = model.get_weights()
    slots = [v.numpy().copy() for v in model.optimizer.variables]
    states = get_random_states()
    with pytest.raises(ValueError, match=re.escape(str(path))):
        model.fit(x, y, batch_size=16, epochs=4, verbose=0,
                  callbacks=[*counters, BackupAndRestore(backup, save_freq=4)])
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    for before, after in zip(slots, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(before, after.numpy())
    np.testing.assert_equal(get_random_states(), states)
    assert [c.count for c in counters] == [100, 200]


def test_a_refused_backup_leaves_an_unbuilt_optimizer_unbuilt(tmp_path):
    backup = tmp_path / "backup"
    assert run(backup, crash_after=9, save_freq=4) is None
    REFUSED["wrong-shaped optimizer array"](backup / "backup.tinyfit")
    model = make_model()
    x, y = data()
    with pytest.raises(ValueError, match=r"optimizer state has arrays of shapes .*\(3, 3\).* but this model needs"):
        model.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[BackupAndRestore(backup, save_freq=4)])
    assert not model.optimizer.built


# ----------------------------------------------------------- the model's training state, asked through its methods
def model_with_training_state():
    set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def metric_values(model):
    return [v.numpy().copy() for m in model.metrics for v in m.variables]


def test_the_backup_holds_what_the_model_gives_as_its_training_state(tmp_path):
    class Marked(keras.Sequential):
        def get_training_state(self):
            state = super().get_training_state()
            state["threads"] = {"train": 3}  # no field of the trainer holds this: only the method gives it
            return state

    set_random_seed(0)
    model = Marked([keras.Input((5,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    backup = tmp_path / "backup"
    model.fit(x, y, batch_size=16, epochs=1, verbose=0,
              callbacks=[BackupAndRestore(backup, save_freq=4, delete_checkpoint=False)])
    state, _, _ = read_archive(str(backup / "backup.tinyfit"))
    assert state["threads"] == {"train": 3}
    assert state["data"]["position"] == 4  # the pass's position, from the same method, during fit


def test_training_state_during_fit_is_the_data_position_and_the_running_metrics():
    seen = []

    class Look(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((self.model.get_training_state(), metric_values(self.model)))

    model = model_with_training_state()
    x, y = data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Look()])
    assert [state["data"]["position"] for state, _ in seen[:5]] == [1, 2, 3, 4, 5]
    for state, values in seen:
        assert len(state["metrics"]) == len(values) == 4  # loss and mae: a total and a count each
        for given, value in zip(state["metrics"], values):
            np.testing.assert_array_equal(given, value)
    assert seen[0][0]["metrics"][1] == 16  # copies: the first step's count, not the last one's
    after = model.get_training_state()
    assert after["data"] is None and isinstance(after["threads"], dict)  # no pass open outside fit


def test_set_training_state_takes_back_the_running_metrics_and_thread_counts():
    model = model_with_training_state()
    x, y = data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    state = model.get_training_state()
    state["threads"] = {"train": 1}
    before = metric_values(model)
    assert any(value.any() for value in before)
    model.reset_metrics()
    model.set_training_state(state, step=3)
    for was, now in zip(before, metric_values(model), strict=True):
        np.testing.assert_array_equal(was, now)
    assert model.get_training_state()["threads"] == {"train": 1}
    model.set_training_state(state)  # step 0: a new epoch, whose running results start afresh
    assert not any(value.any() for value in metric_values(model))


def test_set_training_state_refuses_a_state_that_does_not_fit_and_changes_nothing():
    model = model_with_training_state()
    x, y = data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    state = model.get_training_state()
    before, threads = metric_values(model), state["threads"]
    with pytest.raises(ValueError, match=r"holds 2 metric values but the model's metrics have 4; resume with the "
                                         r"same compile\(\) arguments"):
        model.set_training_state({**state, "metrics": state["metrics"][:2], "threads": {"train": 9}}, step=2)
    with pytest.raises(ValueError, match=r"a position in the data, which only a running fit\(\) can take"):
        model.set_training_state({**state, "data": {"random": None, "position": 2}, "threads": {"train": 9}})
    for was, now in zip(before, metric_values(model), strict=True):
        np.testing.assert_array_equal(was, now)
    assert model.get_training_state()["threads"] == threads
