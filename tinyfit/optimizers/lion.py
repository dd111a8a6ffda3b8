"""Lion: a step of the same size for every weight, in the direction of a momentum's sign."""

from __future__ import annotations

from typing import Any

from .. import backend
from .optimizer import Optimizer


class Lion(Optimizer):
    """Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms"), Keras 3's formulation.

    Only the sign of the update is used, so every weight moves by exactly the
    learning rate; the direction mixes the gradient with a momentum m:

        w = w - lr * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    Steps are larger than Adam's for the same rate: the paper uses a learning
    rate 3-10 times smaller (and a weight decay that much larger).

    Args:
        learning_rate: defaults to 0.001.
        beta_1: how much of the momentum the step's direction takes, in (0, 1]. Defaults to 0.9.
        beta_2: the momentum's decay. Defaults to 0.99.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see `Optimizer`.
    """

    flat_updates = True  # element by element: one pass over all variables

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "lion", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(f"Lion: beta_1 must be in (0, 1], got beta_1={beta_1!r} (with 0 the momentum "
                             "would never be used).")
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]

    def update_step(self, gradient: Any, variable: Any, learning_rate: float) -> None:
        xp = backend.array_module(gradient)
        m = self._slot(variable, "momentum")
        direction = xp.sign(self.beta_1 * m + (1 - self.beta_1) * gradient)
        direction *= learning_rate
        variable.data -= direction
        m *= self.beta_2
        m += (1 - self.beta_2) * gradient

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
