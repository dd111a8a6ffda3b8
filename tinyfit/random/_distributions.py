"""Draws of a given shape from the usual distributions: normal, uniform, randint, and more.

Each function returns a new Tensor on the current backend's device. `seed` is
an int (the same values every call), a SeedGenerator (new values every call)
or None (tinyfit's global generator); see _seed_generator.py.
"""

from __future__ import annotations

from typing import Any

import numpy

from ._draw import check_at_least, check_dtype, draw
from ._seed_generator import SeedGenerator

Seed = int | SeedGenerator | None


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Seed = None):
    """Samples from a normal (Gaussian) distribution.

    Args:
        shape: the shape of the result, e.g. (2, 3).
        mean: the mean of the values.
        stddev: their standard deviation (>= 0).
        dtype: a floating dtype, float32 by default.
        seed: an int, a `keras.random.SeedGenerator` or None.

    Returns:
        A Tensor of `shape`.
    """
    check_at_least(stddev, 0, "stddev", "normal")
    return draw("normal", _normal, shape, (mean, stddev), dtype, "f", seed)


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Seed = None):
    """Samples from a uniform distribution on [minval, maxval) (minval included, maxval not).

    Args:
        shape: the shape of the result.
        minval: the lower bound (included).
        maxval: the upper bound (excluded).
        dtype: a floating dtype, float32 by default.
        seed: an int, a `keras.random.SeedGenerator` or None.
    """
    return draw("uniform", _uniform, shape, (minval, maxval), dtype, "f", seed)


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Seed = None):
    """Samples from a normal distribution, values more than two stddevs from the mean drawn again.

    Every value lies in [mean - 2 * stddev, mean + 2 * stddev].

    Args:
        shape: the shape of the result.
        mean: the mean of the (untruncated) normal distribution.
        stddev: its standard deviation (>= 0).
        dtype: a floating dtype, float32 by default.
        seed: an int, a `keras.random.SeedGenerator` or None.
    """
    check_at_least(stddev, 0, "stddev", "truncated_normal")
    return draw("truncated_normal", _truncated_normal, shape, (mean, stddev), dtype, "f", seed)


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Seed = None):
    """Random integers, uniform on [minval, maxval) (minval included, maxval not).

    Args:
        shape: the shape of the result.
        minval: the smallest value drawn.
        maxval: one more than the largest value drawn (> minval).
        dtype: an integer dtype, int32 by default.
        seed: an int, a `keras.random.SeedGenerator` or None.
    """
    if numpy.any(numpy.asarray(minval) >= numpy.asarray(maxval)):
        raise ValueError(f"randint: minval must be smaller than maxval (maxval is excluded), got minval={minval!r} "
                         f"and maxval={maxval!r}.")
    dtype = check_dtype(dtype, "i", "randint")  # drawn in this dtype, as NumPy draws 32- and 64-bit ints differently
    return draw("randint", _randint, shape, (minval, maxval, dtype), dtype, "i", seed)


def gamma(shape: Any, alpha: float, dtype: Any = None, seed: Seed = None):
    """Samples from a Gamma distribution of shape parameter `alpha` (> 0) and scale 1."""
    check_at_least(alpha, 0, "alpha", "gamma", strict=True)
    return draw("gamma", _gamma, shape, (alpha,), dtype, "f", seed)


def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None, seed: Seed = None):
    """Samples from a Binomial distribution: successes in `counts` trials of success probability
    `probabilities` (numbers or arrays that broadcast to `shape`)."""
    check_at_least(counts, 0, "counts", "binomial")
    p = numpy.asarray(probabilities, dtype=float)
    if numpy.any((p < 0) | (p > 1)):
        raise ValueError(f"binomial: probabilities must lie in [0, 1], got {probabilities!r}.")
    return draw("binomial", _binomial, shape, (counts, probabilities), dtype, "f", seed)


def beta(shape: Any, alpha: Any, beta: Any, dtype: Any = None, seed: Seed = None):
    """Samples from a Beta distribution of parameters `alpha` and `beta` (both > 0)."""
    check_at_least(alpha, 0, "alpha", "beta", strict=True)
    check_at_least(beta, 0, "beta", "beta", strict=True)
    return draw("beta", _beta, shape, (alpha, beta), dtype, "f", seed)


# The samplers the Draw op calls: module functions, so a compiled step sees the same op every step.
def _normal(rng, shape, mean, stddev):
    return rng.normal(loc=mean, scale=stddev, size=shape)


def _uniform(rng, shape, minval, maxval):
    return rng.uniform(low=minval, high=maxval, size=shape)


def _truncated_normal(rng, shape, mean, stddev):
    count = int(numpy.prod(shape))
    kept = numpy.empty(0)
    while kept.size < count:  # each batch keeps about 95% of its values
        batch = rng.normal(loc=mean, scale=stddev, size=count)
        kept = numpy.concatenate([kept, batch[numpy.abs(batch - mean) <= 2 * stddev]])
    return kept[:count].reshape(shape)


def _randint(rng, shape, minval, maxval, dtype):
    return rng.integers(low=minval, high=maxval, size=shape, dtype=dtype)


def _gamma(rng, shape, alpha):
    return rng.gamma(alpha, scale=1.0, size=shape)


def _binomial(rng, shape, counts, probabilities):
    return rng.binomial(n=counts, p=probabilities, size=shape)


def _beta(rng, shape, alpha, beta):
    return rng.beta(a=alpha, b=beta, size=shape)
