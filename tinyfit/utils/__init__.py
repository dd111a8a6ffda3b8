"""Utilities: seeding, label encoding, progress bars, name registries, PyDataset, plot_model, plot_history."""

from ..data.py_dataset import PyDataset, Sequence
from .history_plot import plot_history
from .labels import to_categorical
from .plot import plot_model
from .progbar import Progbar
from .random import set_random_seed

__all__ = ["set_random_seed", "to_categorical", "Progbar", "PyDataset", "Sequence", "plot_model",
           "plot_history"]
