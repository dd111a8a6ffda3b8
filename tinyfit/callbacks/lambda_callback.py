"""LambdaCallback: a callback made of plain functions."""

from __future__ import annotations

from typing import Any, Callable

from .callback import Callback

HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
)


class LambdaCallback(Callback):
    """Runs the functions given for the hooks named.

    >>> print_epochs = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))

    Epoch hooks get (epoch, logs), batch hooks (batch, logs), begin/end hooks (logs).
    Any hook name of `Callback` can be given (on_test_begin=..., ...).
    """

    def __init__(self, on_epoch_begin: Callable | None = None, on_epoch_end: Callable | None = None,
                 on_train_begin: Callable | None = None, on_train_end: Callable | None = None,
                 on_train_batch_begin: Callable | None = None, on_train_batch_end: Callable | None = None,
                 **more_hooks: Callable):
        super().__init__()
        unknown = sorted(set(more_hooks) - set(HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {', '.join(unknown)}; the hooks are {', '.join(HOOKS)}.")
        hooks: dict[str, Any] = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                                     on_train_batch_begin=on_train_batch_begin,
                                     on_train_batch_end=on_train_batch_end, **more_hooks)
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be a function, got {function!r}.")
            setattr(self, name, function)  # an instance attribute shadows the do-nothing method
