"""tinyfit.metrics: what training reports, by object or by name.

    metrics=[keras.metrics.SparseCategoricalAccuracy()]   an object
    metrics=["sparse_categorical_accuracy"]               a name, resolved by `get`

Every class is registered under its own name and its snake_case name, plus
Keras's short names ("mse", "mae", "mape", ...). ("accuracy"/"acc" given to
compile() are resolved there, from the loss and the data, as Keras does.)
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from ..losses import losses as _loss_functions
from ..losses.loss import to_snake_case
from ..utils.registry import Registry, registered_name
from .accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .auc import AUC
from .confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from .fbeta_score import F1Score, FBetaScore
from .metric import Metric
from .probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    SparseCategoricalCrossentropy,
)
from .reduction_metrics import Mean, MeanMetricWrapper, Sum
from .regression_metrics import (
    CosineSimilarity,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    RootMeanSquaredError,
)

# The losses' per-sample functions, re-exported as keras.metrics does: metrics=[fn] works too.
from ..losses.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)

__all__ = [
    # base classes
    "Metric", "Mean", "Sum", "MeanMetricWrapper",
    # accuracy
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    # regression
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "RootMeanSquaredError",
    "CosineSimilarity",
    # probabilistic
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence",
    # confusion matrix
    "Precision", "Recall", "AUC", "F1Score", "FBetaScore",
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
    # functions
    "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence",
    # lookup
    "get", "serialize", "deserialize",
]

registry = Registry("metric")

_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, RootMeanSquaredError, CosineSimilarity,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence,
    Precision, Recall, AUC, F1Score, FBetaScore,
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
)
for _cls in _CLASSES:
    registry.add(_cls.__name__, _cls)
    registry.add(to_snake_case(_cls.__name__), _cls)
registry.add("fbeta_score", FBetaScore)  # its default name
for _short, _cls in {"mse": MeanSquaredError, "mae": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
                     "bce": BinaryCrossentropy, "kld": KLDivergence}.items():
    registry.add(_short, _cls)
    registry.add(_short.upper(), _cls)

# Functions a MeanMetricWrapper can be saved with, by name.
_FUNCTIONS: dict[str, Callable] = {
    fn.__name__: fn
    for fn in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
               top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
               _loss_functions.mean_squared_error, _loss_functions.mean_absolute_error,
               _loss_functions.mean_absolute_percentage_error, _loss_functions.huber,
               _loss_functions.kl_divergence, _loss_functions.cosine_similarity,
               _loss_functions.binary_crossentropy, _loss_functions.categorical_crossentropy,
               _loss_functions.sparse_categorical_crossentropy)
}


def get(identifier: Any) -> Any:
    """A metric from a name, a config dict, a Metric class or object, or a function.

    Names give a new object with default arguments ("mse" -> MeanSquaredError());
    Metric objects and functions come back as they are, and None stays None.
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
    if callable(obj) or isinstance(obj, Metric):
        return obj
    raise TypeError(
        f"Could not interpret metric identifier {identifier!r} (a {type(identifier).__name__}). "
        "Pass a metric name such as 'sparse_categorical_accuracy', a keras.metrics.Metric object, "
        "a function f(y_true, y_pred), or a config dict from serialize()."
    )


def serialize(metric: Any) -> Any:
    """A JSON-ready description of `metric`, which `deserialize` turns back into it."""
    if metric is None or isinstance(metric, str):
        return metric
    if isinstance(metric, Metric):
        return {"class_name": registered_name(type(metric)), "config": metric.get_config()}
    return serialize_function(metric)


def serialize_function(fn: Callable) -> dict[str, Any]:
    """{"class_name": "function", "config": its name} for a per-sample function."""
    name = getattr(fn, "__name__", None)
    if not callable(fn) or name is None or name == "<lambda>":
        raise TypeError(
            f"serialize: cannot describe {fn!r}; metrics are saved by name, so use a Metric object "
            "or a function defined with def."
        )
    return {"class_name": "function", "config": registered_name(fn)}


def _find(name: str, custom_objects: dict[str, Any], functions: bool) -> Any:
    if name in custom_objects:
        return custom_objects[name]
    if functions and name in _FUNCTIONS:
        return _FUNCTIONS[name]
    try:
        return registry.lookup(name)
    except ValueError as exc:
        raise ValueError(
            f"{exc} A metric defined in your own code must be passed in custom_objects={{{name!r}: ...}}."
        ) from None


def deserialize_function(config: Any, custom_objects: dict[str, Any] | None = None) -> Callable:
    """The function that `serialize_function` described."""
    if callable(config):
        return config
    name = config["config"] if isinstance(config, dict) else config
    return _find(name, custom_objects or {}, functions=True)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The metric that `serialize` described (a name, or a {"class_name", "config"} dict).

    Args:
        config: the output of `serialize`, or a metric name.
        custom_objects: {name: class or function} for metrics defined in your own code.
    """
    custom_objects = custom_objects or {}
    if config is None:
        return None
    if isinstance(config, str):
        return _find(config, custom_objects, functions=False)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"deserialize: expected a metric name or a dict with 'class_name' and 'config' "
            f"(from serialize()), got {config!r}."
        )
    if config["class_name"] == "function":
        return deserialize_function(config, custom_objects)
    cls = _find(config["class_name"], custom_objects, functions=False)
    inner = dict(config.get("config") or {})
    if "fn" in inner:
        inner["fn"] = deserialize_function(inner["fn"], custom_objects)
    if inspect.isclass(cls):
        return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
    return cls
