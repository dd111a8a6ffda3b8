"""The pieces of a lesson's check: verdicts that teach, and guards that hold in every thread."""

import concurrent.futures
import gc
import threading
import weakref

import numpy as np
import pytest

import tinyfit
import tinyfit as keras
from tinyfit.course import checks


def _library_mean(values):
    metric = keras.metrics.Mean()
    metric.update_state(np.asarray(values, "float32"))
    return float(metric.result())


def test_by_hand_passes_numpy_only_code_and_leaves_tinyfit_working():
    with checks.by_hand("mean"):
        assert np.mean([1.0, 2.0]) == 1.5
    assert _library_mean([1.0, 3.0]) == 2.0


@pytest.mark.parametrize("how", ["directly", "from a new thread", "from a thread pool made before the check",
                                 "through an alias taken before the check"])
def test_by_hand_sees_tinyfit_however_it_is_called(how):
    pool = concurrent.futures.ThreadPoolExecutor(1)
    pool.submit(lambda: None).result()  # its worker thread exists before the guard starts
    alias = keras.ops.sum
    calls = {
        "directly": lambda: _library_mean([1.0]),
        "from a new thread": lambda: _run_in_thread(lambda: _library_mean([1.0])),
        "from a thread pool made before the check": lambda: pool.submit(_library_mean, [1.0]).result(),
        "through an alias taken before the check": lambda: alias(np.ones(3, "float32")),
    }
    with pytest.raises(checks.CheckFailed, match="answer called tinyfit"):
        with checks.by_hand("answer"):
            calls[how]()
    pool.shutdown()
    assert _library_mean([2.0, 4.0]) == 3.0  # the guard put every function back


def _run_in_thread(work):
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


def test_without_names_the_piece_and_allows_the_rest():
    with checks.without("MyMetric", keras.metrics.MeanAbsoluteError):
        keras.ops.abs(np.ones(2, "float32"))  # ops are allowed
    with pytest.raises(checks.CheckFailed, match=r"MyMetric used tinyfit's MeanAbsoluteError \(from thread"):
        with checks.without("MyMetric", keras.metrics.MeanAbsoluteError):
            _run_in_thread(lambda: keras.metrics.MeanAbsoluteError())


def test_a_subclass_calling_super_still_works_under_the_guard():
    class Mine(keras.metrics.Metric):
        def __init__(self):
            super().__init__(name="mine")  # super() needs the method's __class__ cell

        def update_state(self, *args, **kwargs):
            pass

        def result(self):
            return 0.0

    with checks.without("Mine", keras.metrics.Mean):
        assert Mine().name == "mine"


def test_an_error_inside_the_guard_puts_every_function_back():
    code = keras.metrics.Mean.__init__.__code__
    with pytest.raises(ZeroDivisionError):
        with checks.by_hand("answer"):
            1 / 0
    assert keras.metrics.Mean.__init__.__code__ is code


def test_guards_do_not_nest():
    with checks.by_hand("outer"):
        with pytest.raises(RuntimeError, match="do not nest"):
            with checks.without("inner", keras.metrics.Mean):
                pass


def test_an_unfilled_stub_is_not_done_and_other_errors_pass_through():
    def stub(*args):
        raise NotImplementedError()

    with pytest.raises(checks.NotDone, match="Exercise 4 is not done yet: my_answer still raises") as caught:
        with checks.exercise("Exercise 4", "my_answer"):
            stub()
    assert caught.value._render_traceback_() == [f"NotDone: {caught.value}"]  # the message alone
    with pytest.raises(TypeError):
        with checks.exercise("Exercise 4", "my_answer"):
            len(3)


def test_a_failed_check_shows_its_message_without_the_checks_source():
    error = checks.CheckFailed("batch 2 is wrong; weigh each batch by its size")
    assert error._render_traceback_() == ["CheckFailed: batch 2 is wrong; weigh each batch by its size"]
    with pytest.raises(checks.CheckFailed, match="weigh"):
        checks.verify(False, "weigh each batch")
    checks.verify(True, "never raised")


def test_fresh_rngs_draw_different_cases():
    assert len({checks.fresh_seed() for _ in range(20)}) > 15
    assert not np.array_equal(checks.fresh_rng().random(4), checks.fresh_rng().random(4))


def test_an_error_in_the_answer_keeps_the_answers_traceback_and_hides_the_checks():
    answer_cell: dict = {}
    exec(compile('def answer():\n    return {}["missing"]\n', "<answer cell>", "exec"), answer_cell)
    check_cell: dict = {"checks": checks, "answer": answer_cell["answer"]}
    exec(compile('def check():\n    SECRET = 42  # a hidden case\n'
                 '    with checks.failing_as("load_by_hand on a functional model"):\n'
                 '        answer()  # the hidden case is SECRET\n', "<check cell>", "exec"), check_cell)
    with pytest.raises(checks.CheckFailed, match="load_by_hand on a functional model failed: KeyError") as caught:
        check_cell["check"]()
    shown = "\n".join(caught.value._render_traceback_())
    assert '<answer cell>' in shown and shown.endswith("KeyError: 'missing'")
    assert "<check cell>" not in shown and "SECRET" not in shown
    with pytest.raises(NotImplementedError):  # a stub stays a stub, for checks.exercise to report
        with checks.failing_as("anything"):
            raise NotImplementedError()


def test_calls_to_counts_calls_from_every_thread_without_failing():
    with checks.calls_to(keras.ops.sum) as calls:
        keras.ops.sum(np.ones(2, "float32"))
        _run_in_thread(lambda: keras.ops.sum(np.ones(3, "float32")))
    assert [name for name, _ in calls] == ["sum", "sum"]
    assert calls[0][1] != calls[1][1]  # the second from another thread


def test_an_interrupt_while_the_guard_starts_leaves_nothing_swapped(monkeypatch):
    code = keras.metrics.Mean.__init__.__code__
    real = checks._trampoline
    made = []

    def interrupted(n_free):
        if len(made) == 50:
            raise KeyboardInterrupt
        made.append(n_free)
        return real(n_free)

    monkeypatch.setattr(checks, "_trampoline", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with checks.by_hand("answer"):
            pass
    monkeypatch.undo()
    assert keras.metrics.Mean.__init__.__code__ is code
    with checks.by_hand("answer"):  # and the next guard starts: none is left running
        pass


def test_garbage_left_before_an_answer_is_not_collected_while_it_runs():
    # A tinyfit object freed only by the cyclic collector, whose finalizer calls tinyfit (as a
    # TensorBoard callback left by an earlier cell closes its files): however much the answer
    # allocates, the collector does not run it until the answer is done.
    class Holder:
        pass

    closed = []
    holder = Holder()
    holder.cycle = holder
    writers = {"train": type("Writer", (), {"close": lambda self: closed.append(True)})()}
    weakref.finalize(holder, tinyfit.callbacks.tensorboard._close_writers, writers)
    del holder
    with checks.by_hand("answer"):
        garbage = [[] for _ in range(100_000)]  # far past the collector's thresholds
        seen_inside = list(closed)
    gc.collect()
    assert seen_inside == [] and closed == [True] and len(garbage) == 100_000


def test_the_guard_keeps_the_collector_off_while_the_answer_runs_and_turns_it_back_on():
    assert gc.isenabled()
    with checks.by_hand("answer"):
        assert not gc.isenabled()
    assert gc.isenabled()
