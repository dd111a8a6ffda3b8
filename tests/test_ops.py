"""tinyfit.ops: keras.ops names and signatures, NumPy's values, finite-difference gradients.

One table of math cases drives both checks for the elementwise ops: each case names
the op, its NumPy twin and the input domain where the op is smooth (so finite
differences are accurate). Shapes come from hypothesis, broadcasting pairs included.
"""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit import ops
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.tensor import Tensor

few = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**16)


# ********************************************************************* strategies
def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


@st.composite
def broadcastable(draw, n=2, max_dims=3):
    """`n` shapes that broadcast together: each drops some leading axes of a common
    shape and turns some of the rest to size 1."""
    full = draw(shapes(max_dims=max_dims))
    out = []
    for _ in range(n):
        kept = full[draw(st.integers(0, len(full))):]
        ones = draw(st.lists(st.booleans(), min_size=len(kept), max_size=len(kept)))
        out.append(tuple(1 if one else size for size, one in zip(kept, ones)))
    return tuple(out)


@st.composite
def reduction_args(draw, min_side=1):
    """A shape, an axis (None, an int, or a tuple of distinct axes) and keepdims."""
    shape = draw(shapes(min_dims=1, min_side=min_side))
    ndim = len(shape)
    axis = draw(st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple),
    ))
    return shape, axis, draw(st.booleans())


def values(shape, seed, domain="real"):
    """float64 values where `domain`'s ops are smooth: no kinks, no poles, no logs of <= 0."""
    rng = np.random.default_rng(seed)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "nonzero":  # away from the kinks of abs, relu, max at 0
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)
    if domain == "probabilities":
        return rng.uniform(0.05, 0.95, shape)
    return rng.uniform(-2.0, 2.0, shape)


def same(result, expected, rtol=1e-5, atol=1e-6):
    """`result` is a Tensor holding NumPy's `expected` values (float32 precision)."""
    assert isinstance(result, Tensor), type(result)
    np.testing.assert_allclose(result.numpy(), expected, rtol=rtol, atol=atol)
    assert result.shape == np.shape(expected)


def f32(x):
    """x rounded to float32, as ops will see it, but held in float64 for the reference."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


# ***************************************************************** elementwise ops
UNARY = {  # name: (NumPy twin, domain)
    "negative": (np.negative, "real"),
    "square": (np.square, "real"),
    "sqrt": (np.sqrt, "positive"),
    "abs": (np.abs, "nonzero"),
    "exp": (np.exp, "real"),
    "log": (np.log, "positive"),
    "tanh": (np.tanh, "real"),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), "real"),
    "relu": (lambda x: np.maximum(x, 0), "nonzero"),
    "softplus": (lambda x: np.logaddexp(0, x), "real"),
}

BINARY = {  # name: (NumPy twin, domain of x1, domain of x2)
    "add": (np.add, "real", "real"),
    "subtract": (np.subtract, "real", "real"),
    "multiply": (np.multiply, "real", "real"),
    "divide": (np.divide, "real", "nonzero"),
    "power": (np.power, "positive", "real"),
    "maximum": (np.maximum, "real", "real"),
    "minimum": (np.minimum, "real", "real"),
}

COMPARISONS = {
    "equal": np.equal, "not_equal": np.not_equal, "greater": np.greater,
    "greater_equal": np.greater_equal, "less": np.less, "less_equal": np.less_equal,
}


@pytest.mark.parametrize("name", UNARY)
@few
@given(shape=shapes(), seed=seeds)
def test_unary_forward_matches_numpy(name, shape, seed):
    reference, domain = UNARY[name]
    x = values(shape, seed, domain)
    same(getattr(ops, name)(x), reference(f32(x)))


@pytest.mark.parametrize("name", UNARY)
@few
@given(shape=shapes(), seed=seeds)
def test_unary_gradcheck(name, shape, seed):
    _, domain = UNARY[name]
    assert gradcheck(getattr(ops, name), [values(shape, seed, domain)])


@pytest.mark.parametrize("name", BINARY)
@few
@given(pair=broadcastable(), seed=seeds)
def test_binary_forward_matches_numpy_with_broadcasting(name, pair, seed):
    reference, d1, d2 = BINARY[name]
    a, b = values(pair[0], seed, d1), values(pair[1], seed + 1, d2)
    same(getattr(ops, name)(a, b), reference(f32(a), f32(b)), rtol=1e-4)


@pytest.mark.parametrize("name", BINARY)
@few
@given(pair=broadcastable(), seed=seeds)
def test_binary_gradcheck_with_broadcasting(name, pair, seed):
    _, d1, d2 = BINARY[name]
    assert gradcheck(getattr(ops, name), [values(pair[0], seed, d1), values(pair[1], seed + 1, d2)])


@few
@given(shape=shapes(), exponent=st.sampled_from([2, 3, 0.5, -1.5]), seed=seeds)
def test_power_by_a_number(shape, exponent, seed):
    x = values(shape, seed, "positive")
    same(ops.power(x, exponent), np.power(f32(x), exponent), rtol=1e-5)
    assert gradcheck(lambda t: ops.power(t, exponent), [x])
    assert gradcheck(lambda t: ops.power(2.0, t), [x])  # a number to a tensor power


@pytest.mark.parametrize("name", COMPARISONS)
@few
@given(pair=broadcastable(), seed=seeds)
def test_comparisons_match_numpy(name, pair, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 3, pair[0]), rng.integers(0, 3, pair[1])  # small ints: ties happen
    result = getattr(ops, name)(a, b)
    same(result, COMPARISONS[name](a, b))
    assert result.dtype == np.bool_ and not result.requires_grad


@few
@given(shape=shapes(), seed=seeds)
def test_clip(shape, seed):
    x = values(shape, seed)
    same(ops.clip(x, -0.5, 1.0), np.clip(f32(x), -0.5, 1.0))
    assert gradcheck(lambda t: ops.clip(t, -0.5, 1.0), [x])


@few
@given(shapes3=broadcastable(n=3), seed=seeds)
def test_clip_with_tensor_bounds_passes_gradients_to_them(shapes3, seed):
    x = values(shapes3[0], seed)
    low = values(shapes3[1], seed + 1) - 1.0
    high = low + values(shapes3[2], seed + 2, "positive")  # high > low everywhere
    same(ops.clip(x, low, high), np.minimum(np.maximum(f32(x), f32(low)), f32(high)))
    assert gradcheck(ops.clip, [x, low, high])


@few
@given(shapes3=broadcastable(n=3), seed=seeds)
def test_where_with_broadcasting(shapes3, seed):
    rng = np.random.default_rng(seed)
    condition = rng.random(shapes3[0]) > 0.5
    a, b = values(shapes3[1], seed + 1), values(shapes3[2], seed + 2)
    same(ops.where(condition, a, b), np.where(condition, f32(a), f32(b)))
    assert gradcheck(lambda x1, x2: ops.where(condition, x1, x2), [a, b])


def test_where_with_one_argument_gives_the_indices_where_condition_holds():
    condition = np.array([[1, 0, 2], [0, 0, 3]])
    rows, cols = ops.where(condition)
    for got, expected in zip((rows, cols), np.nonzero(condition)):
        same(got, expected)


def test_where_takes_a_numeric_condition_as_nonzero():
    same(ops.where(np.array([0.0, 2.0]), 1.0, -1.0), np.array([-1.0, 1.0]))


@st.composite
def matmul_shapes(draw):
    """Shapes for a @ b: 1-D operands, plain matrices, and batches that broadcast."""
    m, k, n = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch_a, batch_b = draw(broadcastable(max_dims=2))
    a = (k,) if draw(st.booleans()) else batch_a + (m, k)
    b = (k,) if draw(st.booleans()) else batch_b + (k, n)
    return a, b


@few
@given(pair=matmul_shapes(), seed=seeds)
def test_matmul(pair, seed):
    a, b = values(pair[0], seed), values(pair[1], seed + 1)
    same(ops.matmul(a, b), np.matmul(f32(a), f32(b)), rtol=1e-4, atol=1e-5)
    assert gradcheck(ops.matmul, [a, b])


# *********************************************************************** reductions
def np_logsumexp(x, axis=None, keepdims=False):
    shift = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - shift).sum(axis=axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis=axis)


REDUCTIONS = {  # name: (NumPy twin, smallest side: std's gradient is infinite where var = 0)
    "sum": (np.sum, 1),
    "mean": (np.mean, 1),
    "max": (np.max, 1),
    "min": (np.min, 1),
    "var": (np.var, 1),
    "std": (np.std, 2),
    "logsumexp": (np_logsumexp, 1),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@few
@given(data=st.data(), seed=seeds)
def test_reductions_match_numpy_and_gradcheck(name, data, seed):
    reference, min_side = REDUCTIONS[name]
    shape, axis, keepdims = data.draw(reduction_args(min_side=min_side))
    x = values(shape, seed)
    op = getattr(ops, name)
    same(op(x, axis=axis, keepdims=keepdims), reference(f32(x), axis=axis, keepdims=keepdims), rtol=1e-4)
    assert gradcheck(lambda t: op(t, axis=axis, keepdims=keepdims), [x])


def test_max_and_min_with_initial():
    x = np.array([[1.0, 5.0], [3.0, -2.0]])
    same(ops.max(x, axis=1, initial=2.0), np.max(x, axis=1, initial=2.0))
    same(ops.min(x, axis=0, initial=0.0), np.min(x, axis=0, initial=0.0))
    empty = np.zeros((0, 3))
    same(ops.max(empty, axis=0, initial=-1.0), np.max(empty, axis=0, initial=-1.0))
    same(ops.min(empty, axis=0, keepdims=True, initial=4.0),
         np.min(empty, axis=0, keepdims=True, initial=4.0))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@few
@given(shape=shapes(min_dims=1), keepdims=st.booleans(), data=st.data(), seed=seeds)
def test_argmax_argmin_match_numpy(name, shape, keepdims, data, seed):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    x = values(shape, seed)
    result = getattr(ops, name)(x, axis=axis, keepdims=keepdims)
    same(result, getattr(np, name)(f32(x), axis=axis, keepdims=keepdims))
    assert result.dtype.kind == "i"


# ************************************************************* softmax, log_softmax
def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("name, reference", [
    ("softmax", np_softmax),
    ("log_softmax", lambda x, axis: np.log(np_softmax(x, axis))),
])
@few
@given(shape=shapes(min_dims=1), data=st.data(), seed=seeds)
def test_softmax_family(name, reference, shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = values(shape, seed)
    op = getattr(ops, name)
    same(op(x, axis=axis), reference(f32(x), axis))
    assert gradcheck(lambda t: op(t, axis=axis), [x])


def test_softmax_defaults_to_the_last_axis():
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    same(ops.softmax(x), np_softmax(x, -1))
    same(ops.log_softmax(x), np.log(np_softmax(x, -1)))


# **************************************************************************** shapes
@few
@given(shape=shapes(), data=st.data(), seed=seeds)
def test_reshape(shape, data, seed):
    size = int(np.prod(shape))
    newshape = data.draw(st.sampled_from([(-1,), (size,), shape[::-1], (1, size, 1), size]))
    x = values(shape, seed)
    same(ops.reshape(x, newshape), np.reshape(f32(x), newshape))
    assert gradcheck(lambda t: ops.reshape(t, newshape), [x])


@few
@given(shape=shapes(), data=st.data(), seed=seeds)
def test_transpose(shape, data, seed):
    axes = data.draw(st.one_of(st.none(), st.permutations(range(len(shape))).map(tuple)))
    x = values(shape, seed)
    same(ops.transpose(x, axes), np.transpose(f32(x), axes))
    assert gradcheck(lambda t: ops.transpose(t, axes), [x])


@few
@given(shape=shapes(), data=st.data(), seed=seeds)
def test_expand_dims(shape, data, seed):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    x = values(shape, seed)
    same(ops.expand_dims(x, axis), np.expand_dims(f32(x), axis))
    assert gradcheck(lambda t: ops.expand_dims(t, axis), [x])


def test_expand_dims_with_several_axes():
    x = np.ones((2, 3))
    assert ops.expand_dims(x, (0, -1)).shape == np.expand_dims(x, (0, -1)).shape == (1, 2, 3, 1)


@few
@given(shape=shapes(min_side=1, max_side=2), data=st.data(), seed=seeds)
def test_squeeze(shape, data, seed):
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = data.draw(st.one_of(
        st.none(), st.lists(st.sampled_from(ones), min_size=1, unique=True).map(tuple)
    ) if ones else st.none())
    x = values(shape, seed)
    same(ops.squeeze(x, axis), np.squeeze(f32(x), axis))
    assert gradcheck(lambda t: ops.squeeze(t, axis), [x])


def test_squeeze_takes_a_negative_int_axis():
    assert ops.squeeze(np.ones((2, 1)), -1).shape == (2,)


@st.composite
def joinable(draw, same_size=False):
    """2-3 shapes equal except along `axis` (equal everywhere when same_size)."""
    shape = list(draw(shapes(min_dims=1)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    out = []
    for _ in range(draw(st.integers(2, 3))):
        if not same_size:
            shape[axis] = draw(st.integers(1, 3))
        out.append(tuple(shape))
    return out, axis


@few
@given(parts=joinable(), seed=seeds)
def test_concatenate(parts, seed):
    part_shapes, axis = parts
    xs = [values(s, seed + i) for i, s in enumerate(part_shapes)]
    same(ops.concatenate(xs, axis=axis), np.concatenate([f32(x) for x in xs], axis=axis))
    assert gradcheck(lambda *ts: ops.concatenate(list(ts), axis=axis), xs)


@few
@given(parts=joinable(same_size=True), data=st.data(), seed=seeds)
def test_stack(parts, data, seed):
    part_shapes, _ = parts
    ndim = len(part_shapes[0])
    axis = data.draw(st.integers(-ndim - 1, ndim))
    xs = [values(s, seed + i) for i, s in enumerate(part_shapes)]
    same(ops.stack(xs, axis=axis), np.stack([f32(x) for x in xs], axis=axis))
    assert gradcheck(lambda *ts: ops.stack(list(ts), axis=axis), xs)


@few
@given(shape=shapes(min_dims=1), data=st.data(), seed=seeds)
def test_pad(shape, data, seed):
    mode = data.draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    widths = tuple(data.draw(st.tuples(st.integers(0, 2), st.integers(0, 2))) for _ in shape)
    x = values(shape, seed)
    expected = np.pad(f32(x), widths, mode=mode)
    same(ops.pad(x, widths, mode=mode), expected)
    assert gradcheck(lambda t: ops.pad(t, widths, mode=mode), [x])


def test_pad_constant_values_and_short_pad_widths():
    x = np.arange(6.0).reshape(2, 3)
    same(ops.pad(x, 1, constant_values=9.0), np.pad(x, 1, constant_values=9.0))
    same(ops.pad(x, ((0, 1), (2, 0))), np.pad(x, ((0, 1), (2, 0))))


# ************************************************************************** indexing
@few
@given(shape=shapes(min_dims=1), index_shape=shapes(max_dims=2), data=st.data(), seed=seeds)
def test_take(shape, index_shape, data, seed):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    size = int(np.prod(shape)) if axis is None else shape[axis]
    rng = np.random.default_rng(seed)
    indices = rng.integers(-size, size, index_shape)  # negatives and repeats included
    x = values(shape, seed)
    same(ops.take(x, indices, axis=axis), np.take(f32(x), indices, axis=axis))
    # Repeated indices each took a copy, so their gradients must add up.
    assert gradcheck(lambda t: ops.take(t, indices, axis=axis), [x])


def test_take_with_a_python_int_and_a_list():
    x = np.arange(12.0).reshape(3, 4)
    same(ops.take(x, 2, axis=1), np.take(x, 2, axis=1))
    same(ops.take(x, [0, 0, 2], axis=0), np.take(x, [0, 0, 2], axis=0))
    same(ops.take(x, [5, -1]), np.take(x, [5, -1]))


@few
@given(shape=shapes(max_dims=2), num_classes=st.integers(1, 5), data=st.data(), seed=seeds)
def test_one_hot(shape, num_classes, data, seed):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    labels = np.random.default_rng(seed).integers(0, num_classes, shape)
    expected = np.moveaxis(np.eye(num_classes, dtype=np.float32)[labels], -1, axis)
    result = ops.one_hot(labels, num_classes, axis=axis)
    same(result, expected)
    assert result.dtype == np.float32
    assert ops.one_hot(labels, num_classes, dtype="int32").dtype == np.int32


# ************************************************************ conversion and creation
def test_convert_to_tensor_keeps_integers_and_makes_floats_float32():
    assert ops.convert_to_tensor(np.array([1, 2])).dtype == np.int64
    assert ops.convert_to_tensor(np.array([1, 2], dtype=np.uint8)).dtype == np.uint8
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32  # Keras's dtype for Python ints
    assert ops.convert_to_tensor(3).dtype == np.int32
    assert ops.convert_to_tensor(True).dtype == np.bool_
    assert ops.convert_to_tensor([1.5, 2]).dtype == np.float32
    assert ops.convert_to_tensor(np.array([1.5])).dtype == np.float32
    assert ops.convert_to_tensor(np.float64(1.5)).dtype == np.float32
    assert ops.convert_to_tensor(np.int16(3)).dtype == np.int16
    assert ops.convert_to_tensor(np.array([1.5]), dtype="float64").dtype == np.float64
    assert ops.convert_to_tensor([1, 2], dtype="float32").dtype == np.float32
    same(ops.convert_to_tensor([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]]))


def test_convert_to_tensor_returns_a_tensor_as_is_and_casts_on_request():
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert ops.convert_to_tensor(t) is t
    assert ops.convert_to_tensor(t, dtype="float32") is t
    doubled = ops.convert_to_tensor(t, dtype="float64")
    assert doubled.dtype == np.float64 and doubled.requires_grad  # still on the graph


def test_convert_to_numpy():
    for x in (Tensor([1.0, 2.0]), np.array([1.0, 2.0]), [1.0, 2.0]):
        out = ops.convert_to_numpy(x)
        assert type(out) is np.ndarray
        np.testing.assert_array_equal(out, [1.0, 2.0])


@pytest.mark.parametrize("dtype", ["int32", "float64", "bool", "float32"])
def test_cast(dtype):
    x = np.array([-1.7, 0.0, 2.5])
    result = ops.cast(x, dtype)
    assert result.dtype == np.dtype(dtype)
    same(result, f32(x).astype(dtype))


@few
@given(shape=shapes(), seed=seeds)
def test_cast_passes_gradients_between_float_dtypes(shape, seed):
    # float64 -> float64 -> float64: float32 has too few digits for finite differences.
    assert gradcheck(lambda t: ops.cast(ops.cast(t, "float64") * 2.0, "float64"), [values(shape, seed)])
    x = Tensor(values(shape, seed), requires_grad=True)
    ops.sum(ops.cast(x, "float64")).backward()
    assert x.grad.dtype == np.float32 and np.all(x.grad == 1)


@pytest.mark.parametrize("name, fill", [("zeros", 0), ("ones", 1)])
def test_zeros_and_ones(name, fill):
    make = getattr(ops, name)
    same(make((2, 3)), np.full((2, 3), fill, dtype=np.float32))
    assert make((2, 3)).dtype == np.float32
    assert make(4).shape == (4,)
    assert make((2,), dtype="int32").dtype == np.int32
    assert make((2,), dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("name, fill", [("zeros_like", 0), ("ones_like", 1)])
def test_zeros_like_and_ones_like(name, fill):
    make = getattr(ops, name)
    x = np.arange(6, dtype=np.int64).reshape(2, 3)
    result = make(x)
    same(result, np.full((2, 3), fill))
    assert result.dtype == np.int64
    assert make(Tensor([1.0, 2.0], requires_grad=True), dtype="float64").dtype == np.float64
    assert not make(Tensor([1.0], requires_grad=True)).requires_grad


def test_stop_gradient_blocks_the_gradient():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    # d/dx (x * constant x) is the constant x: only one of the two paths counts.
    ops.sum(ops.multiply(x, ops.stop_gradient(x))).backward()
    np.testing.assert_allclose(x.grad, [1.0, -2.0, 3.0])
    same(ops.stop_gradient(np.array([1.0, 2.0])), np.array([1.0, 2.0]))
    assert not ops.stop_gradient(x).requires_grad


# ******************************************************************* input kinds
UNARY_CALLS = sorted(UNARY) + ["sum", "mean", "max", "min", "var", "std", "logsumexp", "softmax",
                               "log_softmax", "argmax", "argmin", "stop_gradient", "zeros_like",
                               "ones_like", "transpose", "squeeze"]
KINDS = {
    "Tensor": Tensor,
    "ndarray": lambda v: np.asarray(v, dtype=np.float32),
    "list": lambda v: np.asarray(v).tolist(),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", UNARY_CALLS)
def test_unary_ops_accept_every_kind_of_input(name, kind):
    x = np.array([[0.5, 1.5, 2.0], [1.0, 0.25, 3.0]], dtype=np.float32)
    op = getattr(ops, name)
    same(op(KINDS[kind](x)), op(Tensor(x)).numpy())


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_accept_python_numbers(name):
    reference, _ = UNARY[name]
    same(getattr(ops, name)(1.5), reference(np.float64(1.5)))


@pytest.mark.parametrize("kind", [*KINDS, "number"])
@pytest.mark.parametrize("name", sorted(BINARY) + sorted(COMPARISONS))
def test_binary_ops_accept_every_kind_of_operand(name, kind):
    x = np.array([[0.5, 1.5, 2.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    y = np.array([2.0, 0.5, 2.0], dtype=np.float32)
    op = getattr(ops, name)
    reference = COMPARISONS[name] if name in COMPARISONS else BINARY[name][0]
    if kind == "number":  # a number on either side of a tensor
        same(op(Tensor(x), 2.0), reference(x, 2.0))
        same(op(2.0, Tensor(x)), reference(2.0, x))
    else:  # both operands of this kind (no Tensor at all for arrays and lists)
        make = KINDS[kind]
        same(op(make(x), make(y)), reference(x, y))
        same(op(make(y), Tensor(x)), reference(y, x))


def test_dtypes_follow_keras():
    ints = np.array([1, 2, 3])
    assert ops.add(ints, ints).dtype == np.int64  # integers stay integers
    assert ops.multiply(ints, 2).dtype == np.int64  # a Python int takes the tensor's dtype
    assert ops.sum(ints).dtype == np.int64
    assert ops.relu(ints).dtype == ops.abs(ints).dtype == ops.square(ints).dtype == np.int64
    assert ops.add(ints, 0.5).dtype == np.float32  # not float64: float32 is the default float
    assert ops.add(ints, np.array([0.5])).dtype == np.float32
    assert ops.divide(ints, 2).dtype == np.float32  # true division
    assert ops.exp(ints).dtype == ops.mean(ints).dtype == ops.softmax(ints).dtype == np.float32
    assert ops.clip(ints, 0.5, 2.5).dtype == np.int64  # clip keeps x's dtype
    same(ops.clip(ints, 0.5, 2.5), np.array([1, 2, 2]))
    assert ops.clip(Tensor([0.5, 3.0]), Tensor([1.0], dtype="float64"), 2.0).dtype == np.float32
    assert ops.add(2, 3).dtype == np.int32  # Python ints alone: Keras's int32
    assert ops.add(2, 0.5).dtype == np.float32
    x64 = Tensor([1.0], dtype="float64")
    assert ops.multiply(x64, 2.5).dtype == np.float64  # a number never narrows a tensor
    mask = Tensor(np.array([True, False]))
    same(ops.where(mask, 5, Tensor([1.0, 2.0])), np.array([5.0, 2.0]))  # 5 is a value, not True
    same(ops.add(mask, 2), np.array([3, 2]))


@pytest.mark.parametrize("kind", KINDS)
def test_shape_ops_accept_every_kind_of_input(kind):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    make = KINDS[kind]
    same(ops.reshape(make(x), (3, 2)), x.reshape(3, 2))
    same(ops.expand_dims(make(x), 1), x[:, None])
    same(ops.concatenate([make(x), x], axis=1), np.concatenate([x, x], axis=1))
    same(ops.stack([make(x), Tensor(x)], axis=1), np.stack([x, x], axis=1))
    same(ops.take(make(x), [1], axis=0), x[[1]])
    same(ops.pad(make(x), 1, mode="edge"), np.pad(x, 1, mode="edge"))
    same(ops.matmul(make(x), x.T), x @ x.T)
    same(ops.clip(make(x), 1, 4), np.clip(x, 1, 4))


# ********************************************************* cross-entropies (fused)
def np_log_softmax(z, axis=-1):
    return np.log(np_softmax(z, axis))


@few
@given(batch=shapes(max_dims=2), classes=st.integers(2, 5), seed=seeds, from_logits=st.booleans())
def test_categorical_crossentropy(batch, classes, seed, from_logits):
    rng = np.random.default_rng(seed)
    target = np.eye(classes)[rng.integers(0, classes, batch)]
    if from_logits:
        output = values(batch + (classes,), seed)
        expected = -(target * np_log_softmax(f32(output))).sum(-1)
    else:
        output = values(batch + (classes,), seed, "positive")
        expected = -(target * np.log(f32(output) / f32(output).sum(-1, keepdims=True))).sum(-1)
    same(ops.categorical_crossentropy(target, output, from_logits=from_logits), expected, rtol=1e-4)
    loss = ops.categorical_crossentropy
    assert gradcheck(lambda o: loss(target, o, from_logits=from_logits), [output])


@few
@given(batch=shapes(max_dims=2), classes=st.integers(2, 5), seed=seeds, from_logits=st.booleans())
def test_sparse_categorical_crossentropy(batch, classes, seed, from_logits):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, batch)
    output = values(batch + (classes,), seed, "real" if from_logits else "positive")
    if from_logits:
        log_probs = np_log_softmax(f32(output))
    else:
        log_probs = np.log(f32(output) / f32(output).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_probs, labels[..., None], axis=-1)[..., 0]
    loss = ops.sparse_categorical_crossentropy
    same(loss(labels, output, from_logits=from_logits), expected, rtol=1e-4)
    assert gradcheck(lambda o: loss(labels, o, from_logits=from_logits), [output])


@few
@given(shape=shapes(), seed=seeds, from_logits=st.booleans())
def test_binary_crossentropy(shape, seed, from_logits):
    target = values(shape, seed + 1, "probabilities")
    if from_logits:
        output = values(shape, seed)
        p = 1 / (1 + np.exp(-f32(output)))
    else:
        output = values(shape, seed, "probabilities")
        p = f32(output)
    expected = -(f32(target) * np.log(p) + (1 - f32(target)) * np.log(1 - p))
    same(ops.binary_crossentropy(target, output, from_logits=from_logits), expected, rtol=1e-4)
    loss = ops.binary_crossentropy
    assert gradcheck(lambda t, o: loss(t, o, from_logits=from_logits), [target, output])


def test_crossentropies_take_integer_targets_and_python_lists():
    logits = [[2.0, 0.5, -1.0]]
    expected = -np_log_softmax(np.array(logits))[:, 0]
    same(ops.categorical_crossentropy([[1, 0, 0]], logits, from_logits=True), expected)
    same(ops.sparse_categorical_crossentropy([0], logits, from_logits=True), expected)
    same(ops.binary_crossentropy([1, 0], [0.9, 0.2]), -np.log([0.9, 0.8]))


# ************************************************************** convolution, pooling
def np_same_pads(sizes, window, strides, dilation):
    pads = []
    for n, k, s, d in zip(sizes, window, strides, dilation):
        total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def np_windows(x, window, strides, dilation):
    """Every window position of channels_last `x`: yields (output position, window slice)."""
    span = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    out = [(n - e) // s + 1 for n, e, s in zip(x.shape[1:-1], span, strides)]
    for pos in np.ndindex(*out):
        index = tuple(slice(p * s, p * s + e, d) for p, s, e, d in zip(pos, strides, span, dilation))
        yield out, pos, x[(slice(None),) + index]


def np_conv(x, kernel, strides, padding, dilation):
    n = x.ndim - 2
    if padding == "same":
        pads = np_same_pads(x.shape[1:-1], kernel.shape[:n], strides, dilation)
        x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    result = None
    for out, pos, window in np_windows(x, kernel.shape[:n], strides, dilation):
        if result is None:
            result = np.zeros((x.shape[0], *out, kernel.shape[-1]))
        # window (batch, *kernel_size, channels) . kernel (*kernel_size, channels, filters)
        axes = (list(range(1, n + 2)), list(range(n + 1)))
        result[(slice(None),) + pos] = np.tensordot(window, kernel, axes=axes)
    return result


def np_pool(x, window, strides, padding, reduce):
    n = x.ndim - 2
    if padding == "same":  # padded cells are NaN, and nanmax/nanmean skip them
        x = np.pad(x, [(0, 0)] + np_same_pads(x.shape[1:-1], window, strides, (1,) * n) + [(0, 0)],
                   constant_values=np.nan)
    result = None
    for out, pos, part in np_windows(x, window, strides, (1,) * n):
        if result is None:
            result = np.zeros((x.shape[0], *out, x.shape[-1]))
        result[(slice(None),) + pos] = reduce(part, axis=tuple(range(1, n + 1)))
    return result


@st.composite
def window_args(draw, dilation=True):
    """Spatial rank 1 or 2, sizes, a window that fits, strides, padding, dilation."""
    n = draw(st.integers(1, 2))
    sizes = tuple(draw(st.integers(3, 5)) for _ in range(n))
    window = tuple(draw(st.integers(1, 2)) for _ in range(n))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(n))
    rate = tuple(draw(st.integers(1, 2)) for _ in range(n)) if dilation else (1,) * n
    if max(strides) > 1:
        rate = (1,) * n  # Keras forbids strides > 1 together with dilation > 1
    return sizes, window, strides, draw(st.sampled_from(["valid", "same"])), rate


@few
@given(args=window_args(), seed=seeds, channels=st.integers(1, 2), filters=st.integers(1, 2))
def test_conv(args, seed, channels, filters):
    sizes, window, strides, padding, rate = args
    x = values((2, *sizes, channels), seed)
    kernel = values((*window, channels, filters), seed + 1)
    result = ops.conv(x, kernel, strides=strides, padding=padding, dilation_rate=rate)
    same(result, np_conv(f32(x), f32(kernel), strides, padding, rate), rtol=1e-4, atol=1e-5)
    assert gradcheck(lambda a, k: ops.conv(a, k, strides, padding, dilation_rate=rate), [x, kernel])


@few
@given(args=window_args(), seed=seeds, channels=st.integers(1, 2), filters=st.integers(1, 3))
def test_conv_transpose_is_the_adjoint_of_conv(args, seed, channels, filters):
    # <conv(z, W), y> == <z, conv_transpose(y, W)>: what conv sends forward, the transpose sends back.
    sizes, window, strides, padding, rate = args
    z = values((2, *sizes, channels), seed)
    kernel = values((*window, channels, filters), seed + 1)
    y = values(ops.conv(z, kernel, strides, padding, dilation_rate=rate).shape, seed + 2)
    # The transpose of a strided conv may give back a longer input; output_padding picks z's size.
    forward = ops.conv(z, kernel, strides, padding, dilation_rate=rate).numpy()
    # Keras stores both kernels as (*window, channels, filters): the same array serves both ways.
    plain = ops.conv_transpose(y, kernel, strides, padding, dilation_rate=rate)
    extra = tuple(s - p for s, p in zip(sizes, plain.shape[1:-1]))
    if any(e < 0 or e >= max(st_, 1) for e, st_ in zip(extra, strides)):
        return  # no output_padding reaches z's size here (Keras's sizes round the other way)
    back = ops.conv_transpose(y, kernel, strides, padding, output_padding=extra if any(extra) else None,
                              dilation_rate=rate)
    assert back.shape == z.shape
    np.testing.assert_allclose(np.sum(forward * y), np.sum(z * back.numpy()), rtol=1e-4)
    assert gradcheck(lambda a, k: ops.conv_transpose(a, k, strides, padding, dilation_rate=rate), [y, kernel])


@pytest.mark.parametrize("name, reduce", [("max_pool", np.nanmax), ("average_pool", np.nanmean)])
@few
@given(args=window_args(dilation=False), seed=seeds)
def test_pooling(name, reduce, args, seed):
    sizes, window, strides, padding, _ = args
    x = values((2, *sizes, 2), seed)
    op = getattr(ops, name)
    expected = np_pool(f32(x), window, strides, padding, reduce)
    same(op(x, window, strides=strides, padding=padding), expected)
    assert gradcheck(lambda t: op(t, window, strides, padding), [x])


def test_pooling_strides_default_to_the_pool_size():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    same(ops.max_pool(x, 2), np_pool(x, (2, 2), (2, 2), "valid", np.nanmax))
    same(ops.average_pool(x, (2, 2)), np_pool(x, (2, 2), (2, 2), "valid", np.nanmean))


# ************************************************************************ errors
@pytest.mark.parametrize("call, error, facts", [
    (lambda: ops.squeeze(np.ones((2, 3, 4)), 1), ValueError,
     ["squeeze", "axis 1", "(2, 3, 4)", "size 3", "axis=None"]),
    (lambda: ops.squeeze(np.ones((2, 1)), 5), ValueError, ["squeeze", "axis 5", "out of range"]),
    (lambda: ops.expand_dims(np.ones((2, 3)), 3), ValueError,
     ["expand_dims", "axis 3", "(2, 3)", "-3..2"]),
    (lambda: ops.expand_dims(np.ones((2, 3)), (1, 1)), ValueError, ["expand_dims", "(1, 1)", "twice"]),
    (lambda: ops.take(np.arange(5.0), [1, 7]), IndexError,
     ["take: index 7 is out of bounds for axis 0 of size 5", "-5..4"]),
    (lambda: ops.take(np.ones((2, 3)), [-4], axis=1), IndexError,
     ["take: index -4 is out of bounds for axis 1 of size 3"]),
    (lambda: ops.take(np.ones(3), [0.5]), TypeError, ["take", "integers", "float32", "cast"]),
    (lambda: ops.take(np.ones(3), [0], axis=2), ValueError, ["take", "axis 2", "out of range"]),
    (lambda: ops.stack([np.ones((2, 3)), np.ones((3, 2))]), ValueError,
     ["stack", "same shape", "tensor 0", "(2, 3)", "tensor 1", "(3, 2)"]),
    (lambda: ops.stack([]), ValueError, ["stack", "at least one"]),
    (lambda: ops.stack([np.ones(2), np.ones(2)], axis=2), ValueError,
     ["stack", "axis 2", "(2,)", "-2..1"]),
    (lambda: ops.where([True], [1.0], None), ValueError, ["where", "x2 is None", "both", "neither"]),
    (lambda: ops.pad(np.ones(2), 1, mode="mean"), ValueError, ["pad", "'mean'", "'reflect'"]),
    (lambda: ops.pad(np.ones(2), 1, mode="edge", constant_values=3), ValueError,
     ["pad", "constant_values", "'edge'"]),
    (lambda: ops.pad(np.ones((2, 2)), ((1, 1), (1, 1), (1, 1)), mode="wrap"), ValueError,
     ["pad", "(2, 2)", "pair"]),
    (lambda: ops.one_hot([1], 3, sparse=True), ValueError, ["one_hot", "sparse=True", "dense"]),
    (lambda: ops.convert_to_tensor([1], sparse=True), ValueError, ["convert_to_tensor", "sparse=True"]),
    (lambda: ops.cast([1.0], "complex64"), TypeError, ["cast", "complex64"]),
    (lambda: ops.zeros((2,), dtype="float8"), TypeError, ["zeros", "float8"]),
    (lambda: ops.add(np.ones((2, 3)), np.ones((4,))), ValueError, ["add", "(2, 3)", "(4,)", "3 and 4"]),
    (lambda: ops.matmul(np.ones((2, 3)), np.ones((4, 2))), ValueError,
     ["matmul", "(2, 3)", "(4, 2)", "3 and 4"]),
    (lambda: ops.reshape(np.ones(6), (4, 2)), ValueError, ["reshape", "(6,)", "(4, 2)"]),
    (lambda: ops.concatenate([np.ones((2, 3)), np.ones((2, 4))]), ValueError,
     ["concatenate", "(2, 3)", "(2, 4)", "axis 0"]),
    (lambda: ops.argmax(np.ones((2, 2)), axis=(0, 1)), ValueError, ["argmax", "one int"]),
])
def test_errors_name_the_op_and_the_facts(call, error, facts):
    with pytest.raises(error) as caught:
        call()
    for fact in facts:
        assert fact in str(caught.value)


# ************************************************************** the public surface
EXPECTED_ALL = [
    "convert_to_tensor", "convert_to_numpy", "cast", "stop_gradient", "is_tensor", "shape", "ndim", "size",
    "dtype", "zeros", "ones", "zeros_like", "ones_like", "full", "full_like", "empty", "arange", "linspace",
    "eye", "identity", "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod",
    "negative", "reciprocal", "power", "square", "maximum", "minimum", "clip", "where", "matmul", "dot",
    "einsum", "outer", "tensordot", "sqrt", "rsqrt", "abs", "absolute", "exp", "expm1", "log", "log1p",
    "log2", "log10", "sin", "cos", "tanh", "erf", "sign", "round", "floor", "ceil", "equal", "not_equal",
    "greater", "greater_equal", "less", "less_equal", "isnan", "isinf", "isfinite", "logical_and",
    "logical_or", "logical_xor", "logical_not", "sum", "mean", "max", "min", "amax", "amin", "prod", "var",
    "std", "any", "all", "count_nonzero", "argmax", "argmin", "logsumexp", "norm", "cumsum", "sort",
    "argsort", "top_k", "segment_sum", "segment_max", "reshape", "ravel", "transpose", "swapaxes", "moveaxis",
    "expand_dims", "squeeze", "broadcast_to", "concatenate", "stack", "hstack", "vstack", "split", "unstack",
    "tile", "repeat", "flip", "pad", "slice", "take", "take_along_axis", "tril", "triu", "roll", "diff",
    "one_hot", "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid", "log_sigmoid",
    "softplus", "softsign", "silu", "swish", "hard_silu", "gelu", "softmax", "log_softmax", "moments",
    "normalize", "batch_normalization", "layer_normalization", "rms_normalization", "dot_product_attention",
    "conv", "conv_transpose", "max_pool", "average_pool", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "binary_crossentropy",
]


def test_all_is_pinned():
    assert ops.__all__ == EXPECTED_ALL


def test_every_public_function_is_exported():
    # Every file but the one that records ops on symbolic tensors holds ops.
    files = [value for name, value in vars(ops).items() if inspect.ismodule(value) and name != "_symbolic"]
    defined = {name for module in files for name, value in vars(module).items()
               if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")}
    assert defined == set(ops.__all__)


def test_the_namespace_shows_the_ops_not_the_files():
    assert dir(ops) == sorted(ops.__all__)
    assert all(name.startswith("_") for name, value in vars(ops).items() if inspect.ismodule(value))


# keras.ops signatures: parameter names and defaults, as a Keras user writes them.
KERAS_SIGNATURES = {
    "convert_to_tensor": "x, dtype=None, sparse=None, ragged=None", "convert_to_numpy": "x",
    "cast": "x, dtype", "stop_gradient": "variable",
    "zeros": "shape, dtype=None", "ones": "shape, dtype=None",
    "zeros_like": "x, dtype=None", "ones_like": "x, dtype=None",
    **{name: "x1, x2" for name in [*BINARY, *COMPARISONS, "matmul"]},
    **{name: "x" for name in ["negative", "square", "sqrt", "abs", "exp", "log", "tanh",
                              "sigmoid", "relu", "softplus"]},
    "clip": "x, x_min, x_max", "where": "condition, x1=None, x2=None",
    **{name: "x, axis=None, keepdims=False" for name in ["sum", "mean", "var", "std", "argmax",
                                                         "argmin", "logsumexp"]},
    "max": "x, axis=None, keepdims=False, initial=None",
    "min": "x, axis=None, keepdims=False, initial=None",
    "reshape": "x, newshape", "transpose": "x, axes=None", "expand_dims": "x, axis",
    "squeeze": "x, axis=None", "concatenate": "xs, axis=0", "stack": "x, axis=0",
    "pad": "x, pad_width, mode='constant', constant_values=None",
    "take": "x, indices, axis=None",
    "one_hot": "x, num_classes, axis=-1, dtype=None, sparse=False",
    "softmax": "x, axis=-1", "log_softmax": "x, axis=-1",
    "conv": "inputs, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1",
    "conv_transpose": "inputs, kernel, strides=1, padding='valid', output_padding=None, data_format=None, "
                      "dilation_rate=1",
    "max_pool": "inputs, pool_size, strides=None, padding='valid', data_format=None",
    "average_pool": "inputs, pool_size, strides=None, padding='valid', data_format=None",
    "categorical_crossentropy": "target, output, from_logits=False, axis=-1",
    "sparse_categorical_crossentropy": "target, output, from_logits=False, axis=-1",
    "binary_crossentropy": "target, output, from_logits=False",
    "shape": "x", "full": "shape, fill_value, dtype=None", "full_like": "x, fill_value, dtype=None",
    "arange": "start, stop=None, step=None, dtype=None",
    "linspace": "start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0",
    "eye": "N, M=None, k=0, dtype=None",
    **{name: "x1, x2" for name in ["mod", "dot", "logical_and", "logical_or", "logical_xor"]},
    "einsum": "subscripts, operands, kwargs",
    **{name: "x" for name in ["erf", "sign", "floor", "ceil", "isnan", "isinf", "isfinite", "logical_not",
                              "relu6", "log_sigmoid", "silu"]},
    "round": "x, decimals=0",
    "prod": "x, axis=None, keepdims=False, dtype=None",
    "any": "x, axis=None, keepdims=False", "all": "x, axis=None, keepdims=False",
    "norm": "x, ord=None, axis=None, keepdims=False",
    "cumsum": "x, axis=None, dtype=None", "sort": "x, axis=-1", "argsort": "x, axis=-1",
    "top_k": "x, k, sorted=True",
    "segment_sum": "data, segment_ids, num_segments=None, sorted=False",
    "segment_max": "data, segment_ids, num_segments=None, sorted=False",
    "swapaxes": "x, axis1, axis2", "moveaxis": "x, source, destination",
    "split": "x, indices_or_sections, axis=0", "tile": "x, repeats", "repeat": "x, repeats, axis=None",
    "flip": "x, axis=None", "slice": "inputs, start_indices, shape",
    "take_along_axis": "x, indices, axis=None",
    "leaky_relu": "x, negative_slope=0.2", "elu": "x, alpha=1.0", "gelu": "x, approximate=True",
    "moments": "x, axes, keepdims=False, synchronized=False",
    "normalize": "x, axis=-1, order=2, epsilon=None",
    "is_tensor": "x", "ndim": "x", "size": "x", "dtype": "x", "empty": "shape, dtype=None",
    "identity": "n, dtype=None",
    **{name: "x1, x2" for name in ["true_divide", "floor_divide", "outer"]},
    "tensordot": "x1, x2, axes=2",
    **{name: "x" for name in ["reciprocal", "rsqrt", "absolute", "expm1", "log1p", "log2", "log10", "sin",
                              "cos", "ravel", "selu", "hard_sigmoid", "softsign", "swish", "hard_silu"]},
    "amax": "x, axis=None, keepdims=False", "amin": "x, axis=None, keepdims=False",
    "count_nonzero": "x, axis=None", "broadcast_to": "x, shape", "hstack": "xs", "vstack": "xs",
    "unstack": "x, num=None, axis=0", "tril": "x, k=0", "triu": "x, k=0", "roll": "x, shift, axis=None",
    "diff": "a, n=1, axis=-1",
    "batch_normalization": "x, mean, variance, axis, offset=None, scale=None, epsilon=0.001",
    "layer_normalization": "x, gamma=None, beta=None, axis=-1, epsilon=None, kwargs",
    "rms_normalization": "x, scale=None, axis=-1, epsilon=None",
    "dot_product_attention": "query, key, value, bias=None, mask=None, scale=None, is_causal=False, "
                             "flash_attention=None, attn_logits_soft_cap=None",
}


@pytest.mark.parametrize("name", EXPECTED_ALL)
def test_signature_matches_keras(name):
    parameters = inspect.signature(getattr(ops, name)).parameters.values()
    shown = ", ".join(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
                      for p in parameters)
    assert shown == KERAS_SIGNATURES[name]


def test_every_function_has_a_one_line_summary():
    for name in ops.__all__:
        doc = getattr(ops, name).__doc__
        assert doc and doc.strip().splitlines()[0].strip(), name


# ****************************************************************** optional oracle
def test_composite_gradients_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    labels = np.array([0, 4, 2, 1])

    def ours(x, w):
        logits = ops.matmul(ops.tanh(x), w)
        return ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)) + \
            ops.sum(ops.square(ops.clip(w, -0.5, 0.5)))

    tx = Tensor(x, requires_grad=True, dtype="float64")
    tw = Tensor(w, requires_grad=True, dtype="float64")
    ours(tx, tw).backward()
    px = torch.tensor(x, requires_grad=True)
    pw = torch.tensor(w, requires_grad=True)
    logits = torch.tanh(px) @ pw
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
    loss = loss + (pw.clamp(-0.5, 0.5) ** 2).sum()
    loss.backward()
    np.testing.assert_allclose(tx.grad, px.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(tw.grad, pw.grad.numpy(), rtol=1e-10)
