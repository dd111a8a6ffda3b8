"""tinyfit: a deep-learning toolkit a class can read end to end."""

from . import backend
from .autograd import Scalar, Tensor, Variable, enable_grad, no_grad

__version__ = "0.1.0"

__all__ = ["Scalar", "Tensor", "Variable", "no_grad", "enable_grad", "backend"]
