"""Lesson 07's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
answers stubbed as in the student release; each check is then called with answers a
student might write.
"""

import math
import threading
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "07_optimizers_and_schedules.ipynb"


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


@pytest.mark.parametrize("check", ["check_nesterov", "check_adagrad", "check_warmup_cosine"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](_stub)


@pytest.mark.parametrize("marker", ["def nesterov_step(", "def adagrad_step(", "def warmup_cosine("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)
    assert "matches the library at every step" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _nesterov(w, g, velocity, learning_rate, momentum=0.8):
    velocity = momentum * velocity - learning_rate * g
    return w + momentum * velocity - learning_rate * g, velocity


def _plain_momentum(w, g, velocity, learning_rate, momentum=0.8):
    velocity = momentum * velocity - learning_rate * g
    return w + velocity, velocity


def _old_velocity_returned(w, g, velocity, learning_rate, momentum=0.8):
    new_velocity = momentum * velocity - learning_rate * g
    return w + momentum * new_velocity - learning_rate * g, velocity


def _old_velocity_looked_ahead(w, g, velocity, learning_rate, momentum=0.8):
    new_velocity = momentum * velocity - learning_rate * g
    return w + momentum * velocity - learning_rate * g, new_velocity


def _momentum_written_in(w, g, velocity, learning_rate, momentum=0.8):
    return _nesterov(w, g, velocity, learning_rate, 0.8)


def _learning_rate_written_in(w, g, velocity, learning_rate, momentum=0.8):
    return _nesterov(w, g, velocity, 0.02, momentum)


def _velocity_in_place(w, g, velocity, learning_rate, momentum=0.8):
    velocity *= momentum
    velocity -= learning_rate * g
    return w + momentum * velocity - learning_rate * g, velocity


def _weights_in_place(w, g, velocity, learning_rate, momentum=0.8):
    velocity = momentum * velocity - learning_rate * g
    w += momentum * velocity - learning_rate * g
    return w, velocity


_KEPT = {}


def _velocity_kept_in_a_global(w, g, velocity, learning_rate, momentum=0.8):
    # ignores the velocity it is given: fine for one weight, wrong as soon as there are two
    kept = _KEPT.get(w.shape, np.zeros_like(w)) if np.any(velocity) else np.zeros_like(w)
    kept = momentum * kept - learning_rate * g
    _KEPT[w.shape] = kept
    return w + momentum * kept - learning_rate * g, kept


def _flattened(w, g, velocity, learning_rate, momentum=0.8):
    new_w, new_velocity = _nesterov(w, g, velocity, learning_rate, momentum)
    return new_w.reshape(-1), new_velocity.reshape(-1)


def _no_momentum_default(w, g, velocity, learning_rate, momentum=0.9):
    return _nesterov(w, g, velocity, learning_rate, momentum)


def _library_does_the_step(ns):
    keras = ns["keras"]
    optimizers = {}

    def step(w, g, velocity, learning_rate, momentum=0.8):
        key = (w.shape, learning_rate, momentum)
        if key not in optimizers or not np.any(velocity):
            variable = keras.Variable(np.zeros(w.shape), dtype="float64")
            optimizers[key] = (keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum,
                                                    nesterov=True), variable)
        optimizer, variable = optimizers[key]
        variable.assign(w)
        optimizer.apply([g], [variable])  # the optimizer keeps the velocity itself
        return variable.numpy().copy(), momentum * velocity - learning_rate * g  # the velocity is right

    return step


def _library_from_a_thread(ns):
    step, box = _library_does_the_step(ns), {}

    def threaded(*args, **kwargs):
        worker = threading.Thread(target=lambda: box.update(out=step(*args, **kwargs)))
        worker.start()
        worker.join()
        return box["out"]

    return threaded


NESTEROV_MISTAKES = {
    "plain momentum": _plain_momentum,
    "old velocity returned": _old_velocity_returned,
    "old velocity looked ahead": _old_velocity_looked_ahead,
    "the lesson's momentum written in": _momentum_written_in,
    "the lesson's learning rate written in": _learning_rate_written_in,
    "velocity updated in place": _velocity_in_place,
    "weights updated in place": _weights_in_place,
    "velocity kept in a global": _velocity_kept_in_a_global,
    "flattened weights": _flattened,
    "a default momentum of 0.9": _no_momentum_default,
}


@pytest.mark.parametrize("mistake", list(NESTEROV_MISTAKES))
def test_nesterov_check_rejects(ns, mistake):
    _KEPT.clear()
    with pytest.raises(AssertionError):
        ns["check_nesterov"](NESTEROV_MISTAKES[mistake])


def test_nesterov_check_names_the_in_place_update(ns):
    with pytest.raises(AssertionError, match="wrote into the arrays"):
        ns["check_nesterov"](_velocity_in_place)


@pytest.mark.parametrize("threaded", [False, True], ids=["same thread", "from a thread"])
def test_nesterov_check_names_the_library_call(ns, threaded):
    wrong = _library_from_a_thread(ns) if threaded else _library_does_the_step(ns)
    with pytest.raises(AssertionError, match="called tinyfit" + (r".*\(from thread" if threaded else "")):
        ns["check_nesterov"](wrong)


def test_nesterov_check_accepts_other_correct_forms(ns, capsys):
    def lookahead(w, g, velocity, learning_rate, momentum=0.8):
        new_velocity = momentum * velocity - learning_rate * g
        # the same step, written as "the momentum step, then one more look-ahead"
        return w + (1 + momentum) * new_velocity - momentum * velocity, new_velocity

    def as_lists(w, g, velocity, learning_rate, momentum=0.8):
        new_velocity = [momentum * v - learning_rate * d for v, d in zip(np.ravel(velocity), np.ravel(g))]
        new_w = [x + momentum * v - learning_rate * d for x, v, d in zip(np.ravel(w), new_velocity, np.ravel(g))]
        return np.reshape(new_w, np.shape(w)), np.reshape(new_velocity, np.shape(w))

    for answer in (lookahead, as_lists):
        ns["check_nesterov"](answer)
    assert capsys.readouterr().out.count("matches the library") == 2


def test_nesterov_check_rejects_a_velocity_of_the_opposite_sign(ns):
    # The weights move exactly as Keras's (the sign flips twice), but the velocity handed back is
    # minus the one of the formula: the state the next step is given means something else.
    def flipped(w, g, velocity, learning_rate, momentum=0.8):
        velocity = momentum * velocity + learning_rate * g
        return w - momentum * velocity - learning_rate * g, velocity

    with pytest.raises(AssertionError, match="the velocity you return"):
        ns["check_nesterov"](flipped)


# ------------------------------------------------------------ exercise 2
def _adagrad(w, g, accumulator, learning_rate, epsilon=1e-7):
    accumulator = accumulator + g**2
    return w - learning_rate * g / np.sqrt(accumulator + epsilon), accumulator


def _epsilon_outside(w, g, accumulator, learning_rate, epsilon=1e-7):
    accumulator = accumulator + g**2
    return w - learning_rate * g / (np.sqrt(accumulator) + epsilon), accumulator


def _forgetting(w, g, accumulator, learning_rate, epsilon=1e-7):  # RMSprop again
    accumulator = 0.9 * accumulator + 0.1 * g**2
    return w - learning_rate * g / np.sqrt(accumulator + epsilon), accumulator


def _old_accumulator_returned(w, g, accumulator, learning_rate, epsilon=1e-7):
    new = accumulator + g**2
    return w - learning_rate * g / np.sqrt(new + epsilon), accumulator


def _old_accumulator_divides(w, g, accumulator, learning_rate, epsilon=1e-7):
    return w - learning_rate * g / np.sqrt(accumulator + epsilon), accumulator + g**2


def _epsilon_written_in(w, g, accumulator, learning_rate, epsilon=1e-7):
    return _adagrad(w, g, accumulator, learning_rate, 1e-7)


def _no_epsilon(w, g, accumulator, learning_rate, epsilon=1e-7):
    accumulator = accumulator + g**2
    return w - learning_rate * g / np.sqrt(accumulator), accumulator


def _learning_rate_written_in(w, g, accumulator, learning_rate, epsilon=1e-7):
    return _adagrad(w, g, accumulator, 0.5, epsilon)


def _gradients_summed(w, g, accumulator, learning_rate, epsilon=1e-7):
    accumulator = accumulator + np.abs(g)
    return w - learning_rate * g / np.sqrt(accumulator + epsilon), accumulator


def _accumulator_in_place(w, g, accumulator, learning_rate, epsilon=1e-7):
    accumulator += g**2
    return w - learning_rate * g / np.sqrt(accumulator + epsilon), accumulator


def _squared_norm(w, g, accumulator, learning_rate, epsilon=1e-7):  # one accumulator for all weights
    accumulator = accumulator + np.sum(g**2)
    return w - learning_rate * g / np.sqrt(accumulator + epsilon), accumulator


def _default_epsilon_too_small(w, g, accumulator, learning_rate, epsilon=1e-8):
    return _adagrad(w, g, accumulator, learning_rate, epsilon)


def _library_adagrad(ns):
    keras = ns["keras"]

    def step(w, g, accumulator, learning_rate, epsilon=1e-7):
        variable = keras.Variable(np.array(w, dtype="float64"), dtype="float64")
        optimizer = keras.optimizers.Adagrad(learning_rate=learning_rate, epsilon=epsilon,
                                             initial_accumulator_value=0.0)
        optimizer.build([variable])
        optimizer.accumulators[0].assign(accumulator)
        optimizer.apply([g], [variable])
        return variable.numpy().copy(), accumulator + g**2

    return step


ADAGRAD_MISTAKES = {
    "epsilon outside": _epsilon_outside,
    "forgetting": _forgetting,
    "old accumulator returned": _old_accumulator_returned,
    "old accumulator divides": _old_accumulator_divides,
    "the lesson's epsilon written in": _epsilon_written_in,
    "no epsilon": _no_epsilon,
    "the lesson's learning rate written in": _learning_rate_written_in,
    "gradients summed, not squared": _gradients_summed,
    "accumulator updated in place": _accumulator_in_place,
    "one accumulator for all weights": _squared_norm,
    "a default epsilon of 1e-8": _default_epsilon_too_small,
}


@pytest.mark.parametrize("mistake", list(ADAGRAD_MISTAKES))
def test_adagrad_check_rejects(ns, mistake):
    with np.errstate(all="ignore"), pytest.raises(AssertionError):
        ns["check_adagrad"](ADAGRAD_MISTAKES[mistake])


def test_adagrad_check_names_the_in_place_update_and_the_library(ns):
    with pytest.raises(AssertionError, match="wrote into the arrays"):
        ns["check_adagrad"](_accumulator_in_place)
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_adagrad"](_library_adagrad(ns))


def test_adagrad_check_accepts_other_correct_forms(ns, capsys):
    def power(w, g, accumulator, learning_rate, epsilon=1e-7):
        accumulator = accumulator + np.square(g)
        step = learning_rate * g * (accumulator + epsilon) ** -0.5
        return w - step, accumulator

    def float32_out(w, g, accumulator, learning_rate, epsilon=1e-7):  # keeps float32 weights float32
        accumulator = accumulator + g * g
        rate, epsilon = np.asarray(learning_rate, w.dtype), np.asarray(epsilon, w.dtype)
        return (w - rate * g / np.sqrt(accumulator + epsilon)).astype(w.dtype), accumulator

    for answer in (power, float32_out):
        ns["check_adagrad"](answer)
    assert capsys.readouterr().out.count("matches the library") == 2


# ------------------------------------------------------------ exercise 3
def _cosine(step, lr, decay_steps, alpha):
    s = min(step, decay_steps)
    return lr * ((1 - alpha) * (1 + math.cos(math.pi * s / decay_steps)) / 2 + alpha)


def _warmup(step, initial_learning_rate, warmup_target, warmup_steps):
    return initial_learning_rate + step / warmup_steps * (warmup_target - initial_learning_rate)


def _right(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step < warmup_steps:
        return _warmup(step, initial_learning_rate, warmup_target, warmup_steps)
    return _cosine(step - warmup_steps, warmup_target, decay_steps, alpha)


def _warmup_one_step_long(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step <= warmup_steps:
        return initial_learning_rate + step / (warmup_steps + 1) * (warmup_target - initial_learning_rate)
    return _cosine(step - warmup_steps, warmup_target, decay_steps, alpha)


def _cosine_not_shifted(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step < warmup_steps:
        return _warmup(step, initial_learning_rate, warmup_target, warmup_steps)
    return _cosine(step, warmup_target, decay_steps, alpha)


def _alpha_of_the_start(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step < warmup_steps:
        return _warmup(step, initial_learning_rate, warmup_target, warmup_steps)
    floor = alpha * initial_learning_rate  # decays towards alpha * the start instead of alpha * warmup_target
    return floor + (warmup_target - floor) * (1 + math.cos(math.pi * min(step - warmup_steps, decay_steps)
                                                              / decay_steps)) / 2


def _alpha_as_the_floor(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step < warmup_steps:
        return _warmup(step, initial_learning_rate, warmup_target, warmup_steps)
    s = min(step - warmup_steps, decay_steps)
    return alpha + (warmup_target - alpha) * (1 + math.cos(math.pi * s / decay_steps)) / 2


def _no_flat_end(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step < warmup_steps:
        return _warmup(step, initial_learning_rate, warmup_target, warmup_steps)
    s = step - warmup_steps  # the cosine climbs back up after decay_steps
    return warmup_target * ((1 - alpha) * (1 + math.cos(math.pi * s / decay_steps)) / 2 + alpha)


def _decay_counted_from_zero(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step < warmup_steps:  # the warm-up eats into decay_steps
        return _warmup(step, initial_learning_rate, warmup_target, warmup_steps)
    return _cosine(step - warmup_steps, warmup_target, decay_steps - warmup_steps, alpha) \
        if decay_steps > warmup_steps else warmup_target * alpha


def _warmup_from_zero(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step < warmup_steps:
        return step / warmup_steps * warmup_target
    return _cosine(step - warmup_steps, warmup_target, decay_steps, alpha)


def _integer_division(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    if step < warmup_steps:
        return initial_learning_rate + step // warmup_steps * (warmup_target - initial_learning_rate)
    return _cosine(step - warmup_steps, warmup_target, decay_steps, alpha)


def _lesson_numbers(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
    return _right(step, 0.0, 100, 0.1, 0.1, 20)


def _as_array(step, *args, **kwargs):
    return np.array([_right(step, *args, **kwargs)])


def _library_schedule(ns):
    keras = ns["keras"]
    return lambda step, **settings: float(keras.optimizers.schedules.CosineDecay(**settings)(step))


WARMUP_MISTAKES = {
    "warm-up one step long": _warmup_one_step_long,
    "cosine not shifted": _cosine_not_shifted,
    "alpha of the start": _alpha_of_the_start,
    "alpha as the floor itself": _alpha_as_the_floor,
    "no flat end": _no_flat_end,
    "warm-up counted in decay_steps": _decay_counted_from_zero,
    "warm-up from zero": _warmup_from_zero,
    "integer division": _integer_division,
    "the lesson's numbers": _lesson_numbers,
    "an array of one": _as_array,
}


@pytest.mark.parametrize("mistake", list(WARMUP_MISTAKES))
def test_warmup_cosine_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_warmup_cosine"](WARMUP_MISTAKES[mistake])


def test_warmup_cosine_check_names_the_library(ns):
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_warmup_cosine"](_library_schedule(ns))


def test_warmup_cosine_check_accepts_float32_arithmetic(ns, capsys):
    def warmup_cosine(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
        f = np.float32
        if step < warmup_steps:
            return f(initial_learning_rate) + f(step) / f(warmup_steps) * f(warmup_target - initial_learning_rate)
        s = np.minimum(f(step) - f(warmup_steps), f(decay_steps))
        cosine = f(0.5) * (f(1) + np.cos(f(np.pi) * s / f(decay_steps)))  # loses digits near the end
        return f(warmup_target) * ((f(1) - f(alpha)) * cosine + f(alpha))

    for _ in range(2):
        ns["check_warmup_cosine"](warmup_cosine)
    assert capsys.readouterr().out.count("matches the library") == 2


def test_warmup_cosine_check_accepts_other_correct_forms(ns, capsys):
    def lerp(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
        if step < warmup_steps:
            fraction = step / warmup_steps
            return (1 - fraction) * initial_learning_rate + fraction * warmup_target
        progress = min(1.0, (step - warmup_steps) / decay_steps)
        bottom = alpha * warmup_target
        return bottom + (warmup_target - bottom) * 0.5 * (1 + np.cos(np.pi * progress))

    def float32(step, *args, **kwargs):
        return np.float32(_right(step, *args, **kwargs))

    def inclusive(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps):
        if step <= warmup_steps:  # at step == warmup_steps both formulas give warmup_target
            return _warmup(step, initial_learning_rate, warmup_target, warmup_steps)
        return _cosine(step - warmup_steps, warmup_target, decay_steps, alpha)

    for answer in (lerp, float32, inclusive):
        ns["check_warmup_cosine"](answer)
    assert capsys.readouterr().out.count("matches the library") == 3
