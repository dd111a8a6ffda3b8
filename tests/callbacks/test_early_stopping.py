"""EarlyStopping: patience, min_delta, baseline, warm-up, and restoring the best weights at the end."""

import numpy as np
import pytest

from tinyfit.callbacks import EarlyStopping

# The guide's run: val_loss per epoch, min_delta=1e-2, patience=2 -> "Epoch 7: early stopping".
GUIDE_VAL_LOSS = [0.2231, 0.1727, 0.1564, 0.1502, 0.1436, 0.1484, 0.1406, 0.13, 0.12]


def val_logs(values, key="val_loss"):
    return [{"loss": 1.0, key: v} for v in values]


def test_the_guides_example_stops_at_epoch_7(fake_fit, capsys):
    callback = EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=1)
    history, model = fake_fit([callback], val_logs(GUIDE_VAL_LOSS))
    assert history.epoch == [0, 1, 2, 3, 4, 5, 6]
    assert model.stop_training and callback.stopped_epoch == 6
    assert capsys.readouterr().out == "Epoch 7: early stopping\n"


def test_patience_0_stops_at_the_first_epoch_without_improvement(fake_fit):
    history, _ = fake_fit([EarlyStopping()], val_logs([3.0, 2.0, 2.5, 1.0]))
    assert history.epoch == [0, 1, 2]


def test_it_runs_to_the_end_while_improving(fake_fit, capsys):
    callback = EarlyStopping(patience=1, verbose=1)
    history, model = fake_fit([callback], val_logs([5.0, 4.0, 3.0]))
    assert history.epoch == [0, 1, 2] and not model.stop_training and callback.stopped_epoch == 0
    assert capsys.readouterr().out == ""


def test_mode_max_for_accuracy(fake_fit):
    logs = val_logs([0.5, 0.7, 0.69, 0.71, 0.7], key="val_accuracy")
    # patience=1: the first epoch without improvement stops training.
    history, _ = fake_fit([EarlyStopping(monitor="val_accuracy", patience=1)], logs)
    assert history.epoch == [0, 1, 2]
    history, _ = fake_fit([EarlyStopping(monitor="val_accuracy", patience=2)], logs)
    assert history.epoch == [0, 1, 2, 3, 4]
    # 0.71 is not 0.05 better than 0.7: two epochs without improvement.
    history, _ = fake_fit([EarlyStopping(monitor="val_accuracy", patience=2, min_delta=0.05)], logs)
    assert history.epoch == [0, 1, 2, 3]


def test_restores_the_best_weights_when_it_stops(fake_fit, capsys):
    callback = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    _, model = fake_fit([callback], val_logs([3.0, 1.0, 2.0, 2.5, 0.1]))
    assert callback.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])  # the fake loop's epoch-1 weights
    assert capsys.readouterr().out == ("Epoch 4: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 2.\n")


def test_restores_the_best_weights_even_without_stopping_early(fake_fit, capsys):
    callback = EarlyStopping(patience=5, restore_best_weights=True, verbose=1)
    _, model = fake_fit([callback], val_logs([3.0, 1.0, 2.0, 2.5]))
    assert not model.stop_training
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    assert capsys.readouterr().out == "Restoring model weights from the end of the best epoch: 2.\n"


def test_without_restore_the_last_weights_stay(fake_fit):
    _, model = fake_fit([EarlyStopping(patience=5)], val_logs([3.0, 1.0, 2.0, 2.5]))
    np.testing.assert_array_equal(model.weights[0], [3.0, 3.0])


def test_patience_starts_over_only_once_the_baseline_is_beaten(fake_fit):
    # As in Keras 3: epochs that improve but miss the baseline keep counting towards patience,
    # and the first epoch without improvement then stops training.
    logs = val_logs([0.9, 0.8, 0.85, 0.84, 0.83])
    assert fake_fit([EarlyStopping(patience=2)], logs)[0].epoch == [0, 1, 2, 3]
    assert fake_fit([EarlyStopping(patience=2, baseline=0.5)], logs)[0].epoch == [0, 1, 2]
    assert fake_fit([EarlyStopping(patience=2, baseline=0.85)], logs)[0].epoch == [0, 1, 2, 3]


def test_start_from_epoch_ignores_the_warm_up(fake_fit):
    logs = val_logs([1.0, 2.0, 3.0, 4.0, 3.5, 3.6])
    assert fake_fit([EarlyStopping()], logs)[0].epoch == [0, 1]
    assert fake_fit([EarlyStopping(start_from_epoch=3)], logs)[0].epoch == [0, 1, 2, 3, 4, 5]


def test_one_instance_serves_two_fits(fake_fit):
    callback = EarlyStopping(patience=1, restore_best_weights=True)
    fake_fit([callback], val_logs([0.1, 0.5, 0.6]))
    history, model = fake_fit([callback], val_logs([3.0, 2.0, 1.0]))
    assert history.epoch == [0, 1, 2] and callback.best == 1.0 and callback.best_epoch == 2
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])
