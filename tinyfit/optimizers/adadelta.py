"""Adadelta: Adagrad's step sizes from running averages, in the units of the weights."""

from __future__ import annotations

from typing import Any

from .. import backend
from .optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), Keras 3's formulation.

    Two running averages per weight: of the squared gradients (g2) and of the
    squared updates (d2). The step is the gradient scaled by the ratio of their
    root means, so it has the units of the weight itself:

        g2 = rho * g2 + (1 - rho) * g**2
        delta = -sqrt(d2 + epsilon) / sqrt(g2 + epsilon) * g
        d2 = rho * d2 + (1 - rho) * delta**2
        w = w + lr * delta

    Args:
        learning_rate: defaults to 0.001 (1.0 matches the paper, where there is none).
        rho: the decay of both running averages. Defaults to 0.95.
        epsilon: keeps the square roots away from 0. Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see `Optimizer`.
    """

    flat_updates = True  # element by element: one pass over all variables

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "adadelta", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        # Made variable by variable, both kinds in turn: the order Keras 3 lists (and saves) them in.
        self.accumulated_grads, self.accumulated_delta_vars = [], []
        for v in variables:
            self.accumulated_grads.append(self.add_variable_from_reference(v, "accumulated_grad"))
            self.accumulated_delta_vars.append(self.add_variable_from_reference(v, "accumulated_delta_var"))

    def update_step(self, gradient: Any, variable: Any, learning_rate: float) -> None:
        xp = backend.array_module(gradient)
        g2 = self._slot(variable, "accumulated_grad")
        d2 = self._slot(variable, "accumulated_delta_var")
        g2 *= self.rho
        g2 += (1 - self.rho) * xp.square(gradient)
        delta = -xp.sqrt(d2 + self.epsilon) / xp.sqrt(g2 + self.epsilon) * gradient
        d2 *= self.rho
        d2 += (1 - self.rho) * xp.square(delta)
        delta *= learning_rate
        variable.data += delta

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
