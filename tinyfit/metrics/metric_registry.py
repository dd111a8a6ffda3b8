"""The metric family's names, and `get`, `serialize`, `deserialize` (keras.metrics.get, ...).

compile() and model loading resolve metric names here. The package's `__init__` fills the
registry with every metric it exports and the functions a MeanMetricWrapper can be saved
with; MeanMetricWrapper imports this module to save and load its function, which it could
not do from the package that imports it.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from ..utils import object_config
from ..utils.registry import Registry, registered_name
from .metric import Metric

registry = Registry("metric")


def get(identifier: Any) -> Any:
    """A metric from a name, a config dict, a Metric class or object, or a function.

    Names give a new object with default arguments ("mse" -> MeanSquaredError());
    Metric objects and functions come back as they are, and None stays None.
    """
    if identifier is None:
        return None
    obj = registry.resolve(identifier, deserialize)
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
    """A JSON-ready description of `metric` (Keras 3's four keys), which `deserialize` turns back into it."""
    if metric is None or isinstance(metric, str):
        return metric
    if isinstance(metric, Metric):
        return object_config.serialize(metric)
    return serialize_function(metric)


def serialize_function(fn: Callable) -> dict[str, Any]:
    """Keras's form of a per-sample function: {"module": "builtins", "class_name": "function", "config": its name, ...}."""
    name = getattr(fn, "__name__", None)
    if not callable(fn) or name is None or name == "<lambda>":
        raise TypeError(
            f"serialize: cannot describe {fn!r}; metrics are saved by name, so use a Metric object "
            "or a function defined with def."
        )
    return {"module": "builtins", "class_name": "function", "config": registered_name(fn),
            "registered_name": "function"}


def deserialize_function(config: Any, custom_objects: dict[str, Any] | None = None) -> Callable:
    """The function that `serialize_function` described (or a function's name)."""
    if callable(config):
        return config
    if isinstance(config, str):
        config = {"class_name": "function", "config": config}
    if not isinstance(config, dict) or config.get("class_name") != "function":
        raise ValueError(f"deserialize_function: expected a function's name or serialize_function()'s dict, "
                         f"got {config!r:.80}.")
    return object_config.deserialize(config, custom_objects, registry)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The metric that `serialize` described (a name, or the dict it returned).

    Args:
        config: the output of `serialize` (Keras 3's four keys or the older two), or a metric name.
        custom_objects: {name: class or function} for metrics defined in your own code.
    """
    if isinstance(config, dict) and isinstance(config.get("config"), dict) and "fn" in config["config"]:
        # A wrapped function: resolve it here, so that a function of the user's is found too.
        config = {**config, "config": {**config["config"],
                                       "fn": deserialize_function(config["config"]["fn"], custom_objects)}}
    return object_config.deserialize(config, custom_objects, registry)
