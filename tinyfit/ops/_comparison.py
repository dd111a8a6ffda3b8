"""Comparisons, tests and logic: bool results, which carry no gradient.

Comparisons broadcast like arithmetic. The logical functions treat zero as
False and anything else as True.
"""

from __future__ import annotations

from .. import backend
from ..autograd.ops.elementwise import compare
from ..autograd.tensor import Tensor
from ._core import TensorLike, _tensors, convert_to_tensor
from ._symbolic import graph_node as _graph_node
from ._symbolic import symbolic as _symbolic


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


def isnan(x: TensorLike) -> Tensor:
    """Whether each element is NaN."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(isnan, x)
    return _test("isnan", x)


def isinf(x: TensorLike) -> Tensor:
    """Whether each element is +inf or -inf."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(isinf, x)
    return _test("isinf", x)


def isfinite(x: TensorLike) -> Tensor:
    """Whether each element is neither NaN nor infinite."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(isfinite, x)
    return _test("isfinite", x)


# ************************************************************************ logic
# Zero is False and anything else True; the results are bool tensors.
def logical_and(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 AND x2, element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(logical_and, x1, x2)
    return _logic("logical_and", x1, x2)


def logical_or(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 OR x2, element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(logical_or, x1, x2)
    return _logic("logical_or", x1, x2)


def logical_xor(x1: TensorLike, x2: TensorLike) -> Tensor:
    """x1 XOR x2 (one of them, not both), element by element."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(logical_xor, x1, x2)
    return _logic("logical_xor", x1, x2)


def logical_not(x: TensorLike) -> Tensor:
    """NOT x, element by element."""
    if not isinstance(x, Tensor) and _symbolic(x):
        return _graph_node(logical_not, x)
    # x XOR True is NOT x: one recorded op (see _logic).
    return compare("logical_xor", convert_to_tensor(x), True)


def _test(op: str, x: TensorLike) -> Tensor:
    data = convert_to_tensor(x).data
    return Tensor._make(getattr(backend.array_module(data), op)(data), False)


def _logic(op: str, x1: TensorLike, x2: TensorLike) -> Tensor:
    # An op like the comparisons, so that a compiled step replays it on every batch's values.
    return compare(op, *_tensors(x1, x2))
