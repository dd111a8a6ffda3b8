"""One source of randomness for weights, dropout and shuffling.

Weights are drawn with NumPy's generator on every backend (then moved to the
device), so the same seed gives the same initial weights on CPU and GPU.
"""

from __future__ import annotations

import random as _random

import numpy

_rng = numpy.random.default_rng()


def set_random_seed(seed: int) -> None:
    """Seeds tinyfit, Python's `random` and NumPy's global generator.

    Same seed, same machine: same initial weights, same dropout masks, same
    shuffling, hence the same training history.
    """
    global _rng
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"set_random_seed: seed must be an int, got {seed!r}.")
    _rng = numpy.random.default_rng(seed)
    _random.seed(seed)
    numpy.random.seed(seed % 2**32)


def rng() -> numpy.random.Generator:
    """The generator everything random in tinyfit draws from."""
    return _rng
