"""Function: writing a new op, lifting numbers to tensors, the device check,
unbroadcast, and what apply() records (or does not) for backward."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinyfit
from tinyfit import Tensor, backend
from tinyfit.autograd.function import Function, check_same_device, lift, unbroadcast
from tinyfit.autograd.gradcheck import gradcheck

SETTINGS = settings(max_examples=20, deadline=None)


class Cube(Function):
    """A user-written op: x ** 3, with its derivative 3 x ** 2."""

    name = "cube"

    def forward(self, a):
        self.a = a
        return a * a * a

    def backward(self, grad):
        return grad * 3 * self.a * self.a


class ScaledAdd(Function):
    """a + alpha * b: two inputs and an attribute passed by keyword."""

    name = "scaled_add"

    def forward(self, a, b, alpha=1.0):
        self.alpha = alpha
        self.seen_needs_grad = self.needs_grad
        return a + alpha * b

    def backward(self, grad):
        need_a, need_b = self.needs_grad
        return (grad if need_a else None, grad * self.alpha if need_b else None)


def test_a_user_written_function_computes_values_and_gradients():
    x = Tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(x)
    np.testing.assert_array_equal(y.numpy(), [1.0, -8.0])
    assert y.requires_grad and not y.is_leaf
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])
    assert gradcheck(Cube.apply, [np.array([0.3, -1.2, 2.0])])


def test_attributes_pass_by_keyword_and_needs_grad_is_recorded():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0])
    out = ScaledAdd.apply(a, b, alpha=2.0)
    np.testing.assert_array_equal(out.numpy(), [7.0, 10.0])
    assert out._ctx.needs_grad == (True, False)
    assert out._ctx.parents == (a, b)
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    assert b.grad is None


def test_nothing_is_recorded_when_no_input_needs_grad():
    out = ScaledAdd.apply(Tensor([1.0]), Tensor([2.0]))
    assert not out.requires_grad and out._ctx is None and out.is_leaf


def test_nothing_is_recorded_under_no_grad():
    x = Tensor([1.0], requires_grad=True)
    with tinyfit.no_grad():
        out = Cube.apply(x)
    assert not out.requires_grad and out._ctx is None


def test_forward_output_is_always_an_array_even_when_numpy_returns_a_scalar():
    out = Cube.apply(Tensor(2.0))
    assert isinstance(out.data, np.ndarray) and out.shape == () and float(out) == 8.0
    assert isinstance(Tensor([1.0, 2.0]).sum().data, np.ndarray)
    assert isinstance((Tensor(1.0) * Tensor(2.0)).data, np.ndarray)


def test_backward_may_return_one_gradient_without_a_tuple():
    x = Tensor([2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [12.0])


def test_a_backward_that_returns_the_wrong_shape_is_reported_as_an_engine_bug():
    class Broken(Function):
        name = "broken"

        def forward(self, a):
            return a.sum()

        def backward(self, grad):
            return grad.reshape(1)  # should be the input's shape

    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"broken: backward produced a gradient of shape \(1,\) for an input of shape \(2,\)"):
        Broken.apply(x).backward()


# ---------------------------------------------------------------------- lifting
def test_numbers_take_the_dtype_and_device_of_the_tensor():
    for dtype in ("float32", "float64"):
        x = Tensor([1.0], dtype=dtype)
        lifted = lift(2, x, "op")
        assert lifted.dtype == np.dtype(dtype) and lifted.device == x.device and lifted.shape == ()
        assert not lifted.requires_grad


def test_floats_next_to_integer_tensors_become_float32():
    assert lift(0.5, Tensor(np.array([1, 2])), "op").dtype == np.float32
    assert lift(3, Tensor(np.array([1, 2])), "op").dtype == np.int64


def test_ints_next_to_boolean_tensors_are_counts_not_booleans():
    mask = Tensor([True, False])
    lifted = lift(5, mask, "op")
    assert lifted.dtype == np.int64 and int(lifted) == 5


def test_numbers_prefer_a_floating_tensor_among_the_inputs():
    mask = Tensor([True, False])
    x = Tensor([1.0, 2.0], requires_grad=True)

    class Pick(Function):
        name = "pick"

        def forward(self, condition, a, b):
            self.dtypes = (a.dtype, b.dtype)
            return np.where(condition, a, b)

        def backward(self, grad):
            return None, None, None

    out = Pick.apply(mask, 5, x)
    assert out._ctx.dtypes == (np.float32, np.float32)
    np.testing.assert_array_equal(out.numpy(), [5.0, 2.0])


def test_lists_and_arrays_become_constant_tensors():
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = ScaledAdd.apply(x, [10.0, 20.0])
    np.testing.assert_array_equal(out.numpy(), [11.0, 22.0])
    assert out._ctx.needs_grad == (True, False)
    out = ScaledAdd.apply(np.array([1.0, 1.0]), x)
    np.testing.assert_array_equal(out.numpy(), [2.0, 3.0])


def test_all_number_inputs_make_a_plain_constant():
    out = ScaledAdd.apply(1.0, 2.0)
    assert float(out) == 3.0 and not out.requires_grad


# ----------------------------------------------------------------------- devices
class FakeGpuArray(np.ndarray):
    """A NumPy array that the monkeypatched backend reports as living on the GPU."""


@pytest.fixture
def fake_gpu(monkeypatch):
    real_device_of = backend.device_of

    def device_of(x):
        return "gpu" if isinstance(x, FakeGpuArray) else real_device_of(x)

    monkeypatch.setattr(backend, "device_of", device_of)

    def make(values):
        t = Tensor([0.0])
        t.data = np.asarray(values, dtype=np.float32).view(FakeGpuArray)
        return t

    return make


def test_fake_gpu_fixture_really_reports_gpu(fake_gpu):
    assert fake_gpu([1.0]).device == "gpu"
    assert Tensor([1.0]).device == "cpu"


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a * b, "multiply"),
        (lambda a, b: a @ b, "matmul"),
        (lambda a, b: ScaledAdd.apply(a, b), "scaled_add"),
        (lambda a, b: a < b, "less"),
    ],
)
def test_mixing_devices_names_the_op_both_devices_and_the_fix(fake_gpu, op, name):
    cpu = Tensor([1.0])
    gpu = fake_gpu([2.0])
    with pytest.raises(ValueError) as info:
        op(cpu, gpu)
    message = str(info.value)
    assert message.startswith(f"{name}: inputs are on different devices (cpu and gpu)")
    assert ".to('gpu')" in message and ".to('cpu')" in message
    with pytest.raises(ValueError, match=r"different devices \(gpu and cpu\)"):
        op(gpu, cpu)


def test_an_array_from_the_other_device_next_to_a_tensor_is_named(fake_gpu):
    gpu = fake_gpu([2.0])
    with pytest.raises(ValueError) as info:
        gpu * np.array([1.0], dtype=np.float32)
    message = str(info.value)
    assert message.startswith("multiply: an array on cpu was combined with a Tensor on gpu")
    assert ".to('gpu')" in message


def test_same_device_check_accepts_one_device():
    check_same_device("add", (Tensor([1.0]), Tensor(np.array([1])), Tensor(2.0)))


# ----------------------------------------------------------------------- unbroadcast
@st.composite
def broadcast_to_cases(draw):
    """A shape and a larger shape it broadcasts to (new leading axes, stretched 1s)."""
    target = draw(st.lists(st.integers(1, 4), min_size=0, max_size=4))
    ndim = draw(st.integers(0, len(target)))
    shape = tuple(1 if draw(st.booleans()) else n for n in target[len(target) - ndim:])
    return shape, tuple(target)


def test_unbroadcast_sums_what_broadcasting_copied():
    @SETTINGS
    @given(broadcast_to_cases(), st.integers(0, 2**32 - 1))
    def check(case, seed):
        shape, target = case
        grad = np.random.default_rng(seed).standard_normal(target)
        reduced = unbroadcast(grad, shape)
        assert reduced.shape == shape
        # Adjoint identity: <grad, broadcast(v)> == <unbroadcast(grad), v> for every v.
        v = np.random.default_rng(seed + 1).standard_normal(shape)
        np.testing.assert_allclose(np.sum(grad * np.broadcast_to(v, target)), np.sum(reduced * v), rtol=1e-10, atol=1e-10)

    check()


def test_unbroadcast_returns_the_same_array_when_shapes_match():
    g = np.ones((2, 3))
    assert unbroadcast(g, (2, 3)) is g


def test_repr_names_the_function():
    assert repr(Cube()) == "<Cube>"


# ----------------------------------------------------------------------------- GPU
gpu = pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")


@pytest.mark.gpu
@gpu
def test_gpu_numbers_lists_and_arrays_follow_the_tensor_they_meet():
    g = Tensor([1.0, 2.0], requires_grad=True).to("gpu")
    assert (g * 2).device == "gpu"
    assert (g + [1.0, 2.0]).device == "gpu"
    assert (g > [1.0, 3.0]).device == "gpu"
    previous = backend.get_backend()
    backend.set_backend("cupy")
    try:
        c = Tensor(np.ones(2)).to("cpu")
        assert (c * np.ones(2)).device == "cpu"
        assert (c + [1.0, 2.0]).device == "cpu"
    finally:
        backend.set_backend(previous)


@pytest.mark.gpu
@gpu
def test_gpu_user_function_runs_on_cupy_arrays():
    x = Tensor(backend.module_for("gpu").asarray([1.0, -2.0]), requires_grad=True)
    y = Cube.apply(x)
    assert y.device == "gpu"
    y.sum().backward()
    np.testing.assert_array_equal(backend.to_numpy(x.grad), [3.0, 12.0])


def test_float_data_beside_a_float64_tensor_stays_exact():
    # A float64 computation must not round a NumPy operand through float32 on the way in.
    rng = np.random.default_rng(3)
    x, g = rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    t = Tensor(x, dtype="float64", requires_grad=True)
    y = t.tanh()
    (y * g).sum().backward()
    assert y.dtype == "float64" and np.array_equal(t.grad, g * (1 - np.tanh(x) ** 2))
    assert np.array_equal((t + g.tolist()).numpy(), x + g)  # a nested list of floats too


def test_data_beside_a_float32_tensor_stays_float32():
    t = Tensor(np.ones((2, 3), "float32"), requires_grad=True)
    assert (t * np.full((2, 3), 0.1)).dtype == "float32"
    assert (t * np.arange(3)).dtype == "float32"
