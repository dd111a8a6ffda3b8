"""Data pipelines: turning what the user passes to fit() into batches.

`Dataset` is a small tf.data subset; `PyDataset` (tinyfit.utils.PyDataset) hands out
batches by index to parallel workers; generators and other iterables of batches
(a PyTorch DataLoader included) and pandas objects are accepted as they are.
One adapter per kind of data turns it into NumPy batches; `get_data_adapter` chooses.
"""

from .array_adapter import ArrayDataAdapter, split_validation
from .class_weight import ClassWeighter
from .data_adapter import check_can_split, describe_source, get_data_adapter, is_array_data
from .dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset
from .iterable_adapter import IterableAdapter
from .py_dataset import PyDataset, Sequence
from .py_dataset_adapter import PyDatasetAdapter
from .structure import unpack_x_y_sample_weight
from .worker_pool import WorkerError

__all__ = [
    "Dataset", "AUTOTUNE", "INFINITE", "UNKNOWN", "PyDataset", "Sequence", "WorkerError",
    "ArrayDataAdapter", "PyDatasetAdapter", "IterableAdapter", "ClassWeighter",
    "get_data_adapter", "is_array_data", "describe_source", "check_can_split", "split_validation",
    "unpack_x_y_sample_weight",
]

from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
