"""Lesson 08's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
answers stubbed as in the student release; each check is then called with answers a
student might write. Most wrong answers are caught by the checks' stand-in runs, before
any real training.
"""

from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "08_the_training_loop.ipynb"


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


def _stub_callback(ns):
    keras = ns["keras"]

    class Stub(keras.callbacks.Callback):
        def __init__(self, *args, **kwargs):
            super().__init__()
            raise NotImplementedError()

    return Stub


@pytest.mark.parametrize("check", ["check_stop_at_accuracy", "check_keep_best_weights", "check_halve_every_two"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    stub = _stub if check == "check_halve_every_two" else _stub_callback(ns)
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](stub)


@pytest.mark.parametrize("marker", ["class StopAtAccuracy(", "class KeepBestWeights(", "def halve_every_two("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)
    out = capsys.readouterr().out
    assert "Well done" in out or "halves every two epochs" in out


# ------------------------------------------------------------ exercise 1
def _stopper(ns, decide, hook="on_epoch_end", key=None, default="sparse_categorical_accuracy"):
    keras = ns["keras"]

    class StopAtAccuracy(keras.callbacks.Callback):
        def __init__(self, threshold, monitor=default):
            super().__init__()
            self.threshold, self.monitor = threshold, monitor

    def on_hook(self, index, logs=None):
        if decide(self, logs[key or self.monitor], self.threshold):
            self.model.stop_training = True

    setattr(StopAtAccuracy, hook, on_hook)
    return StopAtAccuracy


def _remembers_the_best(ns):
    keras = ns["keras"]

    class StopAtAccuracy(keras.callbacks.Callback):
        def __init__(self, threshold, monitor="sparse_categorical_accuracy"):
            super().__init__()
            self.threshold, self.monitor, self.best = threshold, monitor, 0.0  # never reset between fits

        def on_epoch_end(self, epoch, logs=None):
            self.best = max(self.best, logs[self.monitor])
            if self.best > self.threshold:
                self.model.stop_training = True

    return StopAtAccuracy


def _first_accuracy_key(ns):
    keras = ns["keras"]

    class StopAtAccuracy(keras.callbacks.Callback):
        def __init__(self, threshold, monitor="sparse_categorical_accuracy"):
            super().__init__()
            self.threshold = threshold

        def on_epoch_end(self, epoch, logs=None):
            value = next(v for k, v in logs.items() if "acc" in k)  # whichever accuracy comes first
            if value > self.threshold:
                self.model.stop_training = True

    return StopAtAccuracy


def _early_stopping_with_a_baseline(ns):
    keras = ns["keras"]

    class StopAtAccuracy(keras.callbacks.EarlyStopping):
        def __init__(self, threshold, monitor="sparse_categorical_accuracy"):
            super().__init__(monitor=monitor, mode="max", baseline=threshold, patience=0)

    return StopAtAccuracy


def _early_stopping_inside(ns):
    keras = ns["keras"]

    class StopAtAccuracy(keras.callbacks.Callback):
        def __init__(self, threshold, monitor="sparse_categorical_accuracy"):
            super().__init__()
            self.inner = keras.callbacks.EarlyStopping(monitor=monitor, mode="max", baseline=threshold, patience=0)

        def set_model(self, model):
            super().set_model(model)
            self.inner.set_model(model)

        def on_train_begin(self, logs=None):
            self.inner.on_train_begin(logs)

        def on_epoch_end(self, epoch, logs=None):
            self.inner.on_epoch_end(epoch, logs)

    return StopAtAccuracy


STOP_MISTAKES = {
    "at or above": lambda ns: _stopper(ns, lambda self, value, threshold: value >= threshold),
    "during the epoch": lambda ns: _stopper(ns, lambda self, value, threshold: value > threshold,
                                            hook="on_train_batch_end"),
    "threshold ignored": lambda ns: _stopper(ns, lambda self, value, threshold: value > 0.9),
    "monitor ignored": lambda ns: _stopper(ns, lambda self, value, threshold: value > threshold,
                                           key="sparse_categorical_accuracy"),
    "validation accuracy always": lambda ns: _stopper(ns, lambda self, value, threshold: value > threshold,
                                                      key="val_sparse_categorical_accuracy"),
    "another default monitor": lambda ns: _stopper(ns, lambda self, value, threshold: value > threshold,
                                                   default="accuracy"),
    "below, not above": lambda ns: _stopper(ns, lambda self, value, threshold: value < threshold),
    "the best so far, never reset": _remembers_the_best,
    "the first accuracy in the logs": _first_accuracy_key,
    "EarlyStopping with a baseline": _early_stopping_with_a_baseline,
    "EarlyStopping inside": _early_stopping_inside,
}


@pytest.mark.parametrize("mistake", list(STOP_MISTAKES))
def test_stop_at_accuracy_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_stop_at_accuracy"](STOP_MISTAKES[mistake](ns))


def test_stop_at_accuracy_check_names_the_library_and_the_mid_epoch_stop(ns):
    with pytest.raises(AssertionError, match="inherits from tinyfit's EarlyStopping"):
        ns["check_stop_at_accuracy"](_early_stopping_with_a_baseline(ns))
    with pytest.raises(AssertionError, match="used tinyfit's EarlyStopping"):
        ns["check_stop_at_accuracy"](_early_stopping_inside(ns))
    with pytest.raises(AssertionError, match="in the middle of epoch"):
        ns["check_stop_at_accuracy"](STOP_MISTAKES["during the epoch"](ns))


def test_stop_at_accuracy_check_accepts_other_correct_forms(ns, capsys):
    keras = ns["keras"]

    class Negated(keras.callbacks.Callback):
        def __init__(self, threshold, monitor="sparse_categorical_accuracy"):
            super().__init__()
            self.threshold, self.monitor = threshold, monitor

        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = self.model.stop_training or not logs[self.monitor] <= self.threshold

    class Counted(keras.callbacks.Callback):  # keeps state, reset at the start of every fit
        def __init__(self, threshold, monitor="sparse_categorical_accuracy"):
            super().__init__()
            self.threshold, self.monitor = threshold, monitor

        def on_train_begin(self, logs=None):
            self.seen = []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append(float(logs.get(self.monitor)))
            if max(self.seen) > self.threshold:
                self.model.stop_training = True

    for answer in (Negated, Counted):
        ns["check_stop_at_accuracy"](answer)
    assert capsys.readouterr().out.count("Well done") == 2


# ------------------------------------------------------------ exercise 2
def _keeper(ns, key=None, better=lambda new, best: new < best, restore_every_epoch=False, restore=True,
            reset=True, default="val_loss"):
    keras = ns["keras"]

    class KeepBestWeights(keras.callbacks.Callback):
        def __init__(self, monitor=default):
            super().__init__()
            self.monitor, self.best, self.weights = monitor, None, None

        def on_train_begin(self, logs=None):
            if reset:
                self.best, self.weights = None, None

        def on_epoch_end(self, epoch, logs=None):
            value = logs[key or self.monitor]
            if self.best is None or better(value, self.best):
                self.best, self.weights = value, self.model.get_weights()
            if restore_every_epoch:
                self.model.set_weights(self.weights)

        def on_train_end(self, logs=None):
            if restore:
                self.model.set_weights(self.weights)

    return KeepBestWeights


def _restore_best_weights_of_early_stopping(ns):
    keras = ns["keras"]

    class KeepBestWeights(keras.callbacks.EarlyStopping):
        def __init__(self, monitor="val_loss"):
            super().__init__(monitor=monitor, patience=1000, restore_best_weights=True)

    return KeepBestWeights


def _first_improvement_skipped(ns):
    keras = ns["keras"]

    class KeepBestWeights(keras.callbacks.Callback):
        def __init__(self, monitor="val_loss"):
            super().__init__()
            self.monitor = monitor

        def on_train_begin(self, logs=None):
            self.best, self.weights = None, None

        def on_epoch_end(self, epoch, logs=None):
            if self.best is None:  # the first epoch only sets the bar
                self.best = logs[self.monitor]
            elif logs[self.monitor] < self.best:
                self.best, self.weights = logs[self.monitor], self.model.get_weights()

        def on_train_end(self, logs=None):
            if self.weights is not None:
                self.model.set_weights(self.weights)

    return KeepBestWeights


def _best_starts_at(ns, start):
    keras = ns["keras"]

    class KeepBestWeights(keras.callbacks.Callback):
        def __init__(self, monitor="val_loss"):
            super().__init__()
            self.monitor = monitor

        def on_train_begin(self, logs=None):
            self.best, self.weights = start, None  # a "large enough" number instead of infinity

        def on_epoch_end(self, epoch, logs=None):
            if logs[self.monitor] < self.best:
                self.best, self.weights = logs[self.monitor], self.model.get_weights()

        def on_train_end(self, logs=None):
            if self.weights is not None:
                self.model.set_weights(self.weights)

    return KeepBestWeights


KEEP_MISTAKES = {
    "best starts at 1.0": lambda ns: _best_starts_at(ns, 1.0),
    "best starts at a million": lambda ns: _best_starts_at(ns, 1e6),
    "best starts at a billion": lambda ns: _best_starts_at(ns, 1e9),
    "training loss": lambda ns: _keeper(ns, key="loss"),
    "always val_loss": lambda ns: _keeper(ns, key="val_loss"),
    "highest": lambda ns: _keeper(ns, better=lambda new, best: new > best),
    "never restored": lambda ns: _keeper(ns, restore=False),
    "restored every epoch": lambda ns: _keeper(ns, restore_every_epoch=True),
    "state not reset between fits": lambda ns: _keeper(ns, reset=False),
    "another default monitor": lambda ns: _keeper(ns, default="loss"),
    "the first epoch never kept": _first_improvement_skipped,
    "EarlyStopping's restore_best_weights": _restore_best_weights_of_early_stopping,
}


@pytest.mark.parametrize("mistake", list(KEEP_MISTAKES))
def test_keep_best_weights_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_keep_best_weights"](KEEP_MISTAKES[mistake](ns))


def test_keep_best_weights_check_names_the_library_callback(ns):
    with pytest.raises(AssertionError, match="inherits from tinyfit's EarlyStopping"):
        ns["check_keep_best_weights"](_restore_best_weights_of_early_stopping(ns))


def test_keep_best_weights_check_accepts_other_correct_forms(ns, capsys):
    keras = ns["keras"]

    class EveryEpoch(keras.callbacks.Callback):
        def __init__(self, monitor="val_loss"):
            super().__init__()
            self.monitor = monitor

        def on_train_begin(self, logs=None):
            self.history = []

        def on_epoch_end(self, epoch, logs=None):
            self.history.append((logs[self.monitor], epoch, self.model.get_weights()))

        def on_train_end(self, logs=None):
            _, _, weights = min(self.history, key=lambda entry: entry[:2])
            self.model.set_weights(weights)

    ties_to_the_latest = _keeper(ns, better=lambda new, best: new <= best)
    for answer in (EveryEpoch, ties_to_the_latest):
        ns["check_keep_best_weights"](answer)
    assert capsys.readouterr().out.count("Well done") == 2


# ------------------------------------------------------------ exercise 3
def _library_staircase(ns):
    keras = ns["keras"]
    schedule = keras.optimizers.schedules.ExponentialDecay(0.001, decay_steps=2, decay_rate=0.5, staircase=True)
    return lambda epoch, lr: float(schedule(epoch))


def _counting_calls():
    calls = [0]

    def halve_every_two(epoch, lr):  # counts its own calls instead of reading the epoch
        calls[0] += 1
        return lr / 2 if calls[0] > 1 and (calls[0] - 1) % 2 == 0 else lr

    return halve_every_two


WRONG_SCHEDULES = {
    "compounding the current rate": lambda epoch, lr: lr * 0.5 ** (epoch // 2),
    "halving at odd epochs": lambda epoch, lr: lr / 2 if epoch % 2 == 1 else lr,
    "halving at epoch 0 too": lambda epoch, lr: lr / 2 if epoch % 2 == 0 else lr,
    "halving every epoch": lambda epoch, lr: lr / 2 if epoch > 0 else lr,
    "the start rate written in": lambda epoch, lr: 0.001 * 0.5 ** (epoch // 2),
    "integer division": lambda epoch, lr: lr // 2 if epoch > 0 and epoch % 2 == 0 else lr,
    "an array of one": lambda epoch, lr: np.array([lr / 2 if epoch > 0 and epoch % 2 == 0 else lr]),
    "every third epoch": lambda epoch, lr: lr / 2 if epoch > 0 and epoch % 3 == 0 else lr,
}


@pytest.mark.parametrize("mistake", list(WRONG_SCHEDULES) + ["counting its calls", "the library's ExponentialDecay"])
def test_halve_every_two_check_rejects(ns, mistake):
    wrong = WRONG_SCHEDULES.get(mistake) or (_counting_calls() if mistake == "counting its calls"
                                             else _library_staircase(ns))
    with pytest.raises(AssertionError):
        ns["check_halve_every_two"](wrong)


def test_halve_every_two_check_names_the_library(ns):
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_halve_every_two"](_library_staircase(ns))


def test_halve_every_two_check_accepts_other_correct_forms(ns, capsys):
    ns["check_halve_every_two"](lambda epoch, lr: lr * (0.5 if epoch and not epoch % 2 else 1.0))
    ns["check_halve_every_two"](lambda epoch, lr: np.float32(lr) / np.float32(2) if epoch in range(2, 10**6, 2)
                                else lr)
    assert capsys.readouterr().out.count("halves every two epochs") == 2
