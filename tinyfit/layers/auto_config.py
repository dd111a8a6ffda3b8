"""The constructor arguments a layer was made with, kept as its config when it writes no get_config().

As in Keras 3: a layer (or subclassed model) of your own that takes plain
arguments (numbers, strings, booleans, None, and lists, tuples or dicts of
them) and defines no get_config() still saves, clones and rebuilds, because the
arguments it was made with are its config. One made with anything else (a
layer, a function, an array) cannot be described that way; its get_config()
says so and shows what to write, instead of returning a config that silently
rebuilds a different layer.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

PLAIN = (str, int, float, bool, type(None))

# Base-class keys a config always has; __init__ gets them back only when it accepts them.
BASE_KEYS = ("name", "trainable", "dtype")

_EXAMPLE = """
    class {cls}(keras.layers.Layer):
        def __init__(self, units, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.activation = activation

        def get_config(self):
            config = super().get_config()
            config.update({{"units": self.units,
                           "activation": keras.activations.serialize(self.activation)}})
            return config
"""


class Captured:
    """What `capture` found: the arguments by name, or why there are none."""

    __slots__ = ("arguments", "reason", "accepts")

    def __init__(self, arguments: dict[str, Any] | None, reason: str = "", accepts: frozenset | None = None):
        self.arguments = arguments
        self.reason = reason
        self.accepts = accepts  # the keyword names __init__ takes; None when it takes **kwargs


def capture(cls: type, args: tuple, kwargs: dict) -> Captured | None:
    """The arguments of `cls(*args, **kwargs)` by name, defaults filled in, **kwargs spread out.

    None when they do not fit __init__ (its own call raises the error then).
    """
    signature = inspect.signature(cls.__init__)
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        return None
    params = list(signature.parameters.values())[1:]
    if any(p.kind is p.POSITIONAL_ONLY for p in params):
        return Captured(None, "its __init__ takes positional-only arguments, which a config cannot name")
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(signature.parameters)))  # self
    takes_kwargs = False
    for p in params:
        if p.kind is p.VAR_POSITIONAL and arguments.pop(p.name, ()):
            return Captured(None, f"it was given extra positional arguments (*{p.name}), which a config cannot name")
        if p.kind is p.VAR_KEYWORD:
            takes_kwargs = True
            arguments.update(arguments.pop(p.name, {}))
    arguments.pop("name", None)  # the base config says it
    odd = [key for key, value in arguments.items() if not _plain(value)]
    if odd:
        kinds = ", ".join(f"{key}={type(arguments[key]).__name__}" for key in odd)
        return Captured(None, f"it was made with arguments that are not plain data ({kinds})")
    accepts = None if takes_kwargs else frozenset(p.name for p in params)
    return Captured(copy.deepcopy(arguments), accepts=accepts)


def config_of(layer: Any, base: dict[str, Any]) -> dict[str, Any]:
    """`base` (the base class's config) with the arguments `layer` was made with.

    Raises:
        NotImplementedError: naming the layer and showing the get_config() to write,
            when its arguments cannot be a config.
    """
    captured: Captured | None = layer.__dict__.get("_auto_config")
    if captured is None or captured.arguments is None:
        why = captured.reason if captured is not None else "the arguments it was made with are unknown"
        cls = type(layer).__name__
        raise NotImplementedError(
            f"{cls} ({layer.name!r}) defines no get_config(), and {why}. Define get_config() returning "
            f"the arguments of its __init__ (serialize objects such as layers, activations or regularizers "
            f"with keras.saving.serialize_keras_object), e.g.:\n{_EXAMPLE.format(cls=cls)}"
        )
    config = {**captured.arguments, **base}
    if captured.accepts is not None:  # an __init__ without **kwargs cannot take the base keys back
        for key in BASE_KEYS:
            if key not in captured.accepts:
                config.pop(key, None)
    return config


def is_default(method: Any) -> Any:
    """Marks a base class's get_config as the one that falls back on the captured arguments."""
    method.uses_auto_config = True
    return method


def _plain(value: Any) -> bool:
    if isinstance(value, PLAIN):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _plain(item) for key, item in value.items())
    return False
