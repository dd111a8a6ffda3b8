"""History: per-epoch lists of every logged value."""

from tinyfit.callbacks import History


def test_history_records_each_epoch(fake_fit):
    logs = [{"loss": 0.34, "val_loss": 0.20}, {"loss": 0.16, "val_loss": 0.14}]
    history, model = fake_fit([], logs)
    assert history.history == {"loss": [0.34, 0.16], "val_loss": [0.20, 0.14]}
    assert history.epoch == [0, 1]
    assert model.history is history


def test_a_value_logged_from_a_later_epoch_starts_its_own_list():
    history = History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.7})
    history.on_epoch_end(2, None)
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [0.7]}
    assert history.epoch == [0, 1, 2]
