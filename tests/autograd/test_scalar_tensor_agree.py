"""Scalar (lesson 1) and Tensor (lesson 2) agree: the same expressions, evaluated one
element at a time with Scalars and all at once with Tensors, give the same values and
the same gradients. Lesson 2 reads as a generalisation only if this holds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit import Scalar, Tensor

SETTINGS = settings(max_examples=20, deadline=None)

# name: (expression over (a, b) using only what both engines share, domain of a, domain of b)
# Domains keep every expression smooth and real: logs and fractional powers see positive
# numbers, divisions stay away from zero, relu's kink is avoided.
POSITIVE = (0.3, 2.5)
ANY = (-2.0, 2.0)
EXPRESSIONS = {
    "a + b": (lambda a, b: a + b, ANY, ANY),
    "a - b": (lambda a, b: a - b, ANY, ANY),
    "a * b + a": (lambda a, b: a * b + a, ANY, ANY),
    "a * a * a": (lambda a, b: a * a * a, ANY, ANY),
    "a / b": (lambda a, b: a / b, ANY, POSITIVE),
    "-a + b": (lambda a, b: -a + b, ANY, ANY),
    "a ** 2 + b ** 3": (lambda a, b: a**2 + b**3, ANY, ANY),
    "a ** 0.5": (lambda a, b: a**0.5 * b, POSITIVE, ANY),
    "a ** -1.5": (lambda a, b: a**-1.5 + b, POSITIVE, ANY),
    "a ** b": (lambda a, b: a**b, POSITIVE, ANY),
    "2 ** a": (lambda a, b: 2**a * b, ANY, ANY),
    "numbers on the left": (lambda a, b: 3 - a + 2 * b + 1 / b, ANY, POSITIVE),
    "numbers on the right": (lambda a, b: (a + 1) * 2 - b / 4, ANY, ANY),
    "exp": (lambda a, b: (a * b).exp(), ANY, ANY),
    "log": (lambda a, b: (a * b).log(), POSITIVE, POSITIVE),
    "tanh": (lambda a, b: (a * b + 1).tanh(), ANY, ANY),
    "sigmoid": (lambda a, b: (a - b).sigmoid(), ANY, ANY),
    "relu": (lambda a, b: (a * b).relu() + (-a).relu(), ANY, ANY),
    "neuron": (lambda a, b: (a * 0.7 + b * -1.3 + 0.1).tanh(), ANY, ANY),
    "reused node": (lambda a, b: (a * b) * (a * b) + (a * b), ANY, ANY),
    "diamond": (lambda a, b: a.exp() * a.tanh() + a.exp() / (b * b + 1), ANY, ANY),
    "deep chain": (lambda a, b: _chain(a, b, 30), ANY, ANY),
    "softplus by hand": (lambda a, b: (a.exp() + 1).log() - b.sigmoid(), ANY, ANY),
}


def _chain(a, b, depth):
    y = a
    for _ in range(depth):
        y = (y * 0.9 + b * 0.1).tanh()
    return y


def sample(rng, domain, n):
    values = rng.uniform(*domain, n)
    if domain is ANY:
        # Keep |x| >= 0.05 so relu's kink (and sign changes) sit outside the data.
        values = np.where(np.abs(values) < 0.05, 0.05 * np.sign(values + 1e-12), values)
    return values


def with_scalars(expr, a, b):
    values, ga, gb = [], [], []
    for x, y in zip(a, b):
        sa, sb = Scalar(float(x)), Scalar(float(y))
        out = expr(sa, sb)
        out.backward()
        values.append(out.data)
        ga.append(sa.grad)
        gb.append(sb.grad)
    return np.array(values), np.array(ga), np.array(gb)


def with_tensors(expr, a, b):
    ta = Tensor(a, requires_grad=True, dtype="float64")
    tb = Tensor(b, requires_grad=True, dtype="float64")
    out = expr(ta, tb)
    out.sum().backward()
    # The one difference in vocabulary: a Scalar leaf the output does not depend on keeps
    # grad 0.0, a Tensor leaf keeps grad None ("no gradient reached it").
    grads = [np.zeros_like(x) if t.grad is None else t.grad for x, t in ((a, ta), (b, tb))]
    return out.numpy(), grads[0], grads[1]


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_scalar_and_tensor_agree_on_values_and_gradients(name):
    expr, domain_a, domain_b = EXPRESSIONS[name]

    @SETTINGS
    @given(st.integers(0, 2**32 - 1), st.integers(1, 6))
    def check(seed, n):
        rng = np.random.default_rng(seed)
        a, b = sample(rng, domain_a, n), sample(rng, domain_b, n)
        s_value, s_ga, s_gb = with_scalars(expr, a, b)
        t_value, t_ga, t_gb = with_tensors(expr, a, b)
        np.testing.assert_allclose(t_value, s_value, rtol=1e-10, atol=1e-12, err_msg="values")
        np.testing.assert_allclose(t_ga, s_ga, rtol=1e-9, atol=1e-12, err_msg="d/da")
        np.testing.assert_allclose(t_gb, s_gb, rtol=1e-9, atol=1e-12, err_msg="d/db")

    check()


def test_the_table_covers_every_shared_operation():
    # Each op both engines offer appears in at least one expression above.
    import inspect

    source = "\n".join(inspect.getsource(expr) for expr, _, _ in EXPRESSIONS.values())
    for token in ("+", "-", "*", "/", "**", ".exp()", ".log()", ".tanh()", ".relu()", ".sigmoid()", "(-a)"):
        assert token in source, token


def test_leaf_gradients_accumulate_in_both_engines():
    s = Scalar(1.5)
    t = Tensor(1.5, requires_grad=True, dtype="float64")
    for _ in range(2):
        (s * s).backward()
        (t * t).backward()
    assert s.grad == pytest.approx(6.0)
    assert float(t.grad) == pytest.approx(6.0)


def test_intermediates_are_not_doubled_by_a_second_backward_in_either_engine():
    s = Scalar(2.0)
    s_mid = s * 3
    s_out = s_mid * s_mid
    s_out.backward()
    s_out.backward()
    t = Tensor(2.0, requires_grad=True, dtype="float64")
    t_out = (t * 3) * (t * 3)
    t_out.backward(retain_graph=True)
    t_out.backward()
    assert s.grad == pytest.approx(float(t.grad)) == pytest.approx(2 * 18.0 * 2.0)  # d/dt (3t)^2 = 18t, twice
