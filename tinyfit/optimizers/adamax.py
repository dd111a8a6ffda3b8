"""Adamax: Adam with the second moment replaced by a running maximum of |g|."""

from __future__ import annotations

from typing import Any

from .. import backend
from .optimizer import Optimizer


class Adamax(Optimizer):
    """Adamax, the infinity-norm variant of Adam (Kingma & Ba, 2015, section 7).

    At step t (1 for the first update):

        m = m + (1 - beta_1) * (g - m)
        u = max(beta_2 * u, |g|)
        w = w - lr * m / ((1 - beta_1**t) * (u + epsilon))

    Args:
        learning_rate: defaults to 0.001.  beta_1: 0.9.  beta_2: 0.999.  epsilon: 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see `Optimizer`.
    """

    flat_updates = True  # element by element: one pass over all variables

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "adamax", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]
        self.norms = [self.add_variable_from_reference(v, "norm") for v in variables]

    def update_step(self, gradient: Any, variable: Any, learning_rate: float) -> None:
        xp = backend.array_module(gradient)
        m = self._slot(variable, "momentum")
        u = self._slot(variable, "norm")
        t = int(self.iterations) + 1
        m += (gradient - m) * (1 - self.beta_1)
        xp.maximum(self.beta_2 * u, xp.abs(gradient), out=u)
        variable.data -= learning_rate * m / ((1 - self.beta_1 ** t) * (u + self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
