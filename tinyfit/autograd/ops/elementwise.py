"""Elementwise ops: arithmetic with broadcasting, and the unary functions.

Binary ops broadcast like NumPy. Their backward sums each gradient back to its
operand's own shape (`unbroadcast`): a bias of shape (10,) added to a batch of
shape (64, 10) receives the sum of 64 gradients.
"""

from __future__ import annotations

from typing import Any

from ... import backend
from ..function import Function, check_same_device, lift, unbroadcast
from ..tensor import Tensor  # after ..function, which loads tensor.py whichever came first


def broadcast_error(op: str, a_shape: tuple, b_shape: tuple) -> ValueError:
    """A ValueError saying which trailing axes of two shapes clash, and how to fix it."""
    for i in range(1, min(len(a_shape), len(b_shape)) + 1):
        m, n = a_shape[-i], b_shape[-i]
        if m != n and m != 1 and n != 1:
            axis = f"axis -{i}"
            break
    else:  # pragma: no cover - numpy only fails when some pair clashes
        m = n = axis = "?"
    return ValueError(
        f"{op}: shapes {a_shape} and {b_shape} cannot be broadcast together: {axis} has "
        f"sizes {m} and {n}, and sizes must be equal or 1. Reshape one operand "
        "(e.g. x.reshape(...) or ops.expand_dims) so the trailing axes line up."
    )


def promote(a: Any, b: Any) -> tuple[Any, Any]:
    """An integer or bool operand takes the float operand's dtype, as in Keras.

    NumPy would turn int64 + float32 into float64, quietly doubling the memory of
    everything downstream; Keras (and tinyfit) keep the float operand's dtype.
    """
    if a.dtype.kind == "f" and b.dtype.kind in "iub":
        return a, b.astype(a.dtype)
    if b.dtype.kind == "f" and a.dtype.kind in "iub":
        return a.astype(b.dtype), b
    return a, b


class _Binary(Function):
    """A broadcasting op of two inputs; subclasses write `compute` and `backward`."""

    def forward(self, a: Any, b: Any) -> Any:
        self.a_shape, self.b_shape = a.shape, b.shape
        if a.dtype != b.dtype:
            a, b = promote(a, b)
        try:
            return self.compute(a, b)
        except ValueError:
            try:
                backend.broadcast_shapes(a.shape, b.shape)
            except ValueError:
                raise broadcast_error(self.name, a.shape, b.shape) from None
            raise  # not a shape clash (e.g. integers to negative powers): NumPy's own words

    def compute(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def reduce_grads(self, ga: Any, gb: Any) -> tuple:
        """Each gradient summed back to its operand's shape, None where unneeded."""
        need_a, need_b = self.needs_grad
        # Most gradients already have their operand's shape; only the others are summed.
        if need_a and ga.shape != self.a_shape:
            ga = unbroadcast(ga, self.a_shape)
        if need_b and gb.shape != self.b_shape:
            gb = unbroadcast(gb, self.b_shape)
        return (ga if need_a else None), (gb if need_b else None)


class Add(_Binary):
    name = "add"

    def compute(self, a, b):
        return a + b

    def backward(self, grad):
        return self.reduce_grads(grad, grad)


class Sub(_Binary):
    name = "subtract"

    def compute(self, a, b):
        return a - b

    def backward(self, grad):
        return self.reduce_grads(grad, -grad if self.needs_grad[1] else None)


class Mul(_Binary):
    name = "multiply"

    def compute(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        need_a, need_b = self.needs_grad
        return self.reduce_grads(grad * self.b if need_a else None, grad * self.a if need_b else None)


class Div(_Binary):
    name = "divide"

    def compute(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        need_a, need_b = self.needs_grad
        ga = grad / self.b if need_a else None
        gb = -grad * self.a / (self.b * self.b) if need_b else None
        return self.reduce_grads(ga, gb)


class Pow(_Binary):
    """a ** b where the exponent is a tensor too (d/db a**b = a**b * log a)."""

    name = "power"

    def compute(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, grad):
        need_a, need_b = self.needs_grad
        ga = grad * self.b * self.a ** (self.b - 1) if need_a else None
        gb = None
        if need_b:
            xp = backend.array_module(self.a)
            # log a is undefined for a <= 0; those elements get no gradient there.
            safe = xp.where(self.a > 0, self.a, 1)
            gb = grad * self.out * xp.log(safe)
        return self.reduce_grads(ga, gb)


class PowConst(Function):
    """a ** c for a Python number c: the common case, kept cheap."""

    name = "power"

    def forward(self, a, exponent):
        self.a, self.c = a, exponent
        return a ** exponent

    def backward(self, grad):
        if self.c == 0:  # x ** 0 is constant; c * x ** -1 would be 0 * inf = nan at x = 0
            return grad * 0
        return grad * self.c * self.a ** (self.c - 1)


class Maximum(_Binary):
    name = "maximum"

    def compute(self, a, b):
        self.a_wins = a >= b  # ties send the gradient to the first input
        return backend.array_module(a).maximum(a, b)

    def backward(self, grad):
        return self.reduce_grads(grad * self.a_wins, grad * ~self.a_wins)


class Minimum(_Binary):
    name = "minimum"

    def compute(self, a, b):
        self.a_wins = a <= b
        return backend.array_module(a).minimum(a, b)

    def backward(self, grad):
        return self.reduce_grads(grad * self.a_wins, grad * ~self.a_wins)


class Where(Function):
    """where(condition, a, b): a where condition holds, b elsewhere."""

    name = "where"

    def forward(self, condition, a, b):
        self.condition, self.a_shape, self.b_shape = condition, a.shape, b.shape
        xp = backend.array_module(a)
        try:
            return xp.where(condition, a, b)
        except ValueError:
            raise ValueError(
                f"where: condition {condition.shape}, x1 {a.shape} and x2 {b.shape} cannot be "
                "broadcast together; give them equal shapes or size-1 axes."
            ) from None

    def backward(self, grad):
        _, need_a, need_b = self.needs_grad
        zero = grad.dtype.type(0)
        xp = backend.array_module(grad)
        ga = unbroadcast(xp.where(self.condition, grad, zero), self.a_shape) if need_a else None
        gb = unbroadcast(xp.where(self.condition, zero, grad), self.b_shape) if need_b else None
        return None, ga, gb


class Neg(Function):
    name = "negative"

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class Exp(Function):
    name = "exp"

    def forward(self, a):
        self.out = backend.array_module(a).exp(a)
        return self.out

    def backward(self, grad):
        return grad * self.out


class Log(Function):
    name = "log"

    def forward(self, a):
        self.a = a
        xp = backend.array_module(a)
        with _quiet(xp):  # log(0) = -inf and log(-1) = nan are results, not crashes
            return xp.log(a)

    def backward(self, grad):
        return grad / self.a


class Sqrt(Function):
    name = "sqrt"

    def forward(self, a):
        self.out = backend.array_module(a).sqrt(a)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


class Abs(Function):
    name = "abs"

    def forward(self, a):
        self.a = a
        return abs(a)

    def backward(self, grad):
        return grad * backend.array_module(self.a).sign(self.a)


class Tanh(Function):
    name = "tanh"

    def forward(self, a):
        self.out = backend.array_module(a).tanh(a)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)


class Sigmoid(Function):
    name = "sigmoid"

    def forward(self, a):
        # 1 / (1 + exp(-a)) overflows for large negative a; the tanh form never does.
        self.out = 0.5 * (1 + backend.array_module(a).tanh(0.5 * a))
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)


class Relu(Function):
    name = "relu"

    def forward(self, a):
        self.mask = a > 0
        return backend.array_module(a).maximum(a, 0)

    def backward(self, grad):
        return grad * self.mask


class Softplus(Function):
    """log(1 + exp(a)), computed without overflow for large a."""

    name = "softplus"

    def forward(self, a):
        xp = backend.array_module(a)
        self.a = a
        return xp.maximum(a, 0) + xp.log1p(xp.exp(-abs(a)))

    def backward(self, grad):
        xp = backend.array_module(self.a)
        return grad * 0.5 * (1 + xp.tanh(0.5 * self.a))


class Clip(Function):
    name = "clip"

    def forward(self, a, low, high):
        self.inside = (a >= low) & (a <= high)
        return backend.array_module(a).clip(a, low, high)

    def backward(self, grad):
        return grad * self.inside


class Cast(Function):
    name = "cast"

    def forward(self, a, dtype):
        self.source = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.source) if self.source.kind == "f" else None


_COMPARISONS = {
    "equal": lambda a, b: a == b,
    "not_equal": lambda a, b: a != b,
    "less": lambda a, b: a < b,
    "less_equal": lambda a, b: a <= b,
    "greater": lambda a, b: a > b,
    "greater_equal": lambda a, b: a >= b,
    # Logic is a comparison of truth values (zero is False): the same op, so a compiled step replays it.
    "logical_and": lambda a, b: backend.array_module(a).logical_and(a, b),
    "logical_or": lambda a, b: backend.array_module(a).logical_or(a, b),
    "logical_xor": lambda a, b: backend.array_module(a).logical_xor(a, b),
}


def compare(op: str, a: Any, b: Any):
    """An elementwise comparison: a boolean Tensor that carries no gradient."""
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    a = a if isinstance(a, Tensor) else lift(a, like, op)
    b = b if isinstance(b, Tensor) else lift(b, like, op)
    check_same_device(op, (a, b))
    # Detached inputs: a comparison carries no gradient, so its result never requires one.
    return Compare.apply(a.detach(), b.detach(), op=op)


class Compare(Function):
    """An elementwise comparison (see compare): an op, so that a compiled step replays it."""

    name = "compare"

    def forward(self, a, b, op):
        try:
            result = _COMPARISONS[op](a, b)
        except ValueError:
            raise broadcast_error(op, a.shape, b.shape) from None
        # 0-d comparisons give a NumPy bool scalar; .data is always an array.
        return backend.array_module(result).asarray(result)

    def backward(self, grad):
        return None, None


class _quiet:
    """Silences NumPy's floating-point warnings (CuPy raises none)."""

    def __init__(self, xp):
        self.xp = xp

    def __enter__(self):
        if hasattr(self.xp, "errstate"):
            self.state = self.xp.errstate(divide="ignore", invalid="ignore")
            self.state.__enter__()

    def __exit__(self, *exc):
        if hasattr(self, "state"):
            self.state.__exit__(*exc)
        return False
