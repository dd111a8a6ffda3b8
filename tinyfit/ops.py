"""tinyfit.ops: the functions you write custom losses, metrics and layers with.

This namespace mirrors `keras.ops`: the same names, the same arguments, the same
defaults, so that code written as

    from tinyfit import ops
    def my_loss(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

reads exactly like its Keras original. Every function accepts Tensors, NumPy or
CuPy arrays, (nested) lists and Python numbers, and returns a Tensor (except
`convert_to_numpy`, and `where` with a condition alone, which gives a tuple of
index tensors), so gradients flow through all of them.

Each function is a thin wrapper. It turns its arguments into tensors, then calls
one primitive of the autograd engine (`tinyfit.autograd.ops`: those carry the
backward passes) or composes a few of them (`square`, `expand_dims`, `stack`,
`take`, ... need no backward of their own).

On the symbolic tensors of a model definition (`keras.Input` and what layers
compute from it) every function records a step of the graph instead of
computing: `model.add_loss(ops.sum(x1) * 0.1)` works as in Keras. This module
sits below the layers and cannot import them; it recognizes such tensors by a
method their class carries, `__tinyfit_symbolic_apply__(fn, args, kwargs)`, and
hands the call to it. A real Tensor skips that look with one isinstance check,
so the ops cost the same inside training steps.

The dtype rules are Keras's:
- integer and bool inputs stay integer/bool: `convert_to_tensor([1, 2])` is
  int32 (Keras's choice for Python ints) and an int64 NumPy array stays int64;
- Python floats and floating arrays become float32 unless `dtype` says otherwise;
- a Python number beside a tensor takes the tensor's dtype (`x * 2` stays float32);
- an integer tensor combined with a floating one is converted to the floating dtype;
- ops that only make sense on real numbers (`exp`, `log`, `mean`, `divide`,
  `softmax`, ...) compute integer inputs in float32.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy

from . import backend
from .autograd.ops import conv as _conv
from .autograd.ops import nn as _nn
from .autograd.ops import pool as _pool
from .autograd.ops.elementwise import (
    Abs, Add, Cast, Clip, Div, Exp, Log, Maximum, Minimum, Mul, Neg, Pow, PowConst, Relu,
    Sigmoid, Softplus, Sqrt, Sub, Tanh, Where, compare,
)
from .autograd.ops.linalg import MatMul
from .autograd.ops.reduce import Max, Min, Sum, arg, normalize_axis
from .autograd.ops.reduce import logsumexp as _logsumexp
from .autograd.ops.reduce import mean as _mean
from .autograd.ops.reduce import std as _std
from .autograd.ops.reduce import var as _var
from .autograd.ops.shape import Pad, Reshape, Transpose, _pad_width, getitem
from .autograd.ops.shape import concatenate as _concatenate
from .autograd.tensor import Tensor, as_dtype

TensorLike = Any  # a Tensor, a NumPy/CuPy array, a (nested) list or a Python number

__all__ = [
    # conversion and creation
    "convert_to_tensor", "convert_to_numpy", "cast", "stop_gradient",
    "zeros", "ones", "zeros_like", "ones_like",
    # arithmetic
    "add", "subtract", "multiply", "divide", "negative", "power", "square",
    "maximum", "minimum", "clip", "where", "matmul",
    # elementwise functions
    "sqrt", "abs", "exp", "log", "tanh", "sigmoid", "relu", "softplus",
    # comparisons
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    # reductions
    "sum", "mean", "max", "min", "var", "std", "argmax", "argmin", "logsumexp",
    # shapes
    "reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "pad",
    # indexing
    "take", "one_hot",
    # neural-network ops
    "softmax", "log_softmax", "conv", "max_pool", "average_pool",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
]

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


# ****************************************************** conversion and creation
def convert_to_tensor(x: TensorLike, dtype: Any = None, sparse: bool | None = None) -> Tensor:
    """`x` as a Tensor: a Tensor is returned as is (cast when `dtype` differs)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(convert_to_tensor, x, dtype=dtype, sparse=sparse)
    if sparse:
        raise ValueError(
            "convert_to_tensor: sparse=True is not supported; tinyfit tensors are always "
            "dense. Leave sparse=None."
        )
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == as_dtype(dtype, "convert_to_tensor") else cast(x, dtype)
    if isinstance(x, numpy.generic):  # a NumPy scalar keeps its dtype, as an array would
        x = numpy.asarray(x)
    if dtype is None and not backend.is_array(x):
        dtype = _python_dtype(x)
    return Tensor(x, dtype=dtype)


def convert_to_numpy(x: TensorLike) -> numpy.ndarray:
    """The values of `x` as a NumPy array (copied from the GPU when needed)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        raise TypeError(
            f"convert_to_numpy: {x!r} is a symbolic tensor of a model definition; it holds no values. "
            "Build the model with keras.Model(inputs, outputs), call it on data, then convert its outputs."
        )
    return backend.to_numpy(x.data if isinstance(x, Tensor) else x)


def cast(x: TensorLike, dtype: Any) -> Tensor:
    """`x` converted to `dtype`; gradients flow back through float-to-float casts."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(cast, x, dtype=dtype)
    return Cast.apply(convert_to_tensor(x), dtype=as_dtype(dtype, "cast"))


def stop_gradient(variable: TensorLike) -> Tensor:
    """The same values, treated as a constant: no gradient flows back through it."""
    if not isinstance(variable, Tensor) and _symbolic(variable):
        return _graph_node(stop_gradient, variable)
    return convert_to_tensor(variable).detach()


def zeros(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A new tensor of zeros (float32 unless `dtype` is given)."""
    return _filled(shape, 0, dtype, backend.default_device(), "zeros")


def ones(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A new tensor of ones (float32 unless `dtype` is given)."""
    return _filled(shape, 1, dtype, backend.default_device(), "ones")


def zeros_like(x: TensorLike, dtype: Any = None) -> Tensor:
    """Zeros with the shape, device and (unless `dtype` is given) dtype of `x`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(zeros_like, x, dtype=dtype)
    x = convert_to_tensor(x)
    return _filled(x.shape, 0, x.dtype if dtype is None else dtype, x.device, "zeros_like")


def ones_like(x: TensorLike, dtype: Any = None) -> Tensor:
    """Ones with the shape, device and (unless `dtype` is given) dtype of `x`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(ones_like, x, dtype=dtype)
    x = convert_to_tensor(x)
    return _filled(x.shape, 1, x.dtype if dtype is None else dtype, x.device, "ones_like")


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


def matmul(x1: TensorLike, x2: TensorLike) -> Tensor:
    """The matrix product x1 @ x2, with NumPy's rules for 1-D and batched operands."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(matmul, x1, x2)
    return MatMul.apply(*_tensors(x1, x2))


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


def sigmoid(x: TensorLike) -> Tensor:
    """1 / (1 + exp(-x)), element by element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(sigmoid, x)
    return Sigmoid.apply(_floating(x))


def relu(x: TensorLike) -> Tensor:
    """max(x, 0), element by element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(relu, x)
    return Relu.apply(convert_to_tensor(x))


def softplus(x: TensorLike) -> Tensor:
    """log(1 + exp(x)), element by element, without overflow."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(softplus, x)
    return Softplus.apply(_floating(x))


# ****************************************************************** comparisons
# Comparisons give bool tensors; they carry no gradient.
def equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 == x2, element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(equal, x1, x2)
    return compare("equal", *_tensors(x1, x2))


def not_equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 != x2, element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(not_equal, x1, x2)
    return compare("not_equal", *_tensors(x1, x2))


def greater(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 > x2, element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(greater, x1, x2)
    return compare("greater", *_tensors(x1, x2))


def greater_equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 >= x2, element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(greater_equal, x1, x2)
    return compare("greater_equal", *_tensors(x1, x2))


def less(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 < x2, element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(less, x1, x2)
    return compare("less", *_tensors(x1, x2))


def less_equal(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 <= x2, element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(less_equal, x1, x2)
    return compare("less_equal", *_tensors(x1, x2))


# ******************************************************************* reductions
def sum(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The sum over `axis` (an int, a tuple of ints, or None for all axes)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(sum, x, axis=axis, keepdims=keepdims)
    return Sum.apply(convert_to_tensor(x), axis=axis, keepdims=keepdims)


def mean(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The average over `axis`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(mean, x, axis=axis, keepdims=keepdims)
    return _mean(_floating(x), axis, keepdims)


def max(x: TensorLike, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:
    """The largest element over `axis`, and at least `initial` when it is given."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(max, x, axis=axis, keepdims=keepdims, initial=initial)
    x = convert_to_tensor(x)
    if initial is not None and x.size == 0:
        return _filled(_reduced_shape("max", x, axis, keepdims), initial, x.dtype, x.device, "max")
    out = Max.apply(x, axis=axis, keepdims=keepdims)
    return out if initial is None else maximum(out, initial)


def min(x: TensorLike, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:
    """The smallest element over `axis`, and at most `initial` when it is given."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(min, x, axis=axis, keepdims=keepdims, initial=initial)
    x = convert_to_tensor(x)
    if initial is not None and x.size == 0:
        return _filled(_reduced_shape("min", x, axis, keepdims), initial, x.dtype, x.device, "min")
    out = Min.apply(x, axis=axis, keepdims=keepdims)
    return out if initial is None else minimum(out, initial)


def var(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The variance over `axis` (divided by n, as NumPy does)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(var, x, axis=axis, keepdims=keepdims)
    return _var(_floating(x), axis, keepdims)


def std(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The standard deviation over `axis` (the square root of `var`)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(std, x, axis=axis, keepdims=keepdims)
    return _std(_floating(x), axis, keepdims)


def argmax(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The index of the largest element along `axis` (of the flattened tensor for None)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(argmax, x, axis=axis, keepdims=keepdims)
    return _arg("argmax", x, axis, keepdims)


def argmin(x: TensorLike, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The index of the smallest element along `axis` (of the flattened tensor for None)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(argmin, x, axis=axis, keepdims=keepdims)
    return _arg("argmin", x, axis, keepdims)


def logsumexp(x: TensorLike, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over `axis`, computed without overflow."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(logsumexp, x, axis=axis, keepdims=keepdims)
    return _logsumexp(_floating(x), axis, keepdims)


# *********************************************************************** shapes
def reshape(x: TensorLike, newshape: int | Sequence[int]) -> Tensor:
    """The same elements in a new shape; one size may be -1 (inferred)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(reshape, x, newshape=newshape)
    return Reshape.apply(convert_to_tensor(x), shape=_as_shape(newshape))


def transpose(x: TensorLike, axes: Sequence[int] | None = None) -> Tensor:
    """The axes permuted to `axes` (reversed when None)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(transpose, x, axes=axes)
    return Transpose.apply(convert_to_tensor(x), axes=None if axes is None else tuple(axes))


def expand_dims(x: TensorLike, axis: int | Sequence[int]) -> Tensor:
    """`x` with a new axis of size 1 at `axis` (or at each of several axes)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(expand_dims, x, axis=axis)
    x = convert_to_tensor(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    new = _new_axes("expand_dims", axes, x.ndim + len(axes), f"a tensor of shape {x.shape}")
    sizes = iter(x.shape)
    shape = tuple(1 if i in new else next(sizes) for i in range(x.ndim + len(new)))
    return Reshape.apply(x, shape=shape)


def squeeze(x: TensorLike, axis: int | Sequence[int] | None = None) -> Tensor:
    """`x` without its size-1 axes (only those in `axis`, when given)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(squeeze, x, axis=axis)
    x = convert_to_tensor(x)
    if axis is None:
        return Reshape.apply(x, shape=tuple(n for n in x.shape if n != 1))
    given = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = normalize_axis("squeeze", given, x.ndim)
    for a, i in zip(given, axes):
        if x.shape[i] != 1:
            raise ValueError(
                f"squeeze: cannot squeeze axis {a} of a tensor of shape {x.shape}: it has size "
                f"{x.shape[i]}, not 1. Choose an axis of size 1, or leave axis=None to drop "
                "every size-1 axis."
            )
    return Reshape.apply(x, shape=tuple(n for i, n in enumerate(x.shape) if i not in axes))


def concatenate(xs: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """The tensors `xs` joined along an existing `axis`."""
    if not isinstance(xs, Tensor) and _symbolic(xs):
        return _graph_node(concatenate, xs, axis=axis)
    return _concatenate(_tensors(*xs), axis=axis)


def stack(x: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """The tensors in `x`, all of one shape, joined along a new `axis`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(stack, x, axis=axis)
    tensors = _tensors(*x)
    if not tensors:
        raise ValueError("stack: needs at least one tensor.")
    first = tensors[0].shape
    for i, t in enumerate(tensors[1:], start=1):
        if t.shape != first:
            raise ValueError(
                f"stack: all tensors must have the same shape, but tensor 0 has shape {first} "
                f"and tensor {i} has shape {t.shape}. Reshape or pad them to one shape first "
                "(concatenate joins tensors that differ along the joining axis)."
            )
    (position,) = _new_axes("stack", (axis,), len(first) + 1, f"tensors of shape {first}")
    return _concatenate([expand_dims(t, position) for t in tensors], axis=position)


def pad(x: TensorLike, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    """`x` padded by (before, after) elements per axis.

    Modes: "constant" (fill with `constant_values`, default 0), "edge" (repeat
    the border value), "reflect" and "symmetric" (mirror, without and with the
    border value), "wrap" (continue from the other end).
    """
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(pad, x, pad_width=pad_width, mode=mode, constant_values=constant_values)
    x = convert_to_tensor(x)
    if mode == "constant":
        fill = 0 if constant_values is None else constant_values
        return Pad.apply(x, pad_width=pad_width, constant_values=fill)
    if mode not in _PAD_MODES:
        modes = ", ".join(map(repr, _PAD_MODES))
        raise ValueError(f"pad: unknown mode {mode!r}; tinyfit supports {modes}.")
    if constant_values is not None:
        raise ValueError(f"pad: constant_values is used only with mode='constant', not mode={mode!r}.")
    for axis, (before, after) in enumerate(_pad_width(pad_width, x.shape)):
        if before or after:
            # Which source element lands at each padded position: NumPy's pad of the positions.
            source = numpy.pad(numpy.arange(x.shape[axis]), (before, after), mode=mode)
            x = take(x, backend.to_device(source, x.device), axis=axis)
    return x


# ********************************************************************* indexing
def take(x: TensorLike, indices: TensorLike, axis: int | None = None) -> Tensor:
    """The elements of `x` at `indices` along `axis` (of the flattened `x` for None)."""
    if not (isinstance(x, Tensor) and isinstance(indices, Tensor)) and _symbolic(x, indices):
        return _graph_node(take, x, indices, axis=axis)
    x = convert_to_tensor(x)
    indices = convert_to_tensor(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"take: indices must be integers, got dtype {indices.dtype}. Cast them first, "
            "e.g. ops.cast(indices, 'int32')."
        )
    if axis is None:
        x, axis = Reshape.apply(x, shape=(-1,)), 0
    (axis,) = normalize_axis("take", axis, x.ndim)
    size = x.shape[axis]
    if indices.size:
        low, high = int(indices.data.min()), int(indices.data.max())
        bad = high if high >= size else low if low < -size else None
        if bad is not None:
            raise IndexError(
                f"take: index {bad} is out of bounds for axis {axis} of size {size}; valid "
                f"indices are {-size}..{size - 1}."
            )
    return getitem(x, (slice(None),) * axis + (indices,))


def one_hot(x: TensorLike, num_classes: int, axis: int = -1, dtype: Any = None,
            sparse: bool = False) -> Tensor:
    """Integer labels as one-hot vectors of length `num_classes` along a new `axis`."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(one_hot, x, num_classes=num_classes, axis=axis, dtype=dtype, sparse=sparse)
    if sparse:
        raise ValueError(
            "one_hot: sparse=True is not supported; tinyfit tensors are always dense. "
            "Leave sparse=False."
        )
    dtype = "float32" if dtype is None else dtype
    return _nn.one_hot(convert_to_tensor(x), num_classes, axis=axis, dtype=dtype)


# ************************************************************ neural-network ops
def softmax(x: TensorLike, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`: scores turned into probabilities."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(softmax, x, axis=axis)
    return _nn.softmax(_floating(x), axis=axis)


def log_softmax(x: TensorLike, axis: int = -1) -> Tensor:
    """log(softmax(x)) along `axis`, computed stably."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(log_softmax, x, axis=axis)
    return _nn.log_softmax(_floating(x), axis=axis)


def conv(inputs: TensorLike, kernel: TensorLike, strides: Any = 1, padding: str = "valid",
         data_format: str | None = None, dilation_rate: Any = 1) -> Tensor:
    """An N-D convolution (cross-correlation, as in Keras) of `inputs` with `kernel`."""
    if not (isinstance(inputs, Tensor) and isinstance(kernel, Tensor)) and _symbolic(inputs, kernel):
        return _graph_node(conv, inputs, kernel, strides=strides, padding=padding, data_format=data_format,
                           dilation_rate=dilation_rate)
    inputs, kernel = _tensors(inputs, kernel)
    return _conv.conv(inputs, kernel, strides=strides, padding=padding,
                      data_format=data_format, dilation_rate=dilation_rate)


def max_pool(inputs: TensorLike, pool_size: Any, strides: Any = None, padding: str = "valid",
             data_format: str | None = None) -> Tensor:
    """The largest value in each `pool_size` window."""
    if not isinstance(inputs, Tensor) and _symbolic(inputs):
        return _graph_node(max_pool, inputs, pool_size=pool_size, strides=strides, padding=padding,
                           data_format=data_format)
    return _pool.max_pool(convert_to_tensor(inputs), pool_size, strides=strides, padding=padding,
                          data_format=data_format)


def average_pool(inputs: TensorLike, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None) -> Tensor:
    """The mean of each `pool_size` window."""
    if not isinstance(inputs, Tensor) and _symbolic(inputs):
        return _graph_node(average_pool, inputs, pool_size=pool_size, strides=strides, padding=padding,
                           data_format=data_format)
    return _pool.average_pool(_floating(inputs), pool_size, strides=strides, padding=padding,
                              data_format=data_format)


def categorical_crossentropy(target: TensorLike, output: TensorLike, from_logits: bool = False,
                             axis: int = -1) -> Tensor:
    """Cross-entropy between one-hot targets and predictions: one loss per sample."""
    if not (isinstance(target, Tensor) and isinstance(output, Tensor)) and _symbolic(target, output):
        return _graph_node(categorical_crossentropy, target, output, from_logits=from_logits, axis=axis)
    target, output = _tensors(target, output)
    return _nn.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target: TensorLike, output: TensorLike, from_logits: bool = False,
                                    axis: int = -1) -> Tensor:
    """Cross-entropy between integer class labels and predictions: one loss per sample."""
    if not (isinstance(target, Tensor) and isinstance(output, Tensor)) and _symbolic(target, output):
        return _graph_node(sparse_categorical_crossentropy, target, output, from_logits=from_logits,
                           axis=axis)
    return _nn.sparse_categorical_crossentropy(convert_to_tensor(target), _floating(output),
                                               from_logits=from_logits, axis=axis)


def binary_crossentropy(target: TensorLike, output: TensorLike, from_logits: bool = False) -> Tensor:
    """Binary cross-entropy of each element (no reduction)."""
    if not (isinstance(target, Tensor) and isinstance(output, Tensor)) and _symbolic(target, output):
        return _graph_node(binary_crossentropy, target, output, from_logits=from_logits)
    target, output = _tensors(target, output)
    return _nn.binary_crossentropy(target, output, from_logits=from_logits)


# ********************************************************************** helpers
def _is_python_scalar(x: Any) -> bool:
    """A Python bool, int or float: Keras's "weak" types, which take the dtype of a tensor
    beside them. Bools count here (unlike `backend.is_number`): True beside a bool tensor
    stays a bool."""
    return isinstance(x, (bool, int, float))


def _python_dtype(x: Any) -> str | None:
    """Keras's dtype for Python data: bool stays bool, ints become int32, floats float32 (None)."""
    return {"b": "bool", "i": "int32", "u": "int32"}.get(numpy.asarray(x).dtype.kind)


def _floating(x: TensorLike) -> Tensor:
    """`x` as a tensor, in float32 when it holds integers or bools."""
    x = convert_to_tensor(x)
    return x if x.dtype.kind == "f" else cast(x, "float32")


def _tensors(*values: TensorLike) -> list[Tensor]:
    """The operands of one op as tensors of a common kind.

    Python numbers take the dtype of a tensor beside them (a float one first)
    when that dtype can hold them, as Keras's "weak" Python types do; integer
    tensors mixed with floating ones are converted to the floating dtype.
    """
    first = values[0] if values else None
    if isinstance(first, Tensor) and all(isinstance(v, Tensor) and v.dtype == first.dtype for v in values[1:]):
        return list(values)  # the usual case: tensors of one dtype, nothing to convert
    tensors = [None if _is_python_scalar(v) else convert_to_tensor(v) for v in values]
    given = [t for t in tensors if t is not None]
    floats = [t for t in given if t.dtype.kind == "f"]
    like = floats[0] if floats else given[0] if given else None
    tensors = [t if t is not None else _number_beside(v, like) for t, v in zip(tensors, values)]
    float_dtypes = [t.dtype for t in tensors if t.dtype.kind == "f"]
    if float_dtypes:
        target = numpy.result_type(*float_dtypes)
        tensors = [t if t.dtype.kind == "f" else cast(t, target) for t in tensors]
    return tensors


def _number_beside(value: bool | int | float, like: Tensor | None) -> Tensor:
    if like is None:
        return convert_to_tensor(value)
    holds = {"f": (int, float), "i": (int,), "u": (int,), "b": (bool,)}[like.dtype.kind]
    dtype = like.dtype if isinstance(value, holds) else None
    return convert_to_tensor(value, dtype=dtype).to(like.device)


def _filled(shape: Any, value: Any, dtype: Any, device: str, op: str) -> Tensor:
    dtype = as_dtype("float32" if dtype is None else dtype, op)
    return Tensor._make(backend.module_for(device).full(_as_shape(shape), value, dtype=dtype), False)


def _as_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(shape)


def _reduced_shape(op: str, x: Tensor, axis: Any, keepdims: bool) -> tuple[int, ...]:
    """The shape a reduction of `x` over `axis` has."""
    axes = normalize_axis(op, axis, x.ndim)
    axes = range(x.ndim) if axes is None else axes
    return tuple(1 if i in axes else n for i, n in enumerate(x.shape) if keepdims or i not in axes)


def _new_axes(op: str, axes: tuple, ndim: int, what: str) -> tuple[int, ...]:
    """Positions of new axes in a result with `ndim` axes, checked and made non-negative."""
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int) or not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {a!r} is out of range for {what}: the result has {ndim} axes, so "
                f"the new axis must lie in {-ndim}..{ndim - 1}."
            )
    positions = tuple(a % ndim for a in axes)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{op}: axis {axes!r} names the same position twice.")
    return positions


def _arg(op: str, x: TensorLike, axis: int | None, keepdims: bool) -> Tensor:
    x = convert_to_tensor(x)
    out = arg(op, x, axis)
    if not keepdims:
        return out
    return Reshape.apply(out, shape=(1,) * x.ndim) if axis is None else expand_dims(out, axis)


# ************************************************************ symbolic tensors
# What each class of argument is, remembered per class: looking a class up once
# keeps the check cheap for the numbers and arrays passed beside tensors.
_PLAIN, _SYMBOLIC, _CONTAINER = 0, 1, 2
_KINDS: dict[type, int] = {}
_HOOK = "__tinyfit_symbolic_apply__"


def _kind(cls: type) -> int:
    kind = _KINDS.get(cls)
    if kind is None:
        kind = (_SYMBOLIC if callable(getattr(cls, _HOOK, None))
                else _CONTAINER if issubclass(cls, (list, tuple, dict)) else _PLAIN)
        _KINDS[cls] = kind
    return kind


def _symbolic_leaf(values: Any) -> Any:
    """The first argument (looking inside lists, tuples and dicts) that is a symbolic tensor, or None."""
    for value in values:
        kind = _KINDS.get(value.__class__)
        if kind == _PLAIN:
            continue
        if kind is None:
            kind = _kind(value.__class__)
        if kind == _SYMBOLIC:
            return value
        if kind == _CONTAINER:
            found = _symbolic_leaf(value.values() if isinstance(value, dict) else value)
            if found is not None:
                return found
    return None


def _symbolic(*values: Any) -> bool:
    """Whether any argument is (or holds) a symbolic tensor of a model definition."""
    for value in values:  # numbers and arrays beside a tensor: one dict look-up each
        if _KINDS.get(value.__class__) != _PLAIN:
            return _symbolic_leaf(values) is not None
    return False


def _graph_node(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` recorded in the model definition its symbolic argument belongs to."""
    leaf = _symbolic_leaf((args, kwargs))
    return getattr(leaf, _HOOK)(fn, args, kwargs)
