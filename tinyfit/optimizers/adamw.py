"""AdamW: Adam with decoupled weight decay switched on."""

from __future__ import annotations

from typing import Any

from .adam import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Before each Adam step every variable shrinks: w = w - lr * weight_decay * w.
    The decay does not pass through Adam's scaling, which is the difference
    from adding an L2 penalty to the loss. Exclude biases and the like with
    `exclude_from_weight_decay(var_names=["bias"])`.

    Args:
        learning_rate: defaults to 0.001.  weight_decay: defaults to 0.004.
        beta_1, beta_2, epsilon, amsgrad: as in `Adam`.
        clipnorm, clipvalue, global_clipnorm, name: see `Optimizer`.
    """

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str = "adamw", **kwargs: Any):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number (it is what AdamW adds to Adam), got None. "
                             "Use Adam for no weight decay.")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
