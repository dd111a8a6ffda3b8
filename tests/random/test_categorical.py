"""keras.random.categorical: samples follow softmax(logits), row by row."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import Tensor


def test_frequencies_follow_the_softmax_of_each_row():
    logits = np.array([[0.0, 1.0, 2.0, -1.0], [3.0, 0.0, 0.0, 0.0]], "float32")
    samples = keras.random.categorical(logits, 40_000, seed=0)
    assert samples.shape == (2, 40_000) and samples.dtype == np.int32
    for row, drawn in zip(logits, samples.numpy()):
        expected = np.exp(row) / np.exp(row).sum()
        np.testing.assert_allclose(np.bincount(drawn, minlength=4) / 40_000, expected, atol=0.01)


def test_a_huge_logit_always_wins_and_dtype_is_honoured():
    samples = keras.random.categorical([[0.0, 100.0, 0.0]], 50, dtype="int64", seed=1)
    assert samples.dtype == np.int64 and np.all(samples.numpy() == 1)


def test_no_gradient_reaches_the_logits():
    logits = Tensor([[0.0, 1.0]], requires_grad=True)
    assert not keras.random.categorical(logits, 3, seed=2).requires_grad


def test_seeds():
    logits = np.zeros((3, 10), "float32")
    a = keras.random.categorical(logits, 20, seed=3).numpy()
    np.testing.assert_array_equal(keras.random.categorical(logits, 20, seed=3).numpy(), a)
    gen = keras.random.SeedGenerator(3)
    np.testing.assert_array_equal(keras.random.categorical(logits, 20, seed=gen).numpy(), a)
    assert not np.array_equal(keras.random.categorical(logits, 20, seed=gen).numpy(), a)


def test_errors_name_the_values():
    with pytest.raises(ValueError, match=r"categorical: logits must be 2-D \(batch_size, num_classes\), got shape \(4,\)"):
        keras.random.categorical(np.zeros(4), 2)
    with pytest.raises(ValueError, match=r"categorical: num_samples must be a whole number >= 1, got 0"):
        keras.random.categorical(np.zeros((1, 4)), 0)
    with pytest.raises(ValueError, match=r"categorical draws integers; dtype must be an integer type"):
        keras.random.categorical(np.zeros((1, 4)), 2, dtype="float32")
    with pytest.raises(TypeError, match=r"categorical: seed must be an int, a keras\.random\.SeedGenerator or None"):
        keras.random.categorical(np.zeros((1, 4)), 2, seed=[1])
