"""Finite-difference gradchecks (float64) for the tinyfit.ops functions that Keras can
differentiate: the values of gather, sort and segment ops, reductions such as prod and
norm, products, activations and the normalization helpers.

Inputs are drawn away from kinks and ties (where a derivative has no single value), so
that finite differences are accurate.
"""

import numpy as np
import pytest

from tinyfit import ops
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.tensor import Tensor

RNG = np.random.default_rng(7)


def distinct(*shape, low=0.2, high=2.0):
    """Values with distinct magnitudes and random signs: no ties, nothing near zero."""
    n = int(np.prod(shape))
    magnitudes = RNG.permutation(np.linspace(low, high, n))
    return (magnitudes * RNG.choice([-1.0, 1.0], n)).reshape(shape)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape)


IDS = np.array([2, 0, 2, -1, 0])  # -1 leaves a row out, as Keras does
CASES = {
    "prod": (lambda x: ops.prod(x, axis=1), [distinct(3, 4)]),
    "prod all axes, keepdims": (lambda x: ops.prod(x, keepdims=True), [distinct(2, 3)]),
    "prod with a zero": (lambda x: ops.prod(x, axis=-1), [np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0]])]),
    "prod over two axes": (lambda x: ops.prod(x, axis=(0, 2)), [distinct(2, 3, 2, low=0.5, high=1.5)]),
    "cumsum": (lambda x: ops.cumsum(x, axis=1), [distinct(3, 4)]),
    "cumsum flattened": (lambda x: ops.cumsum(x), [distinct(2, 3)]),
    "sort": (lambda x: ops.sort(x, axis=0), [distinct(4, 3)]),
    "top_k values": (lambda x: ops.top_k(x, 2)[0], [distinct(3, 5)]),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.array([[0, 0, 2], [1, 2, 2]]), axis=1),
                        [distinct(2, 3)]),
    "take_along_axis broadcast": (lambda x: ops.take_along_axis(x, np.array([[2], [0]]), axis=0), [distinct(3, 4)]),
    "segment_sum": (lambda x: ops.segment_sum(x, IDS, num_segments=4), [distinct(5, 3)]),
    "segment_max": (lambda x: ops.segment_max(x, np.array([1, 0, 1, -1, 0])), [distinct(5, 3)]),
    "norm": (lambda x: ops.norm(x), [distinct(3, 4)]),
    "norm ord=1": (lambda x: ops.norm(x, ord=1, axis=-1), [distinct(3, 4)]),
    "norm ord=3": (lambda x: ops.norm(x, ord=3, axis=0, keepdims=True), [distinct(3, 4)]),
    "norm ord=inf": (lambda x: ops.norm(x, ord=np.inf, axis=1), [distinct(3, 4)]),
    "norm matrix ord=1": (lambda x: ops.norm(x, ord=1, axis=(1, 2)), [distinct(2, 3, 4)]),
    "norm matrix ord=-inf": (lambda x: ops.norm(x, ord=-np.inf), [distinct(3, 4)]),
    "dot vectors": (ops.dot, [distinct(4), distinct(4)]),
    "dot matrix and 3-D": (ops.dot, [distinct(2, 3), distinct(4, 3, 2)]),
    "dot by a number": (ops.dot, [distinct(2, 3), np.array(1.5)]),
    "einsum matmul": (lambda a, b: ops.einsum("ij,jk->ik", a, b), [distinct(2, 3), distinct(3, 4)]),
    "einsum batched, implicit": (lambda a, b: ops.einsum("bij,bjk", a, b), [distinct(2, 2, 3), distinct(2, 3, 2)]),
    "einsum sums a letter away": (lambda a: ops.einsum("ij->i", a), [distinct(3, 4)]),
    "einsum outer": (lambda a, b: ops.einsum("i,j->ij", a, b), [distinct(3), distinct(2)]),
    "einsum ellipsis": (lambda a, b: ops.einsum("...ij,jk->...ik", a, b), [distinct(2, 2, 3), distinct(3, 2)]),
    "einsum three operands": (lambda a, b, c: ops.einsum("ij,jk,k->i", a, b, c),
                              [distinct(2, 3), distinct(3, 4), distinct(4)]),
    "mod": (ops.mod, [np.array([5.3, -5.3, 2.2, 7.9]), np.array([3.0, 3.0, -1.5, 2.5])]),
    "erf": (ops.erf, [distinct(3, 4, low=0.05, high=2.5)]),
    "gelu": (ops.gelu, [distinct(3, 4)]),
    "gelu exact": (lambda x: ops.gelu(x, approximate=False), [distinct(3, 4)]),
    "silu": (ops.silu, [distinct(3, 4)]),
    "leaky_relu": (lambda x: ops.leaky_relu(x, negative_slope=0.1), [distinct(3, 4)]),
    "elu": (lambda x: ops.elu(x, alpha=0.7), [distinct(3, 4)]),
    "relu6": (ops.relu6, [distinct(3, 4, low=0.2, high=8.0)]),
    "log_sigmoid": (ops.log_sigmoid, [distinct(3, 4)]),
    "moments mean": (lambda x: ops.moments(x, axes=[0])[0], [distinct(4, 3)]),
    "moments variance": (lambda x: ops.moments(x, axes=[0, 1], keepdims=True)[1], [distinct(4, 3)]),
    "normalize": (lambda x: ops.normalize(x, axis=-1), [distinct(3, 4)]),
    "normalize order 1": (lambda x: ops.normalize(x, axis=0, order=1), [distinct(3, 4)]),
    "split": (lambda x: ops.split(x, [1, 3], axis=1)[1], [distinct(2, 5)]),
    "tile": (lambda x: ops.tile(x, (2, 1, 3)), [distinct(2, 3)]),
    "repeat": (lambda x: ops.repeat(x, [1, 0, 3], axis=0), [distinct(3, 2)]),
    "repeat flattened": (lambda x: ops.repeat(x, 2), [distinct(2, 2)]),
    "flip": (lambda x: ops.flip(x, axis=(0, 1)), [distinct(2, 3)]),
    "slice": (lambda x: ops.slice(x, (1, 0), (2, 2)), [distinct(3, 4)]),
    "swapaxes": (lambda x: ops.swapaxes(x, 0, -1), [distinct(2, 3, 4)]),
    "moveaxis": (lambda x: ops.moveaxis(x, (0, 1), (-1, 0)), [distinct(2, 3, 4)]),
    "full_like is constant": (lambda x: x * ops.full_like(x, 3.0), [distinct(2, 3)]),
    "logsumexp": (lambda x: ops.logsumexp(x, axis=1), [distinct(3, 4)]),
    "take": (lambda x: ops.take(x, np.array([2, 0, 2]), axis=1), [distinct(2, 3)]),
    "stack": (lambda a, b: ops.stack([a, b], axis=1), [distinct(2, 3), distinct(2, 3)]),
    "where": (lambda a, b: ops.where(np.array([True, False, True]), a, b), [distinct(3), distinct(3)]),
    "reciprocal": (ops.reciprocal, [distinct(3, 4)]),
    "rsqrt": (ops.rsqrt, [positive(3, 4)]),
    "log1p": (ops.log1p, [positive(3, 4) - 0.4]),
    "expm1": (ops.expm1, [distinct(3, 4)]),
    "log2": (ops.log2, [positive(3, 4)]),
    "log10": (ops.log10, [positive(3, 4)]),
    "sin": (ops.sin, [distinct(3, 4)]),
    "cos": (ops.cos, [distinct(3, 4)]),
    "absolute": (ops.absolute, [distinct(3, 4)]),
    "true_divide": (ops.true_divide, [distinct(3, 4), distinct(4)]),
    "amax": (lambda x: ops.amax(x, axis=0), [distinct(3, 4)]),
    "amin": (lambda x: ops.amin(x, axis=1, keepdims=True), [distinct(3, 4)]),
    "selu": (ops.selu, [distinct(3, 4)]),
    "softsign": (ops.softsign, [distinct(3, 4)]),
    "hard_sigmoid": (ops.hard_sigmoid, [distinct(3, 4, low=0.1, high=2.9)]),
    "hard_silu": (ops.hard_silu, [distinct(3, 4, low=0.1, high=2.9)]),
    "swish": (ops.swish, [distinct(3, 4)]),
    "ravel": (ops.ravel, [distinct(2, 3)]),
    "broadcast_to": (lambda x: ops.broadcast_to(x, (2, 3, 4)), [distinct(3, 1)]),
    "hstack": (lambda a, b: ops.hstack([a, b]), [distinct(2, 3), distinct(2, 1)]),
    "vstack": (lambda a, b: ops.vstack([a, b]), [distinct(3), distinct(2, 3)]),
    "unstack": (lambda x: ops.unstack(x, axis=1)[1], [distinct(2, 3)]),
    "tril": (lambda x: ops.tril(x, k=-1), [distinct(2, 3, 3)]),
    "triu": (lambda x: ops.triu(x), [distinct(3, 4)]),
    "roll": (lambda x: ops.roll(x, (1, -2), axis=(0, 1)), [distinct(3, 4)]),
    "roll flattened": (lambda x: ops.roll(x, 5), [distinct(3, 4)]),
    "diff": (lambda x: ops.diff(x, n=2, axis=0), [distinct(4, 3)]),
    "outer": (ops.outer, [distinct(3), distinct(2, 2)]),
    "tensordot": (lambda a, b: ops.tensordot(a, b, axes=2), [distinct(2, 3, 4), distinct(3, 4, 2)]),
    "tensordot paired axes": (lambda a, b: ops.tensordot(a, b, axes=([0, 2], [1, 0])),
                              [distinct(2, 3, 4), distinct(4, 2)]),
    "attention": (lambda q, k, v: ops.dot_product_attention(q, k, v), [distinct(2, 3, 2, 4), distinct(2, 5, 2, 4),
                                                                          distinct(2, 5, 2, 4)]),
    "attention causal, masked, capped": (
        lambda q, k, v, b: ops.dot_product_attention(q, k, v, bias=b, mask=np.array([True, True, False]),
                                                     is_causal=True, attn_logits_soft_cap=2.0, scale=0.5),
        [distinct(1, 3, 2, 2), distinct(1, 3, 2, 2), distinct(1, 3, 2, 2), distinct(3, 3)]),
    "batch_normalization": (lambda x, m, v, o, s: ops.batch_normalization(x, m, v, axis=1, offset=o, scale=s),
                            [distinct(4, 3), distinct(3), positive(3), distinct(3), distinct(3)]),
    "layer_normalization": (lambda x, g, b: ops.layer_normalization(x, g, b),
                            [distinct(3, 4), distinct(4), distinct(4)]),
    "layer_normalization rms over two axes": (
        lambda x, g: ops.layer_normalization(x, g, axis=(1, 2), rms_scaling=True), [distinct(2, 3, 4), distinct(3, 4)]),
    "rms_normalization": (lambda x, s: ops.rms_normalization(x, s, axis=0), [distinct(3, 4), distinct(4)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_finite_differences(name):
    f, inputs = CASES[name]
    assert gradcheck(f, inputs)


@pytest.mark.parametrize("op", ["sign", "round", "floor", "ceil"])
def test_step_functions_have_a_zero_gradient(op):
    # Piecewise constant, as in Keras: the gradient exists and is zero (no error, no NaN).
    x = Tensor(distinct(2, 3) + 0.3, requires_grad=True)
    (getattr(ops, op)(x) * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


def test_mod_gradient_with_respect_to_the_divisor_is_minus_the_floored_quotient():
    a = Tensor(np.array([7.0, -7.0]), requires_grad=True)
    b = Tensor(np.array([2.0, 2.0]), requires_grad=True)
    ops.mod(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    np.testing.assert_array_equal(b.grad, [-3.0, 4.0])


def test_segment_max_splits_the_gradient_between_tied_rows():
    data = Tensor(np.array([[1.0, 5.0], [1.0, 2.0], [0.0, 7.0]]), requires_grad=True)
    ops.segment_max(data, np.array([0, 0, 1])).sum().backward()
    np.testing.assert_array_equal(data.grad, [[0.5, 1.0], [0.5, 0.0], [1.0, 1.0]])


def test_take_along_axis_adds_the_gradient_of_an_element_picked_twice():
    x = Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    ops.take_along_axis(x, np.array([[2, 2, 0]]), axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 2.0]])


@pytest.mark.parametrize("op", [
    lambda x: ops.argsort(x), lambda x: ops.top_k(x, 2)[1], lambda x: ops.any(x > 0),
    lambda x: ops.all(x > 0), lambda x: ops.isnan(x), lambda x: ops.logical_and(x > 0, x < 1),
])
def test_integer_and_bool_results_carry_no_gradient(op):
    x = Tensor(distinct(2, 3), requires_grad=True)
    assert not op(x).requires_grad
