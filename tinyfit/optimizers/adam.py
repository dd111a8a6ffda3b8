"""Adam: momentum plus RMSprop-style scaling, each corrected for its zero start."""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam, Keras 3's formulation (bias correction folded into the step size).

    At step t (1 for the first update):

        m = m + (1 - beta_1) * (g - m)            running mean of gradients
        v = v + (1 - beta_2) * (g**2 - v)         running mean of squared gradients
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    With `amsgrad=True`, v is replaced by its running maximum v_hat.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: defaults to 0.9.  beta_2: defaults to 0.999.  epsilon: defaults to 1e-7.
        amsgrad: use the running maximum of v (Reddi et al., 2018).
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see `Optimizer`.
    """

    flat_updates = True  # element by element: one pass over all variables

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str = "adam", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]
        self.velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]
        self.velocity_hats = [self.add_variable_from_reference(v, "velocity_hat") for v in variables] \
            if self.amsgrad else []

    def update_step(self, gradient: Any, variable: Any, learning_rate: float) -> None:
        # Written into this optimizer's own arrays (slots, two work arrays) in the order of the
        # formulas, so a step allocates nothing.
        xp = backend.array_module(gradient)
        m = self._slot(variable, "momentum")
        v = self._slot(variable, "velocity")
        work, step = self._scratch(gradient, 0), self._scratch(gradient, 1)
        t = int(self.iterations) + 1
        alpha = learning_rate * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        xp.subtract(gradient, m, out=work)
        work *= 1 - self.beta_1
        m += work  # m += (g - m) * (1 - beta_1)
        xp.multiply(gradient, gradient, out=work)
        work -= v
        work *= 1 - self.beta_2
        v += work  # v += (g**2 - v) * (1 - beta_2)
        if self.amsgrad:
            v_hat = self._slot(variable, "velocity_hat")
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        xp.sqrt(v, out=work)
        work += self.epsilon
        xp.multiply(m, alpha, out=step)
        step /= work
        variable.data -= step  # (m * alpha) / (sqrt(v) + epsilon)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
