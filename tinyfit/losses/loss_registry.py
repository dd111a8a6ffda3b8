"""The loss family's names, and `get`, `serialize`, `deserialize` (keras.losses.get, ...).

compile() and model loading resolve loss names here. The package's `__init__` fills the
registry with every loss it exports; LossFunctionWrapper imports this module to save and
load its function, which it could not do from the package that imports it.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..utils import object_config
from ..utils.registry import Registry
from .loss import Loss

registry = Registry("loss")


def get(identifier: Any) -> Any:
    """A loss from a name, a config dict, a Loss class or object, or a function.

    As in Keras, a function's name ("mse", "sparse_categorical_crossentropy")
    gives the function and a class name ("SparseCategoricalCrossentropy") gives
    an object with default arguments; Loss objects and functions come back as
    they are, and None stays None.
    """
    if identifier is None:
        return None
    obj = registry.resolve(identifier, deserialize)
    if inspect.isclass(obj):
        return obj()
    if callable(obj):
        return obj
    raise TypeError(
        f"Could not interpret loss identifier {identifier!r} (a {type(identifier).__name__}). "
        "Pass a loss name such as 'mse', a keras.losses.Loss object, a function "
        "f(y_true, y_pred), or a config dict from serialize()."
    )


def serialize(loss: Any) -> Any:
    """A JSON-ready description of `loss`, which `deserialize` turns back into it.

    A Loss object gives {"module": "tinyfit.losses", "class_name": ..., "config":
    ..., "registered_name": ...}; a function gives Keras's function form, whose
    "config" is its name. Custom classes and functions need registering or
    `custom_objects` when deserialized.
    """
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, Loss) or (callable(loss) and hasattr(loss, "__name__")):
        return object_config.serialize(loss)
    raise TypeError(f"serialize: cannot describe {loss!r}; expected a Loss object or a named function.")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The loss that `serialize` described (a name, or the dict it returned).

    Args:
        config: the output of `serialize` (Keras 3's four keys or the older two), or a loss name.
        custom_objects: {name: class or function} for losses defined in your own code.
    """
    if config is None:
        return None
    if isinstance(config, dict) and isinstance(config.get("config"), dict) and isinstance(
            config["config"].get("fn"), (str, dict)):
        # A wrapped function: resolve it here, so that a function of the user's is found too.
        config = {**config, "config": {**config["config"],
                                       "fn": deserialize(config["config"]["fn"], custom_objects)}}
    return object_config.deserialize(config, custom_objects, registry)
