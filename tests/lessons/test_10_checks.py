"""Lesson 10's exercise checks: they wait for an answer, reject typical wrong answers,
and accept the folded reference solutions.

The lesson's code cells run in one namespace (conftest.py), the way a student runs them
top to bottom, leaving out the folded reference solutions.
"""

from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "10_weights_and_many_outputs.ipynb"


@pytest.mark.parametrize("check", ["check_balanced_class_weights", "check_weighted_batch_loss", "check_total_loss"])
def test_a_check_without_an_answer_waits(ns, check, capsys):
    ns[check](None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("defines", ["def balanced_class_weights(", "def weighted_batch_loss(", "def total_loss("])
def test_the_reference_solutions_pass(run_solution, defines, capsys):
    run_solution(defines)  # the cell calls its check
    assert "Well done!" in capsys.readouterr().out


# ---------------------------------------------------------------- exercise 1
def _frequency(y):
    classes, counts = np.unique(np.asarray(y).astype(int), return_counts=True)
    return {int(c): count / len(y) for c, count in zip(classes, counts)}


def _one_over_count(y):
    classes, counts = np.unique(np.asarray(y).astype(int), return_counts=True)
    return {int(c): 1.0 / count for c, count in zip(classes, counts)}


def _ten_classes_always(y):
    classes, counts = np.unique(np.asarray(y).astype(int), return_counts=True)
    return {int(c): len(y) / (10 * count) for c, count in zip(classes, counts)}


def _counts_per_position(y):
    classes, counts = np.unique(np.asarray(y).astype(int), return_counts=True)
    return {i: len(y) / (len(classes) * count) for i, count in enumerate(sorted(counts))}


def _a_list(y):
    classes, counts = np.unique(np.asarray(y).astype(int), return_counts=True)
    return [len(y) / (len(classes) * count) for count in counts]


@pytest.mark.parametrize("wrong", [_frequency, _one_over_count, _ten_classes_always, _counts_per_position, _a_list])
def test_balanced_class_weights_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_balanced_class_weights"](wrong)


# ---------------------------------------------------------------- exercise 2
def _weighted_average(losses, weights):
    return float(np.sum(losses * weights) / np.sum(weights))


def _unweighted(losses, weights):
    return float(np.mean(losses))


def _sum(losses, weights):
    return float(np.sum(losses * weights))


def _mean_over_nonzero_weights(losses, weights):
    return float(np.sum(losses * weights) / np.count_nonzero(weights))


@pytest.mark.parametrize("wrong", [_weighted_average, _unweighted, _sum, _mean_over_nonzero_weights])
def test_weighted_batch_loss_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_weighted_batch_loss"](wrong)


# ---------------------------------------------------------------- exercise 3
def _no_weights(y_true, y_pred, losses, loss_weights):
    return sum(float(fn(y_true[k], y_pred[k])) for k, fn in losses.items() if fn is not None)


def _average_of_outputs(y_true, y_pred, losses, loss_weights):
    parts = [loss_weights.get(k, 1.0) * float(fn(y_true[k], y_pred[k])) for k, fn in losses.items() if fn]
    return sum(parts) / len(parts)


def _missing_weight_is_zero(y_true, y_pred, losses, loss_weights):
    return sum(loss_weights.get(k, 0.0) * float(fn(y_true[k], y_pred[k])) for k, fn in losses.items() if fn)


def _calls_a_none_loss(y_true, y_pred, losses, loss_weights):
    return sum(loss_weights.get(k, 1.0) * float(fn(y_true[k], y_pred[k])) for k, fn in losses.items())


@pytest.mark.parametrize("wrong", [_no_weights, _average_of_outputs, _missing_weight_is_zero, _calls_a_none_loss])
def test_total_loss_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_total_loss"](wrong)


# ---------------------------------------------------------------- the lesson's own claims
def test_class_weights_lift_the_rare_digit(ns):
    rare = ns["RARE"]
    assert ns["plain_recall"][rare] < 0.25
    assert ns["weighted_recall"][rare] > ns["plain_recall"][rare] + 0.2


def test_the_lesson_class_weights_balance_the_classes(ns):
    counts, weights = ns["counts"], ns["class_weight"]
    totals = [weights[c] * counts[c] for c in range(10)]
    assert np.allclose(totals, totals[0])
