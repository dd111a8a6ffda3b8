"""Lesson 10's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
answers stubbed; each check is then called with answers a student might write.
"""

from pathlib import Path

import numpy as np
import pytest

import tinyfit as keras

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "10_weights_and_many_outputs.ipynb"


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


@pytest.mark.parametrize("check", ["check_balanced_class_weights", "check_weighted_batch_loss", "check_total_loss"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](_stub)


@pytest.mark.parametrize("defines", ["def balanced_class_weights(", "def weighted_batch_loss(", "def total_loss("])
def test_the_reference_solutions_pass(run_solution, defines, capsys):
    run_solution(defines)  # the cell calls its check
    assert "Well done!" in capsys.readouterr().out


# ---------------------------------------------------------------- exercise 1
def _classes_and_counts(y):
    return np.unique(np.asarray(y).astype(int), return_counts=True)


def _frequency(y):
    classes, counts = _classes_and_counts(y)
    return {int(c): count / len(y) for c, count in zip(classes, counts)}


def _one_over_count(y):
    classes, counts = _classes_and_counts(y)
    return {int(c): 1.0 / count for c, count in zip(classes, counts)}


def _ten_classes_always(y):
    classes, counts = _classes_and_counts(y)
    return {int(c): len(y) / (10 * count) for c, count in zip(classes, counts)}


def _counts_per_position(y):
    classes, counts = _classes_and_counts(y)
    return {i: len(y) / (len(classes) * count) for i, count in enumerate(sorted(counts))}


def _a_list(y):
    classes, counts = _classes_and_counts(y)
    return [len(y) / (len(classes) * count) for count in counts]


def _float_keys(y):  # np.unique of float labels: float keys, which fit(class_weight=) refuses
    classes, counts = np.unique(np.asarray(y), return_counts=True)
    return {c: len(y) / (len(classes) * count) for c, count in zip(classes, counts)}


def _sorts_in_place(y):
    if isinstance(y, np.ndarray):
        y.sort()
    else:
        y = np.asarray(y)
    classes, counts = _classes_and_counts(y)
    return {int(c): len(y) / (len(classes) * count) for c, count in zip(classes, counts)}


def _normalised_to_sum_k(y):
    classes, counts = _classes_and_counts(y)
    inverse = 1.0 / counts
    return {int(c): len(classes) * w / inverse.sum() for c, w in zip(classes, inverse)}


def _the_lessons_weights(y):
    counts = [222, 222, 222, 222, 222, 20, 222, 222, 222, 224]
    return {c: 2020 / (10 * counts[c]) for c in range(10)}


def _max_count_over_count(y):
    classes, counts = _classes_and_counts(y)
    return {int(c): counts.max() / count for c, count in zip(classes, counts)}


WRONG_WEIGHTS = [_frequency, _one_over_count, _ten_classes_always, _counts_per_position, _a_list, _float_keys,
                 _sorts_in_place, _normalised_to_sum_k, _the_lessons_weights, _max_count_over_count]


@pytest.mark.parametrize("wrong", WRONG_WEIGHTS, ids=[f.__name__ for f in WRONG_WEIGHTS])
def test_balanced_class_weights_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_balanced_class_weights"](wrong)


@pytest.mark.parametrize("wrong, message", [(_float_keys, "whole numbers"), (_sorts_in_place, "changed the labels"),
                                            (_a_list, "return a dict"), (_one_over_count, "weight of class")])
def test_balanced_class_weights_check_says_what_is_wrong(ns, wrong, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_balanced_class_weights"](wrong)


def test_balanced_class_weights_check_rejects_the_library(ns):
    keras_ = ns["keras"]

    def from_library(y):
        classes, counts = _classes_and_counts(y)
        return {int(c): float(keras_.ops.divide(len(y), len(classes) * count)) for c, count in zip(classes, counts)}

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_balanced_class_weights"](from_library)


def _bincount_loop(y):
    labels = [int(label) for label in y]
    counts = np.bincount(labels)
    weights = {}
    for c in range(len(counts)):
        weights[c] = np.float32(len(labels)) / np.float32(len(counts) * counts[c])  # float32 arithmetic
    return weights


def _counter(y):
    from collections import Counter

    counts = Counter(int(label) for label in y)
    return {c: sum(counts.values()) / (len(counts) * n_c) for c, n_c in counts.items()}


@pytest.mark.parametrize("right", [_bincount_loop, _counter])
def test_balanced_class_weights_check_accepts_other_correct_forms(ns, right, capsys):
    ns["check_balanced_class_weights"](right)
    assert "Well done!" in capsys.readouterr().out


# ---------------------------------------------------------------- exercise 2
def _weighted_average(losses, weights):
    return float(np.sum(losses * weights) / np.sum(weights))


def _unweighted(losses, weights):
    return float(np.mean(losses))


def _sum(losses, weights):
    return float(np.sum(losses * weights))


def _mean_over_nonzero_weights(losses, weights):
    return float(np.sum(losses * weights) / np.count_nonzero(weights))


def _mean_times_mean(losses, weights):
    return float(np.mean(losses) * np.mean(weights))


def _off_by_one(losses, weights):
    return float(np.sum(losses * weights) / (len(losses) - 1))


def _multiplies_in_place(losses, weights):
    losses *= weights
    return float(np.mean(losses))


def _per_sample_array(losses, weights):
    return losses * weights / len(losses)


def _weights_normalised_first(losses, weights):
    return float(np.mean(losses * weights * len(weights) / np.sum(weights)))


def _library_loss(losses, weights):
    mean = keras.metrics.Mean()
    mean.update_state(losses * weights)
    return float(mean.result())


WRONG_REDUCTIONS = [_weighted_average, _unweighted, _sum, _mean_over_nonzero_weights, _mean_times_mean, _off_by_one,
                    _multiplies_in_place, _per_sample_array, _weights_normalised_first, _library_loss]


@pytest.mark.parametrize("wrong", WRONG_REDUCTIONS, ids=[f.__name__ for f in WRONG_REDUCTIONS])
def test_weighted_batch_loss_check_rejects(ns, wrong):
    with np.errstate(all="ignore"), pytest.raises(AssertionError):
        ns["check_weighted_batch_loss"](wrong)


@pytest.mark.parametrize("wrong, message", [(_multiplies_in_place, "changed the arrays"),
                                            (_per_sample_array, "return one number"), (_library_loss, "called tinyfit"),
                                            (_weighted_average, "divide the weighted sum")])
def test_weighted_batch_loss_check_says_what_is_wrong(ns, wrong, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_weighted_batch_loss"](wrong)


def _loop_in_float64(losses, weights):
    total = 0.0
    for loss, weight in zip(losses.tolist(), weights.tolist()):
        total += loss * weight
    return total / losses.size


def _dot_as_numpy_scalar(losses, weights):
    return np.dot(losses, weights) / losses.shape[0]  # a NumPy scalar, float32 for float32 inputs


@pytest.mark.parametrize("right", [_loop_in_float64, _dot_as_numpy_scalar])
def test_weighted_batch_loss_check_accepts_other_correct_forms(ns, right, capsys):
    ns["check_weighted_batch_loss"](right)
    assert "Well done!" in capsys.readouterr().out


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


def _the_lessons_names(y_true, y_pred, losses, loss_weights):
    total = 0.0
    for name in ("score_output", "class_output"):
        if losses.get(name) is not None:
            total += loss_weights.get(name, 1.0) * float(losses[name](y_true[name], y_pred[name]))
    return total


def _zipped_by_position(y_true, y_pred, losses, loss_weights):
    return sum(w * float(fn(y_true[k], y_pred[k]))
               for (k, fn), w in zip(losses.items(), list(loss_weights.values()) + [1.0] * len(losses)) if fn)


def _over_the_outputs_with_a_weight(y_true, y_pred, losses, loss_weights):
    return sum(w * float(losses[k](y_true[k], y_pred[k])) for k, w in loss_weights.items() if losses.get(k))


def _every_output_of_y_true(y_true, y_pred, losses, loss_weights):
    return sum(loss_weights.get(k, 1.0) * float(losses[k](y_true[k], y_pred[k])) for k in y_true if losses[k])


def _arguments_swapped(y_true, y_pred, losses, loss_weights):
    return sum(loss_weights.get(k, 1.0) * float(fn(y_pred[k], y_true[k])) for k, fn in losses.items() if fn)


def _weights_squared(y_true, y_pred, losses, loss_weights):
    return sum(loss_weights.get(k, 1.0) ** 2 * float(fn(y_true[k], y_pred[k])) for k, fn in losses.items() if fn)


def _a_dict_of_parts(y_true, y_pred, losses, loss_weights):
    return {k: loss_weights.get(k, 1.0) * float(fn(y_true[k], y_pred[k])) for k, fn in losses.items() if fn}


def _clips_the_predictions(y_true, y_pred, losses, loss_weights):
    total = 0.0
    for k, fn in losses.items():
        if fn is not None:
            np.clip(y_pred[k], 1e-3, 1.0, out=y_pred[k])  # into the caller's arrays
            total += loss_weights.get(k, 1.0) * float(fn(y_true[k], y_pred[k]))
    return total


def _a_zero_weight_as_missing(y_true, y_pred, losses, loss_weights):
    return sum((loss_weights.get(k) or 1.0) * float(fn(y_true[k], y_pred[k])) for k, fn in losses.items() if fn)


WRONG_TOTALS = [_no_weights, _average_of_outputs, _missing_weight_is_zero, _calls_a_none_loss, _the_lessons_names,
                _zipped_by_position, _over_the_outputs_with_a_weight, _every_output_of_y_true, _arguments_swapped,
                _weights_squared, _a_dict_of_parts, _clips_the_predictions, _a_zero_weight_as_missing]


@pytest.mark.parametrize("wrong", WRONG_TOTALS, ids=[f.__name__ for f in WRONG_TOTALS])
def test_total_loss_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_total_loss"](wrong)


@pytest.mark.parametrize("wrong, message", [(_calls_a_none_loss, "total_loss failed"),
                                            (_the_lessons_names, "total_loss failed|not the loss fit minimises"),
                                            (_a_dict_of_parts, "return one number"),
                                            (_clips_the_predictions, "changed the targets or predictions"),
                                            (_missing_weight_is_zero, "not the loss fit minimises")])
def test_total_loss_check_says_what_is_wrong(ns, wrong, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_total_loss"](wrong)


def _with_ops_and_defaults(y_true, y_pred, losses, loss_weights):
    parts = []
    for name in y_pred:
        loss_fn = losses.get(name)
        if loss_fn is None:
            continue
        parts.append(keras.ops.multiply(loss_weights.get(name, 1), loss_fn(y_true[name], y_pred[name])))
    return keras.ops.sum(keras.ops.stack(parts))  # a tensor of one number


def _weights_filled_first(y_true, y_pred, losses, loss_weights):
    weights = {name: 1.0 for name in losses}
    weights.update({name: w for name, w in loss_weights.items() if name in losses})
    return float(np.sum([weights[n] * np.asarray(f(y_true[n], y_pred[n])) for n, f in losses.items() if f is not None]))


@pytest.mark.parametrize("right", [_with_ops_and_defaults, _weights_filled_first])
def test_total_loss_check_accepts_other_correct_forms(ns, right, capsys):
    ns["check_total_loss"](right)
    assert "Well done!" in capsys.readouterr().out


# ---------------------------------------------------------------- the lesson's own claims
def test_class_weights_lift_the_rare_digit(ns):
    rare = ns["RARE"]
    assert ns["plain_recall"][rare] < 0.25
    assert ns["weighted_recall"][rare] > ns["plain_recall"][rare] + 0.2


def test_the_lesson_class_weights_balance_the_classes(ns):
    counts, weights = ns["counts"], ns["class_weight"]
    totals = [weights[c] * counts[c] for c in range(10)]
    assert np.allclose(totals, totals[0])
