"""Learning-rate schedules: values at chosen steps against their formulas, configs, errors."""

import json
import math

import numpy as np
import pytest

import tinyfit
from tinyfit.optimizers import schedules

STEPS = [0, 1, 5, 99, 100, 101, 250, 1000, 5000]


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    s = schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.96, staircase=staircase)
    for step in STEPS:
        p = step // 100 if staircase else step / 100
        assert s(step) == pytest.approx(0.1 * 0.96**p, rel=1e-12), step
    assert s(99) == pytest.approx(0.1) if staircase else s(99) < 0.1


def test_the_guides_schedule():
    s = schedules.ExponentialDecay(0.1, decay_steps=100000, decay_rate=0.96, staircase=True)
    assert s(0) == s(99999) == pytest.approx(0.1)
    assert s(100000) == pytest.approx(0.096)


def test_piecewise_constant_decay_boundaries_belong_to_the_left_interval():
    s = schedules.PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1])
    expected = {0: 1.0, 99: 1.0, 100: 1.0, 101: 0.5, 110: 0.5, 111: 0.1, 5000: 0.1}
    assert {step: s(step) for step in expected} == expected


@pytest.mark.parametrize("power", [1.0, 0.5, 2.0])
def test_polynomial_decay_holds_at_the_end(power):
    s = schedules.PolynomialDecay(0.1, decay_steps=1000, end_learning_rate=0.01, power=power)
    for step in STEPS:
        done = min(step, 1000) / 1000
        assert s(step) == pytest.approx((0.1 - 0.01) * (1 - done) ** power + 0.01, rel=1e-12), step
    assert s(5000) == pytest.approx(0.01)


def test_polynomial_decay_cycles_over_multiples_of_decay_steps():
    s = schedules.PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.0, cycle=True)
    assert s(0) == pytest.approx(0.1)
    assert s(50) == pytest.approx(0.05)
    assert s(100) == pytest.approx(0.0)
    assert s(150) == pytest.approx(0.1 * (1 - 150 / 200))  # decay over 200 steps now
    assert s(201) == pytest.approx(0.1 * (1 - 201 / 300))


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    s = schedules.InverseTimeDecay(0.1, decay_steps=100, decay_rate=0.5, staircase=staircase)
    for step in STEPS:
        p = step // 100 if staircase else step / 100
        assert s(step) == pytest.approx(0.1 / (1 + 0.5 * p), rel=1e-12), step


@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_cosine_decay(alpha):
    s = schedules.CosineDecay(0.1, decay_steps=1000, alpha=alpha)
    for step in STEPS:
        cosine = 0.5 * (1 + math.cos(math.pi * min(step, 1000) / 1000))
        assert s(step) == pytest.approx(0.1 * ((1 - alpha) * cosine + alpha), rel=1e-12, abs=1e-15), step
    assert s(500) == pytest.approx(0.1 * (0.5 * (1 - alpha) + alpha))
    assert s(5000) == pytest.approx(0.1 * alpha, abs=1e-15)


def test_cosine_decay_with_warmup_climbs_then_decays_from_the_target():
    s = schedules.CosineDecay(0.0, decay_steps=1000, warmup_target=0.2, warmup_steps=100, alpha=0.05)
    assert s(0) == 0.0
    assert s(50) == pytest.approx(0.1)
    assert s(100) == pytest.approx(0.2)
    cosine = 0.5 * (1 + math.cos(math.pi * 400 / 1000))
    assert s(500) == pytest.approx(0.2 * (0.95 * cosine + 0.05))
    assert s(1100) == s(9999) == pytest.approx(0.2 * 0.05)


def test_steps_may_be_variables_tensors_or_numpy_numbers():
    s = schedules.ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5)
    assert s(tinyfit.Variable(10, dtype="int64")) == pytest.approx(0.5)
    assert s(tinyfit.Tensor(20.0)) == pytest.approx(0.25)
    assert s(np.int64(30)) == pytest.approx(0.125)
    assert isinstance(s(3), float)


@pytest.mark.parametrize("make", [
    lambda: schedules.ExponentialDecay(0.1, 100, 0.9, staircase=True, name="e"),
    lambda: schedules.PiecewiseConstantDecay([10, 20], [0.3, 0.2, 0.1]),
    lambda: schedules.PolynomialDecay(0.1, 100, end_learning_rate=0.001, power=2.0, cycle=True),
    lambda: schedules.InverseTimeDecay(0.1, 100, 0.5),
    lambda: schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=5),
])
def test_serialize_deserialize_round_trip(make):
    original = make()
    data = json.loads(json.dumps(schedules.serialize(original)))
    rebuilt = schedules.deserialize(data)
    assert type(rebuilt) is type(original)
    assert rebuilt.get_config() == original.get_config()
    assert [rebuilt(step) for step in STEPS] == [original(step) for step in STEPS]
    assert type(original).from_config(original.get_config()).get_config() == original.get_config()


def test_a_custom_schedule():
    class OneOverT(schedules.LearningRateSchedule):
        def __init__(self, initial_learning_rate):
            self.initial_learning_rate = initial_learning_rate

        def __call__(self, step):
            return self.initial_learning_rate / (float(step) + 1)

        def get_config(self):
            return {"initial_learning_rate": self.initial_learning_rate}

    data = schedules.serialize(OneOverT(0.1))
    rebuilt = schedules.deserialize(data, custom_objects={"OneOverT": OneOverT})
    assert rebuilt(4) == pytest.approx(0.02)
    with pytest.raises(ValueError, match=r"Unknown learning rate schedule 'OneOverT'.*ExponentialDecay"):
        schedules.deserialize(data)


def test_base_class_errors_name_the_subclass():
    class Unfinished(schedules.LearningRateSchedule):
        pass

    with pytest.raises(NotImplementedError, match=r"Unfinished must implement __call__\(self, step\)"):
        Unfinished()(0)
    with pytest.raises(NotImplementedError, match=r"Unfinished must implement get_config\(\)"):
        schedules.serialize(Unfinished())


@pytest.mark.parametrize("make, message", [
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.9), r"ExponentialDecay: decay_steps must be a number > 0, got decay_steps=0"),
    (lambda: schedules.PolynomialDecay(0.1, -5), r"PolynomialDecay: decay_steps must be a number > 0, got decay_steps=-5"),
    (lambda: schedules.InverseTimeDecay(0.1, 0, 0.5), r"InverseTimeDecay: decay_steps must be a number > 0, got decay_steps=0"),
    (lambda: schedules.CosineDecay(0.1, 0), r"CosineDecay: decay_steps must be a number > 0, got decay_steps=0"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target=0.2),
     r"CosineDecay: warmup_steps \(with warmup_target set\) must be a number > 0, got .*=0"),
    (lambda: schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.2]),
     r"one entry fewer than values; got 2 boundaries \[10, 20\] and 2 values \[0.1, 0.2\]"),
    (lambda: schedules.PiecewiseConstantDecay([20, 10], [0.3, 0.2, 0.1]),
     r"boundaries must increase strictly; got \[20, 10\]"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_deserialize_rejects_what_is_not_a_config():
    with pytest.raises(ValueError, match=r"expected a dict with 'class_name' and 'config', got 0.1"):
        schedules.deserialize(0.1)
    with pytest.raises(TypeError, match=r"expected a LearningRateSchedule, got float"):
        schedules.serialize(0.1)


def test_public_names():
    assert schedules.__all__ == ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
                                 "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "serialize", "deserialize"]
    for name in schedules.__all__:
        assert hasattr(schedules, name)
