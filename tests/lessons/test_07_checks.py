"""Lesson 07's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solutions; each check is then called with answers a
student might write.
"""

import math
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "07_optimizers_and_schedules.ipynb"


@pytest.mark.parametrize("check", ["check_nesterov", "check_adagrad", "check_warmup_cosine"])
def test_a_check_waits_for_an_answer(ns, check, capsys):
    ns[check](None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("marker", ["def nesterov_step(", "def adagrad_step(", "def warmup_cosine("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)
    assert "matches the library" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _plain_momentum(w, g, velocity, learning_rate, momentum=0.8):
    velocity = momentum * velocity - learning_rate * g
    return w + velocity, velocity


def _old_velocity_returned(w, g, velocity, learning_rate, momentum=0.8):
    new_velocity = momentum * velocity - learning_rate * g
    return w + momentum * new_velocity - learning_rate * g, velocity


def _library_does_the_step(ns):
    keras = ns["keras"]
    optimizer = keras.optimizers.SGD(learning_rate=0.02, momentum=0.8, nesterov=True)

    variable = keras.Variable(np.zeros(2), dtype="float64")

    def step(w, g, velocity, learning_rate, momentum=0.8):
        variable.assign(w)
        optimizer.apply([g], [variable])  # the optimizer keeps the velocity itself
        return variable.numpy().copy(), velocity

    return step


@pytest.mark.parametrize("mistake", ["plain momentum", "old velocity returned", "the library does the step"])
def test_nesterov_check_rejects(ns, mistake):
    wrong = {"plain momentum": _plain_momentum, "old velocity returned": _old_velocity_returned,
             "the library does the step": _library_does_the_step(ns)}[mistake]
    with pytest.raises(AssertionError):
        ns["check_nesterov"](wrong)


def test_nesterov_check_names_the_library_call(ns):
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_nesterov"](_library_does_the_step(ns))


def test_nesterov_check_accepts_the_lookahead_form(ns, capsys):
    def nesterov_step(w, g, velocity, learning_rate, momentum=0.8):
        new_velocity = momentum * velocity - learning_rate * g
        # the same step, written as "the momentum step, then one more look-ahead"
        return w + (1 + momentum) * new_velocity - momentum * velocity, new_velocity

    ns["check_nesterov"](nesterov_step)
    assert "matches the library" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2
def _epsilon_outside(w, g, accumulator, learning_rate):
    accumulator = accumulator + g**2
    return w - learning_rate * g / (np.sqrt(accumulator) + 1e-7), accumulator


def _forgetting(w, g, accumulator, learning_rate):  # RMSprop again
    accumulator = 0.9 * accumulator + 0.1 * g**2
    return w - learning_rate * g / np.sqrt(accumulator + 1e-7), accumulator


def _old_accumulator_returned(w, g, accumulator, learning_rate):
    new = accumulator + g**2
    return w - learning_rate * g / np.sqrt(new + 1e-7), accumulator


@pytest.mark.parametrize("mistake", [_epsilon_outside, _forgetting, _old_accumulator_returned],
                         ids=["epsilon outside", "forgetting", "old accumulator returned"])
def test_adagrad_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_adagrad"](mistake)


def test_adagrad_check_accepts_another_correct_form(ns, capsys):
    def adagrad_step(w, g, accumulator, learning_rate):
        accumulator = accumulator + np.square(g)
        step = learning_rate * g * (accumulator + 1e-7) ** -0.5
        return w - step, accumulator

    ns["check_adagrad"](adagrad_step)
    assert "matches the library" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
def _cosine(step, lr, decay_steps, alpha):
    s = min(step, decay_steps)
    return lr * ((1 - alpha) * (1 + math.cos(math.pi * s / decay_steps)) / 2 + alpha)


def _warmup_one_step_long(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step <= warmup_steps:
        return initial_learning_rate + step / (warmup_steps + 1) * (warmup_target - initial_learning_rate)
    return _cosine(step - warmup_steps, warmup_target, decay_steps, alpha)


def _cosine_not_shifted(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step < warmup_steps:
        return initial_learning_rate + step / warmup_steps * (warmup_target - initial_learning_rate)
    return _cosine(step, warmup_target, decay_steps, alpha)


def _alpha_of_the_start(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step < warmup_steps:
        return initial_learning_rate + step / warmup_steps * (warmup_target - initial_learning_rate)
    floor = alpha * initial_learning_rate  # decays towards alpha * 0 instead of alpha * warmup_target
    return floor + (warmup_target - floor) * (1 + math.cos(math.pi * min(step - warmup_steps, decay_steps)
                                                              / decay_steps)) / 2


def _library_schedule(ns):
    keras = ns["keras"]
    return lambda step, **settings: float(keras.optimizers.schedules.CosineDecay(**settings)(step))


@pytest.mark.parametrize("mistake", ["warm-up one step long", "cosine not shifted", "alpha of the start",
                                     "the library's schedule"])
def test_warmup_cosine_check_rejects(ns, mistake):
    wrong = {"warm-up one step long": _warmup_one_step_long, "cosine not shifted": _cosine_not_shifted,
             "alpha of the start": _alpha_of_the_start, "the library's schedule": _library_schedule(ns)}[mistake]
    with pytest.raises(AssertionError):
        ns["check_warmup_cosine"](wrong)


def test_warmup_cosine_check_accepts_another_correct_form(ns, capsys):
    def warmup_cosine(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
        if step < warmup_steps:
            fraction = step / warmup_steps
            return (1 - fraction) * initial_learning_rate + fraction * warmup_target
        progress = min(1.0, (step - warmup_steps) / decay_steps)
        bottom = alpha * warmup_target
        return bottom + (warmup_target - bottom) * 0.5 * (1 + np.cos(np.pi * progress))

    ns["check_warmup_cosine"](warmup_cosine)
    assert "matches the library" in capsys.readouterr().out
