"""Neural-network ops: activations, softmax, normalization statistics, one-hot,
convolution, pooling and the cross-entropies (keras.ops.nn; Keras also lists
them at the top of keras.ops, and so does tinyfit)."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.ops import conv as _conv
from ..autograd.ops import nn as _nn
from ..autograd.ops import pool as _pool
from ..autograd.ops.elementwise import Clip, Relu, Sigmoid, Softplus
from ..autograd.tensor import Tensor
from ._core import TensorLike, _floating, _tensors, convert_to_tensor
from ._elementwise import (
    add, divide, erf, exp, greater, greater_equal, maximum, minimum, multiply, subtract, tanh, where,
)
from ._reduction import mean, norm, var
from ._shape import expand_dims
from ._symbolic import graph_node as _graph_node
from ._symbolic import symbolic as _symbolic

EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest norm `normalize` divides by


# ****************************************************************** activations
def relu(x: TensorLike) -> Tensor:
    """max(x, 0), element by element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(relu, x)
    return Relu.apply(convert_to_tensor(x))


def sigmoid(x: TensorLike) -> Tensor:
    """1 / (1 + exp(-x)), element by element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(sigmoid, x)
    return Sigmoid.apply(_floating(x))


def softplus(x: TensorLike) -> Tensor:
    """log(1 + exp(x)), element by element, without overflow."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(softplus, x)
    return Softplus.apply(_floating(x))


def relu6(x: TensorLike) -> Tensor:
    """min(max(x, 0), 6), element by element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(relu6, x)
    return Clip.apply(convert_to_tensor(x), low=0, high=6)


def leaky_relu(x: TensorLike, negative_slope: float = 0.2) -> Tensor:
    """x where x >= 0, negative_slope * x elsewhere."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(leaky_relu, x, negative_slope=negative_slope)
    x = _floating(x)
    return where(greater_equal(x, 0), x, multiply(x, negative_slope))


def elu(x: TensorLike, alpha: float = 1.0) -> Tensor:
    """x where x > 0, alpha * (exp(x) - 1) elsewhere."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(elu, x, alpha=alpha)
    x = _floating(x)
    # exp of the negative part only: exp(large x) would overflow, and its inf
    # times the zero gradient of the unused branch would give NaN.
    return where(greater(x, 0), x, multiply(subtract(exp(minimum(x, 0)), 1), alpha))


def silu(x: TensorLike) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(silu, x)
    x = _floating(x)
    return multiply(x, Sigmoid.apply(x))


def gelu(x: TensorLike, approximate: bool = True) -> Tensor:
    """x * P(X <= x) for a standard normal X: x * (1 + erf(x / sqrt(2))) / 2.

    With approximate=True (Keras's default), the tanh form
    x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))) / 2.
    """
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(gelu, x, approximate=approximate)
    x = _floating(x)
    if approximate:
        inner = multiply(add(x, multiply(multiply(x, multiply(x, x)), 0.044715)), math.sqrt(2 / math.pi))
        cdf = multiply(add(tanh(inner), 1), 0.5)
    else:
        cdf = multiply(add(erf(multiply(x, 1 / math.sqrt(2))), 1), 0.5)
    return multiply(x, cdf)


def log_sigmoid(x: TensorLike) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), without overflow."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(log_sigmoid, x)
    return -Softplus.apply(-_floating(x))


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


# ******************************************************* normalization statistics
def moments(x: TensorLike, axes: Any, keepdims: bool = False, synchronized: bool = False) -> tuple[Tensor, Tensor]:
    """The mean and the variance of `x` over `axes`, as a pair.

    `synchronized` matters only when training spreads over devices; tinyfit
    trains on one, so it changes nothing.
    """
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(moments, x, axes, keepdims=keepdims, synchronized=synchronized)
    x = _floating(x)
    axes = tuple(axes) if isinstance(axes, list) else axes
    return mean(x, axis=axes, keepdims=keepdims), var(x, axis=axes, keepdims=keepdims)


def normalize(x: TensorLike, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Tensor:
    """x / max(norm(x, order, axis), epsilon): each slice along `axis` scaled to norm 1."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(normalize, x, axis=axis, order=order, epsilon=epsilon)
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1 (1 for the L1 norm, 2 for L2), got {order!r}.")
    x = _floating(x)
    if x.ndim == 0:
        x = expand_dims(x, 0)
    size = norm(x, ord=order, axis=axis, keepdims=True)
    return divide(x, maximum(size, EPSILON if epsilon is None else epsilon))


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
