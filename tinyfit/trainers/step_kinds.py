"""Whether a model runs tinyfit's built-in steps, or step methods its class writes itself.

fit() can do more for a model whose steps are the built-in ones, because it knows what
they do: record one step and replay it (compiled_step.py), pass targets on as class
indices (compile_utils.class_index_outputs), say before training which values it will
log (Trainer.logged_metric_names). A model that overrides one of them runs code of its
own, which fit() takes as it is.

The built-in methods are those of `Steps` (steps.py), which Trainer inherits.
"""

from __future__ import annotations

from typing import Any, Callable

from ..utils.declared import overrides
from .steps import Steps

STEP_METHODS = ("train_step", "test_step", "compute_loss", "compute_metrics")


def builtin_step(name: str) -> Callable[..., Any]:
    """The built-in method `name` (one of STEP_METHODS), to call as `builtin_step("train_step")(model, data)`."""
    return getattr(Steps, name)


def uses_builtin_steps(model: Any, names: tuple[str, ...] = STEP_METHODS) -> bool:
    """Whether `model`'s class keeps every built-in method of `names` (all four by default),
    overriding none of them."""
    kind = type(model)
    return not any(overrides(kind, Steps, name) for name in names)
