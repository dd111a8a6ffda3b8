"""keras.random.dropout: which values survive, their scale, the gradient, and the errors."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import Tensor
from tinyfit.autograd.gradcheck import gradcheck


def test_kept_values_are_scaled_and_the_dropped_fraction_is_the_rate():
    x = np.random.default_rng(0).uniform(1, 2, size=(400, 500)).astype("float32")
    y = keras.random.dropout(x, rate=0.3, seed=1).numpy()
    kept = y != 0
    assert abs(1 - kept.mean() - 0.3) < 0.005
    np.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-6)
    assert abs(y.mean() - x.mean()) < 0.01  # the expected value is kept


def test_the_gradient_is_the_mask_over_one_minus_rate():
    x = Tensor(np.ones((6, 7)), requires_grad=True)
    y = keras.random.dropout(x, rate=0.25, seed=3)
    (y * Tensor(np.arange(42.0).reshape(6, 7))).sum().backward()
    mask = (y.numpy() != 0)
    np.testing.assert_allclose(x.grad, mask / 0.75 * np.arange(42.0).reshape(6, 7), rtol=1e-6)


def test_gradcheck_with_a_fixed_seed():
    x = np.random.default_rng(2).normal(size=(3, 4, 5))
    assert gradcheck(lambda t: keras.random.dropout(t, 0.4, noise_shape=(3, 1, 5), seed=9), [x])


def test_noise_shape_shares_the_mask_along_its_none_free_axes():
    y = keras.random.dropout(np.ones((8, 5, 6), "float32"), 0.5, noise_shape=(None, 1, 6), seed=4).numpy()
    assert np.all(y == y[:, :1, :])
    assert 0 < (y == 0).mean() < 1


def test_seeds_int_repeats_generator_advances():
    x = np.ones((50,), "float32")
    a = keras.random.dropout(x, 0.5, seed=5).numpy()
    np.testing.assert_array_equal(keras.random.dropout(x, 0.5, seed=5).numpy(), a)
    gen = keras.random.SeedGenerator(5)
    np.testing.assert_array_equal(keras.random.dropout(x, 0.5, seed=gen).numpy(), a)
    assert not np.array_equal(keras.random.dropout(x, 0.5, seed=gen).numpy(), a)


def test_rate_zero_returns_the_inputs_unchanged_and_keeps_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = keras.random.dropout(x, 0.0)
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "0.5", True])
def test_a_rate_outside_zero_to_one_is_named(rate):
    with pytest.raises(ValueError, match=r"dropout: rate must be a number in \[0, 1\), got"):
        keras.random.dropout(np.ones(3, "float32"), rate)


def test_a_noise_shape_that_does_not_fit_names_both_shapes():
    with pytest.raises(ValueError, match=r"noise_shape \(4, 1\) must have one entry per axis of the inputs \(3, 2\)"):
        keras.random.dropout(np.ones((3, 2), "float32"), 0.5, noise_shape=(4, 1))


def test_integer_inputs_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"dropout: inputs must be floating point, got dtype int32.*cast"):
        keras.random.dropout([1, 2, 3], 0.5)


def test_a_bad_seed_names_the_accepted_ones():
    with pytest.raises(TypeError, match=r"dropout: seed must be an int, a keras\.random\.SeedGenerator or None"):
        keras.random.dropout(np.ones(3, "float32"), 0.5, seed="1")
