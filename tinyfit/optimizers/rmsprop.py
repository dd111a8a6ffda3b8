"""RMSprop: divide each gradient by a running root-mean-square of its recent values."""

from __future__ import annotations

from typing import Any

from .. import backend
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop, Keras 3's formulation (epsilon inside the square root).

        v = rho * v + (1 - rho) * g**2
        w = w - lr * g / sqrt(v + epsilon)

    With `centered=True` it also tracks the mean gradient a and divides by
    sqrt(v - a**2 + epsilon), an estimate of the gradient's variance. With
    `momentum > 0` the step above is accumulated in a velocity first:
    m = momentum * m + step;  w = w - m.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        rho: decay of the running average of squared gradients. Defaults to 0.9.
        momentum: defaults to 0.0 (no velocity kept).
        epsilon: defaults to 1e-7.
        centered: divide by the estimated variance instead of the raw second moment.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see `Optimizer`.
    """

    flat_updates = True  # element by element: one pass over all variables

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str = "rmsprop", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, variables: list) -> None:
        if self.built:
            return
        super().build(variables)
        self.velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables] \
            if self.momentum > 0 else []
        self.average_gradients = [self.add_variable_from_reference(v, "average_gradient") for v in variables] \
            if self.centered else []

    def update_step(self, gradient: Any, variable: Any, learning_rate: float) -> None:
        # Every step is written into this optimizer's own arrays (its slots and two work arrays),
        # in the order of the formulas below, so a step allocates nothing.
        xp = backend.array_module(gradient)
        work, step = self._scratch(gradient, 0), self._scratch(gradient, 1)
        velocity = self._slot(variable, "velocity")
        velocity *= self.rho
        xp.multiply(gradient, gradient, out=work)
        work *= 1 - self.rho
        velocity += work  # v = rho * v + (1 - rho) * g**2
        if self.centered:
            average = self._slot(variable, "average_gradient")
            average *= self.rho
            xp.multiply(gradient, 1 - self.rho, out=work)
            average += work  # a = rho * a + (1 - rho) * g
            xp.multiply(average, average, out=work)
            xp.subtract(velocity, work, out=work)
            work += self.epsilon  # v - a**2 + epsilon
        else:
            xp.add(velocity, self.epsilon, out=work)  # v + epsilon
        xp.sqrt(work, out=work)
        xp.multiply(gradient, learning_rate, out=step)
        step /= work  # learning_rate * g / sqrt(...)
        if self.momentum > 0:
            momentum = self._slot(variable, "momentum")
            momentum *= self.momentum
            momentum += step  # m = momentum * m + step
            step = momentum
        variable.data -= step

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
