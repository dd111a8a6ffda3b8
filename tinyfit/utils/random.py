"""One source of randomness for weights, dropout and shuffling.

Weights are drawn with NumPy's generator on every backend (then moved to the
device), so the same seed gives the same initial weights on CPU and GPU.

Besides the global generators, every live `keras.random.SeedGenerator` is part
of the random state: get_random_states() lists their [seed, counter] pairs, so
BackupAndRestore resumes a layer's own random sequence where it stopped.
"""

from __future__ import annotations

import random as _random
import weakref
from typing import Any

import numpy

_rng = numpy.random.default_rng()
# key -> a live object holding a `state` Variable (a SeedGenerator); keys are given in creation
# order, so the same script run again finds the same generators under the same keys.
_generators: "weakref.WeakValueDictionary[str, Any]" = weakref.WeakValueDictionary()


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


def track_generator(key: str, generator: Any) -> None:
    """Makes `generator.state` (a [seed, counter] Variable on the host) part of get_random_states()."""
    _generators[key] = generator


def get_random_states() -> dict:
    """Every random state training draws from: tinyfit's generator, NumPy's global one, Python's,
    and the live SeedGenerators'.

    BackupAndRestore saves these so a resumed run draws the same shuffles and
    dropout masks as the run it continues.
    """
    version, internal, gauss = _random.getstate()
    return {"tinyfit": _rng.bit_generator.state, "numpy": list(numpy.random.get_state()),
            "python": [version, list(internal), gauss],
            "seed_generators": {key: [int(v) for v in g.state.data] for key, g in list(_generators.items())}}


def set_random_states(states: dict) -> None:
    """Puts back states from get_random_states()."""
    _rng.bit_generator.state = states["tinyfit"]
    name, keys, position, has_gauss, cached = states["numpy"]
    numpy.random.set_state((name, numpy.asarray(keys, dtype=numpy.uint32), int(position), int(has_gauss),
                            float(cached)))
    version, internal, gauss = states["python"]
    _random.setstate((version, tuple(internal), gauss))
    # Generators made since the states were taken keep theirs; gone ones are skipped.
    for key, pair in states.get("seed_generators", {}).items():
        generator = _generators.get(key)
        if generator is not None:
            generator.state.data[...] = numpy.asarray(pair, dtype=generator.state.data.dtype)
