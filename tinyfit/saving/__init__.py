"""Saving: configs of objects as plain JSON data, and users' classes registered for loading.

    serialization.py   register_keras_serializable, serialize_keras_object,
                       deserialize_keras_object: names resolved through the registries only
                       (get_custom_objects and custom_object_scope come from tinyfit/utils/registry.py)
    archive.py         tinyfit's own model file (any suffix but .keras; .tinyfit by convention):
                       one zip (manifest, JSON, .npy members), read as hostile data
    keras_file.py      Keras 3's .keras file: config.json + metadata.json + model.weights.h5
    keras_config_out.py / keras_config_in.py
                       a model's config in Keras 3's layout, written / read as data
    keras_h5.py        weights in Keras 3's HDF5 layout (.weights.h5, and inside .keras), needs h5py
    keras_names.py     the class, module and HDF5 group names Keras uses for tinyfit's objects
    keras_order.py     the order Keras lists a functional model's layers in (its weights file follows it)
    safe_json.py       JSON in and out with depth, duplicate-key and encoding checks
    atomic.py          atomic_write: a file is replaced whole or not at all
    model_file.py      save_model / load_model / save_weights / load_weights: the suffix picks the
                       format written, the content the format read
"""

from ..utils.registry import CustomObjectScope, custom_object_scope, get_custom_objects
from .serialization import (deserialize_keras_object, get_registered_name, get_registered_object,
                            register_keras_serializable, serialize_keras_object)
from .model_file import load_model, load_weights, save_model, save_weights

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
    "save_weights",
    "load_weights",
]

from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
