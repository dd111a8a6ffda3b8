"""tinyfit: a deep-learning toolkit a class can read end to end."""

from . import backend
from .autograd import Tensor, Variable, enable_grad, no_grad

__version__ = "0.1.0"

__all__ = ["Tensor", "Variable", "no_grad", "enable_grad", "backend"]
