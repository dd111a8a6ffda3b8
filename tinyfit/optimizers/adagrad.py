"""Adagrad: each weight's step shrinks with the sum of its squared gradients."""

from __future__ import annotations

from typing import Any

from .. import backend
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), Keras 3's formulation.

        a = a + g**2                              a starts at initial_accumulator_value
        w = w - lr * g / sqrt(a + epsilon)

    Args:
        learning_rate: defaults to 0.001 (1.0 matches the paper).
        initial_accumulator_value: starting value of a, >= 0. Defaults to 0.1.
        epsilon: defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see `Optimizer`.
    """

    flat_updates = True  # element by element: one pass over all variables

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "adagrad", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError("Adagrad: initial_accumulator_value must be >= 0, got "
                             f"{initial_accumulator_value!r}.")
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.accumulators = [
            self.add_variable_from_reference(v, "accumulator", initializer=self.initial_accumulator_value)
            for v in variables
        ]

    def update_step(self, gradient: Any, variable: Any, learning_rate: float) -> None:
        xp = backend.array_module(gradient)
        accumulator = self._slot(variable, "accumulator")
        accumulator += xp.square(gradient)
        variable.data -= learning_rate * gradient / xp.sqrt(accumulator + self.epsilon)

    def get_config(self) -> dict:
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
