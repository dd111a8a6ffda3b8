"""Lesson 06's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solutions; each check is then called with answers a
student might write.
"""

from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "06_metrics.ipynb"


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


def _stub_metric(ns):
    keras = ns["keras"]

    class Stub(keras.metrics.Metric):
        def __init__(self, name="stub", **kwargs):
            super().__init__(name=name, **kwargs)
            raise NotImplementedError()

    return Stub


@pytest.mark.parametrize("check", ["check_epoch_accuracy", "check_mae_metric", "check_precision_metric"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    stub = _stub if check == "check_epoch_accuracy" else _stub_metric(ns)
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](stub)


@pytest.mark.parametrize("marker", ["def epoch_accuracy(", "class MyMeanAbsoluteError(", "class MyPrecision("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)
    out = capsys.readouterr().out
    assert "correct" in out or "right after every batch" in out


# ------------------------------------------------------------ exercise 1
WRONG_AVERAGES = {
    "mean of the batch accuracies": lambda accuracies, sizes: np.mean(accuracies),
    "divided by the number of batches": lambda accuracies, sizes: np.dot(accuracies, sizes) / len(sizes),
    "sizes forgotten on top": lambda accuracies, sizes: np.sum(accuracies) / np.sum(sizes) * len(sizes),
    "section 1's answer hard-coded": lambda accuracies, sizes: 0.7,
    "the last batch left out": lambda accuracies, sizes: np.dot(accuracies[:-1], sizes[:-1]) / np.sum(sizes[:-1]),
    "every batch taken as full": lambda accuracies, sizes: np.mean(accuracies[:-1]) * (len(sizes) - 1) / len(sizes)
    + accuracies[-1] / len(sizes),
    "rounded to two decimals": lambda accuracies, sizes: round(float(np.dot(accuracies, sizes) / np.sum(sizes)), 2),
    "an array of per-batch parts": lambda accuracies, sizes: np.multiply(accuracies, sizes) / np.sum(sizes),
}


def _writes_into_its_input(accuracies, sizes):
    sizes = np.asarray(sizes) if isinstance(sizes, np.ndarray) else sizes
    for i, (a, n) in enumerate(zip(accuracies, sizes)):
        accuracies[i] = a * n  # turns the caller's accuracies into counts
    return sum(accuracies) / sum(sizes)


WRONG_AVERAGES["writes into the caller's list"] = _writes_into_its_input


@pytest.mark.parametrize("mistake", list(WRONG_AVERAGES))
def test_epoch_accuracy_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_epoch_accuracy"](WRONG_AVERAGES[mistake])


def test_epoch_accuracy_check_rejects_asking_a_library_metric(ns):
    keras = ns["keras"]

    def from_library(accuracies, sizes):
        mean = keras.metrics.Mean()
        mean.update_state(np.asarray(accuracies), sample_weight=np.asarray(sizes, dtype="float32"))
        return float(mean.result())

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_epoch_accuracy"](from_library)


def test_epoch_accuracy_check_rejects_the_library_called_from_a_thread(ns):
    import threading

    keras, result = ns["keras"], {}

    def from_library(accuracies, sizes):
        def work():
            mean = keras.metrics.Mean()
            mean.update_state(np.asarray(accuracies, "float32"), sample_weight=np.asarray(sizes, dtype="float32"))
            result["value"] = float(mean.result())

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        return result["value"]

    with pytest.raises(AssertionError, match=r"called tinyfit .* \(from thread"):
        ns["check_epoch_accuracy"](from_library)


def test_epoch_accuracy_check_accepts_a_loop(ns, capsys):
    def epoch_accuracy(batch_accuracies, batch_sizes):
        right = seen = 0
        for accuracy, size in zip(batch_accuracies, batch_sizes):
            right += accuracy * size
            seen += size
        return right / seen

    ns["check_epoch_accuracy"](epoch_accuracy)
    assert "correct" in capsys.readouterr().out


def test_epoch_accuracy_check_accepts_float32_arithmetic(ns, capsys):
    def epoch_accuracy(batch_accuracies, batch_sizes):  # right, to float32's precision
        accuracies = np.asarray(batch_accuracies, dtype=np.float32)
        sizes = np.asarray(batch_sizes, dtype=np.float32)
        return np.sum(accuracies * sizes) / np.sum(sizes)

    for _ in range(3):  # fresh cases each time: a tolerance fit for float64 only fails it on most draws
        ns["check_epoch_accuracy"](epoch_accuracy)
    assert "correct" in capsys.readouterr().out


def test_epoch_accuracy_check_rejects_a_string(ns):
    def epoch_accuracy(batch_accuracies, batch_sizes):
        return f"{np.dot(batch_accuracies, batch_sizes) / np.sum(batch_sizes)}"

    with pytest.raises(AssertionError, match="as a number"):
        ns["check_epoch_accuracy"](epoch_accuracy)


# ------------------------------------------------------------ exercise 2
def _mae(ns, update, result=None, name="my_mean_absolute_error", reset=True):
    keras, ops = ns["keras"], ns["ops"]

    class MyMeanAbsoluteError(keras.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            update(self, ops, ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred))

        def result(self):
            return (result or (lambda self, ops: self.total / ops.maximum(self.count, 1.0)))(self, ops)

        if not reset:
            def reset_state(self):
                pass

    return MyMeanAbsoluteError


def _per_sample(self, ops, y_true, y_pred):
    errors = ops.abs(y_true - y_pred)
    self.total.assign_add(ops.sum(errors))
    self.count.assign_add(errors.shape[0])


def _batch_means(self, ops, y_true, y_pred):  # section 1's mistake: every batch counts once
    self.total.assign_add(ops.mean(ops.abs(y_true - y_pred)))
    self.count.assign_add(1.0)


def _library_subclass(ns):
    keras = ns["keras"]

    class MyMeanAbsoluteError(keras.metrics.MeanAbsoluteError):
        def __init__(self, name="my_mean_absolute_error", **kwargs):
            super().__init__(name=name, **kwargs)

    return MyMeanAbsoluteError


def _library_inside(ns):
    keras = ns["keras"]

    class MyMeanAbsoluteError(keras.metrics.Metric):
        def __init__(self, name="my_mean_absolute_error", **kwargs):
            super().__init__(name=name, **kwargs)
            self.inner = keras.metrics.MeanAbsoluteError()

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.inner.update_state(y_true, y_pred, sample_weight)

        def result(self):
            return self.inner.result()

        def reset_state(self):
            self.inner.reset_state()

    return MyMeanAbsoluteError


@pytest.mark.parametrize("mistake", ["batch means averaged", "no reset", "wrong name", "subclass of the library's",
                                     "the library's inside"])
def test_mae_check_rejects(ns, mistake):
    wrong = {
        "batch means averaged": lambda: _mae(ns, _batch_means),
        "no reset": lambda: _mae(ns, _per_sample, reset=False),
        "wrong name": lambda: _mae(ns, _per_sample, name="mae"),
        "subclass of the library's": lambda: _library_subclass(ns),
        "the library's inside": lambda: _library_inside(ns),
    }[mistake]()
    with pytest.raises(AssertionError):
        ns["check_mae_metric"](wrong)


def test_mae_check_names_the_subclass_and_the_delegation(ns):
    with pytest.raises(AssertionError, match="inherits from tinyfit's MeanAbsoluteError"):
        ns["check_mae_metric"](_library_subclass(ns))
    with pytest.raises(AssertionError, match="used tinyfit's (MeanAbsoluteError|mean_absolute_error)"):
        ns["check_mae_metric"](_library_inside(ns))


def test_mae_check_accepts_another_correct_form(ns, capsys):
    keras, ops = ns["keras"], ns["ops"]

    class MyMeanAbsoluteError(keras.metrics.Metric):
        def __init__(self, name="my_mean_absolute_error", **kwargs):
            super().__init__(name=name, **kwargs)
            self.error_sum = self.add_variable(shape=(), initializer="zeros", name="error_sum")
            self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

        def update_state(self, y_true, y_pred, sample_weight=None):
            batch_mean = ops.mean(ops.abs(ops.convert_to_tensor(y_pred) - ops.convert_to_tensor(y_true)))
            n = np.asarray(y_true).shape[0]
            self.error_sum.assign_add(batch_mean * n)  # back to a sum before adding batches
            self.seen.assign_add(float(n))

        def result(self):
            return ops.divide(self.error_sum, ops.maximum(self.seen, 1.0))

        def reset_state(self):
            self.error_sum.assign(0.0)
            self.seen.assign(0.0)

    ns["check_mae_metric"](MyMeanAbsoluteError)
    assert "right after every batch" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
def _precision(ns, flag=lambda score: score > 0.5, recall=False, guard_empty=True):
    keras, ops = ns["keras"], ns["ops"]

    class MyPrecision(keras.metrics.Metric):
        def __init__(self, name="my_precision", **kwargs):
            super().__init__(name=name, **kwargs)
            self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")
            self.other = self.add_variable(shape=(), initializer="zeros", name="other")

        def update_state(self, y_true, y_pred, sample_weight=None):
            truth = np.asarray(y_true, dtype="float32").reshape(-1)
            flagged = flag(np.asarray(y_pred).reshape(-1)).astype("float32")
            self.tp.assign_add(np.sum(flagged * truth))
            self.other.assign_add(np.sum((1 - flagged) * truth) if recall else np.sum(flagged * (1 - truth)))

        def result(self):
            total = self.tp + self.other
            return self.tp / (ops.maximum(total, 1.0) if guard_empty else total)

    return MyPrecision


def _precision_subclass(ns):
    keras = ns["keras"]

    class MyPrecision(keras.metrics.Precision):
        def __init__(self, name="my_precision", **kwargs):
            super().__init__(name=name, **kwargs)

    return MyPrecision


@pytest.mark.parametrize("mistake", ["at or above 0.5", "recall", "nan before any data", "subclass of Precision"])
def test_precision_check_rejects(ns, mistake):
    wrong = {
        "at or above 0.5": lambda: _precision(ns, flag=lambda score: score >= 0.5),
        "recall": lambda: _precision(ns, recall=True),
        "nan before any data": lambda: _precision(ns, guard_empty=False),
        "subclass of Precision": lambda: _precision_subclass(ns),
    }[mistake]()
    with np.errstate(all="ignore"), pytest.raises(AssertionError):
        ns["check_precision_metric"](wrong)


def test_precision_check_names_the_subclass(ns):
    with pytest.raises(AssertionError, match="inherits from tinyfit's Precision"):
        ns["check_precision_metric"](_precision_subclass(ns))


def test_precision_check_accepts_another_correct_form(ns, capsys):
    ns["check_precision_metric"](_precision(ns, flag=lambda score: ~(score <= 0.5)))
    assert "right after every batch" in capsys.readouterr().out
