"""The layer family's names, and `serialize`/`deserialize` (keras.layers.serialize).

Model configs name their layers by these names. The package's `__init__` fills the
registry with every layer it exports; the layers that hold other layers (RNN,
Bidirectional, TimeDistributed) import this module to save and load them, which
they could not do from the package that imports them.
"""

from __future__ import annotations

from ..utils import object_config
from ..utils.registry import Registry
from .layer import Layer

registry = Registry("layer")


def serialize(layer: Layer) -> dict:
    """Keras 3's description of `layer`: {"module", "class_name", "config", "registered_name"}."""
    if not isinstance(layer, Layer):
        raise TypeError(f"layers.serialize: expected a Layer, got {type(layer).__name__}.")
    return object_config.serialize(layer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """A new layer (new weights) from `serialize`'s output; your own classes by registration or custom_objects."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"layers.deserialize: expected a dict with 'class_name' and 'config' "
                         f"(from layers.serialize()), got {config!r:.80}.")
    return object_config.deserialize(config, custom_objects, registry)
