"""tinyfit.ops values against NumPy, and the behaviours Keras documents: what shape
returns, dtypes of new tensors, the order top_k and argsort give, how segments,
split, tile and repeat lay their results out."""

import math

import numpy as np
import pytest

from tinyfit import ops
from tinyfit.autograd.tensor import Tensor

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4))
X3 = RNG.standard_normal((2, 3, 4))


def close(got, expected, rtol=1e-6):
    np.testing.assert_allclose(ops.convert_to_numpy(got), expected, rtol=rtol, atol=1e-6)


# *************************************************************** shape and creation
def test_shape_is_a_tuple_of_python_ints():
    for value in (Tensor(X3), X3, X3.tolist()):
        got = ops.shape(value)
        assert got == (2, 3, 4) and type(got) is tuple
        assert all(type(n) is int for n in got)
    assert ops.shape(3.0) == ()


def test_shape_indexes_like_the_guides_do():
    z_mean = Tensor(X)
    batch, dim = ops.shape(z_mean)[0], ops.shape(z_mean)[1]
    assert ops.zeros((batch, dim)).shape == (3, 4)


@pytest.mark.parametrize("call, values, dtype", [
    (lambda: ops.full((2, 3), 7), np.full((2, 3), 7.0), np.float32),
    (lambda: ops.full((2,), 7, dtype="int32"), np.array([7, 7]), np.int32),
    (lambda: ops.full_like(np.zeros((2,), "int64"), 3), np.array([3, 3]), np.int64),
    (lambda: ops.full_like(X, 0.5, dtype="float64"), np.full((3, 4), 0.5), np.float64),
    (lambda: ops.arange(5), np.arange(5), np.int32),
    (lambda: ops.arange(2, 8, 2), np.arange(2, 8, 2), np.int32),
    (lambda: ops.arange(start=0, stop=3, step=1), np.arange(3), np.int32),
    (lambda: ops.arange(0.0, 1.0, 0.25), np.arange(0.0, 1.0, 0.25), np.float32),
    (lambda: ops.arange(3, dtype="float64"), np.arange(3.0), np.float64),
    (lambda: ops.linspace(0, 1, 5), np.linspace(0, 1, 5), np.float32),
    (lambda: ops.linspace(0, 1, 4, endpoint=False), np.linspace(0, 1, 4, endpoint=False), np.float32),
    (lambda: ops.linspace([0, 10], [1, 20], 3, axis=1), np.linspace([0, 10], [1, 20], 3, axis=1), np.float32),
    (lambda: ops.eye(3), np.eye(3), np.float32),
    (lambda: ops.eye(2, 4, k=1, dtype="int32"), np.eye(2, 4, k=1), np.int32),
])
def test_creation(call, values, dtype):
    got = call()
    assert isinstance(got, Tensor) and got.dtype == dtype
    close(got, values)


def test_linspace_retstep_gives_the_step():
    values, step = ops.linspace(0, 2, 5, retstep=True)
    close(values, np.linspace(0, 2, 5))
    assert step == pytest.approx(0.5)


# ********************************************************************** elementwise
@pytest.mark.parametrize("name, reference", [
    ("sign", np.sign), ("floor", np.floor), ("ceil", np.ceil), ("isnan", np.isnan), ("isinf", np.isinf),
    ("isfinite", np.isfinite), ("logical_not", np.logical_not),
    ("erf", np.vectorize(math.erf)),
])
def test_unary_against_numpy(name, reference):
    x = np.array([[-2.5, -0.5, 0.0, 0.5], [1.5, 2.5, np.inf, np.nan]])
    if name == "erf":
        x = X
    close(getattr(ops, name)(x), reference(x), rtol=1e-6 if name != "erf" else 1e-6)


def test_round_rounds_halves_to_even_and_to_decimals():
    close(ops.round([0.5, 1.5, 2.5, -0.5]), [0.0, 2.0, 2.0, -0.0])
    close(ops.round([1.234, 5.678], decimals=1), [1.2, 5.7])
    assert ops.round(np.array([1, 2], "int32")).dtype == np.int32


def test_floor_of_integers_is_float_and_sign_keeps_the_dtype():
    assert ops.floor([1, 2]).dtype == np.float32
    assert ops.sign(np.array([-3, 4], "int64")).dtype == np.int64


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logic_against_numpy_with_broadcasting(name):
    a = np.array([[0, 1, 2], [3, 0, 0]])
    b = np.array([1, 0, 5])
    got = getattr(ops, name)(a, b)
    assert got.dtype == bool
    np.testing.assert_array_equal(got.numpy(), getattr(np, name)(a, b))


@pytest.mark.parametrize("a, b", [
    (np.array([5.5, -5.5, 7.0, -7.0]), np.array([2.0, 2.0, -3.0, -3.0])),
    (np.array([5, -5, 7, -7]), np.array([3, 3, -2, -2])),
])
def test_mod_takes_the_sign_of_the_divisor_as_numpy(a, b):
    got = ops.mod(a, b)
    close(got, np.mod(a, b))
    assert got.dtype == ops.convert_to_tensor(a).dtype  # float arrays compute in float32, ints stay ints
    close(ops.mod(a, 3), np.mod(a, 3))


def test_activations_against_their_formulas():
    x = np.linspace(-4, 4, 17)
    sigmoid = 1 / (1 + np.exp(-x))
    exact = np.vectorize(lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))))(x)
    close(ops.gelu(x, approximate=False), exact)
    close(ops.gelu(x), 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))))
    close(ops.silu(x), x * sigmoid)
    close(ops.leaky_relu(x), np.where(x >= 0, x, 0.2 * x))
    close(ops.elu(x, alpha=0.5), np.where(x > 0, x, 0.5 * (np.exp(x) - 1)))
    close(ops.relu6(x * 3), np.clip(x * 3, 0, 6))
    close(ops.log_sigmoid(x), np.log(sigmoid))


def test_elu_and_log_sigmoid_do_not_overflow():
    big = np.array([-1000.0, 1000.0])
    close(ops.elu(big), [-1.0, 1000.0])
    close(ops.log_sigmoid(big), [-1000.0, 0.0])


# ************************************************************************ reductions
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, True), (-1, False), ((0, 2), False), ((1, 2), True)])
def test_reductions_against_numpy(axis, keepdims):
    for name in ["sum", "mean", "max", "min", "prod", "std", "var"]:
        close(getattr(ops, name)(X3, axis=axis, keepdims=keepdims),
              getattr(np, name)(X3, axis=axis, keepdims=keepdims), rtol=1e-6)
    for name in ["any", "all"]:
        got = getattr(ops, name)(X3 > 0, axis=axis, keepdims=keepdims)
        assert got.dtype == bool
        np.testing.assert_array_equal(got.numpy(), getattr(np, name)(X3 > 0, axis=axis, keepdims=keepdims))


def test_prod_dtypes_follow_keras():
    assert ops.prod(np.array([True, True])).dtype == np.int32
    assert ops.prod(np.array([2, 3], "int8")).dtype == np.int32
    assert ops.prod(np.array([2, 3], "int64")).dtype == np.int64
    assert ops.prod([2.0, 3.0], dtype="float64").dtype == np.float64


@pytest.mark.parametrize("ord, axis", [
    (None, None), (None, 1), (None, (0, 1)), (1, 0), (2, -1), (3, 1), (0.5, 1), (np.inf, 0), (-np.inf, 1), (0, 1),
    ("fro", (1, 2)), (1, (1, 2)), (-1, (2, 1)), (np.inf, (1, 2)), (-np.inf, (2, 1)),
])
def test_norm_against_numpy(ord, axis):
    x = X3 if axis is not None and (isinstance(axis, tuple) and len(axis) == 2 and ord is not None) else X3[0]
    close(ops.norm(x, ord=ord, axis=axis), np.linalg.norm(x, ord=ord, axis=axis))
    close(ops.norm(x, ord=ord, axis=axis, keepdims=True), np.linalg.norm(x, ord=ord, axis=axis, keepdims=True))


def test_cumsum_against_numpy():
    close(ops.cumsum(X3, axis=1), np.cumsum(X3, axis=1))
    close(ops.cumsum(X3), np.cumsum(X3))
    assert ops.cumsum(np.array([True, True])).dtype == np.int32
    assert ops.cumsum([1, 2], dtype="float32").dtype == np.float32


# ********************************************************************* sort, top_k
def test_sort_and_argsort_against_numpy():
    for axis in (0, 1, -1):
        close(ops.sort(X, axis=axis), np.sort(X, axis=axis))
        got = ops.argsort(X, axis=axis)
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got.numpy(), np.argsort(X, axis=axis, kind="stable"))
    close(ops.sort(X, axis=None), np.sort(X, axis=None))


def test_top_k_gives_the_largest_first_and_ties_in_index_order():
    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 4.0, 6.0, 5.0]])
    values, indices = ops.top_k(x, 3)
    close(values, [[3.0, 3.0, 2.0], [6.0, 5.0, 5.0]])
    np.testing.assert_array_equal(indices.numpy(), [[1, 2, 3], [2, 0, 3]])
    assert indices.dtype == np.int32
    values, _ = ops.top_k(np.array([3, 1, 2], "int32"), 2)
    np.testing.assert_array_equal(values.numpy(), [3, 2])


# ********************************************************************** segments
def test_segment_sum_against_a_loop():
    data, ids = RNG.standard_normal((6, 2)), np.array([0, 2, 0, -1, 3, 2])
    expected = np.zeros((4, 2))
    for row, i in zip(data, ids):
        if i >= 0:
            expected[i] += row
    close(ops.segment_sum(data, ids), expected)
    close(ops.segment_sum(data, ids, num_segments=6, sorted=False), np.concatenate([expected, np.zeros((2, 2))]))


def test_segment_max_fills_empty_segments_with_minus_infinity():
    data = np.array([[1.0, 5.0], [3.0, 2.0], [0.0, 7.0]])
    got = ops.segment_max(data, np.array([0, 0, 2])).numpy()
    np.testing.assert_array_equal(got, [[3.0, 5.0], [-np.inf, -np.inf], [0.0, 7.0]])
    ints = ops.segment_max(np.array([4, 9, 1], "int32"), np.array([1, 1, 1]), num_segments=2).numpy()
    np.testing.assert_array_equal(ints, [np.iinfo(np.int32).min, 9])


# *************************************************************** shapes, indexing
def test_split_into_sections_and_at_indices_as_numpy():
    for spec, axis in [(2, 2), ([1, 3], 1), ([0, 2], 0), ([-1], 2), ([5], 1)]:
        got = ops.split(X3, spec, axis=axis)
        expected = np.split(X3, spec, axis=axis)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            close(g, e)


@pytest.mark.parametrize("repeats", [2, (2, 3), (2, 1, 2), (1, 0)])
def test_tile_as_numpy(repeats):
    close(ops.tile(X, repeats), np.tile(X, repeats))


@pytest.mark.parametrize("repeats, axis", [(2, None), (3, 0), ([1, 0, 2], 0), ([2, 1, 1, 0], -1)])
def test_repeat_as_numpy(repeats, axis):
    close(ops.repeat(X, repeats, axis=axis), np.repeat(X, repeats, axis=axis))


def test_flip_slice_swapaxes_moveaxis_as_numpy():
    close(ops.flip(X3), np.flip(X3))
    close(ops.flip(X3, axis=1), np.flip(X3, axis=1))
    close(ops.flip(X3, axis=(0, -1)), np.flip(X3, axis=(0, -1)))
    close(ops.slice(X3, (1, 0, 2), (1, 2, 2)), X3[1:2, 0:2, 2:4])
    close(ops.slice(X3, Tensor(np.array([0, 1, 0])), (2, 2, 4)), X3[:, 1:3, :])
    close(ops.swapaxes(X3, 0, 2), np.swapaxes(X3, 0, 2))
    close(ops.moveaxis(X3, 0, -1), np.moveaxis(X3, 0, -1))
    close(ops.moveaxis(X3, (0, 1), (2, 0)), np.moveaxis(X3, (0, 1), (2, 0)))


def test_take_along_axis_as_numpy():
    indices = np.argsort(X3, axis=1)
    close(ops.take_along_axis(X3, indices, axis=1), np.take_along_axis(X3, indices, axis=1))
    column = np.array([[0], [2], [1]])
    close(ops.take_along_axis(X, column, axis=1), np.take_along_axis(X, column, 1))
    close(ops.take_along_axis(X, np.array([11, 0, -1])), np.take_along_axis(X.ravel(), np.array([11, 0, -1]), 0))


# ********************************************************************** products
@pytest.mark.parametrize("a, b", [
    (X[0], X[1]), (X, X.T), (X, X[0]), (X3, X[0]), (RNG.standard_normal((2, 3)), RNG.standard_normal((4, 3, 5))),
    (X3, RNG.standard_normal((2, 4, 3))), (np.array(2.0), X), (X, 3.0),
])
def test_dot_as_numpy(a, b):
    close(ops.dot(a, b), np.dot(a, b))


@pytest.mark.parametrize("spec, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("i,i->", [(3,), (3,)]), ("i,j->ij", [(2,), (3,)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 4)]), ("...j,j", [(2, 3, 4), (4,)]), ("ba,ca", [(2, 3), (4, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    (" i j , j k -> i k ", [(2, 3), (3, 4)]),
])
def test_einsum_as_numpy(spec, shapes):
    operands = [RNG.standard_normal(s) for s in shapes]
    close(ops.einsum(spec, *operands), np.einsum(spec.replace(" ", ""), *operands))


# ************************************************************ moments, normalize
def test_moments_is_the_mean_and_the_variance():
    mean, variance = ops.moments(X3, axes=[0, 1])
    close(mean, X3.mean(axis=(0, 1)))
    close(variance, X3.var(axis=(0, 1)))
    mean, variance = ops.moments(X3, axes=(2,), keepdims=True, synchronized=True)
    assert mean.shape == variance.shape == (2, 3, 1)


def test_normalize_scales_to_norm_one_and_keeps_zeros():
    close(ops.normalize(X), X / np.linalg.norm(X, axis=-1, keepdims=True))
    close(ops.normalize(X, axis=0, order=1), X / np.abs(X).sum(axis=0, keepdims=True))
    close(ops.normalize(np.zeros((2, 3))), np.zeros((2, 3)))  # divided by epsilon, not by zero


# ************************************************* more NumPy twins, aliases, facts
@pytest.mark.parametrize("name, reference, domain", [
    ("reciprocal", np.reciprocal, X), ("rsqrt", lambda v: 1 / np.sqrt(v), np.abs(X)),
    ("log1p", np.log1p, np.abs(X)), ("expm1", np.expm1, X), ("log2", np.log2, np.abs(X)),
    ("log10", np.log10, np.abs(X)), ("sin", np.sin, X), ("cos", np.cos, X), ("absolute", np.absolute, X),
    ("ravel", np.ravel, X3),
])
def test_more_functions_against_numpy(name, reference, domain):
    close(getattr(ops, name)(domain), reference(domain))


def test_tiny_arguments_keep_their_digits():
    close(ops.log1p(np.array([1e-10], "float32")), [1e-10], rtol=1e-6)
    close(ops.expm1(np.array([1e-10], "float32")), [1e-10], rtol=1e-6)


@pytest.mark.parametrize("a, b", [(np.array([7.5, -7.5]), np.array([2.0, 2.0])), (np.array([7, -7, 3]), 2)])
def test_floor_divide_and_true_divide_as_numpy(a, b):
    close(ops.floor_divide(a, b), np.floor_divide(a, b))
    close(ops.true_divide(a, b), np.true_divide(a, b))
    assert ops.floor_divide(np.array([7, 0]), np.array([0, 0])).numpy().tolist() == [0, 0]


def test_reduction_aliases_and_counts():
    close(ops.amax(X3, axis=(0, 2)), np.amax(X3, axis=(0, 2)))
    close(ops.amin(X3, keepdims=True), np.amin(X3, keepdims=True))
    counted = ops.count_nonzero(np.array([[0, 1, 2], [0, 0, 3]]), axis=1)
    assert counted.dtype == np.int32 and counted.numpy().tolist() == [2, 1]
    assert int(ops.count_nonzero(np.array([0.0, 0.5]))) == 1


def test_facts_about_a_tensor():
    assert ops.ndim(X3) == 3 and ops.size(X3) == 24 and ops.size(5.0) == 1
    assert ops.dtype(np.zeros(2, "int64")) == "int64" and ops.dtype([1.0]) == "float32"
    assert ops.is_tensor(Tensor(X)) and not ops.is_tensor(X)
    assert ops.empty((2, 3), dtype="int32").shape == (2, 3)
    close(ops.identity(3), np.eye(3))


def test_more_shapes_as_numpy():
    close(ops.broadcast_to(X[0], (2, 3, 4)), np.broadcast_to(X[0], (2, 3, 4)))
    close(ops.hstack([X, X[:, :1]]), np.hstack([X, X[:, :1]]))
    close(ops.hstack([X[0], X[1]]), np.hstack([X[0], X[1]]))
    close(ops.vstack([X[0], X]), np.vstack([X[0], X]))
    parts = ops.unstack(X3, axis=-1)
    assert len(parts) == 4
    close(parts[3], X3[..., 3])
    for k in (-1, 0, 2):
        close(ops.tril(X3, k=k), np.tril(X3, k=k))
        close(ops.triu(X3, k=k), np.triu(X3, k=k))
    close(ops.roll(X3, 2, axis=1), np.roll(X3, 2, axis=1))
    close(ops.roll(X3, (1, -1), axis=(0, 2)), np.roll(X3, (1, -1), axis=(0, 2)))
    close(ops.roll(X3, 7), np.roll(X3, 7))
    close(ops.diff(X3, n=2, axis=-1), np.diff(X3, n=2, axis=-1))
    close(ops.diff(X3, n=0), X3)
    close(ops.outer(X[0], X3), np.outer(X[0], X3))
    for axes, b_shape in [(0, (2,)), (1, (4, 2)), (2, (3, 4, 5)), (([0, 1], [1, 0]), (3, 2, 5)), (([2], [0]), (4, 5))]:
        b = RNG.standard_normal(b_shape)
        close(ops.tensordot(X3, b, axes=axes), np.tensordot(X3, b, axes=axes))


def test_more_activations_against_their_formulas():
    x = np.linspace(-5, 5, 21)
    close(ops.selu(x), 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)))
    close(ops.softsign(x), x / (1 + np.abs(x)))
    close(ops.hard_sigmoid(x), np.clip(x / 6 + 0.5, 0, 1))
    close(ops.hard_silu(x), x * np.clip(x / 6 + 0.5, 0, 1))
    close(ops.swish(x), ops.silu(x).numpy())


def reference_attention(q, k, v, keep=None, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    logits = np.einsum("btnh,bsnh->bnts", q, k) * scale
    if keep is not None:
        logits = np.where(keep, logits, -np.inf)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", weights, v)


def test_dot_product_attention_against_its_formula():
    q, k, v = (RNG.standard_normal((2, 4, 3, 5)) for _ in range(3))
    close(ops.dot_product_attention(q, k, v), reference_attention(q, k, v), rtol=1e-5)
    causal = np.tril(np.ones((4, 4), bool))
    close(ops.dot_product_attention(q, k, v, is_causal=True), reference_attention(q, k, v, causal), rtol=1e-5)
    keep = RNG.random((2, 1, 4, 4)) > 0.3
    keep[..., 0] = True  # every query sees some key
    close(ops.dot_product_attention(q, k, v, mask=keep, scale=0.2), reference_attention(q, k, v, keep, 0.2),
          rtol=1e-5)


def test_attention_of_a_query_that_sees_no_key_is_an_average_not_nan():
    q, k, v = (RNG.standard_normal((1, 2, 1, 3)) for _ in range(3))
    out = ops.dot_product_attention(q, k, v, mask=np.zeros((1, 1, 2, 2), bool)).numpy()
    close(out, np.broadcast_to(v.mean(axis=1, keepdims=True), out.shape), rtol=1e-5)


def test_normalizations_against_their_formulas():
    gamma, beta = RNG.standard_normal(4), RNG.standard_normal(4)
    mean, var = X3.mean(-1, keepdims=True), X3.var(-1, keepdims=True)
    close(ops.layer_normalization(X3, gamma, beta), (X3 - mean) / np.sqrt(var + 1e-7) * gamma + beta, rtol=1e-5)
    close(ops.layer_normalization(X3, gamma, rms_scaling=True), X3 / np.sqrt(var + 1e-7) * gamma, rtol=1e-5)
    close(ops.rms_normalization(X3, gamma, epsilon=1e-3),
          X3 / np.sqrt((X3**2).mean(-1, keepdims=True) + 1e-3) * gamma, rtol=1e-5)
    m, v, o, s = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3), RNG.standard_normal(3), RNG.standard_normal(3)
    expected = (X3 - m[:, None]) / np.sqrt(v[:, None] + 1e-3) * s[:, None] + o[:, None]
    close(ops.batch_normalization(X3, m, v, axis=1, offset=o, scale=s), expected, rtol=1e-5)
