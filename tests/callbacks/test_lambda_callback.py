"""LambdaCallback: plain functions as hooks."""

import pytest

from tinyfit.callbacks import LambdaCallback


def test_functions_run_at_their_hooks(fake_fit):
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs["loss"])),
        on_train_batch_end=lambda batch, logs: calls.append(("batch", batch)),
        on_test_begin=lambda logs: calls.append("test_begin"),
        on_train_end=lambda logs: calls.append("train_end"),
    )
    fake_fit([callback], [{"loss": 0.5, "val_loss": 1.0}], steps=2)
    assert calls == ["train_begin", ("batch", 0), ("batch", 1), "test_begin", ("epoch_end", 0, 0.5), "train_end"]


def test_hooks_not_given_do_nothing():
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    assert callback.on_epoch_begin(0, {}) is None


def test_bad_hooks_are_named():
    with pytest.raises(TypeError, match=r"unknown hook\(s\) on_epoch_finish; the hooks are on_train_begin"):
        LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match=r"on_epoch_end must be a function, got 3"):
        LambdaCallback(on_epoch_end=3)
