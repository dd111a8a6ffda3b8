"""Utilities: seeding, label encoding, progress bars, name registries, PyDataset, plot_model, plot_history."""

from ..data.py_dataset import PyDataset, Sequence
from .history_plot import plot_history
from .labels import to_categorical
from .plot import plot_model
from .progbar import Progbar
from .random import set_random_seed
from .registry import CustomObjectScope, custom_object_scope, get_custom_objects

__all__ = ["set_random_seed", "to_categorical", "Progbar", "PyDataset", "Sequence", "plot_model",
           "plot_history", "custom_object_scope", "CustomObjectScope", "get_custom_objects"]

from .namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
