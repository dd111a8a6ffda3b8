"""TerminateOnNaN: the first non-finite batch loss stops training."""

import math

import pytest

from tinyfit.callbacks import TerminateOnNaN


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_loss_stops_training(fake_fit, capsys, bad):
    history, model = fake_fit([TerminateOnNaN()], [{"loss": 1.0}, {"loss": bad}, {"loss": 0.5}])
    assert model.stop_training and history.epoch == [0, 1]
    assert capsys.readouterr().out.startswith("Batch 0: Invalid loss")


def test_finite_losses_run_to_the_end(fake_fit, capsys):
    history, model = fake_fit([TerminateOnNaN()], [{"loss": 1.0}, {"loss": 1e30}])
    assert not model.stop_training and history.epoch == [0, 1]
    assert capsys.readouterr().out == ""
