"""Saving: configs of objects as plain JSON data, and users' classes registered for loading.

    serialization.py   register_keras_serializable, serialize_keras_object,
                       deserialize_keras_object: names resolved through the registries only
                       (get_custom_objects and custom_object_scope come from tinyfit/utils/registry.py)
    archive.py         the model file: one zip (manifest, JSON, .npy members), read as hostile data
    safe_json.py       JSON in and out with depth, duplicate-key and encoding checks
    atomic.py          atomic_write: a file is replaced whole or not at all
    model_file.py      save_model / load_model / save_weights / load_weights on that format
"""

from ..utils.registry import CustomObjectScope, custom_object_scope, get_custom_objects
from .serialization import (deserialize_keras_object, get_registered_name, get_registered_object,
                            register_keras_serializable, serialize_keras_object)
from .model_file import load_model, save_model

__all__ = [
    "register_keras_serializable",
    "serialize_keras_object",
    "deserialize_keras_object",
    "get_registered_name",
    "get_registered_object",
    "get_custom_objects",
    "custom_object_scope",
    "CustomObjectScope",
    "save_model",
    "load_model",
]
