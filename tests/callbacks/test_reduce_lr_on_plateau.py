"""ReduceLROnPlateau: patience, cooldown, min_lr, the learning rate in the logs, schedules refused."""

import pytest

from tinyfit import optimizers
from tinyfit.callbacks import ReduceLROnPlateau


def plateau(values):
    return [{"loss": 1.0, "val_loss": v} for v in values]


def rates(history):
    return [pytest.approx(x, rel=1e-6) for x in history.history["learning_rate"]]


def test_patience_counts_epochs_without_improvement(fake_fit, FakeModel):
    model = FakeModel(optimizers.SGD(1.0))
    history, _ = fake_fit([ReduceLROnPlateau(factor=0.5, patience=2)], plateau([1, 1, 1, 1, 1, 1]), model=model)
    # Epochs 1, 2 do not improve on epoch 0: cut after epoch 2; then 3, 4: cut after epoch 4.
    assert history.history["learning_rate"] == rates(history) == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]
    assert float(model.optimizer.learning_rate) == pytest.approx(0.25)


def test_cooldown_0_does_not_cut_every_epoch(fake_fit, FakeModel):
    model = FakeModel(optimizers.SGD(1.0))
    history, _ = fake_fit([ReduceLROnPlateau(factor=0.5, patience=1, cooldown=0)], plateau([1] * 5), model=model)
    assert history.history["learning_rate"] == [1.0, 1.0, 0.5, 0.25, 0.125]
    history, _ = fake_fit([ReduceLROnPlateau(factor=0.5, patience=2, cooldown=0)], plateau([1] * 7),
                          model=FakeModel(optimizers.SGD(1.0)))
    assert history.history["learning_rate"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_cooldown_pauses_counting_after_a_cut(fake_fit, FakeModel):
    model = FakeModel(optimizers.SGD(1.0))
    callback = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)
    history, _ = fake_fit([callback], plateau([1] * 8), model=model)
    # Cut after epoch 1; epochs 2 and 3 are cooldown and do not count; epoch 4 counts: cut again.
    assert history.history["learning_rate"] == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]


def test_improvement_resets_patience(fake_fit, FakeModel):
    model = FakeModel(optimizers.SGD(1.0))
    history, _ = fake_fit([ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0.01)],
                          plateau([1.0, 1.0, 0.5, 0.5, 0.3, 0.3, 0.295, 0.3]), model=model)
    assert history.history["learning_rate"] == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]


def test_never_below_min_lr_and_idle_once_there(fake_fit, FakeModel, capsys):
    model = FakeModel(optimizers.SGD(0.001))
    callback = ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.0005, verbose=1)
    history, _ = fake_fit([callback], plateau([1] * 6), model=model)
    assert history.history["learning_rate"] == rates(history)
    assert [round(x, 8) for x in history.history["learning_rate"]] == [0.001, 0.001, 0.0005, 0.0005, 0.0005, 0.0005]
    assert capsys.readouterr().out == "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.0005.\n"


def test_an_optimizer_at_min_lr_in_float32_is_left_alone(fake_fit, FakeModel):
    model = FakeModel(optimizers.SGD(1e-3))
    history, _ = fake_fit([ReduceLROnPlateau(patience=1, min_lr=1e-3)], plateau([1] * 4), model=model)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)


def test_mode_max(fake_fit, FakeModel):
    model = FakeModel(optimizers.SGD(1.0))
    logs = [{"val_accuracy": v} for v in (0.5, 0.6, 0.7, 0.6, 0.6)]
    history, _ = fake_fit([ReduceLROnPlateau("val_accuracy", factor=0.5, patience=2)], logs, model=model)
    assert history.history["learning_rate"] == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert float(model.optimizer.learning_rate) == 0.5


def test_a_schedule_is_refused_when_training_starts(fake_fit, FakeModel):
    schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
    model = FakeModel(optimizers.RMSprop(schedule))
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau cannot change the learning rate. rmsprop: the learning "
                                        r"rate comes from the schedule ExponentialDecay.*float learning_rate"):
        fake_fit([ReduceLROnPlateau()], plateau([1.0]), model=model)


def test_a_model_without_optimizer_is_named(fake_fit, FakeModel):
    model = FakeModel()
    model.optimizer = None
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: the model has no optimizer.*compile"):
        fake_fit([ReduceLROnPlateau()], plateau([1.0]), model=model)


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match=r"factor must be between 0 and 1 \(exclusive\), got factor=1.5"):
        ReduceLROnPlateau(factor=1.5)
