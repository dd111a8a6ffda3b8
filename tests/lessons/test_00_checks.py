"""Lesson 00's exercise check rejects typical wrong answers and accepts right ones.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solution; the check is then called with answers a student
might write.
"""

from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "00_quickstart.ipynb"


def test_the_lesson_trains_to_the_guides_accuracy(ns):
    _, test_accuracy = ns["results"]
    assert test_accuracy > 0.93
    assert len(ns["x_train"]) == 50_000 and len(ns["x_val"]) == 10_000


def test_the_check_waits_for_an_answer(ns, capsys):
    ns["check_accuracy"](None)
    assert "waiting for you" in capsys.readouterr().out


def test_the_reference_solution_passes_without_showing_the_answer_in_the_check(run_solution, capsys):
    run_solution("def accuracy_by_hand(")
    out = capsys.readouterr().out
    assert "Exercise: correct" in out
    (check_line,) = [line for line in out.splitlines() if line.startswith("Exercise:")]
    assert not any(ch.isdigit() for ch in check_line)  # the check prints no accuracy


def _wrong_answers(ns):
    results, np_ = ns["results"], np
    keras = ns["keras"]
    return {
        "the number evaluate() printed": lambda model, x, y: results[1],
        "a call to evaluate()": lambda model, x, y: model.evaluate(x, y, verbose=0)[1],
        "the library's metric": lambda model, x, y: float(
            keras.metrics.sparse_categorical_accuracy(y, model.predict(x, verbose=0)).numpy().mean()),
        "a sum instead of a mean": lambda model, x, y: np_.sum(model.predict(x, verbose=0).argmax(axis=1) == y),
        "the highest probability compared with the label": lambda model, x, y: np_.mean(
            model.predict(x, verbose=0).max(axis=1) == y),
        "the global test labels instead of y": lambda model, x, y: np_.mean(
            model.predict(x, verbose=0).argmax(axis=1) == ns["y_test"]),
        "argmax over the wrong axis, broadcast": lambda model, x, y: np_.mean(
            model.predict(x, verbose=0).argmax(axis=0)[: len(y)] == y),
    }


@pytest.mark.parametrize("mistake", ["the number evaluate() printed", "a call to evaluate()", "the library's metric",
                                     "a sum instead of a mean", "the highest probability compared with the label",
                                     "the global test labels instead of y", "argmax over the wrong axis, broadcast"])
def test_the_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_accuracy"](_wrong_answers(ns)[mistake])


def test_the_check_names_a_delegation_to_evaluate(ns):
    with pytest.raises(AssertionError, match="model.evaluate"):
        ns["check_accuracy"](_wrong_answers(ns)["a call to evaluate()"])


def test_the_check_accepts_a_loop(ns, capsys):
    def accuracy_by_hand(model, x, y):
        right = 0
        for row, label in zip(model.predict(x, verbose=0), y):
            right += int(np.argmax(row) == int(label))
        return right / len(y)

    ns["check_accuracy"](accuracy_by_hand)
    assert "Exercise: correct" in capsys.readouterr().out
