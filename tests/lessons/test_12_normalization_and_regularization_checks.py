"""Lesson 12's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answer cells stubbed as in the student release; each check is then called with
answers a student might write.
"""

import math
import threading
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "12_normalization_and_regularization.ipynb"


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


def test_the_lesson_ran(ns):
    assert ns["curves"]["Adam(1e-3)"][-1] < 0.02


@pytest.mark.parametrize("check", ["check_fold_batchnorm", "check_sgd_step_with_l2", "check_steps_to_reach"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](_stub)


@pytest.mark.parametrize("marker", ["def fold_batchnorm(", "def sgd_step_with_l2(", "def steps_to_reach("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)  # the answer, then its check cell
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _fold(kernel, bias, gamma, beta, mean, variance, epsilon, *, eps_used=True, root=True, scale_bias=True,
          add_beta=True, fixed_epsilon=None, rows=False):
    epsilon = epsilon if fixed_epsilon is None else fixed_epsilon
    denominator = variance + (epsilon if eps_used else 0.0)
    scale = gamma / (np.sqrt(denominator) if root else denominator)
    new_kernel = kernel * scale[:, None] if rows else kernel * scale
    new_bias = (bias - mean) * scale if scale_bias else bias - mean
    return new_kernel, new_bias + (beta if add_beta else 0.0)


def _in_place(kernel, bias, gamma, beta, mean, variance, epsilon):
    scale = gamma / np.sqrt(variance + epsilon)
    kernel *= scale  # rescales the caller's kernel
    return kernel, (bias - mean) * scale + beta


WRONG_FOLDS = {
    "no epsilon": lambda *a: _fold(*a, eps_used=False),
    "the variance instead of its square root": lambda *a: _fold(*a, root=False),
    "the bias left unscaled": lambda *a: _fold(*a, scale_bias=False),
    "beta forgotten": lambda *a: _fold(*a, add_beta=False),
    "Keras's default epsilon whatever the argument": lambda *a: _fold(*a, fixed_epsilon=1e-3),
    "the scale along the kernel's rows": lambda *a: _fold(*a, rows=True),
    "the mean subtracted after scaling": lambda k, b, g, be, m, v, e: (
        k * (g / np.sqrt(v + e)), b * (g / np.sqrt(v + e)) - m + be),
    "gamma dividing": lambda k, b, g, be, m, v, e: (k / (g * np.sqrt(v + e)), (b - m) / (g * np.sqrt(v + e)) + be),
    "the kernel left alone": lambda k, b, g, be, m, v, e: (k, (b - m) * (g / np.sqrt(v + e)) + be),
    "writes into the caller's kernel": _in_place,
    "a list instead of a pair": lambda *a: list(_fold(*a)),
}


@pytest.mark.parametrize("mistake", list(WRONG_FOLDS))
def test_fold_batchnorm_check_rejects(ns, mistake):
    with np.errstate(all="ignore"), pytest.raises(AssertionError):
        ns["check_fold_batchnorm"](WRONG_FOLDS[mistake])


def test_fold_batchnorm_check_names_the_mistakes(ns):
    with pytest.raises(AssertionError, match="changed an array it was given"):
        ns["check_fold_batchnorm"](_in_place)
    with pytest.raises(AssertionError, match="Which axis of the kernel belongs to a feature"):
        ns["check_fold_batchnorm"](WRONG_FOLDS["the scale along the kernel's rows"])


def test_fold_batchnorm_check_rejects_running_the_library_layer(ns):
    layers = ns["layers"]

    def with_the_layer(kernel, bias, gamma, beta, mean, variance, epsilon):
        norm = layers.BatchNormalization(epsilon=epsilon)
        norm.build((None, kernel.shape[1]))
        norm.set_weights([gamma, beta, mean, variance])
        offset = norm(np.zeros((1, kernel.shape[1]), dtype="float32"), training=False).numpy()
        return norm(kernel, training=False).numpy() - offset, norm(bias[None], training=False).numpy()[0]

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_fold_batchnorm"](with_the_layer)


def test_fold_batchnorm_check_rejects_the_library_from_a_thread(ns):
    layers, result = ns["layers"], {}

    def with_the_layer(kernel, bias, gamma, beta, mean, variance, epsilon):
        def work():
            norm = layers.BatchNormalization(epsilon=epsilon)
            norm.build((None, kernel.shape[1]))
            norm.set_weights([gamma, beta, mean, variance])
            offset = norm(np.zeros((1, kernel.shape[1]), dtype="float32"), training=False).numpy()
            result["pair"] = norm(kernel, training=False).numpy() - offset, norm(bias[None], training=False).numpy()[0]

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        return result["pair"]

    with pytest.raises(AssertionError, match=r"called tinyfit .* \(from thread"):
        ns["check_fold_batchnorm"](with_the_layer)


def test_fold_batchnorm_check_accepts_other_correct_forms(ns, capsys):
    def in_float64_with_a_loop(kernel, bias, gamma, beta, moving_mean, moving_variance, epsilon):
        new_kernel, new_bias = np.array(kernel, dtype="float64"), np.empty(len(bias))
        for j in range(kernel.shape[1]):
            s = float(gamma[j]) / math.sqrt(float(moving_variance[j]) + epsilon)
            new_kernel[:, j] *= s
            new_bias[j] = s * bias[j] + beta[j] - s * moving_mean[j]
        return new_kernel, new_bias

    ns["check_fold_batchnorm"](in_float64_with_a_loop)
    ns["check_fold_batchnorm"](lambda k, b, g, be, m, v, e: (
        k @ np.diag(g / np.sqrt(v + e)), be + (b - m) * g * (v + e) ** -0.5))
    assert capsys.readouterr().out.count("Well done") == 2


# ------------------------------------------------------------ exercise 2
def _in_place_step(w, g, lr, l2):
    w -= lr * (g + 2 * l2 * w)
    return w


WRONG_STEPS = {
    "the factor 2 forgotten": lambda w, g, lr, l2: w - lr * (g + l2 * w),
    "the decay not scaled by the learning rate": lambda w, g, lr, l2: w - lr * g - 2 * l2 * w,
    "no decay": lambda w, g, lr, l2: w - lr * g,
    "the penalty's sign flipped": lambda w, g, lr, l2: w - lr * (g - 2 * l2 * w),
    "an L1 penalty": lambda w, g, lr, l2: w - lr * (g + l2 * np.sign(w)),
    "the decay applied after the data step": lambda w, g, lr, l2: (w - lr * g) * (1 - 2 * lr * l2),
    "the data gradient's sign flipped": lambda w, g, lr, l2: w + lr * g - 2 * lr * l2 * w,
    "the lesson's numbers hard-coded": lambda w, g, lr, l2: w - 0.1 * (g + 2 * 0.05 * w),
    "the penalty itself instead of its gradient": lambda w, g, lr, l2: w - lr * (g + l2 * np.sum(w ** 2)),
    "writes into the caller's weight": _in_place_step,
}


@pytest.mark.parametrize("mistake", list(WRONG_STEPS))
def test_sgd_step_with_l2_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_sgd_step_with_l2"](WRONG_STEPS[mistake])


def test_sgd_step_with_l2_check_names_writing_into_the_weight(ns):
    with pytest.raises(AssertionError, match="changed the arrays it was given"):
        ns["check_sgd_step_with_l2"](_in_place_step)


def test_sgd_step_with_l2_check_accepts_other_correct_forms(ns, capsys):
    ns["check_sgd_step_with_l2"](lambda w, g, lr, l2: (1 - 2 * lr * l2) * w - lr * g)
    ns["check_sgd_step_with_l2"](lambda w, g, lr, l2: np.asarray(w, "float64") - lr * np.asarray(g, "float64")
                                 - 2 * lr * l2 * np.asarray(w, "float64"))

    def copy_then_update(w, g, lr, l2):
        new = w.copy()
        new -= lr * (g + 2 * l2 * new)
        return new

    ns["check_sgd_step_with_l2"](copy_then_update)
    assert capsys.readouterr().out.count("Well done") == 3


def test_sgd_step_with_l2_check_rejects_the_library_regularizer(ns):
    keras = ns["keras"]

    def penalty_gradient_from_library(w, g, lr, l2):
        weight = keras.Tensor(w, requires_grad=True)
        keras.regularizers.L2(l2)(weight).backward()
        return w - lr * (g + weight.grad)

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_sgd_step_with_l2"](penalty_gradient_from_library)


# ------------------------------------------------------------ exercise 3
WRONG_COUNTS = {
    "rounded down": lambda f, m: int(math.log(1 - f) / math.log(m)),
    "rounded to nearest": lambda f, m: round(math.log(1 - f) / math.log(m)),
    "rounded down, plus one": lambda f, m: int(math.log(1 - f) / math.log(m)) + 1,
    "one step too many": lambda f, m: math.ceil(math.log(1 - f) / math.log(m)) + 1,
    "the averaging window 1 / (1 - momentum)": lambda f, m: round(1 / (1 - m)),
    "the fraction left instead of the fraction reached": lambda f, m: math.ceil(math.log(f) / math.log(m)),
    "the log of 1 - momentum": lambda f, m: math.ceil(math.log(1 - f) / math.log(1 - m)),
    "a float": lambda f, m: math.log(1 - f) / math.log(m),
    "a float from math.ceil's float cousin": lambda f, m: float(np.ceil(math.log(1 - f) / math.log(m))),
    "the lesson's example hard-coded": lambda f, m: 230,
    "strictly more than the fraction": lambda f, m: math.floor(math.log(1 - f) / math.log(m)) + 1,
}


@pytest.mark.parametrize("mistake", list(WRONG_COUNTS))
def test_steps_to_reach_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_steps_to_reach"](WRONG_COUNTS[mistake])


def test_steps_to_reach_check_says_an_int(ns):
    with pytest.raises(AssertionError, match="return an int"):
        ns["check_steps_to_reach"](WRONG_COUNTS["a float"])


def test_steps_to_reach_check_accepts_other_correct_forms(ns, capsys):
    def simulate(fraction, momentum):
        moving, steps = 0.0, 0
        while moving < fraction:
            moving = momentum * moving + (1 - momentum)
            steps += 1
        return steps

    ns["check_steps_to_reach"](simulate)
    ns["check_steps_to_reach"](lambda f, m: int(np.ceil(np.log1p(-f) / np.log(m))))
    assert capsys.readouterr().out.count("Well done") == 2


# ------------------------------------------------------------ the hand-built pieces
def test_hand_batchnorm_backward_passes_gradcheck_on_3d_inputs(ns):
    rng = np.random.default_rng(9)
    x, gamma, beta = rng.normal(1.0, 2.0, size=(3, 4, 2)), rng.normal(size=2), rng.normal(size=2)
    assert ns["gradcheck"](lambda a, g, b: ns["BatchNormTrain"].apply(a, g, b, epsilon=1e-3), [x, gamma, beta])


def test_hand_dropout_matches_the_layer_at_another_rate(ns):
    keras, layers = ns["keras"], ns["layers"]
    x = np.arange(1, 41, dtype="float32").reshape(5, 8)
    keras.utils.set_random_seed(3)
    expected = layers.Dropout(0.5)(x, training=True).numpy()
    np.testing.assert_allclose(ns["dropout_by_hand"](x, 0.5, np.random.default_rng(3), True), expected, rtol=1e-6)
