"""Regularizers: penalties on the size of weights (or activations) added to the loss.

A regularizer is called on a tensor and returns a scalar Tensor. Given to a
layer (`Dense(64, kernel_regularizer="l2")`), its penalty on the weight shows up
in `layer.losses` / `model.losses`, and fit() adds those to the loss it minimizes.

>>> import tinyfit
>>> tinyfit.regularizers.L2(0.5)(tinyfit.Tensor([1.0, 2.0])).item()
2.5
"""

from __future__ import annotations

from typing import Any

from . import ops
from .autograd.tensor import Tensor
from .utils import object_config
from .utils.registry import Registry

_REGISTRY = Registry("regularizer")
registry = _REGISTRY  # every family names its Registry `registry`


class Regularizer:
    """Base class: subclasses write `__call__(x) -> scalar Tensor` and `get_config`."""

    # Whether the penalty runs the same ops whatever the values it is given, so fit() may record a
    # step through it once and replay it (trainers/compiled_step.py). Each class says so in its
    # own body, since a subclass may compute differently; one that says nothing keeps its model eager.
    supports_jit = False

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Regularizer":
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _factor(name: str, value: Any) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    if value < 0 or value != value:
        raise ValueError(f"{name} must be a number >= 0, got {value}.")
    return value


class L1(Regularizer):
    """l1 * sum(|x|): pushes weights to exactly zero (sparse weights)."""
    supports_jit = True

    def __init__(self, l1: float = 0.01):
        self.l1 = _factor("L1: l1", l1)

    def __call__(self, x):
        return ops.sum(ops.abs(x)) * self.l1

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """l2 * sum(x ** 2): "weight decay", keeps weights small."""
    supports_jit = True

    def __init__(self, l2: float = 0.01):
        self.l2 = _factor("L2: l2", l2)

    def __call__(self, x):
        return ops.sum(ops.square(x)) * self.l2

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x ** 2)."""
    supports_jit = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _factor("L1L2: l1", l1)
        self.l2 = _factor("L1L2: l2", l2)

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        penalty = ops.zeros((), dtype=x.dtype if x.dtype.kind == "f" else None).to(x.device)
        if self.l1:
            penalty = penalty + ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            penalty = penalty + ops.sum(ops.square(x)) * self.l2
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


def _l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """The string "l1_l2": both penalties, each with Keras's default factor 0.01."""
    return L1L2(l1=l1, l2=l2)


for _name, _cls in (("l1", L1), ("L1", L1), ("l2", L2), ("L2", L2), ("L1L2", L1L2), ("l1_l2", _l1_l2)):
    _REGISTRY.add(_name, _cls)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """An L1L2 regularizer (Keras's `regularizers.l1_l2`)."""
    return L1L2(l1=l1, l2=l2)


def get(identifier: Any) -> Any:
    """The regularizer for `identifier`.

    Args:
        identifier: None, a name ("l1", "l2", "l1_l2", or a class name), a dict from
            `serialize`, a Regularizer (returned as is), or a function f(x) -> scalar.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _REGISTRY.lookup(identifier)()
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret regularizer identifier {identifier!r}: pass 'l1', 'l2', 'l1_l2', a "
        "Regularizer such as tinyfit.regularizers.L2(1e-4), or a function f(x) -> scalar."
    )


def serialize(regularizer: Regularizer) -> dict[str, Any]:
    """Keras 3's four keys {"module", "class_name", "config", "registered_name"}: what `get` turns back."""
    if not isinstance(regularizer, Regularizer):
        raise TypeError(f"serialize: {regularizer!r} is not a Regularizer.")
    return object_config.serialize(regularizer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The regularizer `serialize` described (the older {"class_name", "config"} too), or a name's."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"regularizers.deserialize: expected a dict with 'class_name' and 'config' "
                         f"(from serialize()), got {config!r:.80}.")
    return object_config.deserialize(config, custom_objects, _REGISTRY)


# Keras's lower-case names for the classes: regularizers.l2(1e-4) is an L2.
l1 = L1
l2 = L2

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize", "deserialize"]

from .utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
