"""Utilities: seeding, label encoding, progress bars, name registries, PyDataset, plot_model, plot_history.

PyDataset, Sequence, split_dataset, pack_x_y_sample_weight, unpack_x_y_sample_weight and
timeseries_dataset_from_array are the data pipeline's (tinyfit.data). Keras users look for
them here, so tinyfit's own __init__ adds them to this namespace (DATA_NAMES) once data is
imported: this package imports nothing above it, since every layer imports its helpers.
"""

from .history_plot import plot_history
from .labels import to_categorical
from .numerical import normalize
from .plot import plot_model
from .progbar import Progbar
from .random import set_random_seed
from .registry import CustomObjectScope, custom_object_scope, get_custom_objects
from .sequences import pad_sequences
from .session import clear_session, is_keras_tensor

# name -> the module of tinyfit.data that defines it; tinyfit/__init__.py puts each here.
DATA_NAMES = {"PyDataset": "py_dataset", "Sequence": "py_dataset", "split_dataset": "split",
              "pack_x_y_sample_weight": "structure", "unpack_x_y_sample_weight": "structure",
              "timeseries_dataset_from_array": "timeseries"}

__all__ = ["set_random_seed", "to_categorical", "Progbar", "PyDataset", "Sequence", "plot_model",
           "plot_history", "custom_object_scope", "CustomObjectScope", "get_custom_objects",
           "pad_sequences", "timeseries_dataset_from_array", "split_dataset", "normalize",
           "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "is_keras_tensor", "clear_session"]

from .namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
