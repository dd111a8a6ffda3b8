"""Utilities: seeding, label encoding, progress bars, name registries, PyDataset, plot_model, plot_history."""

from ..data.py_dataset import PyDataset, Sequence
from ..data.split import split_dataset
from ..data.structure import pack_x_y_sample_weight, unpack_x_y_sample_weight
from ..data.timeseries import timeseries_dataset_from_array
from .history_plot import plot_history
from .labels import to_categorical
from .numerical import normalize
from .plot import plot_model
from .progbar import Progbar
from .random import set_random_seed
from .registry import CustomObjectScope, custom_object_scope, get_custom_objects
from .sequences import pad_sequences
from .session import clear_session, is_keras_tensor

__all__ = ["set_random_seed", "to_categorical", "Progbar", "PyDataset", "Sequence", "plot_model",
           "plot_history", "custom_object_scope", "CustomObjectScope", "get_custom_objects",
           "pad_sequences", "timeseries_dataset_from_array", "split_dataset", "normalize",
           "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "is_keras_tensor", "clear_session"]

from .namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
