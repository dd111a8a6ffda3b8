"""tinyfit: a deep-learning toolkit a class can read end to end.

The engine (Scalar, Tensor) is written from scratch on NumPy (CuPy on a GPU);
on top of it sits a Keras-style API, so Keras code runs with
`import tinyfit as keras` and `from tinyfit import layers, ops`.
"""

import importlib as _importlib

from . import backend, config, tree
from .autograd import Scalar, Tensor, Variable, enable_grad, no_grad
from . import ops
from . import random
from . import activations, initializers, regularizers
from . import layers
from . import losses, metrics, optimizers, callbacks
from . import models
from . import data, datasets, utils
# keras.utils.PyDataset and the other data helpers, where Keras users look for them (utils/__init__.py says why here).
for _name, _module in utils.DATA_NAMES.items():
    setattr(utils, _name, getattr(_importlib.import_module(f".data.{_module}", __name__), _name))
del _name, _module, _importlib
from . import saving
from .layers import Input
from .models import Model, Sequential
from .version import __version__

__all__ = [
    "Scalar", "Tensor", "Variable", "no_grad", "enable_grad", "backend", "config", "tree",
    "ops", "random", "activations", "initializers", "regularizers", "layers", "losses", "metrics",
    "optimizers", "callbacks", "models", "data", "datasets", "utils", "saving",
    "Input", "Model", "Sequential",
]
