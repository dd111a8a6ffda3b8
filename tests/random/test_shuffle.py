"""keras.random.shuffle: a permutation of whole slices along an axis, with a gradient."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import Tensor
from tinyfit.autograd.gradcheck import gradcheck


def test_rows_are_permuted_whole():
    x = np.arange(40).reshape(10, 4)
    y = keras.random.shuffle(x, seed=0).numpy()
    assert not np.array_equal(y, x)
    assert sorted(map(tuple, y)) == sorted(map(tuple, x))  # every row once, each kept whole


def test_another_axis_permutes_the_columns():
    x = np.arange(24.0).reshape(2, 12)
    y = keras.random.shuffle(x, axis=1, seed=1).numpy()
    order = (y[0]).astype(int)
    np.testing.assert_array_equal(np.sort(order), np.arange(12))
    np.testing.assert_array_equal(y, x[:, order])
    np.testing.assert_array_equal(keras.random.shuffle(x, axis=-1, seed=1).numpy(), y)


def test_each_order_is_about_equally_likely():
    counts = {}
    gen = keras.random.SeedGenerator(2)
    for _ in range(1200):
        order = tuple(keras.random.shuffle([0, 1, 2], seed=gen).numpy())
        counts[order] = counts.get(order, 0) + 1
    assert len(counts) == 6 and all(150 < n < 250 for n in counts.values())


def test_the_dtype_is_kept():
    assert keras.random.shuffle(np.arange(5, dtype="int64"), seed=0).dtype == np.int64
    assert keras.random.shuffle(np.ones(5, "float32"), seed=0).dtype == np.float32


def test_the_gradient_goes_back_to_where_each_slice_came_from():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    y = keras.random.shuffle(x, seed=3)
    weights = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    (y * Tensor(weights)).sum().backward()
    order = (y.numpy()[:, 0] / 2).astype(int)  # row i of y is row order[i] of x
    expected = np.empty_like(weights)
    expected[order] = weights
    np.testing.assert_array_equal(x.grad, expected)
    assert gradcheck(lambda t: keras.random.shuffle(t, axis=1, seed=4), [np.random.default_rng(0).normal(size=(3, 5))])


def test_a_bad_axis_names_the_shape():
    with pytest.raises(ValueError, match=r"shuffle: axis 2 is out of range for a tensor of shape \(3, 4\)"):
        keras.random.shuffle(np.ones((3, 4)), axis=2)


def test_a_bad_seed_names_the_accepted_ones():
    with pytest.raises(TypeError, match=r"shuffle: seed must be an int, a keras\.random\.SeedGenerator or None"):
        keras.random.shuffle(np.ones(3), seed=np.int64(1).astype(float))
