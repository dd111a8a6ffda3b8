"""Optimizers and learning-rate schedules, by object or by name ("rmsprop", "adam", ...).

>>> from tinyfit import optimizers
>>> optimizers.get("rmsprop")
<RMSprop name='rmsprop' learning_rate=0.001 iterations=0>
"""

from __future__ import annotations

from typing import Any

from ..utils import object_config
from ..utils.registry import Registry
from . import schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .ftrl import Ftrl
from .lion import Lion
from .nadam import Nadam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adagrad",
    "Adamax",
    "Nadam",
    "Adadelta",
    "Lion",
    "Ftrl",
    "schedules",
    "get",
    "serialize",
    "deserialize",
]

# Names for compile(optimizer="...") and for loading saved models: the class
# name ("RMSprop") and its lower-case form ("rmsprop").
REGISTRY = Registry("optimizer")
registry = REGISTRY  # every family names its Registry `registry`
for _cls in (SGD, RMSprop, Adam, AdamW, Adagrad, Adamax, Nadam, Adadelta, Lion, Ftrl):
    REGISTRY.add(_cls.__name__, _cls)
    REGISTRY.add(_cls.__name__.lower(), _cls)
del _cls


def serialize(optimizer: Optimizer) -> dict:
    """Keras 3's four keys {"module", "class_name", "config", "registered_name"}: plain JSON-ready data, no code."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizers.serialize: expected an Optimizer, got {type(optimizer).__name__}.")
    return object_config.serialize(optimizer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """Rebuilds a fresh optimizer (no state) from `serialize`'s output (the older two keys too)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"optimizers.deserialize: expected a dict with 'class_name' and 'config', got {config!r}.")
    return object_config.deserialize(config, custom_objects, REGISTRY)


def get(identifier: Any) -> Optimizer | None:
    """An optimizer from an instance (returned as is), a name, or a config dict.

    A name gives a new optimizer with the Keras defaults: get("rmsprop") is RMSprop().
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return REGISTRY.lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        raise TypeError(
            f"Got the class {identifier.__name__}, not an optimizer: write {identifier.__name__}() "
            "with parentheses."
        )
    raise ValueError(
        f"Could not interpret optimizer identifier {identifier!r}: pass an Optimizer, a name "
        f"({', '.join(REGISTRY.names())}) or a config dict."
    )

from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
