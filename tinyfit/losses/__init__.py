"""tinyfit.losses: what training minimises, by object, by function or by name.

    loss=keras.losses.SparseCategoricalCrossentropy()     an object (configurable)
    loss=keras.losses.sparse_categorical_crossentropy     a function
    loss="sparse_categorical_crossentropy"                a name, resolved by `get`

Names resolve through one registry, the same one model loading uses, so an
unknown name fails the same way everywhere: with the name, a close match and
every known name.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..utils import object_config
from ..utils.registry import Registry
from .focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from .hinge_losses import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from .log_scale import (
    LogCosh,
    MeanSquaredLogarithmicError,
    Poisson,
    log_cosh,
    mean_squared_logarithmic_error,
    poisson,
)
from .loss import Loss
from .losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CosineSimilarity,
    Huber,
    KLDivergence,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    cosine_similarity,
    huber,
    kl_divergence,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)

__all__ = [
    "Loss", "LossFunctionWrapper",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "Huber",
    "KLDivergence", "CosineSimilarity",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "huber",
    "kl_divergence", "cosine_similarity",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "Hinge", "SquaredHinge", "CategoricalHinge", "LogCosh", "MeanSquaredLogarithmicError", "Poisson",
    "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy",
    "hinge", "squared_hinge", "categorical_hinge", "log_cosh", "mean_squared_logarithmic_error", "poisson",
    "binary_focal_crossentropy", "categorical_focal_crossentropy",
    "get", "serialize", "deserialize",
]

registry = Registry("loss")

_CLASSES = (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    Huber, KLDivergence, CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Hinge, SquaredHinge, CategoricalHinge, LogCosh,
    MeanSquaredLogarithmicError, Poisson, BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
)
_FUNCTIONS = (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, huber, kl_divergence,
    cosine_similarity, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
    hinge, squared_hinge, categorical_hinge, log_cosh, mean_squared_logarithmic_error, poisson,
    binary_focal_crossentropy, categorical_focal_crossentropy,
)
for _obj in _CLASSES + _FUNCTIONS:
    registry.add(_obj.__name__, _obj)
# Keras's short names, in both cases.
for _short, _fn in {"mse": mean_squared_error, "mae": mean_absolute_error,
                    "mape": mean_absolute_percentage_error, "kld": kl_divergence,
                    "bce": binary_crossentropy, "msle": mean_squared_logarithmic_error}.items():
    registry.add(_short, _fn)
    registry.add(_short.upper(), _fn)


def get(identifier: Any) -> Any:
    """A loss from a name, a config dict, a Loss class or object, or a function.

    As in Keras, a function's name ("mse", "sparse_categorical_crossentropy")
    gives the function and a class name ("SparseCategoricalCrossentropy") gives
    an object with default arguments; Loss objects and functions come back as
    they are, and None stays None.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = registry.lookup(identifier)
    else:
        obj = identifier
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

from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
