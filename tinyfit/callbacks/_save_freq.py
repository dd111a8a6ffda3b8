"""The `save_freq` argument of the callbacks that write files during training."""

from __future__ import annotations

from typing import Any


def check_save_freq(owner: str, save_freq: Any, action: str = "save") -> str | int:
    """`save_freq` as given when it is "epoch" or a whole number of batches, 1 or more.

    Raises TypeError for anything else but a number, ValueError for a number below 1,
    each naming `owner` and showing both ways to write it.
    """
    if save_freq == "epoch":
        return save_freq
    if isinstance(save_freq, bool) or not isinstance(save_freq, int):
        raise TypeError(f"{owner}: save_freq must be 'epoch' or a whole number of batches, got "
                        f"{type(save_freq).__name__} {save_freq!r}. Pass save_freq='epoch' to {action} after "
                        f"each epoch, or e.g. save_freq=100 to {action} every 100 batches.")
    if save_freq < 1:
        raise ValueError(f"{owner}: save_freq={save_freq} must be at least 1 batch (or 'epoch').")
    return save_freq
