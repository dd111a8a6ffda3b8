"""The names Keras 3's files use for tinyfit's objects: classes, modules, dtype policies, H5 groups.

Keras files name a class by four keys (module, class_name, config, registered_name). For the
objects tinyfit shares with Keras the module is Keras's public one ("keras.layers", ...); a
class of the user's keeps its registered "package>name" in registered_name. Keras addresses
a layer's weights in the HDF5 file not by the layer's name but by its class name in
snake_case, numbered within its list ("dense", "dense_1", ...), so both sides must agree on
the class name: a functional tinyfit Model is Keras's "Functional".
"""

from __future__ import annotations

import re
from typing import Any

from .. import layers as _layers

__all__ = ["KERAS_MODULES", "keras_class_name", "snake_case", "unique_name", "dtype_policy",
           "is_functional", "is_sequential"]

# The family of a serialized object (as tinyfit's registries group them) -> Keras's module for it.
KERAS_MODULES = {
    "layer": "keras.layers",
    "loss": "keras.losses",
    "metric": "keras.metrics",
    "optimizer": "keras.optimizers",
    "learning rate schedule": "keras.optimizers.schedules",
    "initializer": "keras.initializers",
    "regularizer": "keras.regularizers",
    "activation": "keras.activations",
}


def is_sequential(layer: Any) -> bool:
    # The model classes sit above saving; the layer registry hands them over by name.
    return isinstance(layer, _layers.registry.lookup("Sequential"))


def is_functional(layer: Any) -> bool:
    return (isinstance(layer, _layers.registry.lookup("Functional")) and not is_sequential(layer)
            and getattr(layer, "_graph", None) is not None)


def keras_class_name(layer: Any) -> str:
    """The class name Keras gives `layer`: "Functional" for a functional model, else its own."""
    if is_functional(layer) and type(layer) is _layers.registry.lookup("Functional"):
        return "Functional"
    return type(layer).__name__


def snake_case(name: str) -> str:
    """Keras's snake_case of a class name: "MaxPooling2D" -> "max_pooling2d"."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(name: str, used: dict[str, int]) -> str:
    """`name`, then `name_1`, `name_2`, ... for its later uses in one list (as Keras numbers them)."""
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def dtype_policy(dtype: Any) -> dict:
    """The dtype policy object Keras writes in a layer's config for a plain dtype name."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": str(dtype)},
            "registered_name": None}
