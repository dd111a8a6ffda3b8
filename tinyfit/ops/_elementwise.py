"""Elementwise maths: arithmetic and the functions of one tensor.

Binary ops broadcast like NumPy. `sign`, `round`, `floor` and `ceil` have a
gradient of zero, as in Keras.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.ops.elementwise import (
    Abs, Add, Clip, Div, Exp, Log, Maximum, Minimum, Mul, Neg, Pow, PowConst, Sqrt, Sub, Tanh, Where,
    _quiet, broadcast_error, compare,
)
from ..autograd.ops.special import Cos, Erf, Expm1, Log1p, Rounding, Sin
from ..autograd.tensor import Tensor
from ._core import TensorLike, _floating, _is_python_scalar, _tensors, cast, convert_to_tensor
from ._symbolic import graph_node as _graph_node
from ._symbolic import symbolic as _symbolic


# ******************************************************************* arithmetic
def add(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 + x2, broadcasting."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(add, x1, x2)
    return Add.apply(*_tensors(x1, x2))


def subtract(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 - x2, broadcasting."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(subtract, x1, x2)
    return Sub.apply(*_tensors(x1, x2))


def multiply(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 * x2, broadcasting."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(multiply, x1, x2)
    return Mul.apply(*_tensors(x1, x2))


def divide(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 / x2, broadcasting; integer operands are divided in float32."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(divide, x1, x2)
    a, b = _tensors(x1, x2)
    if a.dtype.kind != "f":  # _tensors made both float if either was
        a, b = cast(a, "float32"), cast(b, "float32")
    return Div.apply(a, b)


def negative(x: TensorLike) -> Tensor:
    """-x."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(negative, x)
    return Neg.apply(convert_to_tensor(x))


def power(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 ** x2, broadcasting."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(power, x1, x2)
    if _is_python_scalar(x2) and not isinstance(x2, bool):
        base = convert_to_tensor(x1)
        if base.dtype.kind == "f":  # the common case: a float tensor to a fixed power
            return PowConst.apply(base, exponent=x2)
    return Pow.apply(*_tensors(x1, x2))


def square(x: TensorLike) -> Tensor:
    """x * x."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(square, x)
    x = convert_to_tensor(x)
    return Mul.apply(x, x)


def maximum(x1: TensorLike, x2: TensorLike) -> Tensor:
    """The larger of x1 and x2, element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(maximum, x1, x2)
    return Maximum.apply(*_tensors(x1, x2))


def minimum(x1: TensorLike, x2: TensorLike) -> Tensor:
    """The smaller of x1 and x2, element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(minimum, x1, x2)
    return Minimum.apply(*_tensors(x1, x2))


def clip(x: TensorLike, x_min: TensorLike, x_max: TensorLike) -> Tensor:
    """`x` limited to [x_min, x_max], in the dtype of `x`."""
    if _symbolic(x, x_min, x_max):
        return _graph_node(clip, x, x_min, x_max)
    x = convert_to_tensor(x)
    if _is_python_scalar(x_min) and _is_python_scalar(x_max):
        out = Clip.apply(x, low=x_min, high=x_max)
    else:  # tensor bounds may need gradients too: build clip from maximum and minimum
        out = minimum(maximum(x, x_min), x_max)
    return out if out.dtype == x.dtype else cast(out, x.dtype)  # Keras keeps x's dtype


def where(condition: TensorLike, x1: TensorLike = None, x2: TensorLike = None) -> Tensor | tuple:
    """`x1` where `condition` holds, `x2` elsewhere; with neither, the indices where it holds."""
    if _symbolic(condition, x1, x2):
        return _graph_node(where, condition, x1, x2)
    condition = convert_to_tensor(condition)
    if condition.dtype.kind != "b":
        condition = compare("not_equal", condition, 0)
    if x1 is None and x2 is None:
        return tuple(Tensor(i) for i in backend.array_module(condition.data).nonzero(condition.data))
    if x1 is None or x2 is None:
        missing = "x1" if x1 is None else "x2"
        raise ValueError(
            f"where: {missing} is None but the other value is given. Pass both x1 (the values "
            "where condition holds) and x2 (the values elsewhere), or neither to get the "
            "indices where condition holds."
        )
    return Where.apply(condition, *_tensors(x1, x2))


def mod(x1: TensorLike, x2: TensorLike) -> Tensor:
    """The remainder of x1 / x2, with the sign of x2 (as Python's % and NumPy's mod)."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(mod, x1, x2)
    a, b = _tensors(x1, x2)
    if a.dtype.kind != "f":
        return _integer_division("mod", a, b)
    # x1 - x2 * floor(x1 / x2): the floor is constant piecewise, so d/dx1 = 1, d/dx2 = -floor.
    quotient = Rounding.apply(Div.apply(a.detach(), b.detach()), how="floor")
    return Sub.apply(a, Mul.apply(b, quotient))


def true_divide(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 / x2, broadcasting (the same as `divide`)."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(true_divide, x1, x2)
    return divide(x1, x2)


def floor_divide(x1: TensorLike, x2: TensorLike) -> Tensor:
    """floor(x1 / x2): integers stay integers, floats give whole floats (zero gradient)."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(floor_divide, x1, x2)
    a, b = _tensors(x1, x2)
    if a.dtype.kind != "f":
        return _integer_division("floor_divide", a, b)
    return Rounding.apply(Div.apply(a, b), how="floor")


def reciprocal(x: TensorLike) -> Tensor:
    """1 / x, element by element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(reciprocal, x)
    return divide(1.0, _floating(x))


# ******************************************************** elementwise functions
def sqrt(x: TensorLike) -> Tensor:
    """The square root of each element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(sqrt, x)
    return Sqrt.apply(_floating(x))


def abs(x: TensorLike) -> Tensor:
    """The absolute value of each element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(abs, x)
    return Abs.apply(convert_to_tensor(x))


def exp(x: TensorLike) -> Tensor:
    """e to the power of each element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(exp, x)
    return Exp.apply(_floating(x))


def log(x: TensorLike) -> Tensor:
    """The natural logarithm of each element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(log, x)
    return Log.apply(_floating(x))


def tanh(x: TensorLike) -> Tensor:
    """The hyperbolic tangent of each element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(tanh, x)
    return Tanh.apply(_floating(x))


def rsqrt(x: TensorLike) -> Tensor:
    """1 / sqrt(x), element by element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(rsqrt, x)
    return divide(1.0, Sqrt.apply(_floating(x)))


def absolute(x: TensorLike) -> Tensor:
    """The absolute value of each element (the same as `abs`)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(absolute, x)
    return Abs.apply(convert_to_tensor(x))


def log1p(x: TensorLike) -> Tensor:
    """log(1 + x), accurate for x near 0."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(log1p, x)
    return Log1p.apply(_floating(x))


def expm1(x: TensorLike) -> Tensor:
    """exp(x) - 1, accurate for x near 0."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(expm1, x)
    return Expm1.apply(_floating(x))


def log2(x: TensorLike) -> Tensor:
    """The base-2 logarithm of each element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(log2, x)
    return Mul.apply(Log.apply(_floating(x)), 1 / math.log(2))


def log10(x: TensorLike) -> Tensor:
    """The base-10 logarithm of each element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(log10, x)
    return Mul.apply(Log.apply(_floating(x)), 1 / math.log(10))


def sin(x: TensorLike) -> Tensor:
    """The sine of each element (in radians)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(sin, x)
    return Sin.apply(_floating(x))


def cos(x: TensorLike) -> Tensor:
    """The cosine of each element (in radians)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(cos, x)
    return Cos.apply(_floating(x))


def erf(x: TensorLike) -> Tensor:
    """The error function of each element (accurate to about 1e-7)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(erf, x)
    return Erf.apply(_floating(x))


def sign(x: TensorLike) -> Tensor:
    """-1, 0 or 1: the sign of each element, in the dtype of `x`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(sign, x)
    return Rounding.apply(convert_to_tensor(x), how="sign")


def round(x: TensorLike, decimals: int = 0) -> Tensor:
    """Each element rounded to `decimals` places, halves to even (as NumPy)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(round, x, decimals=decimals)
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}.")
    return Rounding.apply(convert_to_tensor(x), how="round", decimals=decimals)


def floor(x: TensorLike) -> Tensor:
    """The largest whole number not above each element (as a float tensor)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(floor, x)
    return Rounding.apply(_floating(x), how="floor")


def ceil(x: TensorLike) -> Tensor:
    """The smallest whole number not below each element (as a float tensor)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(ceil, x)
    return Rounding.apply(_floating(x), how="ceil")


def _integer_division(op: str, a: Tensor, b: Tensor) -> Tensor:
    """mod or floor_divide of integer tensors: exact, no gradient, and 0 where b is 0 (as NumPy)."""
    try:
        backend.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(op, a.shape, b.shape) from None
    xp = backend.array_module(a.data)
    with _quiet(xp):
        return Tensor._make(getattr(xp, op)(a.data, b.data), False)
