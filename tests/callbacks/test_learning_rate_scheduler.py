"""LearningRateScheduler: the rate set from schedule(epoch, lr) before each epoch, and logged."""

import pytest

from tinyfit import optimizers
from tinyfit.callbacks import LearningRateScheduler

LOGS = [{"loss": 1.0}] * 4


def test_schedule_of_epoch_and_rate(fake_fit, FakeModel):
    model = FakeModel(optimizers.SGD(0.8))
    seen = []

    def halve_after_one(epoch, lr):
        seen.append((epoch, round(lr, 6)))
        return lr if epoch < 1 else lr * 0.5

    history, _ = fake_fit([LearningRateScheduler(halve_after_one)], LOGS, model=model)
    assert seen == [(0, 0.8), (1, 0.8), (2, 0.4), (3, 0.2)]
    assert [round(x, 6) for x in history.history["learning_rate"]] == [0.8, 0.4, 0.2, 0.1]


def test_a_schedule_of_the_epoch_alone(fake_fit, FakeModel, capsys):
    model = FakeModel(optimizers.Adam())
    history, _ = fake_fit([LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1), verbose=1)], LOGS[:2], model=model)
    assert [round(x, 6) for x in history.history["learning_rate"]] == [0.1, 0.05]
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.05." in capsys.readouterr().out


def test_a_schedule_must_return_a_number(fake_fit):
    with pytest.raises(TypeError, match=r"schedule\(0, 0.1\) returned '0.1' \(str\); it must return the learning rate"):
        fake_fit([LearningRateScheduler(lambda epoch, lr: "0.1")], LOGS)
    with pytest.raises(TypeError, match=r"schedule must be a function \(epoch, lr\) -> float, got 0.1"):
        LearningRateScheduler(0.1)


def test_an_optimizer_schedule_is_refused_when_training_starts(fake_fit, FakeModel):
    model = FakeModel(optimizers.SGD(optimizers.schedules.CosineDecay(0.1, 100)))
    with pytest.raises(TypeError, match=r"LearningRateScheduler cannot change the learning rate.*schedule CosineDecay"):
        fake_fit([LearningRateScheduler(lambda epoch, lr: lr)], LOGS, model=model)


def test_a_typeerror_inside_the_schedule_is_not_hidden(fake_fit):
    def broken(epoch, lr):
        return lr + "oops"

    with pytest.raises(TypeError, match="unsupported operand"):
        fake_fit([LearningRateScheduler(broken)], LOGS)
