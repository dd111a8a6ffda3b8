"""Nadam: Adam with Nesterov momentum (Dozat, 2016)."""

from __future__ import annotations

from typing import Any

from .. import backend
from .optimizer import Optimizer


class Nadam(Optimizer):
    """Nadam, Keras 3's formulation with Dozat's momentum schedule.

    At step t (1 for the first update), with mu_t = beta_1 * (1 - 0.5 * 0.96**t)
    and P_t = mu_1 * ... * mu_t (kept in the state variable `u_product`):

        m = m + (1 - beta_1) * (g - m)
        v = v + (1 - beta_2) * (g**2 - v)
        m_hat = mu_{t+1} * m / (1 - P_{t+1}) + (1 - mu_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2**t)
        w = w - lr * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: defaults to 0.001.  beta_1: 0.9.  beta_2: 0.999.  epsilon: 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see `Optimizer`.
    """

    flat_updates = True  # element by element: one pass over all variables

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "nadam", **kwargs: Any):
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
        self.velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]
        dtype = variables[0].dtype if variables else "float32"
        self.u_product = self.add_variable((), initializer="ones", dtype=dtype, name="u_product")
        # One number read at every step: keep it on the CPU, like `iterations`.
        self.u_product.data = backend.to_numpy(self.u_product.data)

    def _mu(self, t: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** t)

    def _update_variables(self, grads: list, variables: list, learning_rate: float) -> None:
        # P_t is shared by all variables: advance it once per step, before their updates.
        self.u_product.data *= self._mu(int(self.iterations) + 1)
        super()._update_variables(grads, variables, learning_rate)

    def update_step(self, gradient: Any, variable: Any, learning_rate: float) -> None:
        xp = backend.array_module(gradient)
        m = self._slot(variable, "momentum")
        v = self._slot(variable, "velocity")
        t = int(self.iterations) + 1
        mu_t, mu_next = self._mu(t), self._mu(t + 1)
        product = float(self.u_product.data)
        product_next = product * mu_next
        m += (gradient - m) * (1 - self.beta_1)
        v += (xp.square(gradient) - v) * (1 - self.beta_2)
        m_hat = mu_next * m / (1 - product_next) + (1 - mu_t) * gradient / (1 - product)
        v_hat = v / (1 - self.beta_2 ** t)
        variable.data -= m_hat * learning_rate / (xp.sqrt(v_hat) + self.epsilon)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
