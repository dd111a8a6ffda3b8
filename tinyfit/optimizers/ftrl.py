"""FTRL-Proximal: per-weight step sizes with L1 that sets weights exactly to zero (sparse linear models)."""

from __future__ import annotations

from typing import Any

from .. import backend
from .optimizer import Optimizer


class Ftrl(Optimizer):
    """Follow The Regularized Leader (McMahan et al., 2013), Keras 3's formulation.

    FTRL keeps, per weight, the sum of squared gradients n and a "linear" term z
    that sums the gradients, corrected for how the step size changed. The weight
    is not updated by a step: it is recomputed from z each time, and is exactly
    0 while |z| <= l1, which is how the L1 term makes models sparse.
    With p = -learning_rate_power (0.5 by default):

        g' = g + 2 * l2_shrinkage * w
        n_new = n + g**2
        z = z + g' - (n_new**p - n**p) / lr * w
        w = (clip(z, -l1, l1) - z) / (n_new**p / lr + 2 * (l2 + beta / (2 lr)))
        n = n_new

    Args:
        learning_rate: defaults to 0.001.
        learning_rate_power: <= 0; how the step size falls with n. Defaults to -0.5.
        initial_accumulator_value: the starting n, >= 0. Defaults to 0.1.
        l1_regularization_strength: >= 0. Defaults to 0.
        l2_regularization_strength: >= 0. Defaults to 0.
        l2_shrinkage_regularization_strength: >= 0; an L2 penalty on the weights added
            to the gradient (the other L2 acts on the step). Defaults to 0.
        beta: the paper's beta, added to the L2 strength as beta / (2 lr). Defaults to 0.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see `Optimizer`.
    """

    flat_updates = True  # element by element: one pass over all variables

    def __init__(self, learning_rate: Any = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1, l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0, l2_shrinkage_regularization_strength: float = 0.0,
                 beta: float = 0.0, weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "ftrl", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        for key, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0:
                raise ValueError(f"Ftrl: {key} must be >= 0, got {key}={value!r}.")
        if learning_rate_power > 0:
            raise ValueError(f"Ftrl: learning_rate_power must be <= 0, got {learning_rate_power!r}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        # Made variable by variable, both kinds in turn: the order Keras 3 lists (and saves) them in.
        self.accumulators, self.linears = [], []
        for v in variables:
            self.accumulators.append(
                self.add_variable_from_reference(v, "accumulator", initializer=self.initial_accumulator_value))
            self.linears.append(self.add_variable_from_reference(v, "linear"))

    def update_step(self, gradient: Any, variable: Any, learning_rate: float) -> None:
        xp = backend.array_module(gradient)
        n = self._slot(variable, "accumulator")
        z = self._slot(variable, "linear")
        w = variable.data
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        n_new = n + xp.square(gradient)
        scale_new = xp.power(n_new, power)
        z += gradient + 2 * self.l2_shrinkage_regularization_strength * w \
            - (scale_new - xp.power(n, power)) / learning_rate * w
        quadratic = scale_new / learning_rate + 2 * l2
        w[...] = (xp.clip(z, -l1, l1) - z) / quadratic
        n[...] = n_new

    def get_config(self) -> dict:
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
