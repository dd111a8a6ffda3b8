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
    _elementwise.py   arithmetic, functions of one tensor, comparisons, logic
    _reduction.py     sum, mean, max, ..., prod, any, all, norm, cumsum, sort, top_k, segments
    _shape.py         reshape, transpose, join, split, tile, repeat, pad, slice, take, ...
    _linalg.py        matmul, dot, einsum
    _nn.py            activations, softmax, moments, normalize, one_hot, conv, pooling,
                      the cross-entropies
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

from ._core import (
    arange, cast, convert_to_numpy, convert_to_tensor, eye, full, full_like, linspace, ones, ones_like,
    shape, stop_gradient, zeros, zeros_like,
)
from ._elementwise import (
    abs, add, ceil, clip, divide, equal, erf, exp, floor, greater, greater_equal, isfinite, isinf,
    isnan, less, less_equal, log, logical_and, logical_not, logical_or, logical_xor, maximum, minimum,
    mod, multiply, negative, not_equal, power, round, sign, sqrt, square, subtract, tanh, where,
)
from ._linalg import dot, einsum, matmul
from ._nn import (
    average_pool, binary_crossentropy, categorical_crossentropy, conv, elu, gelu, leaky_relu,
    log_sigmoid, log_softmax, max_pool, moments, normalize, one_hot, relu, relu6, sigmoid, silu,
    softmax, softplus, sparse_categorical_crossentropy,
)
from ._reduction import (
    all, any, argmax, argmin, argsort, cumsum, logsumexp, max, mean, min, norm, prod, segment_max,
    segment_sum, sort, std, sum, top_k, var,
)
from ._shape import (
    concatenate, expand_dims, flip, moveaxis, pad, repeat, reshape, slice, split, squeeze, stack,
    swapaxes, take, take_along_axis, tile, transpose,
)

__all__ = [
    # conversion and creation
    "convert_to_tensor", "convert_to_numpy", "cast", "stop_gradient", "shape",
    "zeros", "ones", "zeros_like", "ones_like", "full", "full_like", "arange", "linspace", "eye",
    # arithmetic
    "add", "subtract", "multiply", "divide", "negative", "power", "square",
    "maximum", "minimum", "clip", "where", "mod",
    # products
    "matmul", "dot", "einsum",
    # elementwise functions
    "sqrt", "abs", "exp", "log", "tanh", "erf", "sign", "round", "floor", "ceil",
    # comparisons, tests and logic
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    "isnan", "isinf", "isfinite", "logical_and", "logical_or", "logical_xor", "logical_not",
    # reductions
    "sum", "mean", "max", "min", "prod", "var", "std", "any", "all",
    "argmax", "argmin", "logsumexp", "norm",
    # running sums, sorting, segments
    "cumsum", "sort", "argsort", "top_k", "segment_sum", "segment_max",
    # shapes
    "reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze",
    "concatenate", "stack", "split", "tile", "repeat", "flip", "pad",
    # indexing
    "slice", "take", "take_along_axis", "one_hot",
    # neural-network ops
    "relu", "relu6", "leaky_relu", "elu", "sigmoid", "log_sigmoid", "softplus", "silu", "gelu",
    "softmax", "log_softmax", "moments", "normalize", "conv", "max_pool", "average_pool",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
]


def __dir__() -> list[str]:
    # Tab completion shows the ops, not the files they are written in.
    return sorted(__all__)
