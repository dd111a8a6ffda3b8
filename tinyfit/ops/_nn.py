"""Neural-network ops: activations, softmax, normalization statistics, one-hot,
convolution, pooling and the cross-entropies (keras.ops.nn; Keras also lists
them at the top of keras.ops, and so does tinyfit)."""

from __future__ import annotations

import math

import numpy
from typing import Any

from ..autograd.ops import conv as _conv
from ..autograd.ops import conv_transpose as _conv_transpose
from ..autograd.ops import nn as _nn
from ..autograd.ops import pool as _pool
from ..autograd.ops.elementwise import Clip, Relu, Sigmoid, Softplus
from ..autograd.tensor import Tensor
from ._core import TensorLike, _floating, _tensors, convert_to_tensor
from ._linalg import einsum
from ._elementwise import (
    abs, add, divide, erf, exp, minimum, multiply, subtract, tanh, where,
)
from ._comparison import greater, greater_equal, logical_and
from ._symbolic import graph_node as _graph_node
from ._symbolic import symbolic as _symbolic

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


def swish(x: TensorLike) -> Tensor:
    """x * sigmoid(x) (the same as `silu`)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(swish, x)
    return silu(x)


def selu(x: TensorLike) -> Tensor:
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al. (2017)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(selu, x)
    return multiply(elu(x, alpha=1.6732632423543772), 1.0507009873554805)


def softsign(x: TensorLike) -> Tensor:
    """x / (1 + |x|), element by element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(softsign, x)
    x = _floating(x)
    return divide(x, add(abs(x), 1))


def hard_sigmoid(x: TensorLike) -> Tensor:
    """A piecewise-linear sigmoid: clip(x / 6 + 0.5, 0, 1)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(hard_sigmoid, x)
    return Clip.apply(add(multiply(_floating(x), 1 / 6), 0.5), low=0, high=1)


def hard_silu(x: TensorLike) -> Tensor:
    """x * hard_sigmoid(x)."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(hard_silu, x)
    x = _floating(x)
    return multiply(x, hard_sigmoid(x))


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


# ******************************************************************** attention
def dot_product_attention(query: TensorLike, key: TensorLike, value: TensorLike, bias: TensorLike = None,
                          mask: TensorLike = None, scale: float | None = None, is_causal: bool = False,
                          flash_attention: bool | None = None,
                          attn_logits_soft_cap: float | None = None) -> Tensor:
    """softmax(query . key * scale + bias) . value, over (batch, length, heads, head_dim) tensors.

    `mask` (True where a query may look at a key) broadcasts to (batch, heads,
    query length, key length); `is_causal` also hides the keys after each query.
    `scale` defaults to 1 / sqrt(head_dim). `attn_logits_soft_cap` bounds the
    scores smoothly to (-cap, cap) with cap * tanh(score / cap).
    """
    if _symbolic(query, key, value, bias, mask):
        return _graph_node(dot_product_attention, query, key, value, bias=bias, mask=mask, scale=scale,
                           is_causal=is_causal, flash_attention=flash_attention,
                           attn_logits_soft_cap=attn_logits_soft_cap)
    if flash_attention:
        raise ValueError("dot_product_attention: flash_attention=True needs a fused GPU kernel tinyfit does not "
                         "have; leave it None or False.")
    q, k, v = _tensors(query, key, value)
    if not q.ndim == k.ndim == v.ndim == 4 or k.shape != v.shape or q.shape[::2] != k.shape[::2] \
            or q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"dot_product_attention: query {q.shape}, key {k.shape} and value {v.shape} must be 4-D "
            "(batch, length, heads, head_dim), with one batch size, number of heads and head_dim; key and "
            "value must have one shape."
        )
    scale = 1 / math.sqrt(k.shape[-1]) if scale is None else scale
    logits = multiply(einsum("btnh,bsnh->bnts", q, k), scale)
    if attn_logits_soft_cap is not None:
        logits = multiply(tanh(divide(logits, attn_logits_soft_cap)), attn_logits_soft_cap)
    if bias is not None:
        logits = add(logits, bias)
    keep = None if mask is None else convert_to_tensor(mask)
    if is_causal:
        causal = Tensor(numpy.tril(numpy.ones(logits.shape[-2:], dtype=bool))).to(logits.device)
        keep = causal if keep is None else logical_and(keep, causal)
    if keep is not None:
        # Hidden scores get the dtype's lowest value, not -inf: a query that sees no key
        # then spreads its attention evenly instead of giving NaN.
        logits = where(keep, logits, float(numpy.finfo(logits.dtype).min))
    return einsum("bnts,bsnh->btnh", softmax(logits, axis=-1), v)


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


def conv_transpose(inputs: TensorLike, kernel: TensorLike, strides: Any = 1, padding: str = "valid",
                   output_padding: Any = None, data_format: str | None = None, dilation_rate: Any = 1) -> Tensor:
    """The transposed convolution: what `conv` with the same kernel sends back to its input.

    `kernel` has the shape (*kernel_size, filters, in_channels), as Keras stores it.
    """
    if not (isinstance(inputs, Tensor) and isinstance(kernel, Tensor)) and _symbolic(inputs, kernel):
        return _graph_node(conv_transpose, inputs, kernel, strides=strides, padding=padding,
                           output_padding=output_padding, data_format=data_format, dilation_rate=dilation_rate)
    inputs, kernel = _tensors(inputs, kernel)
    return _conv_transpose.conv_transpose(inputs, kernel, strides=strides, padding=padding,
                                          output_padding=output_padding, data_format=data_format,
                                          dilation_rate=dilation_rate)


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
