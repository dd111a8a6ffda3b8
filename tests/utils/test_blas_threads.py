"""The BLAS thread count of a run: chosen by timing steps, or the user's, and always given back."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import config, layers
from tinyfit.utils import blas_threads
from tinyfit.utils.blas_threads import ROUNDS, StepThreads



class FakeLimit:
    def __init__(self):
        self.current, self.history, self.restored = None, [], 0

    def set(self, threads):
        self.current = threads
        self.history.append(threads)

    def restore(self):
        self.current = None
        self.restored += 1


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Forward:
    """A forward pass whose duration depends on the thread count in force; counts its calls."""

    def __init__(self, clock, limit, seconds_on):
        self.clock, self.limit, self.seconds_on, self.calls = clock, limit, seconds_on, 0

    def __call__(self):
        self.calls += 1
        self.clock.now += self.seconds_on(self.limit.current)


def plan_for(choices, many=4, key="train", seconds_on=lambda n: 0.01, **kwargs):
    clock, limit = Clock(), FakeLimit()
    plan = StepThreads(choices, key, many=many, clock=clock, limit=limit, **kwargs)
    return plan, limit, Forward(clock, limit, seconds_on)


def run_steps(plan, forward, steps, seen=None):
    for _ in range(steps):
        with plan.step(forward):
            if seen is not None:
                seen.append(forward.limit.current)


def test_a_small_model_keeps_one_thread():
    choices = {}
    plan, limit, forward = plan_for(choices, seconds_on=lambda n: 0.010 if n == 1 else 0.025)
    seen = []
    run_steps(plan, forward, 5, seen)
    assert plan.chosen == 1 and choices == {"train": 1} and limit.current == 1
    assert seen == [1] * 5  # every training step on one count: the first before timing, the rest after
    # One untimed pass on each count, then alternated timed passes, then the choice; never again after.
    assert limit.history == [1] + [1, 4] * (1 + ROUNDS) + [1]
    assert forward.calls == 2 * (1 + ROUNDS)
    plan.close()
    assert limit.restored == 1 and limit.current is None


def test_a_large_model_keeps_the_many_threads_that_are_clearly_faster():
    plan, limit, forward = plan_for({}, seconds_on=lambda n: 0.100 if n == 1 else 0.030)
    seen = []
    run_steps(plan, forward, 3, seen)
    assert plan.chosen == 4 and seen == [1, 4, 4]


def test_many_threads_only_slightly_faster_are_not_worth_it():
    plan, limit, forward = plan_for({}, seconds_on=lambda n: 0.100 if n == 1 else 0.095)  # 5%: under the margin
    run_steps(plan, forward, 2)
    assert plan.chosen == 1


def test_the_first_pass_on_each_count_is_not_compared_closely():
    passes = iter(range(100))
    # The warm-up passes (the first on each count) are made misleading: one thread looks awful there.
    plan, limit, forward = plan_for({}, seconds_on=lambda n: (5.0 if next(passes) == 0 else 0.010 if n == 1 else 0.005))
    run_steps(plan, forward, 2)
    assert plan.chosen == 4
    # A first many-thread pass slower by a little more than waking threads costs is let through too.
    passes = iter(range(100))
    plan, limit, forward = plan_for({}, seconds_on=lambda n: (
        0.0015 if next(passes) == 1 else 0.0001 if n == 1 else 0.00005))
    run_steps(plan, forward, 2)
    assert plan.chosen == 4


def test_a_far_slower_first_many_thread_pass_ends_the_timing_before_it_starts():
    plan, limit, forward = plan_for({}, seconds_on=lambda n: 0.001 if n == 1 else 0.060)
    run_steps(plan, forward, 2)
    assert plan.chosen == 1 and forward.calls == 2 and limit.history == [1, 1, 4, 1]


def test_a_far_slower_many_thread_pass_ends_the_timing_at_once():
    choices = {}
    passes = iter(range(100))
    # The warm-up passes are alike; the first timed pass on 4 is 60x slower than on 1 (the machine got busy).
    plan, limit, forward = plan_for(choices, seconds_on=lambda n: 0.001 if (n == 1 or next(passes) < 1) else 0.060)
    run_steps(plan, forward, 3)
    assert plan.chosen == 1 and choices == {"train": 1} and forward.calls == 4
    assert limit.history == [1, 1, 4, 1, 4, 1]


def test_a_busy_machine_gets_one_thread_without_timing_and_remembers_it():
    choices = {}
    plan, limit, forward = plan_for(choices, busy=True)
    run_steps(plan, forward, 3)
    assert plan.chosen == 1 and forward.calls == 0 and choices == {"train": 1}


def test_other_work_running_is_read_from_the_runnable_count(tmp_path):
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("0.52 0.71 0.80 3/412 12345\n")
    assert blas_threads.others_running(path=str(loadavg)) == 2  # three runnable, one of them the reader
    loadavg.write_text("0.00 0.01 0.05 1/300 999\n")
    assert blas_threads.others_running(path=str(loadavg)) == 0
    assert blas_threads.others_running(path=str(tmp_path / "missing")) is None
    loadavg.write_text("garbled\n")
    assert blas_threads.others_running(path=str(loadavg)) is None


def test_a_run_of_one_step_runs_it_on_one_thread_then_chooses():
    choices = {}
    plan, limit, forward = plan_for(choices)
    seen = []
    run_steps(plan, forward, 1, seen)
    assert seen == [1] and plan.chosen == 1 and choices == {"train": 1}


def test_a_step_without_a_forward_pass_leaves_the_choice_for_later():
    plan, limit, forward = plan_for({})
    with plan.step():
        pass
    assert plan.chosen is None and limit.history == [1]


def test_the_timing_runs_inside_the_scope_given():
    entered = []

    class Scope:
        def __enter__(self):
            entered.append("in")

        def __exit__(self, *exc):
            entered.append("out")

    plan, limit, forward = plan_for({}, scope=Scope)
    run_steps(plan, forward, 3)
    assert entered == ["in", "out"]


def test_a_remembered_choice_is_used_at_once_by_the_next_run():
    plan, limit, forward = plan_for({"train": 1})
    run_steps(plan, forward, 3)
    assert plan.chosen == 1 and limit.history == [1] and forward.calls == 0
    plan, limit, forward = plan_for({"train": 4}, key="test")
    assert plan.chosen == 4 and limit.history == [4]  # fit's choice serves its evaluate


def test_the_users_count_is_used_throughout_and_not_remembered():
    choices = {}
    plan, limit, forward = plan_for(choices, fixed=2)
    run_steps(plan, forward, 3)
    assert plan.chosen == 2 and limit.history == [2] and forward.calls == 0 and choices == {}


def test_one_thread_to_have_means_no_timing():
    plan, limit, forward = plan_for({}, many=1)
    run_steps(plan, forward, 2)
    assert plan.chosen == 1 and forward.calls == 0


# ------------------------------------------------------------------ who decides
@pytest.fixture
def no_thread_variables(monkeypatch):
    for name in (config.ENV_VARIABLE, *config.BLAS_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    config.set_num_threads(None)  # a lesson run in-process before this test may have set it
    yield
    config.set_num_threads(None)


def test_set_num_threads_wins_then_the_variable_then_a_blas_variable(no_thread_variables, monkeypatch):
    assert config.thread_setting() == ("tinyfit", None) and config.get_num_threads() is None
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert config.thread_setting() == ("OPENBLAS_NUM_THREADS", None)
    assert isinstance(blas_threads.for_run({}, "train"), blas_threads._Untouched)
    monkeypatch.setenv("TINYFIT_NUM_THREADS", "3")
    assert config.thread_setting() == ("TINYFIT_NUM_THREADS", 3) and config.get_num_threads() == 3
    config.set_num_threads(2)
    assert config.thread_setting() == ("set_num_threads", 2) and config.get_num_threads() == 2
    plan = blas_threads.for_run({}, "train")
    try:
        assert plan.chosen == 2
    finally:
        plan.close()


def test_a_gpu_run_leaves_the_threads_alone(no_thread_variables):
    assert isinstance(blas_threads.for_run({}, "train", on_cpu=False), blas_threads._Untouched)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two", True])
def test_a_bad_count_is_refused_with_the_fix(no_thread_variables, bad):
    with pytest.raises(ValueError, match=r"set_num_threads\(n\): n must be a whole number of threads, 1 or more"):
        config.set_num_threads(bad)


def test_a_bad_variable_is_refused_naming_it(no_thread_variables, monkeypatch):
    monkeypatch.setenv("TINYFIT_NUM_THREADS", "lots")
    with pytest.raises(ValueError, match=r"TINYFIT_NUM_THREADS='lots' must be a whole number"):
        config.thread_setting()


# ------------------------------------------------------------------ in a real fit, with real BLAS threads
SCRIPT = textwrap.dedent("""
    import json, numpy as np
    import tinyfit as keras
    from tinyfit import layers
    from tinyfit.utils import blas_threads
    from threadpoolctl import threadpool_info

    def counts():
        return sorted({info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"})

    before = counts()
    seen = []
    class Watch(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(counts()[0])

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(640, 8)).astype("float32"), rng.integers(0, 3, size=640)
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(3)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Watch()])
    print(json.dumps({"before": before, "after": counts(), "seen": seen,
                      "choices": model._blas_thread_choices, "cores": blas_threads.available_cores()}))
""")


def test_a_real_fit_runs_on_its_choice_and_gives_the_librarys_count_back(tmp_path):
    import json
    import os

    env = {k: v for k, v in os.environ.items() if k not in (config.ENV_VARIABLE, *config.BLAS_VARIABLES)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["before"] == [1]:
        pytest.skip("this machine's BLAS runs one thread: there is nothing to choose")
    assert report["after"] == report["before"]  # the library's own count is back
    many = min(report["before"][0], report["cores"])
    chosen = report["choices"]["train"]
    assert chosen in (1, many)
    assert report["seen"] == [1] + [chosen] * (len(report["seen"]) - 1)  # the first step, then the choice


# ------------------------------------------------------------------ a resumed run keeps the interrupted one's count
def test_a_backup_keeps_the_thread_choice_for_the_resumed_run(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 8)).astype("float32"), rng.integers(0, 3, size=64)

    def model_with(choices):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((8,)), layers.Dense(8, activation="relu"), layers.Dense(3)])
        model.compile("sgd", "sparse_categorical_crossentropy")
        model.__dict__["_blas_thread_choices"] = choices
        return model

    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("killed")

    class Seen(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.choices = dict(self.model._blas_thread_choices)

    backup = str(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="killed"):
        model_with({"train": 2}).fit(x, y, batch_size=16, epochs=3, verbose=0,
                                     callbacks=[keras.callbacks.BackupAndRestore(backup, save_freq=2), Crash()])
    seen = Seen()
    resumed = model_with({"train": 1, "test": 1})  # a fresh process would have chosen anew
    resumed.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup), seen])
    assert seen.choices == {"train": 2}


def test_a_known_choice_costs_no_look_at_the_machine(no_thread_variables, monkeypatch):
    looked = []
    monkeypatch.setattr(blas_threads, "others_running", lambda *a, **k: looked.append(1) or 0)
    monkeypatch.setattr(blas_threads, "_library_threads", lambda: 2)
    plan = blas_threads.for_run({"train": 1}, "predict")
    plan.close()
    assert plan.chosen == 1 and looked == []  # a predict in a loop pays nothing for the choice
    plan = blas_threads.for_run({}, "predict")
    plan.close()
    assert looked == [1]


# ------------------------------------------------------------------ the same machine, the same choice
def noisy(seconds_on, spread, seed):
    """Times `seconds_on` gives, each off by up to `spread` (a fraction) at random."""
    rng = np.random.default_rng(seed)
    return lambda n: seconds_on(n) * (1 + rng.uniform(-spread, spread))


@pytest.mark.parametrize("many_over_one, expected", [(1.0, 1), (0.95, 1), (1.08, 1), (0.8, 4), (0.7, 4), (0.5, 4)])
def test_noise_gives_the_same_choice_every_time_and_ties_go_to_one_thread(many_over_one, expected):
    # Twenty runs, each with its own 5% noise on every pass: the choice never depends on the draw.
    chosen = set()
    for seed in range(20):
        plan, limit, forward = plan_for({}, seconds_on=noisy(lambda n: 0.010 * (many_over_one if n == 4 else 1),
                                                             0.05, seed))
        run_steps(plan, forward, 2)
        chosen.add(plan.chosen)
    assert chosen == {expected}


def test_a_slow_spell_during_one_round_does_not_decide():
    passes = iter(range(100))
    # Many threads are 30% faster, but one timed pass on four threads (the 5th pass) is hit by a 20x spell.
    plan, limit, forward = plan_for({}, seconds_on=lambda n: (0.010 if n == 1 else 0.007) * (
        20 if next(passes) == 4 else 1))
    run_steps(plan, forward, 2)
    assert plan.chosen == 4


# ------------------------------------------------------------------ revisits when the step time drifts
class Machine:
    """A step and a timed pass whose durations depend on the thread count and on whether a neighbour trains."""

    def __init__(self, clock, limit):
        self.clock, self.limit, self.neighbour = clock, limit, False

    def seconds_on(self, n):
        if self.neighbour:  # the cores are shared: many threads fight, one thread is a little slower
            return 0.030 if n == 1 else 0.120
        return 0.010 if n == 1 else 0.005

    def step(self):
        self.clock.now += 4 * self.seconds_on(self.limit.current)  # a step costs a few passes


def drifting(choices=None, **kwargs):
    plan, limit, forward = plan_for({} if choices is None else choices, **kwargs)
    machine = Machine(forward.clock, limit)
    forward.seconds_on = machine.seconds_on
    return plan, limit, forward, machine


def run_machine(plan, machine, forward, steps):
    seen = []
    for _ in range(steps):
        with plan.step(forward):
            seen.append(machine.limit.current)
            machine.step()
    return seen


def test_a_neighbour_starting_then_leaving_is_noticed_and_the_count_follows():
    choices = {}
    plan, limit, forward, machine = drifting(choices)
    run_machine(plan, machine, forward, 150)
    assert plan.chosen == 4 and plan.revisits == 0  # many threads on a quiet machine
    machine.neighbour = True
    seen = run_machine(plan, machine, forward, blas_threads.WINDOW)
    assert plan.chosen == 1 and plan.revisits == 1 and choices == {"train": 1}
    # Noticed once the slow steps are half the window: not after one slow step, not a window late.
    assert seen.index(1) == blas_threads.WINDOW // 2
    machine.neighbour = False
    run_machine(plan, machine, forward, blas_threads.SETTLE + blas_threads.WINDOW)
    assert plan.chosen == 4 and plan.revisits == 2 and choices == {"train": 4}


def test_a_remembered_choice_is_revisited_too():
    plan, limit, forward, machine = drifting({"train": 4})
    machine.neighbour = True  # started since the last fit
    run_machine(plan, machine, forward, blas_threads.SETTLE + 1)
    assert plan.chosen == 4  # the reference was taken with the neighbour there: nothing drifted
    machine.neighbour = False
    run_machine(plan, machine, forward, blas_threads.WINDOW)
    assert plan.revisits == 1 and plan.chosen == 4  # faster steps: timed again, four threads still best


def test_revisits_come_no_sooner_than_settle_steps_apart():
    plan, limit, forward, machine = drifting()
    run_machine(plan, machine, forward, 1 + blas_threads.WINDOW)  # the choice, then the reference's steps
    assert plan.chosen == 4
    machine.neighbour = True  # the drift shows within the window, but the settling steps are not over
    run_machine(plan, machine, forward, blas_threads.SETTLE - blas_threads.WINDOW - 1)
    assert plan.revisits == 0 and plan.chosen == 4
    run_machine(plan, machine, forward, 1)
    assert plan.revisits == 1 and plan.chosen == 1


def test_alternating_noise_does_not_make_it_flap():
    plan, limit, forward = plan_for({}, seconds_on=lambda n: 0.010 if n == 1 else 0.005)
    slow = iter(range(10_000))
    for _ in range(2000):
        with plan.step(forward):
            # Every other step twice as long, and every 7th ten times: the median of a window does not move.
            i = next(slow)
            forward.clock.now += 0.02 * (10 if i % 7 == 0 else 2 if i % 2 else 1)
    assert plan.revisits == 0 and plan.chosen == 4


def test_a_drift_the_timing_does_not_confirm_is_timed_once_and_kept():
    # The steps slow down (say, the data got harder to load) but the counts compare as before.
    plan, limit, forward = plan_for({}, seconds_on=lambda n: 0.010 if n == 1 else 0.005)
    for i in range(2000):
        with plan.step(forward):
            forward.clock.now += 0.02 if i < 500 else 0.08
    assert plan.revisits == 1 and plan.chosen == 4  # the new pace becomes the reference: no second revisit


def test_a_run_that_must_resume_exactly_never_revisits():
    choices = {}
    plan, limit, forward, machine = drifting(choices, revisit=False)
    run_machine(plan, machine, forward, 150)
    machine.neighbour = True
    seen = run_machine(plan, machine, forward, 500)
    assert plan.chosen == 4 and plan.revisits == 0 and set(seen) == {4} and choices == {"train": 4}


def test_the_users_count_is_never_revisited():
    plan, limit, forward, machine = drifting(fixed=2)
    run_machine(plan, machine, forward, 150)
    machine.neighbour = True
    run_machine(plan, machine, forward, 500)
    assert plan.revisits == 0 and limit.history == [2]


@pytest.mark.parametrize("with_backup", [True, False])
def test_fit_revisits_unless_a_callback_can_resume_it(tmp_path, monkeypatch, with_backup):
    asked = []
    real = blas_threads.for_run
    monkeypatch.setattr(blas_threads, "for_run", lambda *a, **k: asked.append((a[1], k["revisit"])) or real(*a, **k))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 2, size=32)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    callbacks = [keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))] if with_backup else []
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, validation_data=(x, y), callbacks=callbacks)
    model.predict(x, verbose=0)
    assert asked == [("train", not with_backup), ("test", not with_backup), ("predict", True)]


def test_a_revisit_keeps_the_count_in_force_unless_the_other_is_clearly_faster():
    plan, limit, forward, machine = drifting()
    run_machine(plan, machine, forward, 1 + blas_threads.SETTLE)
    assert plan.chosen == 4
    # Now one thread is a little faster (within the margin) and the steps are slower: timed again, kept.
    machine.seconds_on = lambda n: 0.009 if n == 1 else 0.010
    forward.seconds_on = machine.seconds_on
    run_machine(plan, machine, forward, blas_threads.WINDOW)
    assert plan.revisits == 1 and plan.chosen == 4


# ------------------------------------------------------------------ the timed passes leave nothing behind
def two_output_model():
    keras.utils.set_random_seed(5)
    inputs = keras.Input((6,))
    hidden = layers.Dropout(0.3)(layers.BatchNormalization()(layers.Dense(8, activation="relu")(inputs)))
    model = keras.Model(inputs, [layers.Dense(1, name="a")(hidden), layers.Dense(2, name="b")(hidden)])
    model.compile(optimizer="adam", loss=["mse", "mse"], loss_weights=[1.0, 0.5], metrics=[["mae"], ["mae"]])
    return model


def test_the_timed_training_passes_leave_no_trace_in_a_real_fit(no_thread_variables, monkeypatch):
    # A training step's forward, loss and backward are timed (its real cost), with Dropout drawing,
    # BatchNormalization moving its statistics and the per-output loss trackers fed inside
    # compute_loss: none of it may show in the run, which must equal one that timed nothing.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 6)).astype("float32"), [rng.normal(size=(64, 1)), rng.normal(size=(64, 2))]
    runs = []
    for timing in (True, False):
        passes = []
        if timing:
            monkeypatch.setattr(blas_threads, "_library_threads", lambda: 2)
            monkeypatch.setattr(blas_threads, "others_running", lambda *a, **k: 0)

            def time_then_one(self, forward, current):
                for _ in range(3):
                    forward()
                    passes.append(1)
                return 1

            monkeypatch.setattr(StepThreads, "_time", time_then_one)
        else:
            config.set_num_threads(1)
        model = two_output_model()
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_split=0.25)
        runs.append((history.history, model.get_weights(), len(passes)))
        monkeypatch.undo()
    (timed, timed_weights, count), (plain, plain_weights, _) = runs
    assert count >= 3 and timed.keys() == plain.keys()
    for name in plain:
        assert timed[name] == plain[name], name
    for a, b in zip(timed_weights, plain_weights):
        np.testing.assert_array_equal(a, b)
