"""gradcheck: agrees with correct ops, catches a wrong gradient and says where."""

import re

import numpy as np
import pytest

from tinyfit import Tensor, ops
from tinyfit.autograd.function import Function
from tinyfit.autograd.gradcheck import GradcheckError, gradcheck


class WrongSquare(Function):
    """x ** 2 whose backward is wrong at exactly one element: flat position 4."""

    name = "wrong_square"

    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, grad):
        g = 2 * self.a * grad
        flat = g.reshape(-1).copy()
        flat[4] += 1.0
        return flat.reshape(g.shape)


class ForgetsBroadcast(Function):
    """a * b whose backward for b is the full gradient where it should be summed."""

    name = "forgets_broadcast"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        gb = grad * self.a
        return grad * self.b, gb[: self.b.shape[0]].reshape(self.b.shape) if gb.ndim else gb


def test_correct_functions_pass():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    assert gradcheck(lambda x, y: (x * y).tanh() + x.exp() / 3, [a, b]) is True
    assert gradcheck(lambda x: x.sum(), [a]) is True


def test_a_wrong_gradient_is_caught_naming_the_input_and_the_element():
    a = np.random.default_rng(1).standard_normal((2, 3))
    c = np.random.default_rng(2).standard_normal((2, 3))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: x * 2 + WrongSquare.apply(y), [a, c])
    message = str(info.value)
    # Flat position 4 of a (2, 3) array is element (1, 1) of input 1.
    assert "input 1, element (1, 1)" in message
    assert "failed on 1 of 12 elements" in message
    autograd, numeric = map(float, re.search(r"autograd (\S+), finite difference (\S+) ", message).groups())
    # The output is weighted by random numbers before differentiating, so only the
    # planted error itself is known: autograd is off by exactly 1 there.
    assert autograd - numeric == pytest.approx(1.0, abs=1e-4)
    assert "(difference 1, allowed" in message


def test_a_missing_unbroadcast_is_caught():
    a = np.random.default_rng(3).standard_normal((3, 2))
    b = np.random.default_rng(4).standard_normal((1, 2))
    with pytest.raises(GradcheckError, match=r"input 1, element \(0, [01]\)"):
        gradcheck(ForgetsBroadcast.apply, [a, b])


def test_raise_exception_false_returns_false():
    assert gradcheck(WrongSquare.apply, [np.ones((5,))], raise_exception=False) is False


def test_checks_run_in_float64_whatever_the_input_dtype():
    seen = []

    def f(x):
        seen.append(x.dtype)
        return (x * x).sum()

    x32 = Tensor(np.linspace(0.1, 1.0, 4), requires_grad=True)
    assert x32.dtype == np.float32
    assert gradcheck(f, [x32, ])
    assert set(seen) == {np.dtype("float64")}
    assert x32.grad is None  # the caller's tensor is not touched


def test_float32_inputs_pass_where_a_float32_difference_would_not():
    x = np.array([0.5, 1.5], dtype=np.float32)
    eps = np.float32(1e-6)
    in_float32 = (np.exp(x + eps) - np.exp(x - eps)) / (2 * eps)
    assert not np.allclose(in_float32, np.exp(x), rtol=1e-3, atol=1e-5)  # float32 loses the digits
    assert gradcheck(lambda t: t.exp(), [x])


def test_integer_inputs_pass_through_as_constants():
    labels = np.array([0, 2, 1])
    x = np.random.default_rng(5).standard_normal((3, 3))
    assert gradcheck(lambda t, idx: t[np.arange(3), idx.data], [x, labels])


def test_non_scalar_outputs_are_reduced_with_fixed_weights():
    # A sum would hide a wrong sign that cancels across elements; random weights do not.
    class SwapsGrad(Function):
        name = "swaps"

        def forward(self, a):
            return a[::-1].copy()

        def backward(self, grad):
            return grad  # should be grad[::-1]

    with pytest.raises(GradcheckError):
        gradcheck(SwapsGrad.apply, [np.arange(3.0)])


def test_inputs_f_does_not_use_get_zero_gradient():
    assert gradcheck(lambda x, y: x * 2, [np.ones(2), np.ones(3)])


def test_no_float_input_is_a_value_error():
    with pytest.raises(ValueError, match=r"gradcheck: no floating-point input"):
        gradcheck(lambda i: i * 2, [np.array([1, 2])])


def test_f_must_return_a_tensor():
    with pytest.raises(TypeError, match=r"gradcheck: f must return a Tensor, got float"):
        gradcheck(lambda x: 1.0, [np.ones(2)])


def test_output_that_does_not_depend_on_the_inputs_is_named():
    with pytest.raises(ValueError, match=r"does not depend on any checked input"):
        gradcheck(lambda x: Tensor([1.0, 2.0]), [np.ones(2)])


def test_nan_never_passes():
    with pytest.raises(GradcheckError):
        with np.errstate(all="ignore"):
            gradcheck(lambda x: x.log(), [np.array([-1.0])])


# ********************************************************* tolerances by dtype
class SlightlyOffExp(Function):
    """exp whose backward is 0.1% too large: the kind of error a dropped term leaves."""

    name = "slightly_off_exp"

    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, grad):
        return grad * self.out * 1.001


def test_a_gradient_off_by_a_tenth_of_a_percent_fails_in_float64():
    x = np.random.default_rng(6).standard_normal((3, 4))
    assert gradcheck(lambda t: t.exp(), [x])  # the true exp passes
    with pytest.raises(GradcheckError) as info:
        gradcheck(SlightlyOffExp.apply, [x])
    message = str(info.value)
    assert "f computes in float64: eps=1e-06, atol=1e-06, rtol=1e-05" in message
    failed = int(re.search(r"failed on (\d+) of 12 elements", message).group(1))
    assert failed >= 10  # nearly every element: only the smallest gradients stay under atol
    # The old default (rtol 1e-3) let exactly this error through.
    assert gradcheck(SlightlyOffExp.apply, [x], atol=1e-5, rtol=1e-3) is True


def float32_tanh(t):
    """A function that computes in float32 whatever it is given (as a float32 layer does)."""
    return ops.cast(t, "float32").tanh() * 2.0


class WrongFloat32Tanh(Function):
    name = "wrong_float32_tanh"

    def forward(self, a):
        self.out = np.tanh(a.astype("float32"))
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out)  # wrong: 1 - out ** 2


def test_a_function_computing_in_float32_gets_float32_tolerances():
    x = np.random.default_rng(7).uniform(-1.5, 1.5, (4, 3))
    assert float32_tanh(Tensor(x, dtype="float64")).dtype == np.float32
    assert gradcheck(float32_tanh, [x]) is True
    # float64's tolerances cannot be met by a float32 computation: that is why they differ.
    assert gradcheck(float32_tanh, [x], eps=1e-6, atol=1e-6, rtol=1e-5, raise_exception=False) is False
    with pytest.raises(GradcheckError, match=r"f computes in float32: eps=0.001, atol=0.001, rtol=0.01"):
        gradcheck(WrongFloat32Tanh.apply, [x])


def test_tolerances_given_by_the_caller_win():
    x = np.random.default_rng(8).standard_normal(5)
    assert gradcheck(SlightlyOffExp.apply, [x], rtol=1e-2) is True
    with pytest.raises(GradcheckError, match=r"eps=1e-05, atol=0, rtol=1e-05"):
        gradcheck(SlightlyOffExp.apply, [x], eps=1e-5, atol=0.0)


def test_an_integer_output_is_refused_with_the_reason():
    with pytest.raises(TypeError, match=r"gradcheck: f returns int64; finite differences need float64"):
        gradcheck(lambda t: Tensor(np.array([1, 2])), [np.ones(2)])
