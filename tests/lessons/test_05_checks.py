"""Lesson 05's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solutions; each check is then called with answers a
student might write.
"""

from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "05_losses.ipynb"


def test_the_guides_endpoint_predicts_softmax_rows_that_sum_to_one(ns):
    # The lesson's point: the guide's LogisticEndpoint trains sigmoid outputs but predicts a softmax.
    np.testing.assert_allclose(ns["from_predict"].sum(axis=1), 1.0, rtol=1e-5)
    assert ns["bce_by_hand"](ns["as_trained"]) < ns["bce_by_hand"](ns["from_predict"])


@pytest.mark.parametrize("check", ["check_cross_entropy", "check_huber", "check_bce"])
def test_a_check_waits_for_an_answer(ns, check, capsys):
    ns[check](None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("marker", ["def cross_entropy(", "class MyHuber(", "def bce("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _naive(logits, labels):  # the overflow section 2 warns about
    with np.errstate(all="ignore"):
        e = np.exp(logits)
        return -np.log(e[np.arange(len(labels)), labels] / e.sum(axis=-1)).mean()


def _summed(logits, labels):  # sum over the batch instead of the mean
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels].sum()


def _max_over_the_batch(logits, labels):  # subtracts each column's max: the classes no longer cancel
    shifted = logits - logits.max(axis=0, keepdims=True)
    with np.errstate(all="ignore"):
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels].mean()


def _from_the_library(ns):
    keras = ns["keras"]
    return lambda logits, labels: keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)


@pytest.mark.parametrize("mistake", ["naive", "summed", "max over the batch", "from the library"])
def test_cross_entropy_check_rejects(ns, mistake):
    wrong = {"naive": _naive, "summed": _summed, "max over the batch": _max_over_the_batch,
             "from the library": _from_the_library(ns)}[mistake]
    with pytest.raises(AssertionError):
        ns["check_cross_entropy"](wrong)


def test_cross_entropy_check_names_the_library_call(ns):
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_cross_entropy"](_from_the_library(ns))


def test_cross_entropy_check_accepts_logsumexp(ns, capsys):
    def cross_entropy(logits, labels):
        top = np.max(logits, axis=1)
        log_sum = top + np.log(np.sum(np.exp(logits - top[:, None]), axis=1))
        picked = np.take_along_axis(logits, labels[:, None], axis=1)[:, 0]
        return np.mean(log_sum - picked)

    ns["check_cross_entropy"](cross_entropy)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2
def _huber_subclass(ns):
    keras = ns["keras"]

    class MyHuber(keras.losses.Huber):
        pass

    return MyHuber


def _huber(ns, body):
    keras, ops = ns["keras"], ns["ops"]

    class MyHuber(keras.losses.Loss):
        def __init__(self, delta=1.0, name="my_huber"):
            super().__init__(name=name)
            self.delta = delta

        def call(self, y_true, y_pred):
            return body(keras, ops, y_true, y_pred, self.delta)

    return MyHuber


def _delegates(keras, ops, y_true, y_pred, delta):
    return keras.losses.huber(y_true, y_pred, delta=delta)


def _no_half(keras, ops, y_true, y_pred, delta):
    error = ops.abs(y_pred - y_true)
    return ops.mean(ops.where(error <= delta, ops.square(error), delta * (error - 0.5 * delta)), axis=-1)


def _delta_ignored(keras, ops, y_true, y_pred, delta):
    error = ops.abs(y_pred - y_true)
    return ops.mean(ops.where(error <= 1.0, 0.5 * ops.square(error), error - 0.5), axis=-1)


def _summed_last_axis(keras, ops, y_true, y_pred, delta):
    error = ops.abs(y_pred - y_true)
    return ops.sum(ops.where(error <= delta, 0.5 * ops.square(error), delta * (error - 0.5 * delta)), axis=-1)


@pytest.mark.parametrize("mistake", ["subclass of Huber", "delegates to keras.losses.huber", "no 0.5",
                                     "delta ignored", "summed over the last axis"])
def test_huber_check_rejects(ns, mistake):
    wrong = {
        "subclass of Huber": lambda: _huber_subclass(ns),
        "delegates to keras.losses.huber": lambda: _huber(ns, _delegates),
        "no 0.5": lambda: _huber(ns, _no_half),
        "delta ignored": lambda: _huber(ns, _delta_ignored),
        "summed over the last axis": lambda: _huber(ns, _summed_last_axis),
    }[mistake]()
    with pytest.raises(AssertionError):
        ns["check_huber"](wrong)


def test_huber_check_names_the_subclass_and_the_delegation(ns):
    with pytest.raises(AssertionError, match="inherits from tinyfit's Huber"):
        ns["check_huber"](_huber_subclass(ns))
    with pytest.raises(AssertionError, match="used tinyfit's huber"):
        ns["check_huber"](_huber(ns, _delegates))


def test_huber_check_accepts_a_minimum_form(ns, capsys):
    def clipped(keras, ops, y_true, y_pred, delta):
        error = ops.abs(y_true - y_pred)
        small = ops.minimum(error, delta)  # the quadratic part, at most delta
        return ops.mean(0.5 * ops.square(small) + delta * (error - small), axis=-1)

    ns["check_huber"](_huber(ns, clipped))
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
def _unclipped(y_true, y_pred):
    with np.errstate(all="ignore"):
        return (-(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))).mean()


def _clipped_too_far(y_true, y_pred):
    p = np.clip(y_pred, 1e-3, 1 - 1e-3)
    return (-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))).mean()


def _summed_over_outputs(y_true, y_pred):
    p = np.clip(y_pred, 1e-7, 1 - 1e-7)
    return (-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))).sum(axis=-1).mean()


@pytest.mark.parametrize("mistake", ["unclipped", "clipped too far", "summed over the outputs", "from the library"])
def test_bce_check_rejects(ns, mistake):
    keras = ns["keras"]
    wrong = {"unclipped": _unclipped, "clipped too far": _clipped_too_far,
             "summed over the outputs": _summed_over_outputs,
             "from the library": lambda t, p: keras.losses.binary_crossentropy(t, p).numpy().mean()}[mistake]
    with pytest.raises(AssertionError):
        ns["check_bce"](wrong)


def test_bce_check_accepts_another_correct_form(ns, capsys):
    def bce(y_true, y_pred):
        p = np.minimum(np.maximum(y_pred, 1e-7), 1 - 1e-7)
        per_value = np.where(y_true == 1, -np.log(p), -np.log(1 - p)) if np.all((y_true == 0) | (y_true == 1)) \
            else -(y_true * np.log(p) + (1 - y_true) * np.log1p(-p))
        return float(np.mean(np.mean(per_value, axis=-1)))

    ns["check_bce"](bce)
    assert "Well done" in capsys.readouterr().out
