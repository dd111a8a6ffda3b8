"""The BLAS thread count of a run: chosen by timing steps, or the user's, and always given back."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import config, layers
from tinyfit.utils import blas_threads
from tinyfit.utils.blas_threads import BLOCK_STEPS, ROUNDS, WARMUP_STEPS, StepThreads

TRIAL = WARMUP_STEPS + 2 * ROUNDS * BLOCK_STEPS


class FakeLimit:
    def __init__(self):
        self.current, self.history, self.restored = None, [], 0

    def set(self, threads):
        self.current = threads
        self.history.append(threads)

    def restore(self):
        self.current = None
        self.restored += 1


def run_steps(plan, limit, seconds_on, steps):
    """Runs `steps` steps whose duration depends on the thread count in force (None: the library's own)."""
    clock = plan._clock
    for _ in range(steps):
        with plan.step():
            clock.now += seconds_on(limit.current)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def plan_for(choices, many=4, key="train", **kwargs):
    clock, limit = Clock(), FakeLimit()
    return StepThreads(choices, key, many=many, clock=clock, limit=limit, **kwargs), limit


def test_a_small_model_keeps_one_thread():
    choices = {}
    plan, limit = plan_for(choices)
    run_steps(plan, limit, lambda n: 0.010 if n == 1 else 0.030, TRIAL + 5)
    assert plan.chosen == 1 and choices == {"train": 1} and limit.current == 1
    # Warm-up and the first block on one thread, then alternated blocks of 4 and 1, then the choice.
    assert limit.history == [1, 4, 1, 4, 1]
    plan.close()
    assert limit.restored == 1 and limit.current is None


def test_a_large_model_keeps_the_many_threads_that_are_clearly_faster():
    plan, limit = plan_for({})
    run_steps(plan, limit, lambda n: 0.100 if n == 1 else 0.030, TRIAL)
    assert plan.chosen == 4 and limit.current == 4


def test_many_threads_only_slightly_faster_are_not_worth_it():
    plan, limit = plan_for({})
    run_steps(plan, limit, lambda n: 0.100 if n == 1 else 0.095, TRIAL)  # 5% faster: under the margin
    assert plan.chosen == 1


def test_the_warm_up_and_the_first_step_after_a_switch_are_not_timed():
    plan, limit = plan_for({})
    slow_steps = {0, 1} | {WARMUP_STEPS + BLOCK_STEPS * i for i in range(1, 2 * ROUNDS)}
    step = iter(range(TRIAL))

    def seconds(n):  # many threads clearly faster, except on the untimed steps, made very slow
        index = next(step)
        if index in slow_steps:
            return 5.0 if n == 1 else 0.025  # a slow untimed many-thread step must not end the trial either
        return 0.010 if n == 1 else 0.005

    run_steps(plan, limit, seconds, TRIAL)
    assert plan.chosen == 4


def test_a_far_slower_many_thread_step_ends_the_trial_at_once():
    choices = {}
    plan, limit = plan_for(choices)
    run_steps(plan, limit, lambda n: 0.001 if n == 1 else 0.060, WARMUP_STEPS + BLOCK_STEPS + 1)
    # Warm-up and a one-thread block, then a single many-thread step (60x slower): one thread for good.
    assert plan.chosen == 1 and choices == {"train": 1} and limit.history == [1, 4, 1]


def test_a_busy_machine_gets_one_thread_without_a_trial():
    plan, limit = plan_for({}, busy=True)
    assert plan.chosen == 1 and limit.history == [1]


def test_a_run_too_short_to_choose_runs_on_one_thread_and_remembers_nothing():
    choices = {}
    plan, limit = plan_for(choices)
    run_steps(plan, limit, lambda n: 0.01, WARMUP_STEPS + 1)
    assert plan.chosen is None and choices == {} and limit.history == [1]
    plan.close()
    assert limit.current is None


def test_a_remembered_choice_is_used_at_once_by_the_next_run():
    plan, limit = plan_for({"train": 1})
    assert plan.chosen == 1 and limit.history == [1]
    plan, limit = plan_for({"train": 4}, key="test")
    assert plan.chosen == 4 and limit.history == [4]  # fit's choice serves its evaluate


def test_the_users_count_is_used_throughout():
    plan, limit = plan_for({"train": 4}, fixed=2)
    run_steps(plan, limit, lambda n: 0.01, TRIAL + 3)
    assert plan.chosen == 2 and limit.history == [2]


def test_one_thread_to_have_means_no_trial():
    plan, limit = plan_for({}, many=1)
    assert plan.chosen == 1


# ------------------------------------------------------------------ who decides
@pytest.fixture
def no_thread_variables(monkeypatch):
    for name in (config.ENV_VARIABLE, *config.BLAS_VARIABLES):
        monkeypatch.delenv(name, raising=False)
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
        def on_train_batch_end(self, batch, logs=None):
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
    # A busy machine (this one, when other tests run) gets one thread with no trial and nothing remembered.
    chosen = report["choices"].get("train", 1)
    assert chosen in (1, many) and set(report["seen"]) <= {1, many}
    assert report["seen"][TRIAL:] == [chosen] * (len(report["seen"]) - TRIAL)
