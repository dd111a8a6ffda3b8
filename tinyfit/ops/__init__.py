"""tinyfit.ops: the functions you write custom losses, metrics and layers with.

This namespace mirrors `keras.ops`: the same names, the same arguments, the same
defaults, so that code written as

    from tinyfit import ops
    def my_loss(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

reads exactly like its Keras original. Every function accepts Tensors, NumPy or
CuPy arrays, (nested) lists and Python numbers, and returns a Tensor (except
`shape` and `convert_to_numpy`, and the pairs and lists that `moments`, `top_k`,
`split` and `where` with a condition alone give), so gradients flow through all
of them wherever Keras's do.

Each function is a thin wrapper. It turns its arguments into tensors, then calls
one primitive of the autograd engine (`tinyfit.autograd.ops`: those carry the
backward passes) or composes a few of them (`square`, `stack`, `tile`, `gelu`,
`norm`, ... need no backward of their own). The functions live in files by
family, and this package shows them all in one flat namespace, as Keras does:

    _core.py          conversion, dtypes, shapes, new tensors (zeros, full, arange, eye, ...)
    _elementwise.py   arithmetic and functions of one tensor
    _comparison.py    comparisons, isnan/isinf/isfinite, logic
    _reduction.py     sum, mean, max, ..., prod, any, all, norm, cumsum, sort, top_k, segments
    _shape.py         reshape, transpose, join, split, tile, repeat, flip, pad, ...
    _indexing.py      slice, take, take_along_axis, tril, triu, roll, diff
    _linalg.py        matmul, dot, einsum, outer, tensordot
    _nn.py            activations, softmax, attention, one_hot, conv, pooling, the cross-entropies
    _normalization.py moments, normalize, batch/layer/RMS normalization
    _symbolic.py      how an op called on keras.Input joins the model's graph

On the symbolic tensors of a model definition (`keras.Input` and what layers
compute from it) every function records a step of the graph instead of
computing: `model.add_loss(ops.sum(x1) * 0.1)` works as in Keras.

The dtype rules are Keras's:
- integer and bool inputs stay integer/bool: `convert_to_tensor([1, 2])` is
  int32 (Keras's choice for Python ints) and an int64 NumPy array stays int64;
- Python floats and floating arrays become float32 unless `dtype` says otherwise;
- a Python number beside a tensor takes the tensor's dtype (`x * 2` stays float32);
- an integer tensor combined with a floating one is converted to the floating dtype;
- ops that only make sense on real numbers (`exp`, `log`, `mean`, `divide`,
  `softmax`, ...) compute integer inputs in float32.
"""

from ._comparison import (
    equal, greater, greater_equal, isfinite, isinf, isnan, less, less_equal, logical_and, logical_not,
    logical_or, logical_xor, not_equal,
)
from ._core import (
    arange, cast, convert_to_numpy, convert_to_tensor, dtype, empty, eye, full, full_like, identity,
    is_tensor, linspace, ndim, ones, ones_like, shape, size, stop_gradient, zeros, zeros_like,
)
from ._elementwise import (
    abs, absolute, add, ceil, clip, cos, divide, erf, exp, expm1, floor, floor_divide, log, log1p, log2,
    log10, maximum, minimum, mod, multiply, negative, power, reciprocal, round, rsqrt, sign, sin, sqrt,
    square, subtract, tanh, true_divide, where,
)
from ._indexing import diff, roll, slice, take, take_along_axis, tril, triu
from ._linalg import dot, einsum, matmul, outer, tensordot
from ._nn import (
    average_pool, binary_crossentropy, categorical_crossentropy, conv, conv_transpose, dot_product_attention,
    elu, gelu, hard_sigmoid, hard_silu, leaky_relu, log_sigmoid, log_softmax, max_pool, one_hot, relu, relu6,
    selu, sigmoid, silu, softmax, softplus, softsign, sparse_categorical_crossentropy, swish,
)
from ._normalization import batch_normalization, layer_normalization, moments, normalize, rms_normalization
from ._reduction import (
    all, amax, amin, any, argmax, argmin, argsort, count_nonzero, cumsum, logsumexp, max, mean, min, norm,
    prod, segment_max, segment_sum, sort, std, sum, top_k, var,
)
from ._shape import (
    broadcast_to, concatenate, expand_dims, flip, hstack, moveaxis, pad, ravel, repeat, reshape, split,
    squeeze, stack, swapaxes, tile, transpose, unstack, vstack,
)

__all__ = [
    # conversion, creation, facts about a tensor
    "convert_to_tensor", "convert_to_numpy", "cast", "stop_gradient", "is_tensor",
    "shape", "ndim", "size", "dtype",
    "zeros", "ones", "zeros_like", "ones_like", "full", "full_like", "empty",
    "arange", "linspace", "eye", "identity",
    # arithmetic
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "negative",
    "reciprocal", "power", "square", "maximum", "minimum", "clip", "where",
    # products
    "matmul", "dot", "einsum", "outer", "tensordot",
    # elementwise functions
    "sqrt", "rsqrt", "abs", "absolute", "exp", "expm1", "log", "log1p", "log2", "log10",
    "sin", "cos", "tanh", "erf", "sign", "round", "floor", "ceil",
    # comparisons, tests and logic
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    "isnan", "isinf", "isfinite", "logical_and", "logical_or", "logical_xor", "logical_not",
    # reductions
    "sum", "mean", "max", "min", "amax", "amin", "prod", "var", "std", "any", "all", "count_nonzero",
    "argmax", "argmin", "logsumexp", "norm",
    # running sums, sorting, segments
    "cumsum", "sort", "argsort", "top_k", "segment_sum", "segment_max",
    # shapes
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "broadcast_to",
    "concatenate", "stack", "hstack", "vstack", "split", "unstack", "tile", "repeat", "flip", "pad",
    # indexing
    "slice", "take", "take_along_axis", "tril", "triu", "roll", "diff", "one_hot",
    # activations
    "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid", "log_sigmoid", "softplus",
    "softsign", "silu", "swish", "hard_silu", "gelu", "softmax", "log_softmax",
    # normalization and attention
    "moments", "normalize", "batch_normalization", "layer_normalization", "rms_normalization",
    "dot_product_attention",
    # convolution, pooling, losses
    "conv", "conv_transpose", "max_pool", "average_pool",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
]


def __dir__() -> list[str]:
    # Tab completion shows the ops, not the files they are written in.
    return sorted(__all__)
