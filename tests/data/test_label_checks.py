"""Class-index labels given as arrays are checked once per fit, whole, and reach the loss as int64;
sources of batches are still checked batch by batch; the messages stay the loss's own."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.autograd.ops import nn
from tinyfit.callbacks import LambdaCallback
from tinyfit.data.labels import checked_class_indices


def model(metrics=("sparse_categorical_accuracy",), loss="sparse_categorical_crossentropy", cls=None):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(5, activation="relu")(inputs))
    m = (cls or keras.Model)(inputs, outputs)
    m.compile(optimizer="sgd", loss=loss, metrics=list(metrics), jit_compile=False)
    return m


def data(n=48):
    r = np.random.default_rng(1)
    return r.normal(size=(n, 4)).astype("float32"), r.integers(0, 3, n).astype("float32")


@pytest.fixture
def label_dtypes(monkeypatch):
    """The dtype of the labels the loss's check is handed, batch by batch."""
    seen = []
    original = nn.ClassIndices.forward

    def spy(self, data, *args, **kwargs):
        seen.append(data.dtype.name)
        return original(self, data, *args, **kwargs)
    monkeypatch.setattr(nn.ClassIndices, "forward", spy)
    return seen


def test_float_labels_in_an_array_reach_the_loss_as_int64_checked_once(label_dtypes):
    x, y = data()
    model().fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert label_dtypes[0] == "float32"  # the one check of the whole array
    assert label_dtypes[1:] == ["int64"] * 12  # every batch: already class indices
    assert y.dtype == np.float32  # the caller's array is left alone


def test_a_generator_is_checked_batch_by_batch(label_dtypes):
    x, y = data()
    batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 48, 8)]
    model().fit(iter(batches), epochs=1, verbose=0)
    assert label_dtypes == ["float32"] * 6


def test_the_figures_are_those_of_integer_labels_and_of_a_generator():
    x, y = data()
    runs = []
    for labels in (y, y.astype("int64")):
        m = model(metrics=("accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)))
        runs.append((m.fit(x, labels, batch_size=8, epochs=2, verbose=0, shuffle=False).history, m.get_weights()))
    m = model(metrics=("accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)))
    batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 48, 8)]
    history = {}
    for epoch in range(2):
        for key, values in m.fit(iter(batches), epochs=1, verbose=0).history.items():
            history.setdefault(key, []).extend(values)
    runs.append((history, m.get_weights()))
    for history, weights in runs[1:]:
        assert history == runs[0][0]
        for a, b in zip(weights, runs[0][1]):
            np.testing.assert_array_equal(a, b)


def test_a_bad_label_stops_fit_before_the_first_step_with_the_loss_message():
    x, y = data()
    y[45] = 3  # in the last batch
    steps = []
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: label 3 is outside \[0, 3\) for an "
                                         r"output with 3 classes \(axis -1\).*0\.\.2"):
        model().fit(x, y, batch_size=8, verbose=0,
                    callbacks=[LambdaCallback(on_train_batch_begin=lambda batch, logs: steps.append(batch))])
    assert steps == []
    y[45] = 1.5
    with pytest.raises(ValueError, match=r"label 1\.5 is not a whole number.*astype\('int32'\)"):
        model().evaluate(x, y, verbose=0)


def test_pandas_labels_are_checked_once_too(label_dtypes):
    pd = pytest.importorskip("pandas")
    x, y = data()
    model().fit(pd.DataFrame(x), pd.Series(y, name="label"), batch_size=16, verbose=0)
    assert label_dtypes == ["float32", "int64", "int64", "int64"]
    y[0] = -1
    with pytest.raises(ValueError, match=r"label -1 is outside \[0, 3\)"):
        model().fit(pd.DataFrame(x), pd.Series(y), batch_size=16, verbose=0)


def test_labels_of_shape_n_1_and_validation_data_are_converted(label_dtypes):
    x, y = data()
    model().fit(x, y.reshape(-1, 1), batch_size=16, verbose=0, validation_data=(x[:16], y[:16]))
    assert label_dtypes == ["float32", "float32", "int64", "int64", "int64", "int64"]


def test_targets_read_by_other_code_reach_it_as_given():
    x, y = data()
    seen = []

    def own_metric(y_true, y_pred):
        seen.append(y_true.dtype.name)
        return keras.ops.zeros((y_true.shape[0],))

    model(metrics=[own_metric]).fit(x, y, batch_size=16, verbose=0)
    assert seen == ["float32"] * 3

    class OwnStep(keras.Model):
        def train_step(self, data):
            seen.append(data[1].dtype.name)
            return super().train_step(data)

    seen.clear()
    model(cls=OwnStep).fit(x, y, batch_size=16, verbose=0)
    assert seen == ["float32"] * 3


def test_checked_class_indices_names_the_bad_label_and_returns_int64():
    labels = np.array([0, 2, 1], dtype="float32")
    out = checked_class_indices(labels, 3, "sparse_categorical_crossentropy")
    assert out.dtype == np.int64 and out.tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match=r"label 2 is outside \[0, 2\) for an output with 2 classes"):
        checked_class_indices(labels, 2, "sparse_categorical_crossentropy")
