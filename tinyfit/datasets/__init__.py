"""Datasets with the same loaders as `keras.datasets`, and data made on the spot for lessons.

    mnist            handwritten digits (datasets/mnist.npz)
    shakespeare      six tragedies as one text, for character-level models (datasets/shakespeare_tragedies.txt)
    sequence_tasks   seeded synthetic tasks: addition, copying, sorting
"""

from . import mnist, sequence_tasks, shakespeare

__all__ = ["mnist", "sequence_tasks", "shakespeare"]

from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
