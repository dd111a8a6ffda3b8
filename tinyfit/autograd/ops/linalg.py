"""Matrix multiplication, with NumPy's rules for 1-D and batched operands."""

from __future__ import annotations

from ... import backend
from ..function import Function, unbroadcast


def _swap(x):
    return backend.array_module(x).swapaxes(x, -1, -2)


class MatMul(Function):
    """a @ b. For 2-D operands: d/da = g @ b.T and d/db = a.T @ g."""

    name = "matmul"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: {a.shape} @ {b.shape}: both operands need at least one axis; "
                "use multiply (*) to scale by a number."
            )
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if a.shape[-1] != inner_b:
            hint = ""
            if b.ndim >= 2 and a.shape[-1] == b.shape[-1]:
                hint = " Did you mean to transpose the right operand (b.T)?"
            raise ValueError(
                f"matmul: {a.shape} @ {b.shape}: inner dimensions {a.shape[-1]} and {inner_b} differ. "
                f"The left operand's last axis must match the right operand's "
                f"{'only' if b.ndim == 1 else 'second-to-last'} axis.{hint}"
            )
        self.a, self.b = a, b
        try:
            return a @ b
        except ValueError:
            raise ValueError(
                f"matmul: {a.shape} @ {b.shape}: the batch axes {a.shape[:-2]} and {b.shape[:-2]} "
                "cannot be broadcast together."
            ) from None

    def backward(self, grad):
        a, b = self.a, self.b
        need_a, need_b = self.needs_grad
        if a.ndim == 2 and b.ndim == 2:
            # The common case (a Dense layer): no reshaping, nothing to sum back.
            return (grad @ b.T if need_a else None), (a.T @ grad if need_b else None)
        # Treat 1-D operands as a row (left) or a column (right), as matmul does.
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        b2 = b if b.ndim > 1 else b.reshape(-1, 1)
        g2 = grad
        if a.ndim == 1 and b.ndim == 1:
            g2 = g2.reshape(1, 1)  # a dot product: the output is 0-d
        elif a.ndim == 1:
            g2 = backend.array_module(g2).expand_dims(g2, -2)
        elif b.ndim == 1:
            g2 = backend.array_module(g2).expand_dims(g2, -1)
        ga = unbroadcast(g2 @ _swap(b2), a2.shape).reshape(a.shape) if need_a else None
        gb = unbroadcast(_swap(a2) @ g2, b2.shape).reshape(b.shape) if need_b else None
        return ga, gb
