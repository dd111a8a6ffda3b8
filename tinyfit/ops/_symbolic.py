"""How an op called on the symbolic tensors of a model definition joins the graph.

On `keras.Input` and what layers compute from it, every op records a step of
the graph instead of computing. This package sits below the layers and cannot
import them; it recognizes such tensors by a method their class carries,
`__tinyfit_symbolic_apply__(fn, args, kwargs)`, and hands the call to it. A real
Tensor skips that look with one isinstance check, so the ops cost the same
inside training steps.
"""

from __future__ import annotations

from typing import Any

# What each class of argument is, remembered per class: looking a class up once
# keeps the check cheap for the numbers and arrays passed beside tensors.
_PLAIN, _SYMBOLIC, _CONTAINER = 0, 1, 2
_KINDS: dict[type, int] = {}
_HOOK = "__tinyfit_symbolic_apply__"


def _kind(cls: type) -> int:
    kind = _KINDS.get(cls)
    if kind is None:
        kind = (_SYMBOLIC if callable(getattr(cls, _HOOK, None))
                else _CONTAINER if issubclass(cls, (list, tuple, dict)) else _PLAIN)
        _KINDS[cls] = kind
    return kind


def _symbolic_leaf(values: Any) -> Any:
    """The first argument (looking inside lists, tuples and dicts) that is a symbolic tensor, or None."""
    for value in values:
        kind = _KINDS.get(value.__class__)
        if kind == _PLAIN:
            continue
        if kind is None:
            kind = _kind(value.__class__)
        if kind == _SYMBOLIC:
            return value
        if kind == _CONTAINER:
            found = _symbolic_leaf(value.values() if isinstance(value, dict) else value)
            if found is not None:
                return found
    return None


def symbolic(*values: Any) -> bool:
    """Whether any argument is (or holds) a symbolic tensor of a model definition."""
    for value in values:  # numbers and arrays beside a tensor: one dict look-up each
        if _KINDS.get(value.__class__) != _PLAIN:
            return _symbolic_leaf(values) is not None
    return False


def graph_node(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` recorded in the model definition its symbolic argument belongs to."""
    leaf = _symbolic_leaf((args, kwargs))
    return getattr(leaf, _HOOK)(fn, args, kwargs)
