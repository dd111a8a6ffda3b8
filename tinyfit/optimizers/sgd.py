"""SGD: plain gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

from .. import backend
from .optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with optional momentum.

    Without momentum:  w = w - lr * g
    With momentum:     v = momentum * v - lr * g;  w = w + v
    Nesterov:          v = momentum * v - lr * g;  w = w + momentum * v - lr * g

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.01.
        momentum: in [0, 1]; 0 keeps no velocity at all.
        nesterov: look ahead along the velocity before stepping.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see `Optimizer`.
    """

    flat_updates = True  # element by element: one pass over all variables

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "SGD", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        if not backend.is_number(momentum) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be a number in [0, 1], got momentum={momentum!r}.")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables] \
            if self.momentum != 0 else []

    def update_step(self, gradient: Any, variable: Any, learning_rate: float) -> None:
        if self.momentum == 0:
            variable.data -= learning_rate * gradient
            return
        velocity = self._slot(variable, "momentum")
        velocity *= self.momentum
        velocity -= learning_rate * gradient
        if self.nesterov:
            variable.data += self.momentum * velocity - learning_rate * gradient
        else:
            variable.data += velocity

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
