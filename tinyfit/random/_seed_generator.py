"""SeedGenerator: a seed that moves on after each draw, and how every `seed=` argument is read.

A random function is given one of three seeds:

    an int            the same numbers on every call (the draw starts from [seed, 0])
    a SeedGenerator   new numbers on every call: each draw takes the generator's
                      state [seed, counter] and then counts it up by one
    None              the next numbers of tinyfit's global generator, which
                      `tinyfit.utils.set_random_seed` resets

A draw from the pair [seed, counter] is made by NumPy's `default_rng` on the
host, whatever the backend, then moved to the device: the same seed gives the
same numbers on CPU and GPU (and the same numbers as Keras's NumPy backend).
An int seed and the first draw of `SeedGenerator(seed)` start from the same
pair, so they give the same numbers, as in Keras.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy

from .. import backend
from ..autograd import Tensor, Variable
from ..utils import random as _random

_SEED_WORDS = 2**32  # seeds are kept as uint32, as Keras keeps them
_names = itertools.count()


class SeedGenerator:
    """A random seed that changes after each draw: pass it as `seed=` to get new numbers every call.

    Hold one in a layer (`self.seed_generator = keras.random.SeedGenerator(1337)`
    in `__init__`) and pass it to the random functions in `call`: each call draws
    new numbers, and a model built again with the same seed draws the same ones.

    Args:
        seed: an int. None draws one from tinyfit's global generator, so
            `tinyfit.utils.set_random_seed` makes the sequence reproducible.
        name: a readable name (default "seed_generator", numbered).

    Attributes:
        state: a non-trainable Variable [seed, counter] (uint32, kept on the host).
            Save a copy of `state.numpy()` and `state.assign(...)` it back to continue the
            same sequence. `tinyfit.utils.random.get_random_states()` includes the
            state of every live generator, so BackupAndRestore resumes them too.
            Generators are known there by creation order and name: a new run of
            the same script finds its own; one made anew in the same Python
            session (a notebook cell run again) is another and starts from its seed.

    Example:

    >>> gen = keras.random.SeedGenerator(42)
    >>> a = keras.random.normal((2, 3), seed=gen)
    >>> b = keras.random.normal((2, 3), seed=gen)  # different from a
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any):
        if kwargs:
            raise ValueError(f"SeedGenerator: unknown arguments {sorted(kwargs)}; it takes seed= and name=.")
        if seed is not None and not _is_int(seed):
            raise TypeError(f"SeedGenerator: seed must be an int or None, got {seed!r} ({type(seed).__name__}).")
        self._initial_seed = seed
        if seed is None:
            seed = int(_random.rng().integers(1, 10**9))
        number = next(_names)
        self.name = name or ("seed_generator" if number == 0 else f"seed_generator_{number}")
        state = Variable(numpy.array([seed % _SEED_WORDS, 0], dtype=numpy.uint32), dtype="uint32",
                         trainable=False, name=f"{self.name}/seed_generator_state")
        # Draws are made on the host (see the module docstring): keeping the state there too spares
        # a device round trip on every draw.
        state.data = backend.to_numpy(state.data)
        self.state = state
        _random.track_generator(f"{number}:{self.name}", self)

    def next(self) -> Tensor:
        """The seed pair [seed, counter] the next draw uses; the counter moves on by one."""
        return Tensor(self._next_pair(), dtype="uint32")

    def _next_pair(self) -> numpy.ndarray:
        pair = self.state.data.copy()
        # Written in place, not through Variable.assign: draws happen inside an op's forward,
        # which a compiled step replays, and a replay must count on, not re-assign a recorded value.
        self.state.data[1] += numpy.uint32(1)
        return pair

    def get_config(self) -> dict:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "SeedGenerator":
        return cls(**config)

    def __repr__(self) -> str:
        seed, counter = (int(v) for v in self.state.data)
        return f"<SeedGenerator {self.name!r} seed={seed} draws={counter}>"


def check_seed(seed: Any, where: str) -> None:
    """Raises TypeError unless `seed` is an int, a SeedGenerator or None."""
    if seed is None or isinstance(seed, SeedGenerator) or _is_int(seed):
        return
    raise TypeError(
        f"{where}: seed must be an int, a keras.random.SeedGenerator or None, got {seed!r} "
        f"({type(seed).__name__}). Pass an int for the same numbers on every call, a SeedGenerator for "
        "new numbers on every call, or None to draw from the global generator (tinyfit.utils.set_random_seed)."
    )


def generator_for(seed: int | SeedGenerator | None) -> numpy.random.Generator:
    """The NumPy generator one draw uses (a SeedGenerator moves on by one)."""
    if seed is None:
        return _random.rng()
    if isinstance(seed, SeedGenerator):
        return numpy.random.default_rng(seed._next_pair())
    return numpy.random.default_rng([int(seed) % _SEED_WORDS, 0])


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, numpy.integer)) and not isinstance(value, (bool, numpy.bool_))
