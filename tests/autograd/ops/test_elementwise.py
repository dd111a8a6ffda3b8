"""Elementwise ops: values against NumPy, float64 gradchecks over broadcasting shapes,
dtype policy for Python numbers, comparisons, and the broadcasting error message."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinyfit import Tensor, backend
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops import elementwise as E

SETTINGS = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def broadcastable_pairs(draw, max_dims=3, max_side=4):
    """Two shapes that broadcast together: suffixes of one base shape, some sides set to 1.

    Either operand may have fewer axes than the other (leading axes broadcast) and
    size-1 axes on either side (stretched axes), which are the two ways a gradient
    must be summed back.
    """
    base = draw(st.lists(st.integers(1, max_side), min_size=0, max_size=max_dims))

    def operand():
        ndim = draw(st.integers(0, len(base)))
        tail = base[len(base) - ndim:]
        return tuple(1 if draw(st.booleans()) else n for n in tail)

    return operand(), operand()


@st.composite
def clashing_pairs(draw):
    """Two shapes that do NOT broadcast, and the negative axis where they clash first."""
    a = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    b = list(a)
    axis = draw(st.integers(1, len(a)))  # counted from the right, as in the message
    m = draw(st.integers(2, 5))
    n = draw(st.integers(2, 5).filter(lambda v: v != m))
    a[-axis], b[-axis] = m, n
    # Axes right of the clash must agree, or the message would name another axis.
    lead = draw(st.integers(0, 2))
    return tuple(a), tuple([3] * lead + b), -axis, m, n


def test_broadcastable_pairs_strategy_really_broadcasts():
    @SETTINGS
    @given(broadcastable_pairs())
    def check(pair):
        np.broadcast_shapes(*pair)  # raises if the strategy is wrong

    check()


def rand(rng, shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape)


def away_from_zero(rng, shape, low=0.2, high=2.0):
    """Values with |x| in [low, high] and random signs: no kink or pole within eps."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def t64(a):
    return Tensor(a, dtype="float64")


# ----------------------------------------------------------- binary ops: gradients
BINARY = {
    # name: (function of two tensors, numpy equivalent, sampler of (a, b))
    "add": (lambda a, b: a + b, np.add, lambda r, sa, sb: (rand(r, sa), rand(r, sb))),
    "subtract": (lambda a, b: a - b, np.subtract, lambda r, sa, sb: (rand(r, sa), rand(r, sb))),
    "multiply": (lambda a, b: a * b, np.multiply, lambda r, sa, sb: (rand(r, sa), rand(r, sb))),
    "divide": (lambda a, b: a / b, np.divide, lambda r, sa, sb: (rand(r, sa), away_from_zero(r, sb, 0.5))),
    "power": (lambda a, b: a**b, np.power, lambda r, sa, sb: (rand(r, sa, 0.5, 2.0), rand(r, sb))),
    "maximum": (lambda a, b: E.Maximum.apply(a, b), np.maximum, lambda r, sa, sb: (rand(r, sa), rand(r, sb))),
    "minimum": (lambda a, b: E.Minimum.apply(a, b), np.minimum, lambda r, sa, sb: (rand(r, sa), rand(r, sb))),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_gradcheck_with_broadcasting(name):
    fn, _, sample = BINARY[name]

    @SETTINGS
    @given(broadcastable_pairs(), seeds)
    def check(shapes, seed):
        a, b = sample(np.random.default_rng(seed), *shapes)
        if name in ("maximum", "minimum"):
            # No finite-difference step may cross a tie, where the slope jumps.
            wide_a, wide_b = np.broadcast_arrays(a, b)
            assume(np.min(np.abs(wide_a - wide_b), initial=1.0) > 1e-3)
        assert gradcheck(fn, [a, b])

    check()


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_forward_matches_numpy(name):
    fn, reference, sample = BINARY[name]

    @SETTINGS
    @given(broadcastable_pairs(), seeds)
    def check(shapes, seed):
        a, b = sample(np.random.default_rng(seed), *shapes)
        out = fn(t64(a), t64(b))
        assert out.shape == np.broadcast_shapes(a.shape, b.shape)
        np.testing.assert_allclose(out.numpy(), reference(a, b), rtol=1e-12)

    check()


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_grads_have_each_operands_shape(name):
    fn, _, sample = BINARY[name]
    a_np, b_np = sample(np.random.default_rng(0), (4, 1, 3), (5, 1))
    a = Tensor(a_np, requires_grad=True)
    b = Tensor(b_np, requires_grad=True)
    fn(a, b).sum().backward()
    assert a.grad.shape == (4, 1, 3) and b.grad.shape == (5, 1)
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_bias_gradient_is_summed_over_the_batch():
    x = Tensor(np.ones((64, 10)))
    bias = Tensor(np.zeros(10), requires_grad=True)
    (x + bias).sum().backward()
    np.testing.assert_array_equal(bias.grad, np.full(10, 64.0))


def test_operand_that_needs_no_grad_gets_none():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# ------------------------------------------------------------ unary ops: gradients
UNARY = {
    # name: (function of one tensor, numpy equivalent, sampler)
    "negative": (lambda x: -x, np.negative, rand),
    "exp": (lambda x: x.exp(), np.exp, rand),
    "log": (lambda x: x.log(), np.log, lambda r, s: rand(r, s, 0.3, 3.0)),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, lambda r, s: rand(r, s, 0.3, 3.0)),
    "abs": (lambda x: x.abs(), np.abs, away_from_zero),
    "tanh": (lambda x: x.tanh(), np.tanh, rand),
    "sigmoid": (lambda x: x.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), rand),
    "relu": (lambda x: x.relu(), lambda a: np.maximum(a, 0), away_from_zero),
    "softplus": (lambda x: E.Softplus.apply(x), lambda a: np.log1p(np.exp(a)), rand),
    "clip": (
        lambda x: E.Clip.apply(x, -0.5, 0.5),
        lambda a: np.clip(a, -0.5, 0.5),
        # No element within a step of the clip bounds.
        lambda r, s: r.choice([-1.0, 1.0], s) * r.choice([0.1, 0.3, 0.7, 1.5], s) + r.uniform(-0.05, 0.05, s),
    ),
    "power_const_2": (lambda x: x**2, lambda a: a**2, rand),
    "power_const_3": (lambda x: x**3, lambda a: a**3, rand),
    "power_const_half": (lambda x: x**0.5, np.sqrt, lambda r, s: rand(r, s, 0.3, 3.0)),
    "power_const_minus_1": (lambda x: x**-1, lambda a: 1 / a, away_from_zero),
    "power_const_0": (lambda x: x**0, lambda a: np.ones_like(a), rand),
    "rpow": (lambda x: 2.0**x, lambda a: 2.0**a, rand),
    "rsub": (lambda x: 3.0 - x, lambda a: 3.0 - a, rand),
    "rtruediv": (lambda x: 3.0 / x, lambda a: 3.0 / a, away_from_zero),
    "cast_float64": (lambda x: x.astype("float64") * 2.0, lambda a: a * 2.0, rand),
}

shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_gradcheck(name):
    fn, _, sample = UNARY[name]

    @SETTINGS
    @given(shapes, seeds)
    def check(shape, seed):
        assert gradcheck(fn, [sample(np.random.default_rng(seed), shape)])

    check()


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_forward_matches_numpy(name):
    fn, reference, sample = UNARY[name]
    a = sample(np.random.default_rng(1), (3, 4))
    out = fn(t64(a))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), reference(a), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(set(UNARY) - {"cast_float64"}))
def test_unary_op_keeps_float32(name):
    fn, _, sample = UNARY[name]
    x = Tensor(sample(np.random.default_rng(2), (2, 3)), requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


# ------------------------------------------------------------------------ where
@st.composite
def three_broadcastable_shapes(draw):
    base = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))

    def operand():
        ndim = draw(st.integers(0, len(base)))
        return tuple(1 if draw(st.booleans()) else n for n in base[len(base) - ndim:])

    return operand(), operand(), operand()


def test_where_gradcheck_with_broadcasting():
    @SETTINGS
    @given(three_broadcastable_shapes(), seeds)
    def check(shapes, seed):
        rng = np.random.default_rng(seed)
        cond = rng.random(shapes[0]) < 0.5
        a, b = rand(rng, shapes[1]), rand(rng, shapes[2])
        assert gradcheck(lambda c, x, y: E.Where.apply(c, x, y), [cond, a, b])
        out = E.Where.apply(Tensor(cond), t64(a), t64(b))
        np.testing.assert_array_equal(out.numpy(), np.where(cond, a, b))

    check()


def test_where_routes_gradient_by_condition():
    cond = Tensor([True, False, True])
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([4.0, 5.0, 6.0], requires_grad=True)
    E.Where.apply(cond, a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, 0.0])


def test_where_number_branch_keeps_its_value_and_the_tensor_dtype():
    # A number must not take the boolean condition's dtype (5 would become True == 1).
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = E.Where.apply(Tensor([True, False]), 5, x)
    np.testing.assert_array_equal(out.numpy(), [5.0, 2.0])
    assert out.dtype == np.float32
    out = E.Where.apply(Tensor([True, False]), x, 7)
    np.testing.assert_array_equal(out.numpy(), [1.0, 7.0])


def test_where_shape_clash_names_all_three_shapes():
    with pytest.raises(ValueError) as info:
        E.Where.apply(Tensor(np.ones((2, 3), bool)), Tensor(np.ones(4)), 1.0)
    message = str(info.value)
    assert message.startswith("where:")
    assert "(2, 3)" in message and "(4,)" in message


# ---------------------------------------------------------- special values / ties
def test_sigmoid_and_softplus_do_not_overflow():
    x = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.sigmoid()
        p = E.Softplus.apply(x)
        (s + p).sum().backward()
    np.testing.assert_allclose(s.numpy(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(p.numpy(), [0.0, np.log(2.0), 1000.0])
    np.testing.assert_allclose(x.grad, [0.0, 0.75, 1.0])
    assert np.all(np.isfinite(x.grad))


def test_log_of_zero_is_minus_infinity_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = Tensor([0.0, 1.0]).log()
    assert out.numpy()[0] == -np.inf and out.numpy()[1] == 0.0


def test_relu_and_abs_gradient_at_zero_is_zero():
    x = Tensor([0.0], requires_grad=True)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0])


def test_maximum_tie_sends_gradient_to_first_input_only():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([1.0, 2.0], requires_grad=True)
    E.Maximum.apply(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.0, 0.0])


def test_power_with_tensor_exponent_at_nonpositive_base_has_finite_exponent_grad():
    a = Tensor([0.0, -2.0, 3.0], requires_grad=True, dtype="float64")
    k = Tensor([2.0, 2.0, 2.0], requires_grad=True, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (a**k).sum().backward()
    np.testing.assert_allclose(a.grad, [0.0, -4.0, 6.0])
    np.testing.assert_allclose(k.grad, [0.0, 0.0, 9.0 * np.log(3.0)])


def test_power_zero_has_zero_gradient_even_at_zero():
    x = Tensor([0.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_cast_sends_gradient_back_in_the_source_dtype():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.astype("float64")
    assert y.dtype == np.float64
    (y * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_cast_to_integer_or_bool_carries_no_gradient(dtype):
    x = Tensor([1.5, 2.5], requires_grad=True)
    y = x.astype(dtype)
    assert y.dtype == np.dtype(dtype)
    assert y.requires_grad is False  # only floating-point tensors require gradients
    (x * 2 + y).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])  # nothing flowed back through the cast


def test_cast_to_unknown_dtype_names_it():
    with pytest.raises(TypeError, match=r"astype: unknown dtype 'float8'"):
        Tensor([1.0]).astype("float8")


# --------------------------------------------------------- numbers and dtype policy
@pytest.mark.parametrize(
    "expr",
    [
        lambda x: x + 2,
        lambda x: 2 + x,
        lambda x: x - 2.5,
        lambda x: 2.5 - x,
        lambda x: x * 3,
        lambda x: 3.0 * x,
        lambda x: x / 7,
        lambda x: 7.0 / x,
        lambda x: x**2.5,
        lambda x: 2**x,
        lambda x: x * np.float64(2.0),
        lambda x: E.Maximum.apply(x, 0.5),
        lambda x: E.Where.apply(x > 1.5, x, 0.0),
    ],
)
def test_python_numbers_do_not_promote_float32(expr):
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = expr(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_python_numbers_keep_float64_tensors_float64():
    x = Tensor([1.0, 2.0], dtype="float64")
    assert (x * 2).dtype == np.float64
    assert (1.5 - x).dtype == np.float64


def test_integer_tensors_stay_integer_with_ints_and_go_float_with_floats():
    i = Tensor(np.array([1, 2, 3]))
    assert (i * 2).dtype == np.int64
    np.testing.assert_array_equal((i * 2).numpy(), [2, 4, 6])
    assert (i * 0.5).dtype.kind == "f"
    np.testing.assert_allclose((i * 0.5).numpy(), [0.5, 1.0, 1.5])


def test_boolean_mask_times_int_counts_as_numpy_does():
    mask = Tensor([True, False, True])
    np.testing.assert_array_equal((mask * 2).numpy(), [2, 0, 2])
    np.testing.assert_array_equal((mask + 1).numpy(), [2, 1, 2])
    np.testing.assert_array_equal((mask * 1.5).numpy(), [1.5, 0.0, 1.5])


def test_numpy_array_on_the_left_defers_to_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0]) * x
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# ------------------------------------------------------------------ comparisons
COMPARISONS = {
    "==": (lambda a, b: a == b, np.equal),
    "!=": (lambda a, b: a != b, np.not_equal),
    "<": (lambda a, b: a < b, np.less),
    "<=": (lambda a, b: a <= b, np.less_equal),
    ">": (lambda a, b: a > b, np.greater),
    ">=": (lambda a, b: a >= b, np.greater_equal),
}


@pytest.mark.parametrize("op", sorted(COMPARISONS))
def test_comparisons_give_boolean_tensors_without_gradient(op):
    fn, reference = COMPARISONS[op]

    @SETTINGS
    @given(broadcastable_pairs(), seeds)
    def check(pair, seed):
        rng = np.random.default_rng(seed)
        a = rng.integers(0, 3, pair[0]).astype(np.float32)
        b = rng.integers(0, 3, pair[1]).astype(np.float32)
        out = fn(Tensor(a, requires_grad=True), Tensor(b, requires_grad=True))
        assert isinstance(out, Tensor)
        assert out.dtype == np.bool_
        assert out.requires_grad is False
        assert isinstance(out.data, np.ndarray)
        np.testing.assert_array_equal(out.numpy(), reference(a, b))

    check()


@pytest.mark.parametrize("op", sorted(COMPARISONS))
def test_comparisons_with_numbers_on_either_side(op):
    fn, reference = COMPARISONS[op]
    x = Tensor([0.0, 1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(fn(x, 1).numpy(), reference(x.numpy(), 1))
    np.testing.assert_array_equal(fn(1.0, x).numpy(), reference(1.0, x.numpy()))


def test_comparison_shape_clash_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"less: shapes \(2,\) and \(3,\) cannot be broadcast"):
        Tensor([1.0, 2.0]) < Tensor([1.0, 2.0, 3.0])


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("op", sorted(BINARY))
def test_broadcast_clash_names_op_axis_sizes_and_fix(op):
    fn = BINARY[op][0]

    @SETTINGS
    @given(clashing_pairs())
    def check(case):
        a_shape, b_shape, axis, m, n = case
        with pytest.raises(ValueError) as info:
            fn(Tensor(np.ones(a_shape)), Tensor(np.ones(b_shape)))
        message = str(info.value)
        assert message.startswith(f"{op}: shapes {a_shape} and {b_shape} cannot be broadcast together")
        assert f"axis {axis} has sizes {m} and {n}" in message
        assert "Reshape" in message  # the fix
        assert "operands could not be broadcast" not in message  # not NumPy's words

    check()


def test_broadcast_clash_example_from_the_issue():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((64, 10))) + Tensor(np.ones(64))
    assert str(info.value).startswith(
        "add: shapes (64, 10) and (64,) cannot be broadcast together: axis -1 has sizes 10 and 64"
    )


def test_non_broadcast_value_errors_are_not_reported_as_broadcast_clashes():
    ints = Tensor(np.array([1, 2]))
    with pytest.raises(ValueError) as info:
        ints ** Tensor(np.array([-1, -1]))
    assert "broadcast" not in str(info.value)
    assert "negative" in str(info.value)


# -------------------------------------------------------------------------- GPU
gpu = pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("name", sorted(BINARY))
def test_gpu_binary_op_matches_cpu(name):
    fn, _, sample = BINARY[name]
    a_np, b_np = sample(np.random.default_rng(3), (4, 1, 3), (5, 1))
    results = {}
    for device in ("cpu", "gpu"):
        a = Tensor(a_np, requires_grad=True)
        b = Tensor(b_np, requires_grad=True)
        out = fn(a.to(device), b.to(device))
        assert out.device == device
        out.sum().backward()
        results[device] = (out.numpy(), a.grad, b.grad)
    for cpu, gpu_result in zip(results["cpu"], results["gpu"]):
        np.testing.assert_allclose(backend.to_numpy(gpu_result), cpu, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("name", sorted(UNARY))
def test_gpu_unary_op_matches_cpu(name):
    fn, _, sample = UNARY[name]
    a_np = sample(np.random.default_rng(4), (3, 4))
    cpu_x = Tensor(a_np, requires_grad=True)
    gpu_x = Tensor(backend.module_for("gpu").asarray(a_np), requires_grad=True)  # a GPU leaf
    assert gpu_x.device == "gpu" and gpu_x.dtype == np.float32
    cpu_out, gpu_out = fn(cpu_x), fn(gpu_x)
    assert gpu_out.device == "gpu"
    cpu_out.sum().backward()
    gpu_out.sum().backward()
    np.testing.assert_allclose(gpu_out.numpy(), cpu_out.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backend.to_numpy(gpu_x.grad), cpu_x.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
@gpu
def test_gpu_and_cpu_operands_in_one_op_name_both_devices():
    with pytest.raises(ValueError, match=r"multiply: inputs are on different devices \(gpu and cpu\)"):
        Tensor([1.0]).to("gpu") * Tensor([2.0])
    with pytest.raises(ValueError, match=r"greater: inputs are on different devices"):
        Tensor([1.0]).to("gpu") > Tensor([2.0])


def test_compare_of_two_plain_numbers_gives_a_bool_tensor():
    from tinyfit.autograd.ops.elementwise import compare

    out = compare("less", 1, 2)
    assert out.dtype == np.bool_ and bool(out) is True and not out.requires_grad


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
                                lambda a, b: a / b, lambda a, b: b - a])
def test_integer_with_float32_stays_float32(op):
    ints = Tensor(np.array([1, 2, 3]))
    floats = Tensor([0.5, 0.5, 0.5], requires_grad=True)
    assert ints.dtype == np.int64
    out = op(ints, floats)
    assert out.dtype == np.float32
    assert (ints * 0.5).dtype == np.float32
    out.sum().backward()
    assert floats.grad.dtype == np.float32
