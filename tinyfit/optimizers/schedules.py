"""Learning-rate schedules: the learning rate as a function of the optimizer's step.

A schedule is called with the number of steps the optimizer has taken so far
(`optimizer.iterations`, 0 before the first update) and returns the learning
rate for the next update. Pass one as `learning_rate=` to any optimizer:

>>> schedule = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
>>> schedule(0), schedule(100), schedule(200)
(0.1, 0.05, 0.025)

The formulas and defaults are Keras 3's. Values are computed in Python floats
(the optimizer casts them to each variable's dtype when it applies them).
"""

from __future__ import annotations

import math
from typing import Any

from ..utils import object_config
from ..utils.registry import Registry

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "serialize",
    "deserialize",
]

REGISTRY = Registry("learning rate schedule")
registry = REGISTRY  # every family names its Registry `registry`


def _positive_steps(owner: str, argument: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{owner}: {argument} must be a number > 0, got {argument}={value!r}.")


class LearningRateSchedule:
    """Base class: subclasses write `__call__(step)` and, to be saved, `get_config()`.

    >>> class OneOverT(LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / (float(step) + 1)
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> OneOverT(0.1)(4)
    0.02
    """

    def __call__(self, step: Any) -> float:
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__} must implement __call__(self, step)."
        )

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__} must implement get_config() to be saved."
        )

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)

    def __repr__(self) -> str:
        try:
            fields = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        except NotImplementedError:
            fields = ""
        return f"{type(self).__name__}({fields})"


@REGISTRY.register("ExponentialDecay")
class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps).

    With `staircase=True` the exponent is rounded down, so the rate drops in
    steps every `decay_steps` updates.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay"):
        _positive_steps("ExponentialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> float:
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


@REGISTRY.register("PiecewiseConstantDecay")
class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[1] while step <= boundaries[1], ...,
    values[-1] once step > boundaries[-1]."""

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                f"PiecewiseConstantDecay: boundaries must have one entry fewer than values; got "
                f"{len(boundaries)} boundaries {list(boundaries)} and {len(values)} values {list(values)}."
            )
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(
                f"PiecewiseConstantDecay: boundaries must increase strictly; got {list(boundaries)}."
            )
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step: Any) -> float:
        step = float(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@REGISTRY.register("PolynomialDecay")
class PolynomialDecay(LearningRateSchedule):
    """From initial_learning_rate to end_learning_rate in decay_steps along (1 - step/decay_steps) ** power.

    After `decay_steps` the rate stays at `end_learning_rate`, unless `cycle=True`:
    then the decay restarts over the next multiple of `decay_steps`.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str = "PolynomialDecay"):
        _positive_steps("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Any) -> float:
        step = float(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            # The first multiple of decay_steps at or above step (1 at step 0).
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        fraction_left = 1.0 - step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * fraction_left ** self.power + self.end_learning_rate

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


@REGISTRY.register("InverseTimeDecay")
class InverseTimeDecay(LearningRateSchedule):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps), rounded down with staircase."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay"):
        _positive_steps("InverseTimeDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> float:
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


@REGISTRY.register("CosineDecay")
class CosineDecay(LearningRateSchedule):
    """Half a cosine from the start rate down to alpha * start rate over decay_steps.

    Without warmup the start rate is `initial_learning_rate`. With
    `warmup_target` set, the rate first climbs linearly from
    `initial_learning_rate` to `warmup_target` over `warmup_steps`, and the
    cosine then starts from `warmup_target`.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None, warmup_steps: int = 0):
        _positive_steps("CosineDecay", "decay_steps", decay_steps)
        if warmup_target is not None:
            _positive_steps("CosineDecay", "warmup_steps (with warmup_target set)", warmup_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _cosine(self, step: float, start: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: Any) -> float:
        step = float(step)
        if self.warmup_target is None:
            return self._cosine(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            climbed = step / self.warmup_steps
            return self.initial_learning_rate + climbed * (self.warmup_target - self.initial_learning_rate)
        return self._cosine(step - self.warmup_steps, self.warmup_target)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


def serialize(schedule: LearningRateSchedule) -> dict:
    """Keras 3's four keys {"module", "class_name", "config", "registered_name"}: plain JSON-ready data, no code."""
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(f"schedules.serialize: expected a LearningRateSchedule, got {type(schedule).__name__}.")
    return object_config.serialize(schedule)


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """Rebuilds a schedule from `serialize`'s output (the older two keys too; custom classes via custom_objects)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"schedules.deserialize: expected a dict with 'class_name' and 'config', got {config!r}."
        )
    return object_config.deserialize(config, custom_objects, REGISTRY)
