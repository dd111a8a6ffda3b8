"""Bad input to the tinyfit.ops functions: each error names the op, the facts (shapes,
the bad axis or value) and what is accepted."""

import numpy as np
import pytest

from tinyfit import ops

X = np.ones((2, 3))


@pytest.mark.parametrize("call, error, facts", [
    (lambda: ops.split(X, 2, axis=1), ValueError, ["split", "axis 1 of size 3", "(2, 3)", "2 equal parts"]),
    (lambda: ops.split(X, 2, axis=2), ValueError, ["split", "axis 2", "-2..1"]),
    (lambda: ops.tile(X, (2, -1)), ValueError, ["tile", "non-negative"]),
    (lambda: ops.repeat(X, [1, 2], axis=1), ValueError, ["repeat", "axis 1", "size 3"]),
    (lambda: ops.repeat(X, 1.5), ValueError, ["repeat", "non-negative int"]),
    (lambda: ops.flip(X, axis=3), ValueError, ["flip", "axis 3"]),
    (lambda: ops.slice(X, (1, 2), (2, 2)), ValueError, ["slice", "axis 0 of size 2", "starting at 1"]),
    (lambda: ops.slice(X, (0,), (1,)), ValueError, ["slice", "(2, 3)", "2 start indices"]),
    (lambda: ops.take_along_axis(X, np.array([0, 1]), axis=1), ValueError,
     ["take_along_axis", "(2,)", "(2, 3)", "as many axes"]),
    (lambda: ops.take_along_axis(X, np.array([[3]]), axis=1), IndexError,
     ["take_along_axis", "index 3", "size 3", "-3..2"]),
    (lambda: ops.take_along_axis(X, np.array([[0.5]]), axis=1), TypeError, ["take_along_axis", "integers"]),
    (lambda: ops.take_along_axis(X, np.zeros((3, 1), "int32"), axis=1), ValueError,
     ["take_along_axis", "(3, 1)", "(2, 3)", "every axis but 1"]),
    (lambda: ops.top_k(X, 4), ValueError, ["top_k", "k=4", "0..3", "(2, 3)"]),
    (lambda: ops.top_k(np.float32(1.0), 1), ValueError, ["top_k", "scalar"]),
    (lambda: ops.argsort(X, axis=(0, 1)), ValueError, ["argsort", "one int"]),
    (lambda: ops.cumsum(X, axis=2), ValueError, ["cumsum", "axis 2", "-2..1"]),
    (lambda: ops.prod(X, axis=5), ValueError, ["prod", "axis 5"]),
    (lambda: ops.any(X, axis=-3), ValueError, ["any", "axis -3"]),
    (lambda: ops.segment_sum(X, np.array([0, 1, 1])), ValueError,
     ["segment_sum", "(2, 3)", "(3,)", "one id per row"]),
    (lambda: ops.segment_sum(X, np.array([0, 4]), num_segments=3), ValueError,
     ["segment_sum", "segment id 4", "num_segments=3", "0..2"]),
    (lambda: ops.segment_max(X, np.array([0.0, 1.0])), TypeError, ["segment_max", "integers", "float"]),
    (lambda: ops.norm(X, ord="nuc"), ValueError, ["norm", "'nuc'", "'fro'", "inf"]),
    (lambda: ops.norm(X, ord="fro", axis=1), ValueError, ["norm", "'fro'", "vector"]),
    (lambda: ops.norm(np.ones((2, 2, 2)), ord=1), ValueError, ["norm", "ord=1", "(2, 2, 2)"]),
    (lambda: ops.norm(np.ones((2, 2, 2)), ord=1, axis=(0, 1, 2)), ValueError, ["norm", "one axis", "two"]),
    (lambda: ops.einsum("ij,jk->ik", X, np.ones((4, 2))), ValueError,
     ["einsum", "'j'", "size 3", "operand 0", "4", "operand 1"]),
    (lambda: ops.einsum("ij,jk->ik", X), ValueError, ["einsum", "2 operand(s)", "1 were given"]),
    (lambda: ops.einsum("ijk->i", X), ValueError, ["einsum", "operand 0", "(2, 3)", "'ijk'"]),
    (lambda: ops.einsum("ii->i", np.ones((2, 2))), ValueError, ["einsum", "repeats a letter", "'ii'"]),
    (lambda: ops.einsum("ij->iz", X), ValueError, ["einsum", "'z'"]),
    (lambda: ops.einsum("i1->i", X), ValueError, ["einsum", "'i1'", "letters"]),
    (lambda: ops.einsum(["ij"], X), TypeError, ["einsum", "string"]),
    (lambda: ops.einsum("ij->i", X, optimize=True), TypeError, ["einsum", "optimize"]),
    (lambda: ops.dot(np.ones((2, 3)), np.ones((4, 2, 5))), ValueError, ["dot", "(2, 3)", "(4, 2, 5)", "3", "2"]),
    (lambda: ops.mod(X, np.ones((4,))), ValueError, ["divide", "(2, 3)", "(4,)"]),
    (lambda: ops.logical_and(X, np.ones((4,))), ValueError, ["logical_and", "(2, 3)", "(4,)"]),
    (lambda: ops.round(X, decimals=0.5), TypeError, ["round", "decimals", "0.5"]),
    (lambda: ops.normalize(X, order=0), ValueError, ["normalize", "order", "int >= 1"]),
    (lambda: ops.arange(0, 5, 0), ValueError, ["arange", "step is 0"]),
    (lambda: ops.linspace(0, 1, -1), ValueError, ["linspace", "num", "-1"]),
    (lambda: ops.eye(2.5), TypeError, ["eye", "N", "2.5"]),
    (lambda: ops.full((2,), 1, dtype="float8"), TypeError, ["full", "float8"]),
    (lambda: ops.moveaxis(np.ones((2, 3, 4)), (0, 1), 2), ValueError, ["moveaxis", "as many axes"]),
    (lambda: ops.swapaxes(X, 0, 2), ValueError, ["swapaxes", "axis 2"]),
    (lambda: ops.broadcast_to(X, (3, 3)), ValueError, ["broadcast_to", "(2, 3)", "(3, 3)"]),
    (lambda: ops.broadcast_to(X, (3,)), ValueError, ["broadcast_to", "(2, 3)", "(3,)"]),
    (lambda: ops.unstack(X, num=3), ValueError, ["unstack", "num=3", "size 2"]),
    (lambda: ops.tril(np.ones(3)), ValueError, ["tril", "at least 2 axes", "(3,)"]),
    (lambda: ops.roll(X, (1, 2), axis=0), ValueError, ["roll", "as many"]),
    (lambda: ops.diff(X, n=-1), ValueError, ["diff", "non-negative", "-1"]),
    (lambda: ops.tensordot(X, X, axes=3), ValueError, ["tensordot", "axes=3", "0..2"]),
    (lambda: ops.tensordot(X, X, axes=([0], [0, 1])), ValueError, ["tensordot", "equal length"]),
    (lambda: ops.floor_divide(np.ones((2, 3), "int32"), np.ones(4, "int32")), ValueError,
     ["floor_divide", "(2, 3)", "(4,)"]),
    (lambda: ops.dot_product_attention(np.ones((2, 3, 4)), np.ones((2, 3, 4)), np.ones((2, 3, 4))), ValueError,
     ["dot_product_attention", "(2, 3, 4)", "4-D", "(batch, length, heads, head_dim)"]),
    (lambda: ops.dot_product_attention(np.ones((1, 2, 2, 4)), np.ones((1, 3, 1, 4)), np.ones((1, 3, 1, 4))),
     ValueError, ["dot_product_attention", "(1, 2, 2, 4)", "(1, 3, 1, 4)", "heads"]),
    (lambda: ops.dot_product_attention(*[np.ones((1, 2, 1, 2))] * 3, flash_attention=True), ValueError,
     ["dot_product_attention", "flash_attention=True"]),
    (lambda: ops.batch_normalization(X, np.zeros(2), np.ones(3), axis=1), ValueError,
     ["batch_normalization", "mean", "(2,)", "axis 1", "(3,)"]),
    (lambda: ops.layer_normalization(X, center=False), TypeError, ["layer_normalization", "center", "rms_scaling"]),
    (lambda: ops.convert_to_tensor([[1], [2, 3]], ragged=True), ValueError, ["convert_to_tensor", "ragged=True"]),
])
def test_errors_name_the_op_and_the_facts(call, error, facts):
    with pytest.raises(error) as caught:
        call()
    for fact in facts:
        assert fact in str(caught.value), (fact, str(caught.value))
