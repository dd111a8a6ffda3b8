"""New models from old ones: `clone_model` (same architecture, fresh weights) and `model_from_json`.

Both go through the model's config, the same plain data that saving writes, so
a clone shares nothing with the original: every layer is made anew from its
config and creates its own variables, initialized afresh.
"""

from __future__ import annotations

from typing import Any, Callable

from ..layers.input_layer import Input, InputLayer
from ..layers.layer import Layer
from ..saving.safe_json import load_json
from ..saving.serialization import deserialize_keras_object
from .model import Model
from .model_config import functional_from_config
from .sequential import Sequential


def clone_model(model: Model, clone_function: Callable[[Layer], Layer] | None = None) -> Model:
    """A new model with the same architecture as `model` and new, freshly initialized weights.

    Sequential and functional models are rebuilt layer by layer; a subclassed
    model is rebuilt with `type(model).from_config(model.get_config())`: its
    get_config, or else the plain arguments it was made with, must give every
    argument of its __init__. Weights are not copied:
    call `clone.set_weights(model.get_weights())` for that.

    Args:
        model: a keras.Model (Sequential, functional or subclassed).
        clone_function: makes each layer's copy from the original layer (Sequential
            and functional models); by default `type(layer).from_config(layer.get_config())`.

    Returns:
        The new model, uncompiled.
    """
    if not isinstance(model, Model):
        raise TypeError(f"clone_model: expected a keras.Model, got {type(model).__name__}. "
                        "To copy a layer, use type(layer).from_config(layer.get_config()).")
    clone = clone_function or _fresh_copy
    if isinstance(model, Sequential):
        return _clone_sequential(model, clone)
    if model._graph is not None:
        return _clone_functional(model, clone)
    return _clone_subclassed(model)


def _fresh_copy(layer: Layer) -> Layer:
    return type(layer).from_config(layer.get_config())


def _checked_copy(clone: Callable[[Layer], Layer], layer: Layer) -> Layer:
    copy = clone(layer)
    if not isinstance(copy, Layer):
        raise TypeError(f"clone_model: clone_function must return a Layer, got {type(copy).__name__} "
                        f"for layer {layer.name!r}.")
    return copy


def _clone_sequential(model: Sequential, clone: Callable[[Layer], Layer]) -> Sequential:
    stack: list[Any] = [_checked_copy(clone, layer) for layer in model.layers]
    shape = model.input_shape
    if shape is not None:
        stack.insert(0, Input(batch_shape=tuple(shape), dtype=model.layers[0].dtype if model.layers else None))
    return Sequential(stack, name=model.name, trainable=model.trainable)


def _clone_functional(model: Model, clone: Callable[[Layer], Layer]) -> Model:
    originals = {layer.name: layer for layer in model.layers}

    def make_layer(entry: dict[str, Any]) -> Layer | None:
        original = originals.get(entry.get("name"))
        if original is None or isinstance(original, InputLayer):
            return None  # Inputs are made from their config: a new Input for the new graph
        return _checked_copy(clone, original)

    return functional_from_config(type(model), model.get_config(), make_layer=make_layer)


def _clone_subclassed(model: Model) -> Model:
    cls = type(model)
    fix = (f"Define get_config() in {cls.__name__} returning the arguments of its __init__ "
           f"(and from_config, if some of them are layers or other objects), or build the new model yourself "
           f"with {cls.__name__}(...) and copy the weights with set_weights(model.get_weights()).")
    try:
        config = model.get_config()
    except NotImplementedError as error:  # no get_config, and arguments that are not plain data
        raise ValueError(f"clone_model: {str(error).split('. Define')[0]}. {fix}") from None
    try:
        return cls.from_config(config)
    except (TypeError, ValueError) as error:
        raise ValueError(f"clone_model: {cls.__name__}.from_config(model.get_config()) failed: {error} {fix}") from error


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Model:
    """The model described by `model.to_json()`, with new weights.

    Args:
        json_string: the text `to_json()` returned (Keras 3's JSON is read too).
        custom_objects: {name: class or function} for your own layers not registered
            with `register_keras_serializable`.
    """
    if not isinstance(json_string, (str, bytes)):
        raise TypeError(f"model_from_json: expected the JSON text from model.to_json(), got {type(json_string).__name__}.")
    raw = json_string.encode("utf-8") if isinstance(json_string, str) else json_string
    try:
        config = load_json(raw)
    except ValueError as error:
        raise ValueError(f"model_from_json: the string {error}; pass the text model.to_json() returned.") from None
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"model_from_json: the JSON is {_what(config)}, not a model's description "
                         "({\"module\", \"class_name\", \"config\", ...}); pass the text model.to_json() returned.")
    model = deserialize_keras_object(config, custom_objects, family="layer")
    if not isinstance(model, Model):
        raise ValueError(
            f"model_from_json: the JSON describes a {type(model).__name__} ({config['class_name']!r}), not a model. "
            "For a layer use keras.layers.deserialize(json.loads(text)); for a model, pass model.to_json()."
        )
    return model


def _what(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:6])
        return f"an object with the keys {keys or 'none'} and no 'class_name'" if value else "an empty object"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    return f"a {type(value).__name__} ({value!r:.40})"
