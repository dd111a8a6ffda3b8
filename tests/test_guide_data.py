"""The Keras guide's data sections, run on tinyfit.

From the 2023 guide "Training & evaluation with the built-in methods": "Training &
evaluation using tf.data Datasets" (with keras.data.Dataset where it says
tf.data), "PyDataset instances", "PyTorch DataLoader objects" and "Using sample
weighting and class weighting"; from the 2020 edition: a `Sequence`, Python
generators and pandas DataFrames as input. The code between the `# --- guide`
markers is the guide's; the asserts after it check what the guide's output shows
(the keys, the step counts, accuracy well above chance, CHANCE = 0.1).

The MNIST arrays are the guide's, sliced so that the file runs in seconds. The guide's
data preparation and its get_compiled_model() are in tests/conftest.py (fixtures).
"""

import math
import re
import sys

import numpy as np
import pytest

import tinyfit as keras

TRAIN, VAL, TEST = 2000, 640, 640
CHANCE = 0.1


@pytest.fixture(scope="module")
def mnist(guide_mnist):
    """The guide's arrays (tests/conftest.py), sliced to TRAIN, VAL and TEST samples."""
    x_train, y_train, x_val, y_val, x_test, y_test = guide_mnist
    return x_train[:TRAIN], y_train[:TRAIN], x_val[:VAL], y_val[:VAL], x_test[:TEST], y_test[:TEST]


@pytest.fixture(autouse=True)
def seed():
    keras.utils.set_random_seed(1337)


def bar_counts(text):
    """The "done/total" step counts of the final progress bars printed."""
    return re.findall(r"(\d+)/(\d+) \S+ ", text.replace("\r", "\n"))


def final_counts(text):
    return {f"{a}/{b}" for a, b in bar_counts(text) if a == b}


# ******************************************************************** tf.data
def test_dataset_fit_evaluate_predict(mnist, capsys, get_compiled_model):
    x_train, y_train, x_val, y_val, x_test, y_test = mnist
    tf = keras  # the guide's tf.data.Dataset is keras.data.Dataset here
    # --- guide
    model = get_compiled_model()

    # First, let's create a training Dataset instance.
    # For the sake of our example, we'll use the same MNIST data as before.
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    # Shuffle and slice the dataset.
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    # Now we get a test dataset.
    test_dataset = tf.data.Dataset.from_tensor_slices((x_test, y_test))
    test_dataset = test_dataset.batch(64)

    # Since the dataset already takes care of batching,
    # we don't pass a `batch_size` argument.
    model.fit(train_dataset, epochs=3)

    # You can also evaluate or predict on a dataset.
    print("Evaluate")
    result = model.evaluate(test_dataset)
    dict(zip(model.metrics_names, result))
    # --- end of guide
    out = capsys.readouterr().out
    assert "Epoch 3/3" in out and final_counts(out) == {f"{math.ceil(TRAIN / 64)}/{math.ceil(TRAIN / 64)}",
                                                      f"{TEST // 64}/{TEST // 64}"}
    history = model.history.history
    assert list(history) == ["loss", "sparse_categorical_accuracy"] and len(history["loss"]) == 3
    assert history["loss"][2] < history["loss"][0] and history["sparse_categorical_accuracy"][2] > 0.8
    assert list(dict(zip(model.metrics_names, result))) == ["loss", "sparse_categorical_accuracy"]
    assert result[1] > 0.75
    assert model.predict(test_dataset, verbose=0).shape == (TEST, 10)


def test_dataset_with_steps_per_epoch(mnist, capsys, get_compiled_model):
    x_train, y_train, *_ = mnist
    tf = keras
    # --- guide
    model = get_compiled_model()

    # Prepare the training dataset
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    # Only use the 100 batches per epoch (that's 64 * 100 samples)
    model.fit(train_dataset, epochs=3, steps_per_epoch=100)
    # --- end of guide
    out = capsys.readouterr().out
    assert final_counts(out) == {"100/100"} and out.count("Epoch ") == 3
    assert model.history.history["sparse_categorical_accuracy"][-1] > 0.85


def test_dataset_as_validation_data(mnist, get_compiled_model):
    x_train, y_train, x_val, y_val, *_ = mnist
    tf = keras
    # --- guide
    model = get_compiled_model()

    # Prepare the training dataset
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    # Prepare the validation dataset
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val))
    val_dataset = val_dataset.batch(64)

    model.fit(train_dataset, epochs=1, validation_data=val_dataset)
    # --- end of guide
    logs = model.history.history
    assert list(logs) == ["loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"]
    assert logs["val_sparse_categorical_accuracy"][0] > 0.6


def test_dataset_with_validation_steps(mnist, get_compiled_model):
    x_train, y_train, x_val, y_val, *_ = mnist
    tf = keras
    # --- guide
    model = get_compiled_model()

    # Prepare the training dataset
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    # Prepare the validation dataset
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val))
    val_dataset = val_dataset.batch(64)

    model.fit(
        train_dataset,
        epochs=1,
        # Only run validation using the first 10 batches of the dataset
        # using the `validation_steps` argument
        validation_data=val_dataset,
        validation_steps=10,
    )
    # --- end of guide
    first_ten = model.evaluate(val_dataset.take(10), return_dict=True, verbose=0)
    assert model.history.history["val_loss"][0] == pytest.approx(first_ten["loss"], rel=1e-6)


def test_validation_split_is_not_for_datasets(mnist, get_compiled_model):
    x_train, y_train, *_ = mnist
    train_dataset = keras.data.Dataset.from_tensor_slices((x_train, y_train)).batch(64)
    with pytest.raises(ValueError, match=r"validation_split needs arrays.*Pass validation_data=\.\.\. instead"):
        get_compiled_model().fit(train_dataset, validation_split=0.2)


# ****************************************************************** PyDataset
# --- guide
class ExamplePyDataset(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x = x
        self.y = y
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.x[idx * self.batch_size : (idx + 1) * self.batch_size]
        batch_y = self.y[idx * self.batch_size : (idx + 1) * self.batch_size]
        return batch_x, batch_y
# --- end of guide


@pytest.mark.parametrize("workers", [1, 4])
def test_py_dataset_fit_and_evaluate(mnist, capsys, workers, get_compiled_model):
    x_train, y_train, x_val, y_val, *_ = mnist
    # --- guide
    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32, workers=workers)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32, workers=workers)

    model = get_compiled_model()
    model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1)
    result = model.evaluate(val_py_dataset)
    # --- end of guide
    out = capsys.readouterr().out
    assert final_counts(out) == {f"{TRAIN // 32 + (TRAIN % 32 > 0)}/{TRAIN // 32 + (TRAIN % 32 > 0)}",
                                 f"{VAL // 32}/{VAL // 32}"}
    logs = model.history.history
    assert set(logs) == {"loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"}
    assert result == pytest.approx([logs["val_loss"][0], logs["val_sparse_categorical_accuracy"][0]], rel=1e-6)
    assert result[1] > 0.6


# ******************************************************************* PyTorch
def torch_example(torch, mnist, get_compiled_model):
    x_train, y_train, x_val, y_val, *_ = mnist

    # --- guide
    class ExampleTorchDataset(torch.utils.data.Dataset):
        def __init__(self, x, y):
            self.x = x
            self.y = y

        def __len__(self):
            return len(self.x)

        def __getitem__(self, idx):
            return self.x[idx], self.y[idx]

    train_torch_dataset = ExampleTorchDataset(x_train, y_train)
    val_torch_dataset = ExampleTorchDataset(x_val, y_val)

    train_dataloader = torch.utils.data.DataLoader(
        train_torch_dataset, batch_size=32, shuffle=True
    )
    val_dataloader = torch.utils.data.DataLoader(
        val_torch_dataset, batch_size=32, shuffle=True
    )

    model = get_compiled_model()
    model.fit(train_dataloader, batch_size=64, validation_data=val_dataloader, epochs=1)
    result = model.evaluate(val_dataloader)
    # --- end of guide
    return model, result


def test_pytorch_dataloader(mnist, capsys, get_compiled_model):
    torch = pytest.importorskip("torch")
    model, result = torch_example(torch, mnist, get_compiled_model)
    out = capsys.readouterr().out
    assert final_counts(out) == {f"{math.ceil(TRAIN / 32)}/{math.ceil(TRAIN / 32)}", f"{VAL // 32}/{VAL // 32}"}
    assert set(model.history.history) == {"loss", "sparse_categorical_accuracy", "val_loss",
                                          "val_sparse_categorical_accuracy"}
    assert result[1] > 0.6


class _FakeTorch:
    """Just enough of torch.utils.data for the guide's code, with types from torch's modules."""

    class Dataset:
        pass

    class DataLoader:
        def __init__(self, dataset, batch_size=1, shuffle=False):
            self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle

        def __len__(self):
            return math.ceil(len(self.dataset) / self.batch_size)

        def __iter__(self):
            order = np.random.default_rng().permutation(len(self.dataset)) if self.shuffle else range(len(self.dataset))
            order = list(order)
            for start in range(0, len(order), self.batch_size):
                samples = [self.dataset[i] for i in order[start:start + self.batch_size]]
                yield [np.stack([s[k] for s in samples]) for k in range(2)]  # a list, as torch's collate makes

    Dataset.__module__ = "torch.utils.data.dataset"
    DataLoader.__module__ = "torch.utils.data.dataloader"

    class utils:
        class data:
            pass


_FakeTorch.utils.data.Dataset = _FakeTorch.Dataset
_FakeTorch.utils.data.DataLoader = _FakeTorch.DataLoader


def test_a_dataloader_is_recognised_without_torch(mnist, monkeypatch, capsys, get_compiled_model):
    monkeypatch.setitem(sys.modules, "torch", None)  # tinyfit must not import it
    model, result = torch_example(_FakeTorch, mnist, get_compiled_model)
    assert final_counts(capsys.readouterr().out) == {f"{math.ceil(TRAIN / 32)}/{math.ceil(TRAIN / 32)}",
                                                     f"{VAL // 32}/{VAL // 32}"}
    assert result[1] > 0.6


# ******************************************************************** weighting
def test_class_weight_and_the_equivalent_sample_weight(mnist, get_compiled_model):
    x_train, y_train, *_ = mnist
    # --- guide
    class_weight = {
        0: 1.0,
        1: 1.0,
        2: 1.0,
        3: 1.0,
        4: 1.0,
        # Set weight "2" for class "5",
        # making this class 2x more important
        5: 2.0,
        6: 1.0,
        7: 1.0,
        8: 1.0,
        9: 1.0,
    }

    print("Fit with class weight")
    model = get_compiled_model()
    model.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1)
    # --- end of guide
    by_class = model
    keras.utils.set_random_seed(1337)
    # --- guide
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0

    print("Fit with sample weight")
    model = get_compiled_model()
    model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1)
    # --- end of guide
    assert by_class.history.history["sparse_categorical_accuracy"][0] > 4 * CHANCE  # a mean over the first epoch
    for a, b in zip(by_class.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_sample_weights_from_a_dataset(mnist, get_compiled_model):
    x_train, y_train, *_ = mnist
    tf = keras
    # --- guide
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0

    # Create a Dataset that includes sample weights
    # (3rd element in the return tuple).
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train, sample_weight))

    # Shuffle and slice the dataset.
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    model = get_compiled_model()
    model.fit(train_dataset, epochs=1)
    # --- end of guide
    assert model.history.history["sparse_categorical_accuracy"][0] > 4 * CHANCE


# ************************************************************ the 2020 edition
def test_2020_sequence(mnist, get_compiled_model):
    x_train, y_train, *_ = mnist
    from tinyfit.utils import Sequence

    images = {f"digit_{i}.png": image for i, image in enumerate(x_train)}  # "files", read by name

    def imread(filename):
        return images[filename]

    def resize(image, shape):
        return image.reshape(shape)

    filenames, labels, batch_size = list(images), y_train, 128

    # --- guide
    class CIFAR10Sequence(Sequence):
        def __init__(self, filenames, labels, batch_size):
            self.filenames, self.labels = filenames, labels
            self.batch_size = batch_size

        def __len__(self):
            return int(np.ceil(len(self.filenames) / float(self.batch_size)))

        def __getitem__(self, idx):
            batch_x = self.filenames[idx * self.batch_size:(idx + 1) * self.batch_size]
            batch_y = self.labels[idx * self.batch_size:(idx + 1) * self.batch_size]
            return np.array([
                resize(imread(filename), (784,))
                   for filename in batch_x]), np.array(batch_y)

    sequence = CIFAR10Sequence(filenames, labels, batch_size)
    model = get_compiled_model()
    model.fit(sequence, epochs=3, verbose=0)
    # --- end of guide
    accuracy = model.history.history["sparse_categorical_accuracy"]
    assert len(accuracy) == 3 and accuracy[-1] > 0.8


def test_2020_python_generator(mnist, get_compiled_model):
    x_train, y_train, *_ = mnist

    def batches(batch_size=64):
        while True:  # a generator yielding batches of data & labels, forever
            for start in range(0, len(x_train), batch_size):
                yield x_train[start:start + batch_size], y_train[start:start + batch_size]

    model = get_compiled_model()
    history = model.fit(batches(), steps_per_epoch=20, epochs=3, verbose=0)
    assert history.history["sparse_categorical_accuracy"][-1] > 0.7
    with pytest.raises(ValueError, match=r"x is a generator, which can be read only once.*steps_per_epoch=N"):
        model.fit(batches(), epochs=3, verbose=0)


def test_2020_pandas_dataframes(mnist, get_compiled_model):
    pd = pytest.importorskip("pandas")
    x_train, y_train, x_val, y_val, *_ = mnist
    frame = pd.DataFrame(x_train, columns=[f"pixel_{i}" for i in range(784)])
    labels = pd.Series(y_train.astype("int64"), name="digit")
    model = get_compiled_model()
    history = model.fit(frame, labels, batch_size=64, epochs=2, validation_split=0.2,
                        sample_weight=pd.Series(np.ones(len(frame))), verbose=0)
    assert history.history["val_sparse_categorical_accuracy"][-1] > 0.7
    probabilities = model.predict(pd.DataFrame(x_val), verbose=0)
    assert probabilities.shape == (VAL, 10)
    loss, accuracy = model.evaluate(pd.DataFrame(x_val), pd.Series(y_val), verbose=0)
    assert accuracy == pytest.approx(np.mean(probabilities.argmax(axis=1) == y_val), abs=1e-6)
