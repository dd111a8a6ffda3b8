"""Normalization: adapt() on arrays and on batches (Dataset, PyDataset, a generator) gives NumPy's
mean and variance, values against real Keras 3, invert, gradients, non-trainable weights saved
and loaded with the model, symbolic shapes, configs, a fit step, and the refusals."""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


def data(shape=(30, 4), seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) * rng.uniform(0.5, 5, size=shape[-1]) + rng.uniform(-3, 3, size=shape[-1])
            ).astype("float32")


@pytest.mark.parametrize("axis, reduce", [(-1, (0, 1)), (None, (0, 1, 2)), ((1, 2), (0,)), (1, (0, 2))])
def test_adapt_gives_numpys_mean_and_variance_per_kept_position(axis, reduce):
    x = data((30, 3, 4))
    layer = layers.Normalization(axis=axis)
    layer.adapt(x)
    np.testing.assert_allclose(layer.mean.numpy(), x.mean(axis=reduce), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy(), x.var(axis=reduce), rtol=1e-5)
    out = layer(x).numpy()
    np.testing.assert_allclose(out.mean(axis=reduce), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=reduce), 1.0, rtol=1e-4)
    assert layer.count.numpy() == np.prod([x.shape[a] for a in reduce])


class Batches(keras.utils.PyDataset):
    def __init__(self, x, size):
        super().__init__()
        self.x, self.size = x, size

    def __len__(self):
        return -(-len(self.x) // self.size)

    def __getitem__(self, index):
        part = self.x[index * self.size:(index + 1) * self.size]
        return part, np.zeros(len(part))


@pytest.mark.parametrize("source", ["Dataset", "PyDataset", "generator", "list"])
def test_adapt_on_batches_gives_the_statistics_of_all_the_data(source):
    x = data((37, 2, 3), seed=1)
    batches = {
        "Dataset": lambda: keras.data.Dataset.from_tensor_slices((x, np.arange(37))).batch(8),
        "PyDataset": lambda: Batches(x, 10),
        "generator": lambda: (x[i:i + 5] for i in range(0, 37, 5)),
        "list": lambda: [x[:20], x[20:]],
    }[source]()
    layer = layers.Normalization(axis=-1)
    layer.adapt(batches)
    np.testing.assert_allclose(layer.mean.numpy(), x.mean(axis=(0, 1)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy(), x.var(axis=(0, 1)), rtol=1e-5)


@pytest.mark.parametrize("axis", [-1, None, (1, 2)])
def test_adapted_values_match_keras_3(keras3, axis):
    x = data((25, 3, 4), seed=2)
    ours, theirs = layers.Normalization(axis=axis), keras3.layers.Normalization(axis=axis)
    ours.adapt(x)
    theirs.adapt(x)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-4, atol=1e-5)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights] == ["mean", "variance", "count"]
    assert [str(w.dtype) for w in ours.weights] == [str(w.dtype) for w in theirs.weights]
    assert ours.get_config()["axis"] == theirs.get_config()["axis"]


@pytest.mark.parametrize("axis, mean, variance, invert", [
    (None, 2.0, 4.0, False), (-1, [1.0, 2.0, 3.0], [1.0, 4.0, 9.0], False), (-1, [1.0, 2.0, 3.0], [1.0, 4.0, 0.0], True),
    ((1, 2), [0.5, -0.5, 1.0], [2.0, 3.0, 4.0], False),
])
def test_given_statistics_match_keras_3(keras3, axis, mean, variance, invert):
    x = data((5, 2, 3), seed=3)
    ours = layers.Normalization(axis=axis, mean=mean, variance=variance, invert=invert)
    theirs = keras3.layers.Normalization(axis=axis, mean=mean, variance=variance, invert=invert)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    assert ours.weights == [] and theirs.weights == []
    keys = ("axis", "invert", "mean", "variance")
    assert {k: ours.get_config()[k] for k in keys} == {k: theirs.get_config()[k] for k in keys}


def test_invert_undoes_the_normalization_and_gradchecks():
    x = data((10, 3), seed=4).astype("float64")
    forward = layers.Normalization(dtype="float64")
    forward.adapt(x)
    back = layers.Normalization(mean=forward.mean.numpy(), variance=forward.variance.numpy(), invert=True,
                                dtype="float64")
    np.testing.assert_allclose(back(forward(x)).numpy(), x, rtol=1e-10)
    gradcheck(forward, [x])
    gradcheck(back, [x])


def test_statistics_are_non_trainable_and_fit_leaves_them(tmp_path):
    x, y = data((32, 4), seed=5), np.random.default_rng(5).normal(size=(32, 1)).astype("float32")
    norm = layers.Normalization(name="norm")
    norm.adapt(x)
    model = keras.Sequential([keras.Input((4,)), norm, layers.Dense(1)])
    assert norm.trainable_weights == [] and len(norm.non_trainable_weights) == 3
    adapted = norm.mean.numpy().copy()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    np.testing.assert_array_equal(norm.mean.numpy(), adapted)
    model.save(tmp_path / "model.tinyfit")
    loaded = keras.models.load_model(tmp_path / "model.tinyfit")
    np.testing.assert_array_equal(loaded.get_layer("norm").mean.numpy(), adapted)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_given_statistics_are_saved_in_the_config():
    layer = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    config = json.loads(json.dumps(layer.get_config()))
    rebuilt = layers.Normalization.from_config(config)
    x = data((3, 2))
    np.testing.assert_allclose(rebuilt(x).numpy(), (x - [1.0, 2.0]) / [2.0, 3.0], rtol=1e-6)


def test_in_a_functional_model(train_one_step):
    layer = layers.Normalization(axis=-1)
    assert layer(keras.Input(shape=(None, 3))).shape == (None, None, 3)
    assert layer(keras.Input(shape=(5, 3), dtype="int32")).dtype == "float32"
    config = layer.get_config()
    assert layers.Normalization.from_config(json.loads(json.dumps(config))).get_config()["axis"] == (-1,)
    train_one_step(layers.Normalization(), (3, 4))


@pytest.mark.parametrize("make_layer, error, message", [
    (lambda: layers.Normalization(mean=1.0), ValueError, r"give both mean and variance, or neither"),
    (lambda: layers.Normalization(mean=[1.0, 2.0], variance=[1.0]), ValueError,
     r"mean and variance must have the same shape, got \(2,\) and \(1,\)"),
    (lambda: layers.Normalization(mean=np.ones((2, 2)), variance=np.ones((2, 2))), ValueError,
     r"mean of shape \(2, 2\) has more axes than the 1 kept"),
    (lambda: layers.Normalization(axis="last"), TypeError, r"axis must be an int, a tuple of ints or None"),
])
def test_bad_arguments_are_named(make_layer, error, message):
    with pytest.raises(error, match=message):
        make_layer()


def test_bad_data_and_shapes_are_named():
    layer = layers.Normalization()
    layer.adapt(data((10, 4)))
    with pytest.raises(ValueError, match=r"keeps axes \(1,\) of inputs of shape \(10, 4\), but adapt\(\) got data "
                                         r"of shape \(10, 3\)"):
        layer.adapt(data((10, 3)))
    with pytest.raises(ValueError, match=r"adapt\(\) got no data"):
        layers.Normalization().adapt(iter([]))
    with pytest.raises(TypeError, match=r"expected a NumPy array, a Tensor, a Dataset, a PyDataset or an iterable"):
        layers.Normalization().adapt(3.0)
    with pytest.raises(ValueError, match=r"was given mean and variance; adapt\(\) would overwrite them"):
        layers.Normalization(mean=0.0, variance=1.0).adapt(data())
    with pytest.raises(ValueError, match=r"the kept axes \(2,\) need known sizes"):
        layers.Normalization()(keras.Input(shape=(3, None)))
    with pytest.raises(ValueError, match=r"axis \(3,\) does not fit inputs of shape \(2, 3\)"):
        layers.Normalization(axis=3)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"mean/variance of shape \(3,\) do not fit the kept axes \(1,\) of sizes \(2,\)"):
        layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 1.0, 1.0])(np.ones((2, 2), "float32"))
