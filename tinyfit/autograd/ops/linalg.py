"""Matrix multiplication, with NumPy's rules for 1-D and batched operands, and the fused
Dense op (matmul + bias + activation in one node)."""

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


# The activations a fused Dense applies itself: their derivative is read off the output
# (or a mask), so backward needs nothing else. Others run as their own ops afterwards.
DENSE_ACTIVATIONS = (None, "relu", "sigmoid", "tanh")


class FusedDense(Function):
    """activation(x @ kernel + bias): a Dense layer's whole computation as one op.

    Three ops (matmul, add, activation) would make three graph nodes, three
    Tensors and three backward calls per layer and step; the maths is the same
    either way. Inputs are (x, kernel) or (x, kernel, bias); x has any number of
    leading axes (N, d) or (N, T, d), the kernel is (d, units), the bias (units,).

    With g the gradient at the pre-activation z = x @ kernel + bias:
    d/dx = g @ kernel.T, d/dkernel = x.T @ g and d/dbias = g summed over samples,
    where x and g are seen as 2-D (samples, features) for the last two.
    """

    name = "dense"

    def forward(self, x, kernel, bias=None, activation=None):
        if kernel.ndim != 2 or x.ndim == 0 or x.shape[-1] != kernel.shape[0]:
            raise ValueError(
                f"dense: inputs of shape {x.shape} and a kernel of shape {kernel.shape} do not fit: the kernel "
                f"must be 2-D (input features, units) with as many rows as the inputs' last axis has entries."
            )
        if bias is not None and bias.shape != kernel.shape[1:]:
            raise ValueError(
                f"dense: a bias of shape {bias.shape} does not fit a kernel of shape {kernel.shape}; it needs "
                f"one entry per unit, shape {kernel.shape[1:]}."
            )
        if activation not in DENSE_ACTIVATIONS:
            raise ValueError(
                f"dense: activation {activation!r} is not applied inside the op; choose one of "
                f"{DENSE_ACTIVATIONS}, or apply it to the op's output."
            )
        xp = backend.array_module(x)
        self.x, self.kernel, self.activation = x, kernel, activation
        out = x @ kernel
        if bias is not None:
            if bias.dtype == out.dtype:
                out += bias  # in place: the product is a fresh array, ours to change
            else:
                out = out + bias  # NumPy's promotion, as a separate add would give
        if activation == "relu":
            self.mask = out > 0
            return xp.maximum(out, 0, out=out)
        if activation == "sigmoid":  # the tanh form, as the sigmoid op computes it: never overflows
            self.out = 0.5 * (1 + xp.tanh(0.5 * out))
            return self.out
        if activation == "tanh":
            self.out = xp.tanh(out)
            return self.out
        return out

    def backward(self, grad):
        activation = self.activation
        if activation == "relu":
            grad = grad * self.mask
        elif activation == "sigmoid":
            grad = grad * self.out * (1 - self.out)
        elif activation == "tanh":
            grad = grad * (1 - self.out * self.out)
        x, kernel = self.x, self.kernel
        needs = self.needs_grad
        d_x = grad @ kernel.T if needs[0] else None
        if x.ndim != 2:  # samples spread over several leading axes (or none): flatten them
            x = x.reshape(-1, x.shape[-1])
            grad = grad.reshape(-1, grad.shape[-1])
        d_kernel = x.T @ grad if needs[1] else None
        if len(needs) == 2:
            return d_x, d_kernel
        return d_x, d_kernel, (grad.sum(axis=0) if needs[2] else None)


class Einsum(Function):
    """einsum with one letter per axis and the output spelled out ("ij,jk->ik").

    The gradient of each operand is itself an einsum: the output's gradient
    contracted with the other operands, giving that operand's letters. A letter
    only this operand has (summed away, "ij->i") is missing from that einsum and
    is broadcast back: each element contributed once to the sum.
    """

    name = "einsum"

    def forward(self, *operands, inputs, output):
        self.operands, self.inputs, self.output = operands, inputs, output
        return backend.array_module(operands[0]).einsum(",".join(inputs) + "->" + output, *operands)

    def backward(self, grad):
        xp = backend.array_module(grad)
        grads = []
        for i, (letters, operand) in enumerate(zip(self.inputs, self.operands)):
            if not self.needs_grad[i]:
                grads.append(None)
                continue
            others = [j for j in range(len(self.inputs)) if j != i]
            known = set(self.output).union(*(self.inputs[j] for j in others))
            kept = "".join(c for c in letters if c in known)
            spec = ",".join([self.output] + [self.inputs[j] for j in others]) + "->" + kept
            g = xp.einsum(spec, grad, *(self.operands[j] for j in others))
            if kept != letters:
                sizes = [n if c in known else 1 for c, n in zip(letters, operand.shape)]
                g = xp.broadcast_to(g.reshape(sizes), operand.shape).copy()
            grads.append(g)
        return tuple(grads)
