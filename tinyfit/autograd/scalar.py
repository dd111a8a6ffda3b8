"""Scalar: the lesson-sized autograd engine, one float per graph node.

Every operator computes its result and, in the same few lines, a small closure
that knows how to push the output's gradient back to the inputs (the chain
rule, one op at a time). `backward()` visits the graph in reverse topological
order and calls those closures. `Tensor` (lesson 2) keeps the same vocabulary:
`data`, `grad`, `backward()`.

>>> a = Scalar(2.0, label="a")
>>> b = Scalar(-3.0, label="b")
>>> y = (a * b + a).tanh()
>>> y.backward()
>>> round(a.grad, 4)  # dy/da = (1 - y**2) * (b + 1)
-0.0027
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import TYPE_CHECKING, Callable

from .draw import GraphSVG, GraphText, draw_matplotlib, draw_svg, draw_text
from .graph import topological_order

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_DRAW_FORMATS = ("auto", "svg", "matplotlib", "text")


def _no_backward() -> None:
    # Leaves have nothing upstream; one shared no-op saves a closure per leaf.
    pass


class Scalar:
    """A float that remembers how it was computed, so it can compute gradients.

    Args:
        data: the value, converted to `float`.
        _parents: the Scalars this one was computed from, in argument order
            (set by the operators, not by users).
        _op: the name of the operation that produced this node, for drawing.
        label: an optional name shown by `draw()`.

    Gradients: `backward()` first zeroes the `.grad` of every non-leaf node in
    the graph (so calling it twice never doubles an intermediate), then adds
    d(output)/d(node) into each node's `.grad`. Leaf gradients (nodes with no
    parents, such as weights) accumulate across calls, as in PyTorch: reset
    them with `zero_grad()` or `x.grad = 0.0` between training steps.
    """

    def __init__(
        self,
        data: float,
        _parents: tuple[Scalar, ...] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        self.data = float(data)
        self.grad = 0.0
        # A tuple, not a set: the graph order (and so every drawing) is deterministic.
        self._parents = tuple(_parents)
        self._op = _op
        self.label = label
        self._backward: Callable[[], None] = _no_backward

    def __repr__(self) -> str:
        return f"Scalar(data={self.data:.4f}, grad={self.grad:.4f})"

    # ***** binary operators: the primitives *****

    def __add__(self, other: Scalar | float) -> Scalar:
        other = _as_scalar(other)
        if other is None:
            return NotImplemented
        out = Scalar(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            # `+=`, never `=`: a node used twice (a + a) collects both paths.
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Scalar | float) -> Scalar:
        other = _as_scalar(other)
        if other is None:
            return NotImplemented
        out = Scalar(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: Scalar | float) -> Scalar:
        if isinstance(exponent, Scalar):
            return self._pow_scalar(exponent)
        if not isinstance(exponent, numbers.Real):
            return NotImplemented
        k = float(exponent)
        out = Scalar(_real_pow(self.data, k), (self,), f"**{exponent:g}")

        def _backward() -> None:
            self.grad += _power_rule(self.data, k) * out.grad

        out._backward = _backward
        return out

    def _pow_scalar(self, exponent: Scalar) -> Scalar:
        out = Scalar(_real_pow(self.data, exponent.data), (self, exponent), "**")

        def _backward() -> None:
            self.grad += _power_rule(self.data, exponent.data) * out.grad
            # d/dk a**k = a**k * log(a) needs a > 0. At a == 0 (k > 0) the
            # output is flat zero in k, so its slope is 0.
            if self.data > 0:
                exponent.grad += out.data * math.log(self.data) * out.grad
            elif self.data < 0:
                raise ValueError(
                    f"pow: the gradient of base ** exponent with respect to the "
                    f"exponent needs log(base), but base = {self.data!r} is negative. "
                    f"Use a number (not a Scalar) as the exponent if it is a constant."
                )

        out._backward = _backward
        return out

    # ***** derived operators: built from the primitives, so no backward of their own *****

    def __neg__(self) -> Scalar:
        return self * -1.0

    def __sub__(self, other: Scalar | float) -> Scalar:
        other = _as_scalar(other)
        if other is None:
            return NotImplemented
        return self + (-other)

    def __truediv__(self, other: Scalar | float) -> Scalar:
        other = _as_scalar(other)
        if other is None:
            return NotImplemented
        return self * other**-1

    # Reflected forms run when the left operand is a plain number: 2 * x, 1 - x, ...
    def __radd__(self, other: float) -> Scalar:
        return self + other

    def __rmul__(self, other: float) -> Scalar:
        return self * other

    def __rsub__(self, other: float) -> Scalar:
        other = _as_scalar(other)
        if other is None:
            return NotImplemented
        return other - self

    def __rtruediv__(self, other: float) -> Scalar:
        other = _as_scalar(other)
        if other is None:
            return NotImplemented
        return other / self

    def __rpow__(self, other: float) -> Scalar:
        other = _as_scalar(other)
        if other is None:
            return NotImplemented
        return other._pow_scalar(self)

    # ***** functions of one input *****

    def exp(self) -> Scalar:
        """e ** self."""
        out = Scalar(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad  # the exponential is its own slope

        out._backward = _backward
        return out

    def log(self) -> Scalar:
        """Natural logarithm; the input must be positive."""
        if self.data <= 0:
            raise ValueError(f"log: the input must be positive, got {self.data!r}")
        out = Scalar(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Scalar:
        """Hyperbolic tangent, squashing into (-1, 1)."""
        out = Scalar(math.tanh(self.data), (self,), "tanh")

        def _backward() -> None:
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Scalar:
        """max(0, self); its slope at exactly 0 is taken as 0."""
        out = Scalar(max(0.0, self.data), (self,), "relu")

        def _backward() -> None:
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Scalar:
        """1 / (1 + e ** -self), squashing into (0, 1)."""
        x = self.data
        # Two algebraically equal forms so that exp() never sees a large positive number.
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        out = Scalar(s, (self,), "sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    # ***** toposort and backward pass *****

    def _topological_order(self) -> list[Scalar]:
        """Every node this one depends on, each after all of its parents."""
        return topological_order(self, lambda node: node._parents)

    def backward(self) -> None:
        """Fill `.grad` of every node in the graph with d(self)/d(node).

        Non-leaf gradients are recomputed from zero on every call; leaf
        gradients accumulate (see the class docstring).
        """
        order = self._topological_order()
        for node in order:
            if node._parents:
                node.grad = 0.0
        # `+=` so that backward() on a bare leaf accumulates like any other leaf.
        self.grad += 1.0
        for node in reversed(order):
            node._backward()

    def zero_grad(self) -> None:
        """Set `.grad` to 0.0 on this node and every node it was computed from."""
        for node in self._topological_order():
            node.grad = 0.0

    # ***** drawing *****

    def draw(self, format: str = "auto") -> GraphSVG | Figure | GraphText:
        """Render the graph that computed this node.

        Args:
            format: "svg" (needs the Graphviz `dot` program), "matplotlib",
                "text", or "auto": the first of those that works here.
                When a forced format cannot be produced, a warning names
                why and the next one in that list is used instead.

        Returns:
            "svg": a `GraphSVG` (Jupyter shows it; `.svg` and `.dot` hold the text).
            "matplotlib": a closed `matplotlib.figure.Figure` (Jupyter shows it once).
            "text": a `GraphText` whose repr is an indented tree.
        """
        if format not in _DRAW_FORMATS:
            raise ValueError(f"draw: format must be one of {_DRAW_FORMATS}, got {format!r}")
        forced = format != "auto"
        if format in ("auto", "svg"):
            try:
                return draw_svg(self)
            except RuntimeError as err:
                if forced:
                    warnings.warn(f"draw: {err}; drawing with matplotlib instead", stacklevel=2)
        if format in ("auto", "svg", "matplotlib"):
            try:
                return draw_matplotlib(self)
            except ImportError:
                if forced:
                    warnings.warn("draw: matplotlib is not installed; drawing as text instead", stacklevel=2)
        return draw_text(self)


def _as_scalar(x: object) -> Scalar | None:
    """x as a Scalar, or None for types arithmetic should refuse (strings, lists)."""
    if isinstance(x, Scalar):
        return x
    if isinstance(x, numbers.Real):
        return Scalar(x)
    return None


def _power_rule(base: float, k: float) -> float:
    """d/da a**k; for k == 0 the output is constant, and 0.0 ** -1 must not be evaluated."""
    return 0.0 if k == 0 else k * base ** (k - 1)


def _real_pow(base: float, exponent: float) -> float:
    result = base**exponent
    # Python answers (-8.0) ** 0.5 with a complex number; a Scalar holds reals only.
    if isinstance(result, complex):
        raise ValueError(f"pow: {base!r} ** {exponent!r} is not a real number")
    return result
