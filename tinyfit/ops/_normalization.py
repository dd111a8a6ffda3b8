"""Normalization: the statistics (moments), and the normalizations that layers
compute from them (batch, layer and RMS normalization), all built from reductions
and arithmetic, so gradients flow through the statistics too."""

from __future__ import annotations

from typing import Any

from ..autograd.ops.reduce import normalize_axis
from ..autograd.tensor import Tensor
from ._core import TensorLike, _floating, convert_to_tensor
from ._elementwise import add, divide, maximum, multiply, rsqrt, square, subtract
from ._reduction import mean, norm, var
from ._shape import expand_dims, reshape
from ._symbolic import graph_node as _graph_node
from ._symbolic import symbolic as _symbolic

EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest norm `normalize` divides by


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


def batch_normalization(x: TensorLike, mean: TensorLike, variance: TensorLike, axis: int,
                        offset: TensorLike = None, scale: TensorLike = None, epsilon: float = 1e-3) -> Tensor:
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, with the statistics given
    per element of `axis` (vectors of the size of that axis)."""
    if _symbolic(x, mean, variance, offset, scale):
        return _graph_node(batch_normalization, x, mean, variance, axis, offset=offset, scale=scale,
                           epsilon=epsilon)
    x = _floating(x)
    (axis,) = _axes("batch_normalization", axis, x.ndim)
    along = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))

    def per_channel(name: str, value: TensorLike) -> Tensor:
        value = convert_to_tensor(value)
        if value.shape not in ((x.shape[axis],), along):
            raise ValueError(f"batch_normalization: {name} has shape {value.shape}; it needs one value per "
                             f"element of axis {axis} of x (shape {x.shape}): shape ({x.shape[axis]},).")
        return reshape(value, along)

    out = multiply(subtract(x, per_channel("mean", mean)), rsqrt(add(per_channel("variance", variance), epsilon)))
    if scale is not None:
        out = multiply(out, per_channel("scale", scale))
    if offset is not None:
        out = add(out, per_channel("offset", offset))
    return out


def layer_normalization(x: TensorLike, gamma: TensorLike = None, beta: TensorLike = None, axis: Any = -1,
                        epsilon: float | None = None, **kwargs: Any) -> Tensor:
    """Each sample normalized over `axis` to mean 0 and variance 1, then times gamma plus beta.

    With rms_scaling=True, divides by the root of the variance alone, as Keras does.
    """
    if _symbolic(x, gamma, beta):
        return _graph_node(layer_normalization, x, gamma=gamma, beta=beta, axis=axis, epsilon=epsilon, **kwargs)
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected keyword argument(s) {sorted(kwargs)}; the options are "
                        "gamma, beta, axis, epsilon and rms_scaling.")
    x = _floating(x)
    axes = _axes("layer_normalization", axis, x.ndim)
    epsilon = EPSILON if epsilon is None else epsilon
    inverse = rsqrt(add(var(x, axis=axes, keepdims=True), epsilon))
    out = multiply(x, inverse) if rms_scaling else multiply(subtract(x, mean(x, axis=axes, keepdims=True)), inverse)
    kept = tuple(n if i in axes else 1 for i, n in enumerate(x.shape))
    if gamma is not None:
        out = multiply(out, reshape(gamma, kept))
    if beta is not None and not rms_scaling:
        out = add(out, reshape(beta, kept))
    return out


def rms_normalization(x: TensorLike, scale: TensorLike = None, axis: Any = -1, epsilon: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + epsilon) over `axis`, times `scale` when given."""
    if _symbolic(x, scale):
        return _graph_node(rms_normalization, x, scale=scale, axis=axis, epsilon=epsilon)
    x = _floating(x)
    if x.ndim == 0:
        x = expand_dims(x, 0)
    axes = _axes("rms_normalization", axis, x.ndim)
    epsilon = EPSILON if epsilon is None else epsilon
    out = multiply(x, rsqrt(add(mean(square(x), axis=axes, keepdims=True), epsilon)))
    return out if scale is None else multiply(out, scale)


def _axes(op: str, axis: Any, ndim: int) -> tuple[int, ...]:
    return normalize_axis(op, tuple(axis) if isinstance(axis, list) else axis, ndim) or tuple(range(ndim))
