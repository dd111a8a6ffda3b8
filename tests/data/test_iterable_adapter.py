"""Generators, iterables, (fake and real) PyTorch DataLoaders and pandas objects as data."""

import subprocess
import sys

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.data import Dataset, IterableAdapter, check_can_split, describe_source, get_data_adapter
from tinyfit.data.convert import to_batch


# A stand-in for PyTorch: types whose module is torch's, so tinyfit must recognise them by duck typing.
class FakeTensor:
    def __init__(self, array):
        self.array = np.asarray(array)
        self.detached = self.on_cpu = False

    def detach(self):
        out = FakeTensor(self.array)
        out.detached = True
        return out

    def cpu(self):
        out = FakeTensor(self.array)
        out.detached, out.on_cpu = self.detached, True
        return out

    def numpy(self):
        if not (self.detached and self.on_cpu):
            raise RuntimeError("Can't call numpy() on Tensor that requires grad (call detach().cpu() first)")
        return self.array


FakeTensor.__module__ = "torch"


class FakeDataLoader:
    """Batches like torch's default collate: a list [x, y] of tensors; restarts every iteration."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.passes = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __iter__(self):
        self.passes += 1
        for i in range(0, len(self.x), self.batch_size):
            yield [FakeTensor(self.x[i:i + self.batch_size]), FakeTensor(self.y[i:i + self.batch_size])]


FakeDataLoader.__module__ = "torch.utils.data.dataloader"


class FakeTorchDataset:
    def __getitem__(self, i):
        return FakeTensor([1.0]), FakeTensor([0.0])

    def __len__(self):
        return 3


FakeTorchDataset.__module__ = "torch.utils.data.dataset"
FakeTorchDataset.__name__ = "Dataset"


def one_pass(adapter):
    return list(adapter.batches())


# ****************************************************************** generators
def test_a_generator_is_one_shot_and_its_batches_become_numpy():
    def gen():
        for i in range(3):
            yield np.full((2, 1), i), np.full((2,), i), np.ones(2)

    adapter = get_data_adapter(gen())
    assert adapter.one_shot and adapter.num_batches is None and adapter.source == "the generator"
    batches = one_pass(adapter)
    assert len(batches) == 3 and batches[2][0].tolist() == [[2], [2]] and batches[2][2].tolist() == [1, 1]
    assert one_pass(adapter) == []  # nothing left: a generator cannot restart


def test_batches_may_be_x_alone_or_tuples_with_dicts():
    x, y, sw = to_batch(({"a": np.ones((2, 1))}, {"out": np.zeros(2)}), "the generator")
    assert x["a"].shape == (2, 1) and y["out"].shape == (2,) and sw is None
    x, y, sw = to_batch(np.ones((4, 2)), "the generator")
    assert x.shape == (4, 2) and y is None and sw is None
    x, y, sw = to_batch((np.ones((4, 2)),), "the generator")
    assert x.shape == (4, 2) and y is None


def test_something_that_is_not_a_batch_is_named():
    with pytest.raises(TypeError, match=r"the generator yielded str 'cat', which is not a batch: found a str"):
        to_batch("cat", "the generator")
    with pytest.raises(TypeError, match=r"yielded tuple of 2 items \(ndarray of shape \(2,\), dict with keys "
                                        r"\['y'\]\), which is not a batch: found a str where an array belongs"):
        to_batch((np.ones(2), {"y": "label"}), "the generator")
    with pytest.raises(ValueError, match=r"yielded a tuple of 4 items .* a batch must be x, \(x,\), \(x, y\) or "
                                         r"\(x, y, sample_weight\)"):
        to_batch((np.ones(2),) * 4, "the generator")
    with pytest.raises(ValueError, match=r"yielded tuple of 2 items \(float32 of shape \(\), .*a single number"):
        to_batch((np.float32(1.0), np.ones(2)), "the generator")
    with pytest.raises(TypeError, match=r"yielded int 7, which is not a batch"):
        to_batch(7, "the generator")


def test_a_batch_whose_parts_disagree_on_samples_or_hold_none_is_named():
    with pytest.raises(ValueError, match=r"the generator yielded a batch whose arrays hold different numbers of "
                                         r"samples \(x: 20, y: 10\)\. Every array in a batch needs the same first"):
        to_batch((np.ones((20, 3)), np.zeros(10)), "the generator")
    with pytest.raises(ValueError, match=r"different numbers of samples \(x\['a'\]: 4, x\['b'\]: 4, y\[0\]: 4, "
                                         r"y\[1\]: 3\)"):
        to_batch(({"a": np.ones((4, 1)), "b": np.ones((4, 2))}, [np.zeros(4), np.zeros(3)]), "the generator")
    with pytest.raises(ValueError, match=r"the generator yielded an empty batch \(0 samples; x: \(0, 3\), "
                                         r"y: \(0,\)\)\. A batch needs at least one sample\. Stop yielding when"):
        to_batch((np.ones((0, 3)), np.zeros(0)), "the generator")
    with pytest.raises(ValueError, match=r"an empty batch .* Check __len__"):
        to_batch(np.ones((0, 3)), "the source", empty_hint="Check __len__.")
    with pytest.raises(ValueError, match=r"the Dataset yielded NoneType None, with None where the inputs x belong"):
        to_batch(None, "the Dataset")
    with pytest.raises(ValueError, match=r"yielded tuple of 2 items \(NoneType None, ndarray of shape \(2,\)\), "
                                         r"with None where the inputs x belong"):
        to_batch((None, np.zeros(2)), "the generator")
    x, y, sw = to_batch((np.ones((2, 1)), {"a": np.zeros(2), "b": None}), "the generator")  # a None target is fine
    assert y["b"] is None and x.shape == (2, 1)


def test_a_map_that_returns_nothing_is_named_in_fit():
    x = np.ones((8, 2), dtype="float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    ds = Dataset.from_tensor_slices((x, x[:, 0])).batch(4).map(lambda a, b: None)
    with pytest.raises(ValueError, match=r"the Dataset yielded NoneType None, with None where the inputs x belong"):
        model.fit(ds, verbose=0)


def test_a_re_iterable_restarts_and_tells_its_length():
    class Batches:
        def __iter__(self):
            return iter([(np.ones((2, 1)), np.zeros(2))] * 3)

        def __len__(self):
            return 3

    adapter = get_data_adapter(Batches())
    assert not adapter.one_shot and adapter.num_batches == 3 and describe_source(Batches()).startswith("an iterable")
    assert len(one_pass(adapter)) == 3 and len(one_pass(adapter)) == 3


def test_an_unbatched_dataset_is_told_to_batch():
    with pytest.raises(ValueError, match=r"fit: the Dataset yields single samples, not batches \(<TensorSlice.*\)\. "
                                         r"Call \.batch\(batch_size\)"):
        get_data_adapter(Dataset.from_tensor_slices(np.ones((4, 2))))
    batched = get_data_adapter(Dataset.from_tensor_slices(np.ones((5, 2))).batch(2))
    assert batched.num_batches == 3 and not batched.one_shot and not batched.infinite
    assert get_data_adapter(Dataset.from_tensor_slices(np.ones((5, 2))).batch(2).repeat()).infinite


# ******************************************************************* PyTorch
def test_a_torch_like_dataloader_is_recognised_without_importing_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # any `import torch` would now fail
    loader = FakeDataLoader(np.arange(10.0).reshape(5, 2), np.arange(5), batch_size=2)
    adapter = get_data_adapter(loader)
    assert isinstance(adapter, IterableAdapter) and adapter.num_batches == 3 and not adapter.one_shot
    assert describe_source(loader) == "a PyTorch DataLoader (FakeDataLoader)"
    first = one_pass(adapter)
    second = one_pass(adapter)
    assert loader.passes == 2 and len(first) == 3 and len(second) == 3
    x, y, sw = first[0]
    assert isinstance(x, np.ndarray) and x.tolist() == [[0, 1], [2, 3]] and y.tolist() == [0, 1] and sw is None


def test_validation_split_on_a_dataloader_names_it_and_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    loader = FakeDataLoader(np.ones((4, 2)), np.ones(4), batch_size=2)
    with pytest.raises(ValueError, match=r"fit: validation_split needs arrays, whose last samples it keeps apart, but "
                                         r"x is a PyTorch DataLoader \(FakeDataLoader\), which cannot be cut\. Pass "
                                         r"validation_data=\.\.\. instead"):
        check_can_split(loader)


def test_a_torch_dataset_of_samples_is_told_to_use_a_dataloader(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(TypeError, match=r"got a PyTorch Dataset \(Dataset\), which yields single samples\. Wrap it "
                                        r"in a DataLoader"):
        get_data_adapter(FakeTorchDataset())


def test_a_real_dataloader_with_tensors_that_need_grad():
    torch = pytest.importorskip("torch")
    x = torch.arange(12.0).reshape(6, 2).requires_grad_()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, torch.arange(6)), batch_size=4)
    batches = one_pass(get_data_adapter(loader))
    assert [b[0].shape for b in batches] == [(4, 2), (2, 2)]
    assert isinstance(batches[0][0], np.ndarray) and batches[1][1].tolist() == [4, 5]
    with pytest.raises(TypeError, match=r"got a PyTorch Dataset \(TensorDataset\).*Wrap it in a DataLoader"):
        get_data_adapter(torch.utils.data.TensorDataset(x))


# ******************************************************************** pandas
def test_pandas_frames_and_series_become_arrays():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]})
    adapter = get_data_adapter(frame, pd.Series([0, 1, 0]), pd.Series([1.0, 2.0, 1.0]), batch_size=2)
    x, y, sw = next(adapter.batches())
    assert x.tolist() == [[1, 4], [2, 5]] and y.tolist() == [0, 1] and sw.tolist() == [1, 2]


def test_pandas_text_columns_are_named_with_a_value_and_the_fix():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"age": [31, 45, 27], "city": ["Oslo", "Lima", "Pune"], "height": [1.7, 1.8, None]})
    with pytest.raises(TypeError, match=r"a pandas DataFrame with non-numeric column\(s\) \['city'\] \('city' holds "
                                        r"'Oslo'\).*pandas\.get_dummies\(df, columns=\['city'\]\).*df\.drop"):
        get_data_adapter(frame, np.zeros(3))
    with pytest.raises(TypeError, match=r"a pandas Series \('label', dtype .*\) holds 'cat', which is not a number.*"
                                        r"astype\('category'\)\.cat\.codes"):
        get_data_adapter(np.ones((3, 2)), pd.Series(["cat", "dog", "cat"], name="label"))
    codes = pd.Series([2, 0, 2], dtype="category")  # a categorical of numbers is numbers
    adapter = get_data_adapter(frame[["age", "height"]], codes, batch_size=3)
    assert next(adapter.batches())[1].tolist() == [2, 0, 2]


def test_text_in_arrays_or_batches_is_named_with_a_value_and_the_fix():
    labels = np.array(["cat", "dog", "cat", "dog"])
    with pytest.raises(TypeError, match=r"fit: y holds 'cat', which is not a number \(dtype <U3\)\. Models compute "
                                        r"with numbers: turn text labels into class indices, e\.g\. classes, y = "
                                        r"numpy\.unique\(y, return_inverse=True\)"):
        get_data_adapter(np.ones((4, 2)), labels)
    with pytest.raises(TypeError, match=r"predict: x\['words'\] holds 'a', which is not a number \(dtype object\).*"
                                        r"encode text features as numbers"):
        get_data_adapter({"words": np.array([[1, "a"], [2, "b"]], dtype=object)}, caller="predict")
    with pytest.raises(TypeError, match=r"the generator yielded a batch whose y holds 'cat', which is not a number"):
        to_batch((np.ones((4, 2)), labels), "the generator")
    mixed = np.array([[1, 2.5], [3, 4]], dtype=object)  # numbers in an object array are still numbers
    assert next(get_data_adapter(mixed, np.zeros(2)).batches())[0].tolist() == [[1, 2.5], [3, 4]]


def test_text_labels_in_a_dataset_are_named_in_fit():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    ds = Dataset.from_tensor_slices((np.ones((4, 2), "float32"), np.array(["cat", "dog"] * 2))).batch(2)
    with pytest.raises(TypeError, match=r"the Dataset yielded a batch whose y holds 'cat', which is not a number"):
        model.fit(ds, verbose=0)


def test_neither_torch_nor_pandas_is_imported_unless_the_user_holds_one():
    code = (
        "import sys, numpy as np, tinyfit as keras\n"
        "m = keras.Sequential([keras.layers.Dense(1)]); m.compile(optimizer='sgd', loss='mse')\n"
        "m.fit(np.ones((8, 2)), np.ones(8), verbose=0)\n"
        "m.fit((b for b in [(np.ones((4, 2)), np.ones(4))]), verbose=0)\n"
        "m.fit(keras.data.Dataset.from_tensor_slices((np.ones((8, 2)), np.ones(8))).batch(4), verbose=0)\n"
        "print(sorted(n for n in ('torch', 'pandas') if n in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
