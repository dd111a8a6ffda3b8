"""tinyfit.losses: what training minimises, by object, by function or by name.

    loss=keras.losses.SparseCategoricalCrossentropy()     an object (configurable)
    loss=keras.losses.sparse_categorical_crossentropy     a function
    loss="sparse_categorical_crossentropy"                a name, resolved by `get`

Names resolve through one registry, the same one model loading uses, so an
unknown name fails the same way everywhere: with the name, a close match and
every known name.
"""

from __future__ import annotations

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
from .loss_registry import deserialize, get, registry, serialize
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

# The names `get` and model loading resolve (into loss_registry.registry).
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


from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
