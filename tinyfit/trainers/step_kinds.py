"""Whether a model runs tinyfit's built-in steps, or step methods its class writes itself.

fit() can do more for a model whose steps are the built-in ones, because it knows what
they do: record one step and replay it (compiled_step.py), pass targets on as class
indices (compile_utils.class_index_outputs), say before training which values it will
log (Trainer.logged_metric_names). A model that overrides one of them runs code of its
own, which fit() takes as it is.

The built-in methods are Trainer's; trainer.py hands them over once with
`remember_builtin_steps(Trainer)`, so that nothing here imports the class that imports
this module.
"""

from __future__ import annotations

from typing import Any, Callable

STEP_METHODS = ("train_step", "test_step", "compute_loss", "compute_metrics")

_BUILTIN: dict[str, Callable[..., Any]] = {}


def remember_builtin_steps(trainer_class: type) -> None:
    """Keeps `trainer_class`'s step methods as the built-in ones."""
    for name in STEP_METHODS:
        _BUILTIN[name] = getattr(trainer_class, name)


def builtin_step(name: str) -> Callable[..., Any]:
    """The built-in method `name` (one of STEP_METHODS), to call as `builtin_step("train_step")(model, data)`."""
    return _BUILTIN[name]


def uses_builtin_steps(model: Any, names: tuple[str, ...] = STEP_METHODS) -> bool:
    """Whether `model`'s class keeps every built-in method of `names` (all four by default),
    overriding none of them."""
    return all(getattr(type(model), name) is _BUILTIN[name] for name in names)
