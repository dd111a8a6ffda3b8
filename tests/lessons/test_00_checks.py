"""Lesson 00's exercise check rejects typical wrong answers and accepts right ones.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answer cell stubbed as in the student release; the check is then called with
answers a student might write.
"""

import threading
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "00_quickstart.ipynb"


def test_the_lesson_trains_to_the_guides_accuracy(ns):
    _, test_accuracy = ns["results"]
    assert test_accuracy > 0.93
    assert len(ns["x_train"]) == 50_000 and len(ns["x_val"]) == 10_000


def test_the_check_says_an_untouched_exercise_is_not_done(ns):
    def accuracy_by_hand(model, x, y):
        raise NotImplementedError()

    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns["check_accuracy"](accuracy_by_hand)


def test_the_reference_solution_passes_without_showing_the_answer_in_the_check(run_solution, capsys):
    run_solution("def accuracy_by_hand(")
    out = capsys.readouterr().out
    assert "Exercise: correct" in out
    (check_line,) = [line for line in out.splitlines() if line.startswith("Exercise:")]
    assert not any(ch.isdigit() for ch in check_line)  # the check prints no accuracy


def _from_a_thread(ns):
    keras = ns["keras"]

    def accuracy_by_hand(model, x, y):
        result = {}

        def work():
            result["value"] = float(np.mean(keras.ops.argmax(model.predict(x, verbose=0), axis=1).numpy() == y))

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        return result["value"]

    return accuracy_by_hand


def _writes_into_y(model, x, y):
    hits = model.predict(x, verbose=0).argmax(axis=1) == y
    y[...] = hits  # reuses the caller's labels as scratch space
    return float(np.mean(hits))


def _wrong_answers(ns):
    results, np_ = ns["results"], np
    keras = ns["keras"]
    return {
        "the number evaluate() printed": lambda model, x, y: results[1],
        "a call to evaluate()": lambda model, x, y: model.evaluate(x, y, verbose=0)[1],
        "the library's metric": lambda model, x, y: float(
            keras.metrics.sparse_categorical_accuracy(y, model.predict(x, verbose=0)).numpy().mean()),
        "the library's metric from a thread": _from_a_thread(ns),
        "a sum instead of a mean": lambda model, x, y: np_.sum(model.predict(x, verbose=0).argmax(axis=1) == y),
        "the highest probability compared with the label": lambda model, x, y: np_.mean(
            model.predict(x, verbose=0).max(axis=1) == y),
        "the global test labels instead of y": lambda model, x, y: np_.mean(
            model.predict(x, verbose=0).argmax(axis=1) == ns["y_test"]),
        "argmax over the wrong axis, broadcast": lambda model, x, y: np_.mean(
            model.predict(x, verbose=0).argmax(axis=0)[: len(y)] == y),
        "the error rate": lambda model, x, y: np_.mean(model.predict(x, verbose=0).argmax(axis=1) != y),
        "divided by one too few": lambda model, x, y: np_.sum(model.predict(x, verbose=0).argmax(axis=1) == y)
        / (len(y) - 1),
        "the first image left out": lambda model, x, y: np_.mean(model.predict(x, verbose=0).argmax(axis=1)[1:] == y[1:]),
        "ten classes assumed": lambda model, x, y: np_.mean(
            model.predict(x, verbose=0)[:, :10].reshape(len(y), -1).argmax(axis=1) % 10 == y) if
        model.predict(x, verbose=0).shape[1] == 10 else 0.5,
        "the per-image hits, not their mean": lambda model, x, y: model.predict(x, verbose=0).argmax(axis=1) == y,
        "rounded to two decimals": lambda model, x, y: round(float(np_.mean(
            model.predict(x, verbose=0).argmax(axis=1) == y)), 2),
        "predictions of the global test images": lambda model, x, y: np_.mean(
            model.predict(ns["x_test"][: len(y)], verbose=0).argmax(axis=1) == y),
        "writes into the caller's labels": _writes_into_y,
        "nothing returned": lambda model, x, y: None,
    }


MISTAKES = ["the number evaluate() printed", "a call to evaluate()", "the library's metric",
            "the library's metric from a thread", "a sum instead of a mean",
            "the highest probability compared with the label", "the global test labels instead of y",
            "argmax over the wrong axis, broadcast", "the error rate", "divided by one too few",
            "the first image left out", "ten classes assumed", "the per-image hits, not their mean",
            "rounded to two decimals", "predictions of the global test images", "writes into the caller's labels",
            "nothing returned"]


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_accuracy"](_wrong_answers(ns)[mistake])


@pytest.mark.parametrize("mistake, message", [("a call to evaluate()", "model.evaluate"),
                                              ("the library's metric", "called tinyfit"),
                                              ("the library's metric from a thread", r"called tinyfit .*from thread"),
                                              ("writes into the caller's labels", "changed the images or labels"),
                                              ("the per-image hits, not their mean", "one number"),
                                              ("nothing returned", "return the accuracy, a number")])
def test_the_check_names_the_mistake(ns, mistake, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_accuracy"](_wrong_answers(ns)[mistake])


def test_a_wrong_answer_leaves_the_lessons_test_labels_intact(ns):
    y_test = ns["y_test"].copy()
    with pytest.raises(AssertionError):
        ns["check_accuracy"](_writes_into_y)
    assert np.array_equal(ns["y_test"], y_test)


def test_the_check_accepts_a_loop(ns, capsys):
    def accuracy_by_hand(model, x, y):
        right = 0
        for row, label in zip(model.predict(x, verbose=0), y):
            right += int(np.argmax(row) == int(label))
        return right / len(y)

    ns["check_accuracy"](accuracy_by_hand)
    assert "Exercise: correct" in capsys.readouterr().out


def test_the_check_accepts_a_count_of_matches_in_float32(ns, capsys):
    def accuracy_by_hand(model, x, y):
        predicted = np.argmax(model.predict(x, verbose=0), axis=-1)
        return np.float32(np.count_nonzero(predicted == np.asarray(y, dtype=np.int64))) / np.float32(len(x))

    ns["check_accuracy"](accuracy_by_hand)
    assert "Exercise: correct" in capsys.readouterr().out


def test_the_check_accepts_a_zero_dimensional_array(ns, capsys):
    def accuracy_by_hand(model, x, y):
        hits = model.predict(x, verbose=0).argmax(axis=1) == y
        return np.asarray(np.count_nonzero(hits) / len(y))  # a NumPy number in a 0-d array

    ns["check_accuracy"](accuracy_by_hand)
    assert "Exercise: correct" in capsys.readouterr().out


def test_the_check_rejects_a_mean_in_float16(ns):
    def accuracy_by_hand(model, x, y):
        return np.mean((model.predict(x, verbose=0).argmax(axis=1) == y).astype(np.float16))

    with pytest.raises(AssertionError, match="not the fraction"):  # float16 cannot hold the lesson's accuracy
        ns["check_accuracy"](accuracy_by_hand)


def test_the_check_rejects_a_zero_dimensional_array_of_booleans(ns):
    def accuracy_by_hand(model, x, y):
        return np.asarray(np.all(model.predict(x, verbose=0).argmax(axis=1) == y))

    with pytest.raises(AssertionError, match="return the accuracy, a number"):
        ns["check_accuracy"](accuracy_by_hand)
