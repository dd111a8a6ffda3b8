"""no_grad / enable_grad: context managers and decorators that switch graph recording."""

import pytest

import tinyfit
from tinyfit import Tensor
from tinyfit.autograd import enable_grad, is_grad_enabled, no_grad


def test_recording_is_on_by_default():
    assert is_grad_enabled()
    x = Tensor([1.0], requires_grad=True)
    assert (x * 2).requires_grad


def test_no_grad_context_records_no_graph():
    x = Tensor([1.0], requires_grad=True)
    with tinyfit.no_grad():
        assert not is_grad_enabled()
        y = x * 2 + 1
        z = y.exp().sum()
    assert is_grad_enabled()
    for t in (y, z):
        assert not t.requires_grad and t._ctx is None
    assert x.requires_grad  # leaves keep their flag


def test_no_grad_as_a_decorator():
    calls = []

    @no_grad()
    def evaluate(x):
        calls.append(is_grad_enabled())
        return x * 2

    out = evaluate(Tensor([1.0], requires_grad=True))
    assert not out.requires_grad
    assert calls == [False]
    assert is_grad_enabled()
    assert evaluate.__name__ == "evaluate"


def test_decorated_function_may_call_itself():
    @no_grad()
    def depth(n):
        assert not is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(3) == 3
    assert is_grad_enabled()


def test_nested_no_grad_and_enable_grad():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        with no_grad():
            assert not (x * 2).requires_grad
        assert not is_grad_enabled()  # leaving the inner block keeps the outer one's state
        with enable_grad():
            assert is_grad_enabled()
            y = x * 2
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0]


def test_enable_grad_as_a_decorator_inside_no_grad():
    @enable_grad()
    def train_piece(x):
        return x * 3

    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = train_piece(x)
    assert y.requires_grad


def test_state_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert is_grad_enabled()

    @no_grad()
    def fails():
        raise KeyError("x")

    with pytest.raises(KeyError):
        fails()
    assert is_grad_enabled()


def test_one_context_object_can_be_reused_and_nested():
    block = no_grad()
    with block:
        with block:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_parameter_update_under_no_grad_keeps_the_leaf_a_leaf():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with no_grad():
        new = w - 0.1 * Tensor(w.grad)
    assert new._ctx is None and not new.requires_grad


def test_no_grad_decorates_without_parentheses_too():
    x = tinyfit.Tensor([1.0, 2.0], requires_grad=True)

    @tinyfit.no_grad
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert (x * 2).requires_grad  # recording is back on outside
