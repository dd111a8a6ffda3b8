"""Lesson 12's exercise checks reject typical wrong answers and accept the reference solutions.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solutions; each check is then called with answers a
student might write.
"""

import math
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "12_normalization_and_regularization.ipynb"


def test_the_lesson_ran(ns):
    assert ns["curves"]["Adam(1e-3)"][-1] < 0.02


@pytest.mark.parametrize("check", ["check_fold_batchnorm", "check_sgd_step_with_l2", "check_steps_to_reach"])
def test_a_check_waits_for_an_answer(ns, check, capsys):
    ns[check](None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["fold_batchnorm", "sgd_step_with_l2", "steps_to_reach"])
def test_the_reference_solutions_pass(run_solution, name, capsys):
    run_solution(f"def {name}(")  # each solution cell calls its check
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _fold(kernel, bias, gamma, beta, mean, variance, epsilon, *, eps_used=True, root=True, scale_bias=True,
          add_beta=True):
    denominator = variance + (epsilon if eps_used else 0.0)
    scale = gamma / (np.sqrt(denominator) if root else denominator)
    new_bias = (bias - mean) * scale if scale_bias else bias - mean
    return kernel * scale, new_bias + (beta if add_beta else 0.0)


WRONG_FOLDS = {
    "no epsilon": dict(eps_used=False),
    "the variance instead of its square root": dict(root=False),
    "the bias left unscaled": dict(scale_bias=False),
    "beta forgotten": dict(add_beta=False),
}


@pytest.mark.parametrize("mistake", list(WRONG_FOLDS))
def test_fold_batchnorm_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_fold_batchnorm"](lambda *args: _fold(*args, **WRONG_FOLDS[mistake]))


def test_fold_batchnorm_check_rejects_running_the_library_layer(ns):
    layers = ns["layers"]

    def with_the_layer(kernel, bias, gamma, beta, mean, variance, epsilon):
        norm = layers.BatchNormalization(epsilon=epsilon)
        norm.build((None, kernel.shape[1]))
        norm.set_weights([gamma, beta, mean, variance])
        offset = norm(np.zeros((1, kernel.shape[1]), dtype="float32")).numpy()
        return norm(kernel).numpy() - offset, norm(bias[None]).numpy()[0]

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_fold_batchnorm"](with_the_layer)


# ------------------------------------------------------------ exercise 2
WRONG_STEPS = {
    "the factor 2 forgotten": lambda w, g, lr, l2: w - lr * (g + l2 * w),
    "the decay not scaled by the learning rate": lambda w, g, lr, l2: w - lr * g - 2 * l2 * w,
    "no decay": lambda w, g, lr, l2: w - lr * g,
    "the penalty's sign flipped": lambda w, g, lr, l2: w - lr * (g - 2 * l2 * w),
}


@pytest.mark.parametrize("mistake", list(WRONG_STEPS))
def test_sgd_step_with_l2_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_sgd_step_with_l2"](WRONG_STEPS[mistake])


def test_sgd_step_with_l2_check_accepts_the_decay_form(ns, capsys):
    ns["check_sgd_step_with_l2"](lambda w, g, lr, l2: (1 - 2 * lr * l2) * w - lr * g)
    assert "Well done" in capsys.readouterr().out


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
    "the averaging window 1 / (1 - momentum)": lambda f, m: round(1 / (1 - m)),
    "the fraction left instead of the fraction reached": lambda f, m: math.ceil(math.log(f) / math.log(m)),
    "a float": lambda f, m: math.log(1 - f) / math.log(m),
}


@pytest.mark.parametrize("mistake", list(WRONG_COUNTS))
def test_steps_to_reach_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_steps_to_reach"](WRONG_COUNTS[mistake])


def test_steps_to_reach_check_accepts_a_simulation(ns, capsys):
    def simulate(fraction, momentum):
        moving, steps = 0.0, 0
        while moving < fraction:
            moving = momentum * moving + (1 - momentum)
            steps += 1
        return steps

    ns["check_steps_to_reach"](simulate)
    assert "Well done" in capsys.readouterr().out


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
