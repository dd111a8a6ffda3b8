"""Saving: configs of objects as plain JSON data, and users' classes registered for loading.

    serialization.py   register_keras_serializable, serialize_keras_object,
                       deserialize_keras_object: names resolved through the registries only
"""

from .serialization import (deserialize_keras_object, get_registered_name, get_registered_object,
                            register_keras_serializable, serialize_keras_object)

__all__ = [
    "register_keras_serializable",
    "serialize_keras_object",
    "deserialize_keras_object",
    "get_registered_name",
    "get_registered_object",
]
