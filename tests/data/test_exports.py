"""Where the data names live: tinyfit.data, and PyDataset/Sequence also in tinyfit.utils as in Keras."""

import tinyfit as keras
import tinyfit.data


def test_data_exports_are_pinned():
    assert tinyfit.data.__all__ == [
        "Dataset", "AUTOTUNE", "INFINITE", "UNKNOWN", "PyDataset", "Sequence", "WorkerError",
        "ArrayDataAdapter", "PyDatasetAdapter", "IterableAdapter", "ClassWeighter",
        "get_data_adapter", "is_array_data", "describe_source", "check_can_split", "split_validation",
        "unpack_x_y_sample_weight",
    ]
    for name in tinyfit.data.__all__:
        assert getattr(tinyfit.data, name) is not None


def test_py_dataset_and_sequence_are_one_class_in_utils_and_data():
    assert keras.utils.PyDataset is keras.data.PyDataset
    assert keras.utils.Sequence is keras.utils.PyDataset  # the 2020 name, as Keras 3 keeps it
    assert {"PyDataset", "Sequence"} <= set(keras.utils.__all__)
