"""Lesson 02's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them, the
answer cells holding nbgrader's stub; each check is then called with answers a student might
write. Exercises 1-3 attach methods to the lesson's `Array` class, so those tests put the class
back as they found it.
"""

from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "02_from_scalars_to_tensors.ipynb"


@pytest.fixture
def Array(ns, restored_class):
    """The lesson's Array class, restored after the test (answers are attached to it)."""
    return restored_class(ns["Array"])


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


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


def _stub_leaky(ns):
    class LeakyRelu(ns["Function"]):
        name = "leaky_relu"
        forward = backward = _stub

    return LeakyRelu


@pytest.mark.parametrize("check, method", [("check_matmul", "__matmul__"), ("check_sum", "sum"),
                                           ("check_relu", "relu"), ("check_leaky_relu", None),
                                           ("check_matvec_backward", None), ("check_scale_grad", None)])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, Array, check, method):
    if method:
        setattr(Array, method, _stub)
        answer = Array
    else:
        answer = _stub_leaky(ns) if check == "check_leaky_relu" else _stub
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](answer)


@pytest.mark.parametrize("marker", ["def matmul(", "def sum_(", "def relu(", "class LeakyRelu(",
                                    "def matvec_backward(", "def scale_grad("])
def test_the_reference_solutions_pass_and_say_correct_not_the_answer(Array, run_solution, marker, capsys):
    run_solution(marker)
    out = capsys.readouterr().out
    assert "correct" in out
    assert "outer" not in out and "A.T" not in out and "sum(axis" not in out


# ------------------------------------------------------------ exercises 1-3: ops for Array
def _op(ns, forward, backward, parents="all", assign=False):
    """An Array method from forward(*datas) and backward(*operands, out) -> grads.

    parents: "all" (right), "none" (the output records no parents) or "self" (only the first input).
    assign: overwrite each input's gradient (=) instead of adding to it (+=).
    """
    Array = ns["Array"]

    def method(self, other=None, **kwargs):
        operands = (self,) if other is None else (self, other)
        recorded = {"all": operands, "none": (), "self": (self,)}[parents]
        out = Array(forward(*[o.data for o in operands], **kwargs), recorded)

        def _backward():
            for operand, grad in zip(operands, backward(*operands, out, **kwargs)):
                if assign:
                    operand.grad = grad
                else:
                    operand.grad += grad

        out._backward = _backward
        return out

    return method


def _matmul_through_tinyfit(ns):
    Array, Tensor = ns["Array"], ns["Tensor"]

    def matmul(self, other):
        ta, tb = (Tensor(o.data, requires_grad=True, dtype="float64") for o in (self, other))
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


def _right_matmul_backward(a, b, out):
    return out.grad @ b.data.T, a.data.T @ out.grad


def _matmul_writing_into_its_input(ns):
    def forward(a, b):
        result = a @ b
        a *= 1.0 + 1e-3  # "harmless" rescaling, in place: the caller's data changes
        return result

    return _op(ns, forward, _right_matmul_backward)


MATMUL = lambda a, b: a @ b  # noqa: E731
WRONG_MATMULS = {
    "= instead of +=": lambda ns: _op(ns, MATMUL, _right_matmul_backward, assign=True),
    "no parents recorded": lambda ns: _op(ns, MATMUL, _right_matmul_backward, parents="none"),
    "only self recorded as a parent": lambda ns: _op(ns, MATMUL, _right_matmul_backward, parents="self"),
    "out.grad forgotten": lambda ns: _op(ns, MATMUL, lambda a, b, out: (np.ones_like(out.data) @ b.data.T,
                                                                         a.data.T @ np.ones_like(out.data))),
    "the two gradients' transposes swapped": lambda ns: _op(ns, MATMUL, lambda a, b, out: (out.grad @ b.data,
                                                                                            a.data @ out.grad)),
    "gradients given to the wrong inputs": lambda ns: _op(
        ns, MATMUL, lambda a, b, out: (a.data.T @ out.grad, out.grad @ b.data.T)),
    "element-wise product": lambda ns: _op(ns, lambda a, b: a * b, lambda a, b, out: (b.data * out.grad,
                                                                                       a.data * out.grad)),
    "b's gradient forgotten": lambda ns: _op(ns, MATMUL, lambda a, b, out: (out.grad @ b.data.T, 0.0)),
    "writes into its input": _matmul_writing_into_its_input,
    "through tinyfit's Tensor": _matmul_through_tinyfit,
}


@pytest.mark.parametrize("mistake", list(WRONG_MATMULS))
def test_matmul_check_rejects(ns, Array, mistake):
    Array.__matmul__ = WRONG_MATMULS[mistake](ns)
    with pytest.raises(AssertionError):
        ns["check_matmul"](Array)


@pytest.mark.parametrize("mistake, message", [
    ("through tinyfit's Tensor", "called tinyfit"),
    ("no parents recorded", "list its inputs as parents"),  # the dense layer: its output taken for an input
    ("= instead of +=", r"\+= \(not =\)|never replace them with ="),
    ("writes into its input", "wrote into an input's data"),
    ("the two gradients' transposes swapped", "ValueError"),
])
def test_matmul_check_says_what_is_wrong(ns, Array, mistake, message):
    Array.__matmul__ = WRONG_MATMULS[mistake](ns)
    with pytest.raises(AssertionError, match=message):
        ns["check_matmul"](Array)


def test_matmul_check_rejects_overwriting_even_where_no_node_is_reused(ns, Array):
    """The visible case a @ b alone: a second backward() must add up in the leaves."""
    Array.__matmul__ = WRONG_MATMULS["= instead of +="](ns)
    rng = np.random.default_rng(0)
    case = [("a @ b", lambda a, b: a @ b, [rng.standard_normal((2, 3)), rng.standard_normal((3, 4))])]
    with pytest.raises(AssertionError, match="second backward"):
        ns["check_array_op"]("Exercise 1", "a @ b", Array, case, {"forward": "", "gradient": ""})


def test_matmul_check_accepts_einsum(ns, Array, capsys):
    Array.__matmul__ = _op(ns, lambda a, b: np.einsum("ik,kj->ij", a, b),
                           lambda a, b, out: (np.einsum("ij,kj->ik", out.grad, b.data),
                                              np.einsum("ik,ij->kj", a.data, out.grad)))
    ns["check_matmul"](Array)
    assert "Exercise 1: correct" in capsys.readouterr().out


def test_matmul_check_accepts_grad_plus_assignment_and_np_matmul(ns, Array, capsys):
    Array_ = ns["Array"]

    def matmul(self, other):
        out = Array_(np.matmul(self.data, other.data), (self, other))

        def _backward():
            self.grad = self.grad + np.matmul(out.grad, other.data.T)  # a new array, the sum of both
            other.grad = other.grad + np.matmul(self.data.T, out.grad)

        out._backward = _backward
        return out

    Array.__matmul__ = matmul
    ns["check_matmul"](Array)
    assert "Exercise 1: correct" in capsys.readouterr().out


def _sum(ns, backward, keepdims=False, **options):
    return _op(ns, lambda a, axis=None: a.sum(axis=axis, keepdims=keepdims), backward, **options)


def _sum_back(a, out, axis=None):
    grad = out.grad if axis is None else np.expand_dims(out.grad, axis)
    return (np.broadcast_to(grad, a.shape).copy(),)


WRONG_SUMS = {
    "the summed axis not put back": lambda ns: _sum(ns, lambda a, out, axis=None: (out.grad + np.zeros(a.shape),)),
    "always put back on axis 0": lambda ns: _sum(
        ns, lambda a, out, axis=None: (np.broadcast_to(out.grad if axis is None else out.grad[None], a.shape),)),
    "= instead of +=": lambda ns: _sum(ns, _sum_back, assign=True),
    "no parents recorded": lambda ns: _sum(ns, _sum_back, parents="none"),
    "keepdims in the forward": lambda ns: _sum(
        ns, lambda a, out, axis=None: (np.broadcast_to(out.grad, a.shape),), keepdims=True),
    "a gradient of ones, out.grad forgotten": lambda ns: _sum(ns, lambda a, out, axis=None: (np.ones(a.shape),)),
    "the axis ignored": lambda ns: _op(ns, lambda a, axis=None: a.sum(),
                                       lambda a, out, axis=None: (np.broadcast_to(out.grad, a.shape),)),
    "a mean, not a sum": lambda ns: _op(ns, lambda a, axis=None: a.mean(axis=axis),
                                        lambda a, out, axis=None: (_sum_back(a, out, axis)[0] / (
                                            a.data.size / out.data.size),)),
}


@pytest.mark.parametrize("mistake", list(WRONG_SUMS))
def test_sum_check_rejects(ns, Array, mistake):
    Array.sum = WRONG_SUMS[mistake](ns)
    with pytest.raises(AssertionError):
        ns["check_sum"](Array)


def test_sum_check_accepts_a_multiplication_by_ones(ns, Array, capsys):
    def back(a, out, axis=None):
        if axis is None:
            return (np.ones(a.shape) * out.grad,)
        return (np.ones(a.shape) * (out.grad[None, :] if axis == 0 else out.grad[:, None]),)

    Array.sum = _sum(ns, back)
    ns["check_sum"](Array)
    assert "Exercise 2: correct" in capsys.readouterr().out


def test_sum_check_accepts_keepdims_reshaped(ns, Array, capsys):
    Array_ = ns["Array"]

    def sum_(self, axis=None):
        kept = self.data.sum(axis=axis, keepdims=True)
        out = Array_(kept.reshape(self.data.sum(axis=axis).shape), (self,))

        def _backward():
            self.grad += out.grad.reshape(kept.shape) * np.ones_like(self.data)

        out._backward = _backward
        return out

    Array.sum = sum_
    ns["check_sum"](Array)
    assert "Exercise 2: correct" in capsys.readouterr().out


def _relu_in_place(ns):
    Array = ns["Array"]

    def relu(self):
        np.maximum(self.data, 0, out=self.data)  # the input's data is now the output
        out = Array(self.data.copy(), (self,))

        def _backward():
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    return relu


RELU = lambda a: np.maximum(a, 0)  # noqa: E731
WRONG_RELUS = {
    "= instead of +=": lambda ns: _op(ns, RELU, lambda a, out: ((a.data > 0) * out.grad,), assign=True),
    "no parents recorded": lambda ns: _op(ns, RELU, lambda a, out: ((a.data > 0) * out.grad,), parents="none"),
    "the gradient passed everywhere": lambda ns: _op(ns, RELU, lambda a, out: (out.grad,)),
    "masked by the gradient's sign": lambda ns: _op(ns, RELU, lambda a, out: ((out.grad > 0) * out.grad,)),
    "out.grad forgotten": lambda ns: _op(ns, RELU, lambda a, out: ((a.data > 0) * 1.0,)),
    "the absolute value": lambda ns: _op(ns, np.abs, lambda a, out: (np.sign(a.data) * out.grad,)),
    "a leaky slope": lambda ns: _op(ns, lambda a: np.where(a > 0, a, 0.01 * a),
                                    lambda a, out: (np.where(a.data > 0, 1.0, 0.01) * out.grad,)),
    "writes into its input": _relu_in_place,
}


@pytest.mark.parametrize("mistake", list(WRONG_RELUS))
def test_relu_check_rejects(ns, Array, mistake):
    Array.relu = WRONG_RELUS[mistake](ns)
    with pytest.raises(AssertionError):
        ns["check_relu"](Array)


def test_relu_check_accepts_where_and_the_outputs_sign(ns, Array, capsys):
    Array.relu = _op(ns, lambda a: np.where(a > 0, a, 0.0), lambda a, out: (np.where(out.data > 0, out.grad, 0.0),))
    ns["check_relu"](Array)
    assert "Exercise 3: correct" in capsys.readouterr().out


def test_relu_check_accepts_at_or_above_zero(ns, Array, capsys):
    """The inputs stay clear of 0, so where the kink's gradient goes is not judged."""
    Array.relu = _op(ns, lambda a: a * (a >= 0), lambda a, out: ((a.data >= 0) * out.grad,))
    ns["check_relu"](Array)
    assert "Exercise 3: correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 4: LeakyRelu as a Function
def _leaky(ns, forward, backward):
    class LeakyRelu(ns["Function"]):
        name = "leaky_relu"

        def forward(self, x):
            self.x = x.copy()
            return forward(x)

        def backward(self, grad):
            return backward(self.x, grad)

    return LeakyRelu


def _leaky_on_the_class(ns):
    class LeakyRelu(ns["Function"]):
        name = "leaky_relu"

        def forward(self, x):
            LeakyRelu.mask = x > 0  # one mask for every op object
            return np.where(x > 0, x, 0.1 * x)

        def backward(self, grad):
            return np.where(LeakyRelu.mask, grad, 0.1 * grad)

    return LeakyRelu


def _leaky_in_place(ns):
    def forward(x):
        x[x <= 0] *= 0.1  # the caller's array
        return x

    return _leaky(ns, forward, lambda x, g: np.where(x > 0, g, 0.1 * g))


def _leaky_gradient_in_place(ns):
    def backward(x, g):
        g[x <= 0] *= 0.1  # the incoming gradient
        return g

    return _leaky(ns, lambda x: np.where(x > 0, x, 0.1 * x), backward)


LEAKY = lambda x: np.where(x > 0, x, 0.1 * x)  # noqa: E731
LEAKY_BACK = lambda x, g: np.where(x > 0, g, 0.1 * g)  # noqa: E731
WRONG_LEAKY = {
    "the slope without the incoming grad": lambda ns: _leaky(ns, LEAKY, lambda x, g: np.where(x > 0, 1.0, 0.1)),
    "a plain relu": lambda ns: _leaky(ns, lambda x: np.maximum(x, 0), lambda x, g: (x > 0) * g),
    "slope 0.1 on the positive side": lambda ns: _leaky(ns, lambda x: np.where(x > 0, 0.1 * x, x),
                                                        lambda x, g: np.where(x > 0, 0.1, 1.0) * g),
    "the mask kept on the class": _leaky_on_the_class,
    "float64 out of float32": lambda ns: _leaky(ns, lambda x: x * np.where(x > 0, 1.0, 0.1),
                                                lambda x, g: g * np.where(x > 0, 1.0, 0.1)),
    "float64 gradient out of float32": lambda ns: _leaky(ns, LEAKY, lambda x, g: g * np.where(x > 0, 1.0, 0.1)),
    "writes into its input": _leaky_in_place,
    "writes into the incoming gradient": _leaky_gradient_in_place,
    "the slope taken from the gradient's sign": lambda ns: _leaky(ns, LEAKY, lambda x, g: np.where(g > 0, g, 0.1 * g)),
    "a tuple from backward": lambda ns: _leaky(ns, LEAKY, lambda x, g: (LEAKY_BACK(x, g),)),
}


@pytest.mark.parametrize("mistake", list(WRONG_LEAKY))
def test_leaky_relu_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_leaky_relu"](WRONG_LEAKY[mistake](ns))


@pytest.mark.parametrize("mistake, message", [("the mask kept on the class", "two LeakyRelu objects"),
                                              ("float64 out of float32", "keep the input's dtype"),
                                              ("writes into its input", "wrote into the array")])
def test_leaky_relu_check_says_what_is_wrong(ns, mistake, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_leaky_relu"](WRONG_LEAKY[mistake](ns))


def test_leaky_relu_check_rejects_the_librarys_op(ns):
    Tensor = ns["Tensor"]

    def through_library(x):
        return (Tensor(x).relu() - (Tensor(-x).relu() * 0.1)).numpy()

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_leaky_relu"](_leaky(ns, through_library, LEAKY_BACK))


def test_leaky_relu_check_rejects_a_class_that_is_not_a_function(ns):
    with pytest.raises(AssertionError, match="class LeakyRelu\\(Function\\)"):
        ns["check_leaky_relu"](LEAKY)


def test_leaky_relu_check_accepts_maximum(ns, capsys):
    ns["check_leaky_relu"](_leaky(ns, lambda x: np.maximum(x, 0.1 * x), LEAKY_BACK))
    assert "Exercise 4: correct" in capsys.readouterr().out


def test_leaky_relu_check_accepts_a_mask_and_a_cast(ns, capsys):
    class LeakyRelu(ns["Function"]):
        name = "leaky_relu"

        def forward(self, x):
            self.negative = x <= 0
            out = x.copy()
            out[self.negative] *= 0.1
            return out

        def backward(self, grad):
            slope = np.where(self.negative, 0.1, 1.0).astype(grad.dtype)
            return grad * slope

    ns["check_leaky_relu"](LeakyRelu)
    assert "Exercise 4: correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 5: matrix times vector
def _matvec_by_autograd(ns):
    Tensor = ns["Tensor"]

    def matvec_backward(A, v, g):
        At, vt = Tensor(A, requires_grad=True, dtype="float64"), Tensor(v, requires_grad=True, dtype="float64")
        ((At @ vt) * Tensor(g, dtype="float64")).sum().backward()
        return At.grad, vt.grad

    return matvec_backward


def _matvec_writing_into_g(A, v, g):
    g *= 1.0  # harmless? it is the caller's array: any in-place change is caught, even one that keeps values
    g += 0.0
    np.multiply(g, 2.0, out=g)
    return np.outer(g / 2.0, v), A.T @ (g / 2.0)


WRONG_MATVECS = {
    "dA transposed": lambda A, v, g: (np.outer(v, g), A.T @ g),
    "dv from A, not A.T": lambda A, v, g: (np.outer(g, v), A @ g),
    "dv without g": lambda A, v, g: (np.outer(g, v), A.sum(axis=0)),
    "dA without g": lambda A, v, g: (np.tile(v, (A.shape[0], 1)), A.T @ g),
    "dA with A": lambda A, v, g: (A * np.outer(g, v), A.T @ g),
    "a single array": lambda A, v, g: np.outer(g, v),
    "the pair the wrong way round": lambda A, v, g: (A.T @ g, np.outer(g, v)),
    "writes into g": _matvec_writing_into_g,
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


def test_matvec_check_accepts_a_list_and_loops(ns, capsys):
    def matvec_backward(A, v, g):
        dA, dv = np.zeros(A.shape), np.zeros(v.shape)
        for i in range(A.shape[0]):
            for p in range(A.shape[1]):
                dA[i, p] = g[i] * v[p]
                dv[p] += A[i, p] * g[i]
        return [dA, dv]

    ns["check_matvec_backward"](matvec_backward)
    assert "Exercise 5: correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 6: a broadcast scale
def _scale_writing_into_G(x, gamma, G):
    G *= x  # the caller's G
    return G.sum(axis=0, keepdims=True)


WRONG_SCALES = {
    "x forgotten": lambda x, gamma, G: G.sum(axis=0, keepdims=True),
    "no keepdims": lambda x, gamma, G: (G * x).sum(axis=0),
    "not summed over the batch": lambda x, gamma, G: G * x,
    "a mean instead of a sum": lambda x, gamma, G: (G * x).mean(axis=0, keepdims=True),
    "summed over the features": lambda x, gamma, G: (G * x).sum(axis=1, keepdims=True).T,
    "gamma in the product": lambda x, gamma, G: (G * x * gamma).sum(axis=0, keepdims=True),
    "the gradient of x instead": lambda x, gamma, G: (G * gamma).sum(axis=0, keepdims=True),
    "writes into G": _scale_writing_into_G,
}


@pytest.mark.parametrize("mistake", list(WRONG_SCALES))
def test_scale_grad_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_scale_grad"](WRONG_SCALES[mistake])


def test_scale_grad_check_rejects_asking_tinyfits_autograd(ns):
    Tensor = ns["Tensor"]

    def scale_grad(x, gamma, G):
        gt = Tensor(gamma, requires_grad=True, dtype="float64")
        (Tensor(x, dtype="float64") * gt * Tensor(G, dtype="float64")).sum().backward()
        return gt.grad

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_scale_grad"](scale_grad)


def test_scale_grad_check_accepts_einsum(ns, capsys):
    ns["check_scale_grad"](lambda x, gamma, G: np.einsum("bd,bd->d", G, x)[None, :])
    assert "Exercise 6: correct" in capsys.readouterr().out


# ------------------------------------------------------------ certainty: no lucky draw lets a wrong answer pass
def test_a_relu_masked_by_the_gradients_sign_fails_on_every_draw(ns, Array):
    """One positive number: half the draws give it a positive upstream gradient, where the wrong mask
    agrees; the second backward() from -2 times that gradient disagrees on every draw."""
    Array.relu = WRONG_RELUS["masked by the gradient's sign"](ns)
    case = [("a.relu()", lambda a: a.relu(), [np.array([0.7])])]
    hint = {"forward": "", "gradient": ""}
    for _ in range(20):
        with pytest.raises(AssertionError):
            ns["check_array_op"]("Exercise 3", "relu", Array, case, hint)


def test_a_leaky_slope_from_the_gradients_sign_fails_on_every_draw(ns):
    wrong = WRONG_LEAKY["the slope taken from the gradient's sign"](ns)
    for _ in range(10):
        with pytest.raises(AssertionError, match="backward is wrong"):
            ns["check_leaky_relu"](wrong)


# ------------------------------------------------------------ more answers a student might write
def test_matmul_check_rejects_out_grad_read_before_backward(ns, Array):
    """out.grad taken when the op runs is the array backward() later replaces: every gradient stays 0."""

    def matmul(self, other):
        out = Array(self.data @ other.data, (self, other))
        upstream = out.grad  # too early

        def _backward():
            self.grad += upstream @ other.data.T
            other.grad += self.data.T @ upstream

        out._backward = _backward
        return out

    Array.__matmul__ = matmul
    with pytest.raises(AssertionError, match="gradient is wrong"):
        ns["check_matmul"](Array)


def test_sum_check_accepts_a_new_axis_only_where_the_axis_was_1(ns, Array, capsys):
    """For axis=None and axis=0, out.grad already broadcasts to the input's shape."""

    def sum_(self, axis=None):
        out = Array(self.data.sum(axis=axis), (self,))

        def _backward():
            self.grad += out.grad[:, None] if axis == 1 else out.grad

        out._backward = _backward
        return out

    Array.sum = sum_
    ns["check_sum"](Array)
    assert "Exercise 2: correct" in capsys.readouterr().out


def test_leaky_relu_check_rejects_a_float64_constant(ns):
    """NumPy 2: np.float64(0.1) * a float32 array is float64."""
    wrong = _leaky(ns, lambda x: np.where(x > 0, x, x * np.float64(0.1)),
                   lambda x, g: np.where(x > 0, g, g * np.float64(0.1)))
    with pytest.raises(AssertionError, match="float32 array into float64"):
        ns["check_leaky_relu"](wrong)


def test_matvec_check_rejects_a_squeezed_dv(ns):
    """A column (k = 1) gives dv of shape (1,); np.squeeze makes it a 0-d array."""
    with pytest.raises(AssertionError, match="dv has shape"):
        ns["check_matvec_backward"](lambda A, v, g: (np.outer(g, v), np.squeeze(A.T @ g[:, None])))


def test_matvec_and_scale_grad_checks_reject_float32_results(ns):
    with pytest.raises(AssertionError, match="dA is wrong"):
        ns["check_matvec_backward"](lambda A, v, g: (np.outer(g, v).astype(np.float32), (A.T @ g).astype(np.float32)))
    with pytest.raises(AssertionError, match="dL/dgamma is wrong"):
        ns["check_scale_grad"](lambda x, gamma, G: (G * x).sum(axis=0, keepdims=True).astype(np.float32))


def test_scale_grad_check_accepts_the_lessons_unbroadcast_but_not_tinyfits(ns, capsys):
    ns["check_scale_grad"](lambda x, gamma, G: ns["my_unbroadcast"](G * x, gamma.shape))
    assert "Exercise 6: correct" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_scale_grad"](lambda x, gamma, G: ns["unbroadcast"](G * x, gamma.shape))


def test_the_released_leaky_relu_check_hints_at_the_slopes_without_writing_them_out(ns, released_check, capsys):
    source, check = released_check("ex4_leaky_relu_check", "check_leaky_relu")
    assert "0.1 * G" not in source and "0.1 elsewhere" not in source and "slope is 1" not in source
    with pytest.raises(AssertionError, match="what is the slope of LeakyRelu on each side of 0"):
        check(WRONG_LEAKY["the slope taken from the gradient's sign"](ns))
    check(_leaky(ns, LEAKY, LEAKY_BACK))
    assert "Exercise 4: correct" in capsys.readouterr().out
