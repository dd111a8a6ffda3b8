"""Lesson 02's exercise checks reject typical wrong answers and accept right ones.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solutions. Exercises 1-3 add methods to the lesson's `Array`
class, so those tests put the class back as they found it.
"""

from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "02_from_scalars_to_tensors.ipynb"


@pytest.fixture
def Array(ns, restored_class):
    """The lesson's Array class, restored after the test (answers are attached to it)."""
    return restored_class(ns["Array"])


def test_our_engine_passes_gradcheck_and_agrees_with_tinyfit(ns):
    Array, Tensor = ns["Array"], ns["Tensor"]
    rng = np.random.default_rng(1)
    a, b, c = rng.standard_normal((4, 3)), rng.standard_normal((3,)), rng.standard_normal((4, 1))
    ours = [Array(v) for v in (a, b, c)]
    (ours[0] * ours[1] + ours[2] * ours[0]).backward()
    theirs = [Tensor(v, requires_grad=True, dtype="float64") for v in (a, b, c)]
    (theirs[0] * theirs[1] + theirs[2] * theirs[0]).sum().backward()
    for mine, lib in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, lib.grad, rtol=1e-12)
    assert ns["gradcheck"](ns["as_tensor_function"](lambda x, s: x * s + s), [a, c])


def test_the_bridge_lets_gradcheck_catch_a_wrong_backward(ns, Array):
    def bad_mul(self, other):
        other = ns["as_array"](other)
        out = Array(self.data * other.data, (self, other))

        def _backward():
            self.grad += ns["my_unbroadcast"](other.data * out.grad, self.shape)
            other.grad += ns["my_unbroadcast"](out.grad, other.shape)  # the factor self.data forgotten

        out._backward = _backward
        return out

    Array.__mul__ = bad_mul
    assert not ns["gradcheck"](ns["as_tensor_function"](lambda a, b: a * b),
                               [np.full((2, 2), 3.0), np.ones((2, 2))], raise_exception=False)


CHECKS = {"check_matmul": "Array", "check_sum": "Array", "check_relu": "Array", "check_leaky_relu": None,
          "check_matvec_backward": None, "check_scale_grad": None}


@pytest.mark.parametrize("check", list(CHECKS))
def test_a_check_waits_for_an_answer(ns, Array, check, capsys):
    ns[check](Array if CHECKS[check] else None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("marker", ["def matmul(", "def sum_(", "def relu(", "class LeakyRelu(",
                                    "def matvec_backward(", "def scale_grad("])
def test_the_reference_solutions_pass_and_say_correct_not_the_answer(Array, run_solution, marker, capsys):
    run_solution(marker)
    out = capsys.readouterr().out
    assert "correct" in out
    assert "outer" not in out and "A.T" not in out and "sum(axis" not in out


# ------------------------------------------------------------ exercises 1-3: ops for Array
def _op(ns, forward, backward, parents=True):
    """An Array method from forward(self_data, other_data) and backward(self, other, out) -> grads."""
    Array = ns["Array"]

    def method(self, other=None):
        operands = (self,) if other is None else (self, other)
        out = Array(forward(*[o.data for o in operands]), operands if parents else ())

        def _backward():
            for operand, grad in zip(operands, backward(*operands, out)):
                operand.grad += grad

        out._backward = _backward
        return out

    return method


def _assigning(ns, forward, backward):
    """Like _op, but overwriting each input's gradient (= instead of +=)."""
    Array = ns["Array"]

    def method(self, other=None):
        operands = (self,) if other is None else (self, other)
        out = Array(forward(*[o.data for o in operands]), operands)

        def _backward():
            for operand, grad in zip(operands, backward(*operands, out)):
                operand.grad = grad

        out._backward = _backward
        return out

    return method


def _matmul_through_tinyfit(ns):
    Array, Tensor = ns["Array"], ns["Tensor"]

    def matmul(self, other):
        ta, tb = Tensor(self.data, requires_grad=True, dtype="float64"), Tensor(other.data, requires_grad=True,
                                                                                dtype="float64")
        product = ta @ tb
        out = Array(product.numpy(), (self, other))

        def _backward():
            (product * Tensor(out.grad, dtype="float64")).sum().backward()
            self.grad += ta.grad
            other.grad += tb.grad
            ta.grad = tb.grad = None

        out._backward = _backward
        return out

    return matmul


def _wrong_matmuls(ns):
    matmul = lambda a, b: a @ b  # noqa: E731
    return {
        "= instead of +=": _assigning(ns, matmul, lambda a, b, out: (out.grad @ b.data.T, a.data.T @ out.grad)),
        "out.grad forgotten": _op(ns, matmul, lambda a, b, out: (np.ones_like(out.data) @ b.data.T,
                                                                  a.data.T @ np.ones_like(out.data))),
        "the two gradients' transposes swapped": _op(ns, matmul, lambda a, b, out: (out.grad @ b.data,
                                                                                     a.data @ out.grad)),
        "element-wise product": _op(ns, lambda a, b: a * b, lambda a, b, out: (b.data * out.grad,
                                                                                a.data * out.grad)),
        "through tinyfit's Tensor": _matmul_through_tinyfit(ns),
    }


@pytest.mark.parametrize("mistake", ["= instead of +=", "out.grad forgotten", "the two gradients' transposes swapped",
                                     "element-wise product", "through tinyfit's Tensor"])
def test_matmul_check_rejects(ns, Array, mistake):
    Array.__matmul__ = _wrong_matmuls(ns)[mistake]
    with pytest.raises(AssertionError):
        ns["check_matmul"](Array)


def test_matmul_check_names_a_call_into_tinyfit(ns, Array):
    Array.__matmul__ = _wrong_matmuls(ns)["through tinyfit's Tensor"]
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_matmul"](Array)


def test_matmul_check_accepts_einsum(ns, Array, capsys):
    Array.__matmul__ = _op(ns, lambda a, b: np.einsum("ik,kj->ij", a, b),
                           lambda a, b, out: (np.einsum("ij,kj->ik", out.grad, b.data),
                                              np.einsum("ik,ij->kj", a.data, out.grad)))
    ns["check_matmul"](Array)
    assert "Exercise 1: correct" in capsys.readouterr().out


def _sum_with(ns, backward, keepdims=False, assign=False):
    make = _assigning if assign else _op

    def sum_(self, axis=None):
        return make(ns, lambda a: a.sum(axis=axis, keepdims=keepdims), lambda a, out: (backward(a, out, axis),))(self)

    return sum_


def _sum_back(a, out, axis):
    grad = out.grad if axis is None else np.expand_dims(out.grad, axis)
    return np.broadcast_to(grad, a.shape).copy()


WRONG_SUMS = {
    "the summed axis not put back": lambda ns: _sum_with(ns, lambda a, out, axis: out.grad + np.zeros(a.shape)),
    "= instead of +=": lambda ns: _sum_with(ns, _sum_back, assign=True),
    "keepdims in the forward": lambda ns: _sum_with(ns, lambda a, out, axis: np.broadcast_to(out.grad, a.shape),
                                                    keepdims=True),
    "a gradient of ones, out.grad forgotten": lambda ns: _sum_with(ns, lambda a, out, axis: np.ones(a.shape)),
}


@pytest.mark.parametrize("mistake", list(WRONG_SUMS))
def test_sum_check_rejects(ns, Array, mistake):
    Array.sum = WRONG_SUMS[mistake](ns)
    with pytest.raises(AssertionError):
        ns["check_sum"](Array)


def test_sum_check_accepts_a_multiplication_by_ones(ns, Array, capsys):
    def back(a, out, axis):
        if axis is None:
            return np.ones(a.shape) * out.grad
        return np.ones(a.shape) * (out.grad[None, :] if axis == 0 else out.grad[:, None])

    Array.sum = _sum_with(ns, back)
    ns["check_sum"](Array)
    assert "Exercise 2: correct" in capsys.readouterr().out


WRONG_RELUS = {
    "= instead of +=": lambda ns: _assigning(ns, lambda a: np.maximum(a, 0),
                                             lambda a, out: ((a.data > 0) * out.grad,)),
    "the gradient passed everywhere": lambda ns: _op(ns, lambda a: np.maximum(a, 0), lambda a, out: (out.grad,)),
    "out.grad forgotten": lambda ns: _op(ns, lambda a: np.maximum(a, 0), lambda a, out: ((a.data > 0) * 1.0,)),
    "the absolute value": lambda ns: _op(ns, np.abs, lambda a, out: (np.sign(a.data) * out.grad,)),
}


@pytest.mark.parametrize("mistake", list(WRONG_RELUS))
def test_relu_check_rejects(ns, Array, mistake):
    Array.relu = WRONG_RELUS[mistake](ns)
    with pytest.raises(AssertionError):
        ns["check_relu"](Array)


def test_relu_check_accepts_where(ns, Array, capsys):
    Array.relu = _op(ns, lambda a: np.where(a > 0, a, 0.0), lambda a, out: (np.where(out.data > 0, out.grad, 0.0),))
    ns["check_relu"](Array)
    assert "Exercise 3: correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 4: LeakyRelu as a Function
def _leaky(ns, forward, backward):
    Function = ns["Function"]

    class LeakyRelu(Function):
        name = "leaky_relu"

        def forward(self, x):
            self.x = x
            return forward(x)

        def backward(self, grad):
            return backward(self.x, grad)

    return LeakyRelu


WRONG_LEAKY = {
    "the slope without the incoming grad": (lambda x: np.where(x > 0, x, 0.1 * x), lambda x, g: np.where(x > 0, 1.0, 0.1)),
    "a plain relu": (lambda x: np.maximum(x, 0), lambda x, g: (x > 0) * g),
    "slope 0.1 on the positive side": (lambda x: np.where(x > 0, 0.1 * x, x), lambda x, g: np.where(x > 0, 0.1, 1.0) * g),
}


@pytest.mark.parametrize("mistake", list(WRONG_LEAKY))
def test_leaky_relu_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_leaky_relu"](_leaky(ns, *WRONG_LEAKY[mistake]))


def test_leaky_relu_check_rejects_the_librarys_op(ns):
    Tensor, ops = ns["Tensor"], ns["ops"]

    def through_library(x):
        return ops.leaky_relu(Tensor(x), negative_slope=0.1).numpy() if hasattr(ops, "leaky_relu") else \
            (Tensor(x).relu() - (Tensor(-x).relu() * 0.1)).numpy()

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_leaky_relu"](_leaky(ns, through_library, lambda x, g: np.where(x > 0, g, 0.1 * g)))


def test_leaky_relu_check_accepts_maximum(ns, capsys):
    ns["check_leaky_relu"](_leaky(ns, lambda x: np.maximum(x, 0.1 * x), lambda x, g: g * np.where(x > 0, 1.0, 0.1)))
    assert "Exercise 4: correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 5: matrix times vector
def _matvec_by_autograd(ns):
    Tensor = ns["Tensor"]

    def matvec_backward(A, v, g):
        At, vt = Tensor(A, requires_grad=True, dtype="float64"), Tensor(v, requires_grad=True, dtype="float64")
        ((At @ vt) * Tensor(g, dtype="float64")).sum().backward()
        return At.grad, vt.grad

    return matvec_backward


WRONG_MATVECS = {
    "dA transposed": lambda A, v, g: (np.outer(v, g), A.T @ g),
    "dv from A, not A.T": lambda A, v, g: (np.outer(g, v), A @ g),
    "dv without g": lambda A, v, g: (np.outer(g, v), A.sum(axis=0)),
    "dA without g": lambda A, v, g: (np.tile(v, (A.shape[0], 1)), A.T @ g),
}


@pytest.mark.parametrize("mistake", list(WRONG_MATVECS))
def test_matvec_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_matvec_backward"](WRONG_MATVECS[mistake])


def test_matvec_check_rejects_asking_tinyfits_autograd(ns):
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_matvec_backward"](_matvec_by_autograd(ns))


def test_matvec_check_accepts_broadcasting(ns, capsys):
    ns["check_matvec_backward"](lambda A, v, g: (g[:, None] * v[None, :], (A * g[:, None]).sum(axis=0)))
    assert "Exercise 5: correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 6: a broadcast scale
WRONG_SCALES = {
    "x forgotten": lambda x, gamma, G: G.sum(axis=0, keepdims=True),
    "no keepdims": lambda x, gamma, G: (G * x).sum(axis=0),
    "not summed over the batch": lambda x, gamma, G: G * x,
    "a mean instead of a sum": lambda x, gamma, G: (G * x).mean(axis=0, keepdims=True),
}


@pytest.mark.parametrize("mistake", list(WRONG_SCALES))
def test_scale_grad_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_scale_grad"](WRONG_SCALES[mistake])


def test_scale_grad_check_accepts_einsum(ns, capsys):
    ns["check_scale_grad"](lambda x, gamma, G: np.einsum("bd,bd->d", G, x)[None, :])
    assert "Exercise 6: correct" in capsys.readouterr().out
