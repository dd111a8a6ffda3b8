"""normal, uniform, truncated_normal, randint, gamma, binomial, beta: values, dtypes, errors."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import Tensor

N = 200_000  # big enough that a mean is within about 0.01 of the true one


def test_normal_has_the_asked_mean_and_stddev():
    x = keras.random.normal((N,), mean=3.0, stddev=2.0, seed=0)
    assert isinstance(x, Tensor) and x.shape == (N,) and x.dtype == np.float32
    values = x.numpy()
    assert abs(values.mean() - 3.0) < 0.03 and abs(values.std() - 2.0) < 0.03


def test_uniform_stays_in_its_range_and_has_its_mean():
    values = keras.random.uniform((N,), minval=-2.0, maxval=6.0, seed=1).numpy()
    assert values.min() >= -2.0 and values.max() < 6.0
    assert abs(values.mean() - 2.0) < 0.05 and abs(values.std() - 8 / np.sqrt(12)) < 0.05


def test_truncated_normal_redraws_values_beyond_two_stddevs():
    values = keras.random.truncated_normal((N,), mean=1.0, stddev=0.5, seed=2).numpy()
    assert values.min() >= 0.0 and values.max() <= 2.0
    # A normal truncated at +-2 stddevs keeps its mean and has stddev 0.8796 * stddev.
    assert abs(values.mean() - 1.0) < 0.01 and abs(values.std() - 0.8796 * 0.5) < 0.01
    assert values.min() < 0.01 and values.max() > 1.99  # values near both bounds are drawn


def test_randint_covers_its_range_evenly_in_its_dtype():
    x = keras.random.randint((N,), minval=-3, maxval=4, seed=3)
    assert x.dtype == np.int32
    counts = np.bincount(x.numpy() + 3)
    assert len(counts) == 7 and np.all(np.abs(counts / N - 1 / 7) < 0.01)
    assert keras.random.randint((5,), 0, 10, dtype="int64", seed=3).dtype == np.int64


@pytest.mark.parametrize("name", ["normal", "uniform", "truncated_normal"])
def test_float_draws_take_dtype_names_and_shapes_given_as_lists_or_ints(name):
    draw = getattr(keras.random, name)
    assert draw([2, 3], dtype="float64", seed=0).dtype == np.float64
    assert draw((2, 3), seed=0).dtype == np.float32
    assert draw(4, seed=0).shape == (4,)
    assert draw((0, 3), seed=0).shape == (0, 3)


def test_gamma_binomial_beta_have_their_means():
    assert abs(keras.random.gamma((N,), alpha=3.0, seed=4).numpy().mean() - 3.0) < 0.03
    b = keras.random.binomial((N,), counts=10, probabilities=0.3, seed=5)
    assert b.dtype == np.float32 and abs(b.numpy().mean() - 3.0) < 0.03
    assert set(np.unique(b.numpy())) <= set(range(11))
    beta = keras.random.beta((N,), alpha=2.0, beta=6.0, seed=6).numpy()
    assert abs(beta.mean() - 0.25) < 0.005 and beta.min() >= 0 and beta.max() <= 1


def test_the_draws_are_independent_of_each_other():
    a = keras.random.normal((N,), seed=7).numpy()
    b = keras.random.normal((N,), seed=keras.random.SeedGenerator(7))  # the same first draw as seed=7
    c = keras.random.normal((N,), seed=8).numpy()
    assert abs(np.corrcoef(a, c)[0, 1]) < 0.01
    np.testing.assert_array_equal(a, b.numpy())


# ---------------------------------------------------------------- errors
def test_randint_with_an_empty_range_names_both_bounds():
    with pytest.raises(ValueError, match=r"randint: minval must be smaller than maxval.*minval=5 and maxval=5"):
        keras.random.randint((3,), minval=5, maxval=5)
    with pytest.raises(ValueError, match=r"minval=7 and maxval=2"):
        keras.random.randint((3,), minval=7, maxval=2)


def test_the_dtype_must_suit_the_draw():
    with pytest.raises(ValueError, match=r"uniform draws floating-point values; dtype must be a float.*'int32'"):
        keras.random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match=r"randint draws integers; dtype must be an integer type.*'float32'"):
        keras.random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(TypeError, match=r"unknown dtype 'flaot32'"):
        keras.random.normal((2,), dtype="flaot32")


@pytest.mark.parametrize("shape", [(-1, 2), (2.5,), "3", None])
def test_a_bad_shape_is_named(shape):
    with pytest.raises(ValueError, match=r"normal: shape must be a tuple of sizes"):
        keras.random.normal(shape)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match=r"normal: stddev must be >= 0, got -1"):
        keras.random.normal((2,), stddev=-1.0)
    with pytest.raises(ValueError, match=r"gamma: alpha must be > 0, got 0"):
        keras.random.gamma((2,), alpha=0.0)
    with pytest.raises(ValueError, match=r"binomial: probabilities must lie in \[0, 1\], got 1.5"):
        keras.random.binomial((2,), counts=3, probabilities=1.5)
    with pytest.raises(ValueError, match=r"beta: beta must be > 0"):
        keras.random.beta((2,), alpha=1.0, beta=-2.0)


@pytest.mark.parametrize("name, args", [("uniform", ()), ("truncated_normal", ()), ("randint", (0, 5)),
                                        ("gamma", (2.0,)), ("binomial", (4, 0.5)), ("beta", (2.0, 3.0))])
def test_every_draw_checks_its_seed(name, args):
    with pytest.raises(TypeError, match=rf"{name}: seed must be an int, a keras\.random\.SeedGenerator or None"):
        getattr(keras.random, name)((2,), *args, seed=0.5)
