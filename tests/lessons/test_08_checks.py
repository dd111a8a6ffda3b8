"""Lesson 08's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solutions; each check is then called with answers a
student might write. Wrong answers are caught by the checks' stand-in run, before any
real training.
"""

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "08_the_training_loop.ipynb"


@pytest.mark.parametrize("check", ["check_stop_at_accuracy", "check_keep_best_weights", "check_halve_every_two"])
def test_a_check_waits_for_an_answer(ns, check, capsys):
    ns[check](None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("marker", ["class StopAtAccuracy(", "class KeepBestWeights(", "def halve_every_two("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)
    out = capsys.readouterr().out
    assert "Well done" in out or "halves every two epochs" in out


# ------------------------------------------------------------ exercise 1
def _stopper(ns, decide, hook="on_epoch_end", key="sparse_categorical_accuracy"):
    keras = ns["keras"]

    class StopAtAccuracy(keras.callbacks.Callback):
        def __init__(self, threshold):
            super().__init__()
            self.threshold = threshold

    def on_hook(self, index, logs=None):
        if decide(logs[key], self.threshold):
            self.model.stop_training = True

    setattr(StopAtAccuracy, hook, on_hook)
    return StopAtAccuracy


def _early_stopping_with_a_baseline(ns):
    keras = ns["keras"]

    class StopAtAccuracy(keras.callbacks.EarlyStopping):
        def __init__(self, threshold):
            super().__init__(monitor="sparse_categorical_accuracy", mode="max", baseline=threshold, patience=0)

    return StopAtAccuracy


@pytest.mark.parametrize("mistake", ["at or above", "during the epoch", "threshold ignored", "validation accuracy",
                                     "EarlyStopping with a baseline"])
def test_stop_at_accuracy_check_rejects(ns, mistake):
    wrong = {
        "at or above": lambda: _stopper(ns, lambda accuracy, threshold: accuracy >= threshold),
        "during the epoch": lambda: _stopper(ns, lambda accuracy, threshold: accuracy > threshold,
                                             hook="on_train_batch_end"),
        "threshold ignored": lambda: _stopper(ns, lambda accuracy, threshold: accuracy > 0.9),
        "validation accuracy": lambda: _stopper(ns, lambda accuracy, threshold: accuracy > threshold,
                                                key="val_sparse_categorical_accuracy"),
        "EarlyStopping with a baseline": lambda: _early_stopping_with_a_baseline(ns),
    }[mistake]()
    with pytest.raises(AssertionError):
        ns["check_stop_at_accuracy"](wrong)


def test_stop_at_accuracy_check_accepts_another_correct_form(ns, capsys):
    keras = ns["keras"]

    class StopAtAccuracy(keras.callbacks.Callback):
        def __init__(self, threshold):
            super().__init__()
            self.threshold = threshold

        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = self.model.stop_training or not logs["sparse_categorical_accuracy"] <= \
                self.threshold

    ns["check_stop_at_accuracy"](StopAtAccuracy)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2
def _keeper(ns, key="val_loss", better=lambda new, best: new < best, restore_every_epoch=False, restore=True):
    keras = ns["keras"]

    class KeepBestWeights(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.best, self.weights = None, None

        def on_epoch_end(self, epoch, logs=None):
            if self.best is None or better(logs[key], self.best):
                self.best, self.weights = logs[key], self.model.get_weights()
            if restore_every_epoch:
                self.model.set_weights(self.weights)

        def on_train_end(self, logs=None):
            if restore:
                self.model.set_weights(self.weights)

    return KeepBestWeights


def _restore_best_weights_of_early_stopping(ns):
    keras = ns["keras"]

    class KeepBestWeights(keras.callbacks.EarlyStopping):
        def __init__(self):
            super().__init__(monitor="val_loss", patience=1000, restore_best_weights=True)

    return KeepBestWeights


@pytest.mark.parametrize("mistake", ["training loss", "highest", "never restored", "restored every epoch",
                                     "EarlyStopping's restore_best_weights"])
def test_keep_best_weights_check_rejects(ns, mistake):
    wrong = {
        "training loss": lambda: _keeper(ns, key="loss"),
        "highest": lambda: _keeper(ns, better=lambda new, best: new > best),
        "never restored": lambda: _keeper(ns, restore=False),
        "restored every epoch": lambda: _keeper(ns, restore_every_epoch=True),
        "EarlyStopping's restore_best_weights": lambda: _restore_best_weights_of_early_stopping(ns),
    }[mistake]()
    with pytest.raises(AssertionError):
        ns["check_keep_best_weights"](wrong)


def test_keep_best_weights_check_names_the_library_callback(ns):
    with pytest.raises(AssertionError, match="used tinyfit's EarlyStopping"):
        ns["check_keep_best_weights"](_restore_best_weights_of_early_stopping(ns))


def test_keep_best_weights_check_accepts_another_correct_form(ns, capsys):
    keras = ns["keras"]

    class KeepBestWeights(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history = []

        def on_epoch_end(self, epoch, logs=None):
            self.history.append((logs["val_loss"], epoch, self.model.get_weights()))

        def on_train_end(self, logs=None):
            _, _, weights = min(self.history, key=lambda entry: entry[:2])
            self.model.set_weights(weights)

    ns["check_keep_best_weights"](KeepBestWeights)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
def _library_staircase(ns):
    keras = ns["keras"]
    schedule = keras.optimizers.schedules.ExponentialDecay(0.001, decay_steps=2, decay_rate=0.5, staircase=True)
    return lambda epoch, lr: float(schedule(epoch))


WRONG_SCHEDULES = {
    "compounding the current rate": lambda epoch, lr: lr * 0.5 ** (epoch // 2),
    "halving at odd epochs": lambda epoch, lr: lr / 2 if epoch % 2 == 1 else lr,
    "halving at epoch 0 too": lambda epoch, lr: lr / 2 if epoch % 2 == 0 else lr,
    "the start rate written in": lambda epoch, lr: 0.001 * 0.5 ** (epoch // 2),
}


@pytest.mark.parametrize("mistake", list(WRONG_SCHEDULES) + ["the library's ExponentialDecay"])
def test_halve_every_two_check_rejects(ns, mistake):
    wrong = WRONG_SCHEDULES[mistake] if mistake in WRONG_SCHEDULES else _library_staircase(ns)
    with pytest.raises(AssertionError):
        ns["check_halve_every_two"](wrong)


def test_halve_every_two_check_accepts_another_correct_form(ns, capsys):
    ns["check_halve_every_two"](lambda epoch, lr: lr * (0.5 if epoch and not epoch % 2 else 1.0))
    assert "halves every two epochs" in capsys.readouterr().out
