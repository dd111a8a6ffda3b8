"""Random numbers, as `keras.random` has them: seeded draws and random ops on tensors.

    SeedGenerator       a seed that moves on after each draw (_seed_generator.py)
    normal, uniform, truncated_normal, randint, gamma, binomial, beta
                        new tensors drawn from a distribution (_distributions.py)
    dropout             zeroes a random fraction of a tensor, differentiably (_dropout.py)
    shuffle             a tensor's slices along an axis in random order (_shuffle.py)
    categorical         class indices drawn from softmax(logits) (_categorical.py)

Every function takes `seed=`: an int gives the same values on every call, a
SeedGenerator new values on every call, None the next values of tinyfit's
global generator (reset by `tinyfit.utils.set_random_seed`). Values are drawn
by NumPy on the host and moved to the device, so a seed gives the same numbers
on CPU and GPU (and the same as Keras's NumPy backend). Each draw is an op, so
a compiled training step draws new values on every step.
"""

from ._categorical import categorical
from ._distributions import beta, binomial, gamma, normal, randint, truncated_normal, uniform
from ._dropout import dropout
from ._seed_generator import SeedGenerator
from ._shuffle import shuffle

__all__ = [
    "SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "gamma", "binomial", "beta",
    "dropout", "shuffle", "categorical",
]


def __dir__() -> list[str]:
    # Tab completion shows the API, not the files it is written in.
    return sorted(__all__)
