"""Products of tensors: matmul, dot and einsum."""

from __future__ import annotations

import string
from collections import Counter
from typing import Any

from ..autograd.ops.linalg import Einsum, MatMul
from ..autograd.tensor import Tensor
from ._core import TensorLike, _tensors
from ._elementwise import multiply
from ._symbolic import graph_node as _graph_node
from ._symbolic import symbolic as _symbolic


def matmul(x1: TensorLike, x2: TensorLike) -> Tensor:
    """The matrix product x1 @ x2, with NumPy's rules for 1-D and batched operands."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(matmul, x1, x2)
    return MatMul.apply(*_tensors(x1, x2))


def dot(x1: TensorLike, x2: TensorLike) -> Tensor:
    """The dot product with NumPy's rules.

    Two vectors give their inner product, two matrices their matrix product, a
    number scales the other operand, and in general the last axis of x1 is summed
    against the second-to-last axis of x2 (the only one, when x2 is a vector).
    """
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(dot, x1, x2)
    a, b = _tensors(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if b.ndim <= 2:
        return MatMul.apply(a, b)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"dot: shapes {a.shape} and {b.shape} do not fit: the last axis of x1 ({a.shape[-1]}) "
            f"must match the second-to-last axis of x2 ({b.shape[-2]})."
        )
    letters = iter(string.ascii_letters)
    left = "".join(next(letters) for _ in range(a.ndim - 1))
    right = "".join(next(letters) for _ in range(b.ndim - 2))
    summed, last = next(letters), next(letters)
    return Einsum.apply(a, b, inputs=(left + summed, right + summed + last), output=left + right + last)


def outer(x1: TensorLike, x2: TensorLike) -> Tensor:
    """Every element of x1 times every element of x2 (both flattened): a len(x1) x len(x2) matrix."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(outer, x1, x2)
    a, b = _tensors(x1, x2)
    return Einsum.apply(a.reshape(-1), b.reshape(-1), inputs=("i", "j"), output="ij")


def tensordot(x1: TensorLike, x2: TensorLike, axes: Any = 2) -> Tensor:
    """The sum of products over the last `axes` axes of x1 and the first `axes` of x2,
    or over the axes paired in `axes` = (axes of x1, axes of x2)."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)) and _symbolic(x1, x2):
        return _graph_node(tensordot, x1, x2, axes=axes)
    a, b = _tensors(x1, x2)
    if isinstance(axes, int):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={axes} must lie in 0..{min(a.ndim, b.ndim)} for shapes {a.shape} "
                             f"and {b.shape}.")
        pairs = (list(range(a.ndim - axes, a.ndim)), list(range(axes)))
    else:
        pairs = tuple([p] if isinstance(p, int) else list(p) for p in axes)
    if len(pairs) != 2 or len(pairs[0]) != len(pairs[1]):
        raise ValueError(f"tensordot: axes={axes!r} must be an int or two lists of axes of equal length.")
    letters = iter(string.ascii_letters)
    left = [next(letters) for _ in range(a.ndim)]
    right = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(*pairs):
        right[j % b.ndim] = left[i % a.ndim]
    summed = set(left) & set(right)
    output = [c for c in left if c not in summed] + [c for c in right if c not in summed]
    inputs, output = _einsum_letters("".join(left) + "," + "".join(right) + "->" + "".join(output),
                                     [a.shape, b.shape])
    return Einsum.apply(a, b, inputs=inputs, output=output)


def einsum(subscripts: str, *operands: TensorLike, **kwargs: Any) -> Tensor:
    """The Einstein summation `subscripts` of `operands`, e.g. einsum("bij,bjk->bik", x, y).

    Each letter names an axis; a letter missing from the output is summed over;
    "..." stands for the leading axes. Without "->", the output holds the letters
    that appear once, in alphabetical order. A letter repeated within one operand
    (a diagonal) is not supported.
    """
    if kwargs:
        raise TypeError(f"einsum: unexpected keyword argument(s) {sorted(kwargs)}; pass only the subscripts "
                        "and the operands.")
    if _symbolic(*operands):
        return _graph_node(einsum, subscripts, *operands)
    if not operands:
        raise ValueError("einsum: needs at least one operand after the subscripts.")
    tensors = _tensors(*operands)
    inputs, output = _einsum_letters(subscripts, [t.shape for t in tensors])
    return Einsum.apply(*tensors, inputs=inputs, output=output)


def _einsum_letters(subscripts: Any, shapes: list[tuple]) -> tuple[tuple[str, ...], str]:
    """Each operand's letters and the output's, with "..." spelled out as spare letters."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string such as 'ij,jk->ik', got {subscripts!r}.")
    spec = subscripts.replace(" ", "")
    left, arrow, right = spec.partition("->")
    parts = left.split(",")
    if len(parts) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(parts)} operand(s), but {len(shapes)} were given.")
    for part in [*parts, right]:
        if not part.replace("...", "").isalpha() and part.replace("...", ""):
            raise ValueError(f"einsum: {part!r} in {subscripts!r} holds characters other than letters and '...'.")
    spare = (c for c in string.ascii_letters if c not in spec)
    widths = [len(shape) - len(part.replace("...", "")) for part, shape in zip(parts, shapes)]
    for i, (part, shape, width) in enumerate(zip(parts, shapes, widths)):
        if width < 0 or (width and "..." not in part):
            raise ValueError(f"einsum: operand {i} has shape {shape} ({len(shape)} axes), but its subscripts "
                             f"{part!r} name {len(part.replace('...', ''))}.")
    dots = "".join(next(spare) for _ in range(max(widths, default=0)))
    inputs = tuple(part.replace("...", dots[len(dots) - w:]) for part, w in zip(parts, widths))
    if arrow:
        output = right.replace("...", dots)
    else:
        counts = Counter("".join(inputs))
        output = dots + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in dots))
    sizes: dict[str, tuple[int, int]] = {}
    for i, (letters, shape) in enumerate(zip(inputs, shapes)):
        if len(set(letters)) != len(letters):
            raise ValueError(f"einsum: operand {i} repeats a letter in {letters!r}; diagonals and traces are "
                             "not supported (take them with explicit indexing).")
        for c, n in zip(letters, shape):
            first = sizes.setdefault(c, (n, i))
            if first[0] != n:
                raise ValueError(f"einsum: axis {c!r} has size {first[0]} in operand {first[1]} but {n} in "
                                 f"operand {i}; the sizes of one letter must be equal.")
    for c in output:
        if c not in sizes or output.count(c) > 1:
            raise ValueError(f"einsum: output letter {c!r} of {subscripts!r} must appear once in the output "
                             "and in some operand.")
    return inputs, output
