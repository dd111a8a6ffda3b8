"""Activation functions: what a layer applies to its output, by name or as a function.

`Dense(64, activation="relu")` looks "relu" up with `get()`; the same function
is `tinyfit.activations.relu`. Each one is a few `tinyfit.ops` calls, so its
gradient comes from the ops and needs no backward of its own.

>>> import tinyfit
>>> tinyfit.activations.get("relu")(tinyfit.Tensor([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
"""

from __future__ import annotations

import math
from typing import Any, Callable

from . import ops
from .autograd.tensor import Tensor
from .utils import object_config
from .utils.registry import CustomObjectScope, Registry

_REGISTRY = Registry("activation")
registry = _REGISTRY  # every family names its Registry `registry`
register = _REGISTRY.register


@register("relu")
def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """max(x, 0), with Keras's options: a slope below `threshold`, a ceiling `max_value`."""
    x = ops.convert_to_tensor(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    above = ops.where(x >= threshold, x, 0.0) if threshold != 0.0 else ops.relu(x)
    if max_value is not None:
        above = ops.minimum(above, max_value)
    if negative_slope != 0.0:
        above = above + ops.where(x < threshold, (x - threshold) * negative_slope, 0.0)
    return above


@register("relu6")
def relu6(x: Any) -> Tensor:
    """min(max(x, 0), 6)."""
    return ops.clip(ops.convert_to_tensor(x), 0.0, 6.0)


@register("leaky_relu")
def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    x = ops.convert_to_tensor(x)
    return ops.where(x > 0, x, x * negative_slope)


@register("elu")
def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    x = ops.convert_to_tensor(x)
    # exp of the clamped value: exp(large x) would be inf in the branch `where`
    # discards, and inf * 0 in its backward pass is NaN.
    negative = (ops.exp(ops.minimum(x, 0.0)) - 1.0) * alpha
    return ops.where(x > 0, x, negative)


_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


@register("selu")
def selu(x: Any) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al. (2017)."""
    return elu(x, _SELU_ALPHA) * _SELU_SCALE


@register("sigmoid")
def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x))."""
    return ops.sigmoid(x)


@register("hard_sigmoid")
def hard_sigmoid(x: Any) -> Tensor:
    """A piecewise-linear sigmoid: clip(x / 6 + 0.5, 0, 1)."""
    return ops.clip(ops.convert_to_tensor(x) / 6.0 + 0.5, 0.0, 1.0)


@register("tanh")
def tanh(x: Any) -> Tensor:
    return ops.tanh(x)


@register("softplus")
def softplus(x: Any) -> Tensor:
    """log(1 + exp(x)), a smooth relu."""
    return ops.softplus(x)


@register("softsign")
def softsign(x: Any) -> Tensor:
    """x / (1 + |x|)."""
    x = ops.convert_to_tensor(x)
    return x / (ops.abs(x) + 1.0)


@register("silu", "swish")
def silu(x: Any) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    x = ops.convert_to_tensor(x)
    return x * ops.sigmoid(x)


swish = silu


@register("mish")
def mish(x: Any) -> Tensor:
    """x * tanh(softplus(x))."""
    x = ops.convert_to_tensor(x)
    return x * ops.tanh(ops.softplus(x))


@register("gelu")
def gelu(x: Any, approximate: bool = False) -> Tensor:
    """x * P(X <= x) for a standard normal X (Hendrycks and Gimpel, 2016).

    Args:
        approximate: use the tanh formula instead of the exact one (Keras's flag;
            the default False gives x * (1 + erf(x / sqrt(2))) / 2).
    """
    x = ops.convert_to_tensor(x)
    if approximate:
        inner = (x + ops.power(x, 3) * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * (ops.tanh(inner) + 1.0) * 0.5
    # 1 + erf(u) = erfc(-u): written with erfc, the tiny values for negative x keep their digits.
    return x * _erfc(x * (-1.0 / math.sqrt(2.0))) * 0.5


_ERFC_COEFFICIENTS = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
                      0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def _erfc(x: Tensor) -> Tensor:
    """erfc(x) = 1 - erf(x), to a relative error below 1.2e-7 for every x, built from ops.

    The Chebyshev fit of Press et al., Numerical Recipes (section 6.2). NumPy has
    no erf, and float32 holds about 7 digits, so this is as exact as it needs to be.
    """
    z = ops.abs(x)
    t = 1.0 / (z * 0.5 + 1.0)
    poly = ops.zeros_like(x)
    for c in reversed(_ERFC_COEFFICIENTS[1:]):
        poly = (poly + c) * t
    tail = t * ops.exp(poly + _ERFC_COEFFICIENTS[0] - z * z)
    return ops.where(x >= 0, tail, 2.0 - tail)  # erfc(-z) = 2 - erfc(z)


@register("exponential")
def exponential(x: Any) -> Tensor:
    return ops.exp(x)


@register("linear")
def linear(x: Any) -> Any:
    """The identity: leaves its input unchanged (what `activation=None` means)."""
    return x


@register("softmax")
def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`.

    The output remembers its logits, so a cross-entropy loss after it is
    computed from them, stably.
    """
    return ops.softmax(x, axis=axis)


@register("log_softmax")
def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)), computed stably."""
    return ops.log_softmax(x, axis=axis)


# Each activation above runs the same ops whatever the values, so fit() may record a step
# through it once and replay it (trainers/compiled_step.py). A function of your own says the
# same with `my_activation.supports_jit = True`; one that says nothing keeps its model eager.
for _activation in (relu, relu6, leaky_relu, elu, selu, sigmoid, hard_sigmoid, tanh, softplus, softsign,
                    silu, mish, gelu, exponential, linear, softmax, log_softmax):
    _activation.supports_jit = True


def get(identifier: Any) -> Callable[..., Any]:
    """The activation function for `identifier`.

    Args:
        identifier: None (the identity, `linear`), a name ("relu"), a dict from
            `serialize` or `keras.saving.serialize_keras_object` ({"module": "builtins",
            "class_name": "function", "config": "relu", ...}), or a callable (returned as is).
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _REGISTRY.lookup(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret activation identifier {identifier!r}: pass a name "
        f"(one of {', '.join(_REGISTRY.names())}) or a function."
    )


def serialize(activation: Callable[..., Any]) -> Any:
    """The name of a built-in activation; for a function of your own, the dict Keras writes.

    Either is what `get` turns back into the function. Register a function of your
    own with `keras.saving.register_keras_serializable()` (or pass it in
    `custom_objects` when loading) so that loading finds it.
    """
    for name in _REGISTRY.names():
        if _REGISTRY.lookup(name) is activation:
            return name
    if not callable(activation) or getattr(activation, "__name__", None) is None:
        raise ValueError(
            f"serialize: {activation!r} is not a function with a name; define it with def and decorate it "
            "with @keras.saving.register_keras_serializable()."
        )
    return object_config.serialize(activation)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Callable[..., Any]:
    """The activation function `serialize` described: a name or a function's dict."""
    if isinstance(config, dict) and "config" not in config and isinstance(config.get("class_name"), str):
        config = config["class_name"]  # the oldest form names the function in class_name
    if isinstance(config, dict) and config.get("class_name") == "function":
        return object_config.deserialize(config, custom_objects, _REGISTRY)
    if isinstance(config, str):
        with CustomObjectScope(custom_objects):
            return _REGISTRY.lookup(config)
    raise ValueError(f"activations.deserialize: expected an activation name or serialize()'s dict, "
                     f"got {config!r:.80}.")


def names() -> list[str]:
    """The names `get` understands."""
    return _REGISTRY.names()


__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid", "tanh",
    "softplus", "softsign", "silu", "swish", "mish", "gelu", "exponential", "linear",
    "softmax", "log_softmax", "get", "serialize", "deserialize", "register", "names",
]

from .utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
