"""Whether tinyfit vouches for a model's code: every part of it declares `supports_jit = True`.

A declared layer, loss, activation or regularizer runs the same ops whatever
the values, and keeps no array of a step beyond it except through
Variable.assign (which copies). Two things rest on that word: jit_compile="auto"
replays such a model's step (compiled_step.py), and the step functions lend it
the workspace's pooled buffers for the step's life (step_function.py). Code
that declares nothing (a subclassed model, a user's layer) might branch on
values or keep an array it was handed, so it runs eagerly, on fresh arrays.
"""

from __future__ import annotations

from typing import Any

from .. import losses as losses_module
from ..utils.declared import declared

UNDECLARED = "it does not declare supports_jit = True"


def supports_jit(thing: Any) -> bool:
    """Whether a layer, loss, activation or regularizer declares `supports_jit = True`: set on
    itself (a function, or an object in its __init__) or in its own class's body. A subclass
    does not inherit its parent's word, since it may override call()."""
    return declared(thing, "supports_jit") is True


def unvouched_reason(model: Any) -> str | None:
    """Why tinyfit cannot vouch for `model`'s code (the first part that does not declare
    supports_jit); None when every part does."""
    if not supports_jit(model):
        return (f"{type(model).__name__} is a subclassed model: its call() is Python code tinyfit cannot check "
                f"({UNDECLARED})")
    if getattr(model, "_graph", None) is None:
        return "the model has no graph of layers yet"  # built by its first step: the fingerprint changes then
    for layer in model._gathered().layers[1:]:
        if not supports_jit(layer):  # a functional or Sequential model inside declares it: its layers follow
            return (f"layer {layer.name!r} ({type(layer).__name__}) is not one of tinyfit's value-independent "
                    "layers: its class does not declare supports_jit = True")
        activation = getattr(layer, "activation", None)
        if activation is not None and not supports_jit(activation):
            return f"layer {layer.name!r} has an activation tinyfit does not know: {UNDECLARED}"
        for _, regularizer in getattr(layer, "_regularizers", []):
            if not supports_jit(regularizer):
                return f"layer {layer.name!r} has a regularizer tinyfit does not know: {UNDECLARED}"
        activity = getattr(layer, "activity_regularizer", None)
        if activity is not None and not supports_jit(activity):
            return f"layer {layer.name!r} has an activity regularizer tinyfit does not know: {UNDECLARED}"
    compiled = model._compile_loss
    for loss in compiled.losses if compiled is not None else []:
        if loss is None:
            continue
        wrapped = loss.fn if isinstance(loss, losses_module.LossFunctionWrapper) else None
        if not supports_jit(loss) or (wrapped is not None and not supports_jit(wrapped)):
            return f"the loss {getattr(loss, 'name', loss)!r} is not one of tinyfit's own: {UNDECLARED}"
    return None
