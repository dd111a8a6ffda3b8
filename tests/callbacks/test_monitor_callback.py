"""MonitorCallback: the direction of "better", min_delta, and a monitor that is never logged."""

import warnings

import pytest

from tinyfit.callbacks import EarlyStopping, MonitorCallback, ReduceLROnPlateau
from tinyfit.utils.metric_direction import higher_is_better


@pytest.mark.parametrize("name, higher", [
    ("loss", False), ("val_loss", False), ("mean_squared_error", False), ("val_mae", False),
    ("accuracy", True), ("val_accuracy", True), ("acc", True), ("val_sparse_categorical_accuracy", True),
    ("auc", True), ("val_precision", True), ("recall", True), ("f1_score", True),
    ("categorical_true_positives", True), ("false_positives", False),
])
def test_auto_mode_direction(name, higher):
    assert higher_is_better(name) is higher
    assert MonitorCallback(name).direction == ("max" if higher else "min")
    assert MonitorCallback(name, mode="min").direction == "min"
    assert MonitorCallback(name, mode="max").direction == "max"


def test_improvement_needs_more_than_min_delta():
    lower = MonitorCallback("val_loss", min_delta=0.1)
    assert lower._is_improvement(1.0, None)
    assert lower._is_improvement(0.85, 1.0)
    assert not lower._is_improvement(0.95, 1.0)
    higher = MonitorCallback("val_accuracy", min_delta=-0.1)  # the sign of min_delta does not matter
    assert higher._is_improvement(0.95, 0.8)
    assert not higher._is_improvement(0.85, 0.8)


def test_an_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match=r"EarlyStopping: mode='maximum' is not one of 'auto', 'min', 'max'"):
        EarlyStopping(mode="maximum")


def test_a_monitor_never_logged_fails_at_the_first_epoch_listing_the_logged_keys(fake_fit):
    logs = [{"loss": 0.6, "val_loss": 0.2, "val_sparse_categorical_accuracy": 0.94}]
    with pytest.raises(ValueError) as error:
        fake_fit([EarlyStopping(monitor="val_acc")], logs)
    assert str(error.value) == (
        "EarlyStopping: monitor='val_acc' is not in the logs; available keys: loss, val_loss, "
        "val_sparse_categorical_accuracy. Did you mean monitor='val_sparse_categorical_accuracy'?")


def test_a_misspelt_monitor_gets_the_close_match(fake_fit):
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: monitor='val_los' is not in the logs; available keys: "
                                         r"loss, val_loss, learning_rate. Did you mean monitor='val_loss'\?"):
        fake_fit([ReduceLROnPlateau(monitor="val_los")], [{"loss": 1.0, "val_loss": 1.0}])


def test_a_validation_monitor_without_validation_warns_once(fake_fit):
    with pytest.warns(UserWarning, match=r"monitor='val_loss' is not in the logs; available keys: loss. "
                                         r"Validation values are logged only in epochs that run validation") as record:
        history, _ = fake_fit([EarlyStopping(patience=0)], [{"loss": 1.0}] * 4)
    assert len(record) == 1
    assert len(history.epoch) == 4  # nothing to watch: no early stop


def test_validation_every_other_epoch_is_fine(fake_fit):
    logs = [{"loss": 1.0, "val_loss": 0.5}, {"loss": 0.9}, {"loss": 0.8, "val_loss": 0.6}, {"loss": 0.7},
            {"loss": 0.6, "val_loss": 0.7}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history, model = fake_fit([EarlyStopping(patience=2)], logs)
    assert history.epoch == [0, 1, 2, 3, 4] and model.stop_training
