"""fit/evaluate/predict fed by Datasets, generators, PyDatasets and DataLoaders; class and sample weights."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.data import Dataset

N, FEATURES, CLASSES = 96, 4, 3


@pytest.fixture(autouse=True)
def seed():
    keras.utils.set_random_seed(7)


def blobs(n=N, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    centers = np.array([[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]], dtype="float32")
    x = centers[y] + 0.3 * rng.standard_normal((n, FEATURES)).astype("float32")
    return x.astype("float32"), y.astype("float32")


def classifier(optimizer="rmsprop"):
    inputs = keras.Input(shape=(FEATURES,), name="features")
    hidden = layers.Dense(8, activation="relu")(inputs)
    model = keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(hidden))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Recorder(keras.Model):
    """A subclassed model that notes the first x value of every training batch it sees."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.seen = []

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        self.seen.append(int(data[0].numpy()[0, 0]))
        return super().train_step(data)


def recorder():
    model = Recorder()
    model.compile(optimizer="sgd", loss="mse")
    return model


def numbered(n=10):
    """x = [[i]], y = [i]: batch contents tell which samples they hold."""
    return np.arange(n, dtype="float32")[:, None], np.zeros(n, dtype="float32")


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size=2, sample_weight=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.sw, self.batch_size = x, y, sample_weight, batch_size
        self.epochs_begun = self.epochs_ended = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        part = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return (self.x[part], self.y[part]) if self.sw is None else (self.x[part], self.y[part], self.sw[part])

    def on_epoch_begin(self):
        self.epochs_begun += 1

    def on_epoch_end(self):
        self.epochs_ended += 1


# ************************************************************** epochs and steps
def test_a_dataset_restarts_every_epoch_and_steps_per_epoch_goes_on_where_it_stopped():
    x, y = numbered(10)
    ds = Dataset.from_tensor_slices((x, y)).batch(2)
    model = recorder()
    history = model.fit(ds, epochs=2, verbose=0)
    assert model.seen == [0, 2, 4, 6, 8] * 2 and len(history.history["loss"]) == 2
    model = recorder()
    model.fit(ds, epochs=3, steps_per_epoch=2, verbose=0)
    assert model.seen == [0, 2, 4, 6, 8, 0]  # on where it stopped; a new pass when the data ran out


def test_a_generator_needs_steps_per_epoch_for_several_epochs_and_goes_on_across_them():
    x, y = numbered(10)
    gen = ((x[i:i + 2], y[i:i + 2]) for i in range(0, 10, 2))
    with pytest.raises(ValueError, match=r"fit: x is a generator, which can be read only once, so it cannot restart "
                                         r"for each of the 3 epochs\. Pass steps_per_epoch=N"):
        recorder().fit(gen, epochs=3, verbose=0)
    model = recorder()
    model.fit(gen, epochs=2, steps_per_epoch=2, verbose=0)  # nothing was read by the refused call
    assert model.seen == [0, 2, 4, 6]
    fresh = ((x[i:i + 2], y[i:i + 2]) for i in range(0, 10, 2))
    with pytest.raises(ValueError, match=r"fit: the generator ran out of batches: it gave 5 batch\(es\) in this fit\(\) "
                                         r"call, but steps_per_epoch=2 asks for 2 per epoch and step 2 found none left"):
        model.fit(fresh, epochs=3, steps_per_epoch=2, verbose=0)


def test_a_finite_generator_is_one_epoch():
    x, y = numbered(6)
    model = recorder()
    history = model.fit(((x[i:i + 3], y[i:i + 3]) for i in (0, 3)), verbose=0)
    assert model.seen == [0, 3] and len(history.history["loss"]) == 1


def test_a_dataset_that_repeats_forever_needs_steps():
    ds = Dataset.from_tensor_slices(numbered(4)).batch(2).repeat()
    with pytest.raises(ValueError, match=r"fit: x is a tinyfit Dataset, which repeats forever.*steps_per_epoch=N"):
        recorder().fit(ds, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: the data is a tinyfit Dataset, which repeats forever; pass "
                                         r"steps=N"):
        recorder().evaluate(ds, verbose=0)
    model = recorder()
    model.fit(ds, epochs=2, steps_per_epoch=3, verbose=0)
    assert model.seen == [0, 2, 0, 2, 0, 2]
    assert isinstance(model.evaluate(ds, steps=5, verbose=0), float)


def test_steps_beyond_the_data_are_errors_that_count_the_batches():
    ds = Dataset.from_tensor_slices(numbered(6)).batch(2)
    with pytest.raises(ValueError, match=r"evaluate: steps=4 but the data holds only 3 batches; use at most 3"):
        recorder().evaluate(ds, steps=4, verbose=0)
    gen = (b for b in list(ds))
    with pytest.raises(ValueError, match=r"predict: the generator ran out of batches: it gave 3 batch\(es\) in this "
                                         r"predict\(\) call, but steps=5 asks for 5 and step 4 found none left"):
        recorder().predict(gen, steps=5, verbose=0)


def test_validation_with_a_dataset_and_validation_steps():
    x, y = blobs()
    model = classifier()
    train, val = Dataset.from_tensor_slices((x, y)).batch(16), Dataset.from_tensor_slices((x[:40], y[:40])).batch(8)
    history = model.fit(train, epochs=2, validation_data=val, validation_steps=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    first_two = model.evaluate(Dataset.from_tensor_slices((x[:16], y[:16])).batch(8), return_dict=True, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(first_two["loss"], rel=1e-6)


def test_a_one_shot_validation_generator_for_several_validations_is_refused_before_training():
    x, y = blobs(32)
    val = ((x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8))
    model = classifier()
    start = model.get_weights()
    with pytest.raises(ValueError, match=r"fit\(validation_data=...\): validation_data is a generator, which can be "
                                         r"read only once, so it cannot restart for each of the 3 validations.*"
                                         r"Pass validation_steps=N"):
        model.fit(x, y, epochs=3, validation_data=val, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(start, model.get_weights()))  # no epoch was spent first
    assert len(list(val)) == 4  # and nothing was read from the generator
    # one validation (epochs=2 with validation_freq=2) may use a generator up
    val = ((x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8))
    history = model.fit(x, y, epochs=2, validation_data=val, validation_freq=2, verbose=0)
    assert len(history.history["val_loss"]) == 1


def test_a_one_shot_validation_generator_with_validation_steps_goes_on_until_it_runs_out():
    x, y = blobs(32)
    val = ((x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8))
    with pytest.raises(ValueError, match=r"fit\(validation_data=...\): the generator ran out of batches: it gave 4 "
                                         r"batch\(es\) in this fit\(\) call, but validation_steps=2 asks for 2"):
        classifier().fit(x, y, epochs=3, validation_data=val, validation_steps=2, verbose=0)


# ********************************************************************** errors
@pytest.mark.parametrize("make, kind", [
    (lambda x, y: Dataset.from_tensor_slices((x, y)).batch(8), "a tinyfit Dataset"),
    (lambda x, y: ((x[i:i + 8], y[i:i + 8]) for i in range(0, len(x), 8)), "a generator"),
    (lambda x, y: Batches(x, y), r"a PyDataset \(Batches\)"),
])
def test_validation_split_on_data_that_cannot_be_cut_names_the_fix(make, kind):
    x, y = blobs(32)
    with pytest.raises(ValueError, match=rf"fit: validation_split needs arrays, whose last samples it keeps apart, "
                                         rf"but x is {kind}, which cannot be cut\. Pass validation_data=\.\.\. instead"):
        classifier().fit(make(x, y), validation_split=0.2, verbose=0)


def test_targets_beside_a_source_of_batches_are_refused():
    x, y = blobs(16)
    with pytest.raises(ValueError, match=r"fit: x is a tinyfit Dataset, which yields whole batches, so y and "
                                         r"sample_weight cannot be passed beside it"):
        classifier().fit(Dataset.from_tensor_slices((x, y)).batch(8), y, sample_weight=np.ones(16), verbose=0)
    with pytest.raises(TypeError, match=r"train_on_batch: takes one batch of arrays .* not a source of batches "
                                        r"\(the Dataset\)"):
        classifier().train_on_batch(Dataset.from_tensor_slices((x, y)).batch(8))


def test_a_batch_whose_keys_do_not_match_the_inputs_names_both():
    x, y = blobs(16)
    ds = Dataset.from_tensor_slices(({"pixels": x}, y)).batch(8)
    with pytest.raises(ValueError, match=r"fit: Model .*the data dict has keys \['pixels'\], but the model's inputs "
                                         r"are named \['features'\]"):
        classifier().fit(ds, verbose=0)
    model = classifier()
    model.fit(Dataset.from_tensor_slices(({"features": x}, y)).batch(8), verbose=0)  # the right key works


def test_a_generator_yielding_a_non_batch_says_what_it_yielded():
    with pytest.raises(TypeError, match=r"the generator yielded str 'not a batch', which is not a batch"):
        classifier().fit((s for s in ["not a batch"]), verbose=0)


# ******************************************************************* PyDataset
def test_py_dataset_shuffles_batch_order_each_epoch_and_calls_on_epoch_end():
    x, y = numbered(10)
    ds = Batches(x, y)
    model = recorder()
    model.fit(ds, epochs=3, verbose=0)  # shuffle=True by default, as in Keras
    orders = [model.seen[i:i + 5] for i in (0, 5, 10)]
    assert all(sorted(o) == [0, 2, 4, 6, 8] for o in orders) and len({tuple(o) for o in orders}) > 1
    assert ds.epochs_begun == 3 and ds.epochs_ended == 3
    model = recorder()
    model.fit(ds, epochs=2, shuffle=False, verbose=0)
    assert model.seen == [0, 2, 4, 6, 8] * 2


@pytest.mark.parametrize("workers", [1, 2])
def test_a_py_dataset_whose_len_counts_past_the_data_names_the_index_and_len(workers):
    class TooLong(Batches):
        def __len__(self):
            return super().__len__() + 1  # one batch more than the data holds: it comes out empty

    x, y = blobs(16)
    with pytest.raises(ValueError, match=r"TooLong\.__getitem__\(2\) yielded an empty batch \(0 samples; "
                                         r"x: \(0, 4\), y: \(0,\)\)\. .*Its __len__ says 3 batches.*math\.ceil"):
        classifier().fit(TooLong(x, y, batch_size=8, workers=workers), shuffle=False, verbose=0)


def test_py_dataset_order_repeats_with_the_seed():
    x, y = numbered(16)

    def run():
        keras.utils.set_random_seed(11)
        model = recorder()
        model.fit(Batches(x, y, workers=3), epochs=2, verbose=0)
        return model.seen

    assert run() == run()


def test_a_2020_style_sequence_without_super_init_trains():
    x, y = blobs(40)

    class OldStyle(keras.utils.Sequence):
        def __init__(self, x, y, batch_size):
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / float(self.batch_size)))

        def __getitem__(self, idx):
            part = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
            return self.x[part], self.y[part]

    model = classifier()
    history = model.fit(OldStyle(x, y, 8), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(OldStyle(x, y, 8), verbose=0).shape == (40, CLASSES)


# ******************************************************************** weighting
def final_weights(fit_args, **fit_kwargs):
    keras.utils.set_random_seed(3)
    model = classifier(optimizer=keras.optimizers.SGD(0.1))
    model.fit(*fit_args, epochs=2, verbose=0, **fit_kwargs)
    return model.get_weights()


CLASS_WEIGHT = {0: 1.0, 1: 3.0, 2: 0.5}


@pytest.mark.parametrize("source", ["dataset", "generator", "py_dataset"])
def test_class_weight_on_batches_trains_exactly_as_the_equivalent_sample_weight(source):
    x, y = blobs(48)
    sw = np.array([CLASS_WEIGHT[int(c)] for c in y], dtype="float32")

    def make(with_weights):
        parts = (x, y, sw) if with_weights else (x, y)
        if source == "dataset":
            return Dataset.from_tensor_slices(parts).batch(16)
        if source == "generator":
            return (tuple(p[i:i + 16] for p in parts) for _ in range(2) for i in range(0, 48, 16))
        return Batches(x, y, batch_size=16, sample_weight=sw if with_weights else None)

    steps = {"steps_per_epoch": 3} if source == "generator" else {}
    by_class = final_weights((make(False),), class_weight=CLASS_WEIGHT, shuffle=False, **steps)
    by_sample = final_weights((make(True),), shuffle=False, **steps)
    plain = final_weights((make(False),), shuffle=False, **steps)
    for a, b in zip(by_class, by_sample):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert any(not np.allclose(a, b) for a, b in zip(by_class, plain))  # the weights did change training


def test_class_weight_with_one_hot_targets_and_arrays_matches_sample_weight():
    x, y = blobs(48)
    one_hot = np.eye(CLASSES, dtype="float32")[y.astype(int)]
    sw = np.array([CLASS_WEIGHT[int(c)] for c in y], dtype="float32")

    def run(**kwargs):
        keras.utils.set_random_seed(3)
        model = classifier(optimizer=keras.optimizers.SGD(0.1))
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy")
        model.fit(x, one_hot, batch_size=16, epochs=2, verbose=0, **kwargs)
        return model.get_weights()

    for a, b in zip(run(class_weight=CLASS_WEIGHT), run(sample_weight=sw)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_class_weight_is_for_training_only_not_validation():
    x, y = blobs(64)
    model = classifier()
    history = model.fit(x[:48], y[:48], class_weight={0: 5.0, 1: 0.1, 2: 1.0}, epochs=1, verbose=0,
                        validation_data=Dataset.from_tensor_slices((x[48:], y[48:])).batch(8))
    plain = model.evaluate(x[48:], y[48:], batch_size=8, return_dict=True, verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(plain["loss"], rel=1e-6)


def test_class_weight_with_several_outputs_points_to_sample_weight_by_output_name():
    a = keras.Input(shape=(4,), name="a_input")
    h = layers.Dense(6, activation="relu")(a)
    model = keras.Model(a, [layers.Dense(1, name="score")(h), layers.Dense(3, activation="softmax", name="cls")(h)])
    model.compile(optimizer="sgd", loss={"score": "mse", "cls": "sparse_categorical_crossentropy"})
    x, y = blobs(32)
    targets = {"score": x[:, :1], "cls": y}
    with pytest.raises(ValueError, match=r"fit: class_weight needs a single y array .* y holds \['score', 'cls'\]\. "
                                         r"For several outputs pass sample_weight instead: a dict keyed by output name"):
        model.fit(x, targets, class_weight={0: 1.0}, verbose=0)
    history = model.fit(x, targets, sample_weight={"score": np.ones(32), "cls": np.zeros(32)}, verbose=0)
    assert history.history["cls_loss"][0] == 0.0 and history.history["score_loss"][0] > 0.0
