"""Reductions: sum, mean, max, min, var, std, logsumexp, argmax/argmin: values against
NumPy, float64 gradchecks over drawn shapes and axes, ties, and axis errors."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit import Tensor, backend
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops.reduce import logsumexp

SETTINGS = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def shapes_and_axes(draw, min_dims=0, max_dims=3):
    """A shape and an axis argument for it: None, one int (maybe negative) or a tuple."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=min_dims, max_size=max_dims)))
    ndim = len(shape)
    if ndim == 0:
        axis = None
    else:
        axis = draw(
            st.one_of(
                st.none(),
                st.integers(-ndim, ndim - 1),
                st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(
                    lambda axes: tuple(a - ndim if i % 2 else a for i, a in enumerate(axes))
                ),
            )
        )
    keepdims = draw(st.booleans())
    return shape, axis, keepdims


REDUCTIONS = {
    # name: (tinyfit call, numpy reference)
    "sum": (lambda x, axis, k: x.sum(axis=axis, keepdims=k), lambda a, axis, k: a.sum(axis=axis, keepdims=k)),
    "mean": (lambda x, axis, k: x.mean(axis=axis, keepdims=k), lambda a, axis, k: a.mean(axis=axis, keepdims=k)),
    "max": (lambda x, axis, k: x.max(axis=axis, keepdims=k), lambda a, axis, k: a.max(axis=axis, keepdims=k)),
    "min": (lambda x, axis, k: x.min(axis=axis, keepdims=k), lambda a, axis, k: a.min(axis=axis, keepdims=k)),
    "var": (lambda x, axis, k: x.var(axis=axis, keepdims=k), lambda a, axis, k: a.var(axis=axis, keepdims=k)),
    "std": (lambda x, axis, k: x.std(axis=axis, keepdims=k), lambda a, axis, k: a.std(axis=axis, keepdims=k)),
    "logsumexp": (
        lambda x, axis, k: logsumexp(x, axis=axis, keepdims=k),
        lambda a, axis, k: np.log(np.exp(a).sum(axis=axis, keepdims=k)),
    ),
}


def reduced_count(shape, axis):
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


def distinct_values(rng, shape):
    """Values at least 0.05 apart, so max/min have one winner and steps never cross."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.05 + rng.uniform(-1, 1)).reshape(shape)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_gradcheck(name):
    fn = REDUCTIONS[name][0]

    @SETTINGS
    @given(shapes_and_axes(), seeds)
    def check(case, seed):
        shape, axis, keepdims = case
        if name == "std" and reduced_count(shape, axis) < 2:
            shape, axis = (3, 2), 0  # std of one element is 0, where sqrt has no slope
        x = distinct_values(np.random.default_rng(seed), shape)
        assert gradcheck(lambda t: fn(t, axis, keepdims), [x])

    check()


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_forward_matches_numpy(name):
    fn, reference = REDUCTIONS[name]

    @SETTINGS
    @given(shapes_and_axes(), seeds)
    def check(case, seed):
        shape, axis, keepdims = case
        a = np.random.default_rng(seed).standard_normal(shape)
        out = fn(Tensor(a, dtype="float64"), axis, keepdims)
        expected = reference(a, axis, keepdims)
        assert out.shape == np.shape(expected)
        assert isinstance(out.data, np.ndarray)  # never a NumPy scalar, even when 0-d
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)

    check()


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_keeps_float32(name):
    fn = REDUCTIONS[name][0]
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = fn(x, 1, False)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (2, 3)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin_match_numpy_and_carry_no_gradient(op):
    @SETTINGS
    @given(shapes_and_axes(min_dims=1), seeds)
    def check(case, seed):
        shape, axis, _ = case
        if isinstance(axis, tuple):
            axis = axis[0]
        a = np.random.default_rng(seed).standard_normal(shape)
        out = getattr(Tensor(a, requires_grad=True), op)(axis=axis)
        assert out.requires_grad is False
        assert out.dtype.kind == "i"
        assert isinstance(out.data, np.ndarray)
        np.testing.assert_array_equal(out.numpy(), getattr(a, op)(axis=axis))

    check()


# --------------------------------------------------------------------- semantics
def test_sum_gradient_is_ones_and_writable():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))
    x.grad[0, 0] = 5.0  # a broadcast view would be read-only
    assert x.grad[0, 0] == 5.0


def test_mean_gradient_divides_by_the_reduced_count():
    x = Tensor(np.ones((4, 5)), requires_grad=True)
    x.mean(axis=0).sum().backward()
    np.testing.assert_allclose(x.grad, np.full((4, 5), 0.25))


def test_max_ties_split_the_gradient_evenly():
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 0.5])


def test_min_ties_per_row_with_axis():
    x = Tensor([[2.0, 2.0, 5.0], [1.0, 4.0, 1.0]], requires_grad=True)
    x.min(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0.5, 0.0], [0.5, 0.0, 0.5]])


def test_logsumexp_does_not_overflow_and_its_gradient_is_softmax():
    x = Tensor([1000.0, 1000.0, -1000.0], requires_grad=True, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = logsumexp(x)
        out.backward()
    np.testing.assert_allclose(out.numpy(), 1000.0 + np.log(2.0))
    np.testing.assert_allclose(x.grad, [0.5, 0.5, 0.0], atol=1e-12)


def test_numpy_integer_axis_is_accepted():
    x = Tensor(np.ones((2, 3)))
    assert x.sum(axis=np.int64(1)).shape == (2,)
    assert x.max(axis=(np.int64(0), np.int64(1))).shape == ()
    assert x.mean(axis=[0, 1]).shape == ()


def test_empty_axis_tuple_reduces_nothing():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = x.sum(axis=())
    assert out.shape == (2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "std", "argmax", "argmin"])
def test_axis_out_of_range_names_op_axis_and_valid_range(name):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError) as info:
        getattr(x, name)(axis=2)
    message = str(info.value)
    assert message.startswith(f"{'mean' if name in ('var', 'std') else name}: axis 2 is out of range")
    assert "2 dimension(s)" in message and "-2..1" in message


def test_axis_out_of_range_on_negative_side():
    with pytest.raises(ValueError, match=r"sum: axis -3 is out of range .* valid axes are -2\.\.1"):
        Tensor(np.ones((2, 3))).sum(axis=-3)


def test_axis_on_a_0d_tensor_says_it_has_no_axes():
    with pytest.raises(ValueError, match=r"sum: axis 0 is out of range .* it has no axes; use axis=None"):
        Tensor(1.0).sum(axis=0)


def test_repeated_axis_is_refused():
    with pytest.raises(ValueError, match=r"max: axis \(0, -2\) repeats an axis"):
        Tensor(np.ones((2, 3))).max(axis=(0, -2))


def test_axis_of_the_wrong_type_names_op():
    with pytest.raises(TypeError, match=r"sum: axis must be an int, a tuple of ints or None, got 'a'"):
        Tensor(np.ones((2, 3))).sum(axis="a")
    with pytest.raises(TypeError, match=r"min: axis must be an int"):
        Tensor(np.ones((2, 3))).min(axis=1.5)


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
def test_empty_tensor_cannot_be_searched(name):
    with pytest.raises(ValueError, match=rf"{name}: cannot .* empty tensor of shape \(0, 3\)"):
        getattr(Tensor(np.ones((0, 3))), name)()


def test_mean_over_zero_elements_is_refused():
    with pytest.raises(ValueError, match=r"mean: cannot average over zero elements \(shape \(0, 3\)"):
        Tensor(np.ones((0, 3))).mean(axis=0)


def test_argmax_wants_one_axis():
    with pytest.raises(ValueError, match=r"argmax: axis must be one int or None, got \(0, 1\)"):
        Tensor(np.ones((2, 3))).argmax(axis=(0, 1))


# ----------------------------------------------------------------------------- GPU
gpu = pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", [None, 0, (0, 2), -1])
def test_gpu_reduction_matches_cpu(name, axis):
    fn = REDUCTIONS[name][0]
    a = distinct_values(np.random.default_rng(5), (3, 4, 2))
    cpu_x = Tensor(a, requires_grad=True)
    gpu_x = Tensor(backend.module_for("gpu").asarray(a), requires_grad=True)
    cpu_out, gpu_out = fn(cpu_x, axis, False), fn(gpu_x, axis, False)
    assert gpu_out.device == "gpu"
    cpu_out.sum().backward()
    gpu_out.sum().backward()
    np.testing.assert_allclose(gpu_out.numpy(), cpu_out.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backend.to_numpy(gpu_x.grad), cpu_x.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
@gpu
def test_gpu_argmax_matches_cpu():
    a = distinct_values(np.random.default_rng(6), (4, 5))
    gpu_out = Tensor(backend.module_for("gpu").asarray(a)).argmax(axis=1)
    assert gpu_out.device == "gpu"
    np.testing.assert_array_equal(gpu_out.numpy(), a.argmax(axis=1))


def test_logsumexp_of_an_all_negative_infinity_slice_is_negative_infinity():
    from tinyfit.autograd.ops.reduce import logsumexp

    x = Tensor(np.array([[-np.inf, -np.inf], [0.0, 0.0]]))
    out = logsumexp(x, axis=1).numpy()
    assert out[0] == -np.inf
    np.testing.assert_allclose(out[1], np.log(2.0), rtol=1e-6)
