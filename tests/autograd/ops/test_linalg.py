"""matmul: 1-D, 2-D and batched operands with broadcast batch axes, against NumPy and
float64 finite differences, and the error messages for shapes that do not fit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit import Tensor, backend
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops.linalg import MatMul

SETTINGS = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def batch_pairs(draw, max_dims=2, max_side=3):
    """Two broadcast-compatible batch shapes (suffixes of a base, sides maybe 1)."""
    base = draw(st.lists(st.integers(1, max_side), min_size=0, max_size=max_dims))

    def operand():
        ndim = draw(st.integers(0, len(base)))
        return tuple(1 if draw(st.booleans()) else n for n in base[len(base) - ndim:])

    return operand(), operand()


@st.composite
def matmul_shapes(draw):
    """Shapes a @ b that fit: each side 1-D, 2-D or batched (with broadcast batch axes)."""
    m, n, p = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch_a, batch_b = draw(batch_pairs())
    a_kind = draw(st.sampled_from(["vector", "matrix", "batched"]))
    b_kind = draw(st.sampled_from(["vector", "matrix", "batched"]))
    a = {"vector": (n,), "matrix": (m, n), "batched": batch_a + (m, n)}[a_kind]
    b = {"vector": (n,), "matrix": (n, p), "batched": batch_b + (n, p)}[b_kind]
    return a, b


def test_matmul_gradcheck():
    @SETTINGS
    @given(matmul_shapes(), seeds)
    def check(shapes, seed):
        rng = np.random.default_rng(seed)
        a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
        assert gradcheck(lambda x, y: x @ y, [a, b])

    check()


def test_matmul_forward_matches_numpy():
    @SETTINGS
    @given(matmul_shapes(), seeds)
    def check(shapes, seed):
        rng = np.random.default_rng(seed)
        a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
        out = Tensor(a, dtype="float64") @ Tensor(b, dtype="float64")
        expected = np.matmul(a, b)
        assert out.shape == np.shape(expected)
        assert isinstance(out.data, np.ndarray)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)

    check()


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((4, 2, 3), (3,)), ((3,), (4, 3, 2)), ((2, 3), (3, 5))],
)
def test_matmul_grads_have_operand_shapes(a_shape, b_shape):
    rng = np.random.default_rng(0)
    a = Tensor(rng.standard_normal(a_shape), requires_grad=True)
    b = Tensor(rng.standard_normal(b_shape), requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.shape == a_shape and b.grad.shape == b_shape
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_dot_product_of_two_vectors():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([4.0, 5.0, 6.0], requires_grad=True)
    out = a @ b
    assert out.shape == () and float(out) == 32.0
    out.backward()
    np.testing.assert_array_equal(a.grad, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0, 3.0])


def test_weight_shared_across_a_batch_gets_the_summed_gradient():
    x = Tensor(np.ones((5, 2, 3)))
    w = Tensor(np.ones((3, 4)), requires_grad=True)
    (x @ w).sum().backward()
    np.testing.assert_array_equal(w.grad, np.full((3, 4), 10.0))


def test_matmul_with_numpy_arrays_on_either_side():
    w = Tensor(np.eye(2), requires_grad=True)
    left = np.array([[1.0, 2.0]]) @ w
    right = w @ np.array([[3.0], [4.0]])
    assert isinstance(left, Tensor) and isinstance(right, Tensor)
    (left.sum() + right.sum()).backward()
    # d(sum(x @ w))/dw = x.T @ 1 = [[1, 1], [2, 2]]; d(sum(w @ y))/dw = 1 @ y.T = [[3, 4], [3, 4]]
    np.testing.assert_array_equal(w.grad, [[4.0, 5.0], [5.0, 6.0]])


def test_matmul_only_left_needs_grad():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((3, 2)))
    (a @ b).sum().backward()
    assert b.grad is None
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 2.0))


# ------------------------------------------------------------------------ errors
def test_inner_dimension_message_from_the_issue():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    assert str(info.value).startswith("matmul: (3, 4) @ (5, 2): inner dimensions 4 and 5 differ")
    assert "second-to-last" in str(info.value)


def test_inner_dimension_message_suggests_transposing_when_that_fits():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((64, 784))) @ Tensor(np.ones((10, 784)))
    message = str(info.value)
    assert message.startswith("matmul: (64, 784) @ (10, 784): inner dimensions 784 and 10 differ")
    assert "b.T" in message


def test_inner_dimension_message_for_a_vector_on_the_right():
    with pytest.raises(ValueError, match=r"matmul: \(2, 3\) @ \(4,\): inner dimensions 3 and 4 differ.*only"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones(4))


def test_inner_dimension_mismatch_for_drawn_shapes():
    @SETTINGS
    @given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.integers(1, 5))
    def check(m, n, k, p):
        if n == k:
            k += 1
        with pytest.raises(ValueError) as info:
            Tensor(np.ones((m, n))) @ Tensor(np.ones((k, p)))
        assert str(info.value).startswith(f"matmul: ({m}, {n}) @ ({k}, {p}): inner dimensions {n} and {k} differ")

    check()


def test_batch_axes_that_do_not_broadcast_are_named():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))
    message = str(info.value)
    assert message.startswith("matmul: (2, 3, 4) @ (3, 4, 5): the batch axes (2,) and (3,) cannot be broadcast")
    assert "operands could not be broadcast" not in message


def test_0d_operand_points_to_multiply():
    with pytest.raises(ValueError, match=r"matmul: \(\) @ \(2,\): both operands need at least one axis.*\*"):
        Tensor(2.0) @ Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"matmul: \(2,\) @ \(\)"):
        Tensor([1.0, 2.0]) @ 2.0


def test_matmul_direct_apply_names_op():
    assert MatMul.name == "matmul"
    with pytest.raises(ValueError, match=r"^matmul:"):
        MatMul.apply(Tensor(np.ones((2, 2))), Tensor(np.ones((3, 3))))


# --------------------------------------------------------------------------- GPU
gpu = pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize(
    "a_shape, b_shape", [((3,), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((3,), (5, 3, 2)), ((1, 2, 3), (4, 3, 2))]
)
def test_gpu_matmul_matches_cpu(a_shape, b_shape):
    rng = np.random.default_rng(7)
    a_np, b_np = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    cp = backend.module_for("gpu")
    cpu_a, cpu_b = Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True)
    gpu_a, gpu_b = Tensor(cp.asarray(a_np), requires_grad=True), Tensor(cp.asarray(b_np), requires_grad=True)
    cpu_out, gpu_out = cpu_a @ cpu_b, gpu_a @ gpu_b
    assert gpu_out.device == "gpu"
    cpu_out.sum().backward()
    gpu_out.sum().backward()
    np.testing.assert_allclose(gpu_out.numpy(), cpu_out.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(backend.to_numpy(gpu_a.grad), cpu_a.grad, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(backend.to_numpy(gpu_b.grad), cpu_b.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.gpu
@gpu
def test_gpu_matmul_with_cpu_operand_names_both_devices():
    with pytest.raises(ValueError, match=r"matmul: inputs are on different devices \(cpu and gpu\).*\.to\("):
        Tensor(np.ones((2, 2))) @ Tensor(np.ones((2, 2))).to("gpu")
    # A raw NumPy array next to a GPU tensor is refused too, naming both devices.
    with pytest.raises(ValueError, match=r"matmul: an array on cpu was combined with a Tensor on gpu"):
        Tensor(np.ones((2, 2))).to("gpu") @ np.ones((2, 2))
