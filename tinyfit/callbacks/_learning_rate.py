"""Reading and setting the model's learning rate for the callbacks that change it."""

from __future__ import annotations

from typing import Any


def read_learning_rate(model: Any, caller: str) -> float:
    """float(model.optimizer.learning_rate), or an error that says how to get an optimizer."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{caller}: the model has no optimizer with a learning_rate; call model.compile(optimizer=...) "
            "before fit()."
        )
    return float(optimizer.learning_rate)


def write_learning_rate(model: Any, value: float, caller: str) -> None:
    """Sets the optimizer's learning rate; explains when it comes from a schedule and cannot change."""
    try:
        model.optimizer.learning_rate = float(value)
    except TypeError as error:
        raise TypeError(f"{caller} cannot change the learning rate. {error}") from None


def check_learning_rate_settable(model: Any, caller: str) -> None:
    """Fails at the start of training, not epochs later, when the learning rate cannot be set."""
    write_learning_rate(model, read_learning_rate(model, caller), caller)
