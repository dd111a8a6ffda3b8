"""Two ways a training run can weigh samples wrongly without any error: class_weight read
from two-class one-hot targets, and an epoch loss that forgets the batches' sizes."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers


@pytest.fixture(autouse=True)
def seed():
    keras.utils.set_random_seed(11)


def two_class_data(n=40, seed=0):
    """x (n, 3); labels with three times as many 0s as 1s (so weighing either class more is visible)."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.25).astype("int64")
    x = (rng.standard_normal((n, 3)) + labels[:, None]).astype("float32")
    return x, labels


def softmax_model(classes=2):
    inputs = keras.Input(shape=(3,))
    outputs = layers.Dense(classes, activation="softmax")(layers.Dense(5, activation="tanh")(inputs))
    return keras.Model(inputs, outputs)


def train(x, y, loss, **fit_kwargs):
    keras.utils.set_random_seed(5)
    model = softmax_model()
    model.compile(optimizer=keras.optimizers.SGD(0.2), loss=loss)
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, **fit_kwargs)
    return history.history["loss"], model.get_weights()


# ************************************************* class_weight on one-hot (N, 2) targets
def test_class_weight_on_two_class_one_hot_targets_weighs_class_1_rows_by_its_weight():
    x, labels = two_class_data()
    one_hot = np.eye(2, dtype="float32")[labels]  # (N, 2): one-hot rows, not two labels per sample
    as_class_weight = train(x, one_hot, "categorical_crossentropy", class_weight={0: 1, 1: 10})
    class_1_by_10 = np.where(labels == 1, 10.0, 1.0).astype("float32")
    as_sample_weight = train(x, one_hot, "categorical_crossentropy", sample_weight=class_1_by_10)
    np.testing.assert_allclose(as_class_weight[0], as_sample_weight[0], rtol=1e-6)
    for a, b in zip(as_class_weight[1], as_sample_weight[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    # The comparison can tell the classes apart: weights inverted (class 0 by 10) train differently.
    inverted = train(x, one_hot, "categorical_crossentropy", sample_weight=np.where(labels == 1, 1.0, 10.0))
    assert not np.allclose(inverted[0], as_class_weight[0], rtol=1e-3)


def test_class_weight_on_one_hot_and_on_integer_labels_agree():
    x, labels = two_class_data(seed=1)
    one_hot = train(x, np.eye(2, dtype="float32")[labels], "categorical_crossentropy", class_weight={0: 1, 1: 10})
    sparse = train(x, labels, "sparse_categorical_crossentropy", class_weight={0: 1, 1: 10})
    np.testing.assert_allclose(one_hot[0], sparse[0], rtol=1e-5)


# ************************************************* the epoch loss weighs batches by size
def test_epoch_loss_is_the_mean_over_every_sample_when_the_last_batch_is_smaller():
    # 10 samples in batches of 4: sizes 4, 4 and 2. Each step's loss is the mean over its
    # batch; the epoch's loss must count each sample once (sum of batch loss x size / 10).
    x, labels = two_class_data(n=10, seed=2)
    model = softmax_model()
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    per_sample = keras.losses.SparseCategoricalCrossentropy(reduction="none")
    batches = [slice(0, 4), slice(4, 8), slice(8, 10)]
    seen = []

    class RecordLossesBeforeEachStep(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            rows = batches[batch]
            # The weights this step computes its loss with (the update comes after).
            seen.append(keras.ops.convert_to_numpy(per_sample(labels[rows], self.model(x[rows]))))

    history = model.fit(x, labels, batch_size=4, epochs=1, shuffle=False, verbose=0,
                        callbacks=[RecordLossesBeforeEachStep()])
    assert [len(s) for s in seen] == [4, 4, 2]
    every_sample = np.concatenate(seen).mean()
    mean_of_batch_means = np.mean([s.mean() for s in seen])
    assert abs(every_sample - mean_of_batch_means) > 1e-3  # the two readings differ on this data
    assert history.history["loss"][0] == pytest.approx(every_sample, rel=1e-5)


def test_evaluate_loss_is_the_mean_over_every_sample_too():
    x, labels = two_class_data(n=10, seed=3)
    model = softmax_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    per_sample = keras.ops.convert_to_numpy(
        keras.losses.SparseCategoricalCrossentropy(reduction="none")(labels, model(x)))
    batch_means = [per_sample[:4].mean(), per_sample[4:8].mean(), per_sample[8:].mean()]
    assert abs(per_sample.mean() - np.mean(batch_means)) > 1e-4
    assert model.evaluate(x, labels, batch_size=4, verbose=0) == pytest.approx(per_sample.mean(), rel=1e-5)
