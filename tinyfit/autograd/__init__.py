"""tinyfit's autograd engines: Scalar (lesson 1) and Tensor (everything else)."""

from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .scalar import Scalar
from .tensor import Tensor
from .variable import Variable

__all__ = ["Scalar", "Tensor", "Variable", "no_grad", "enable_grad", "is_grad_enabled"]
