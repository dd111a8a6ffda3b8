"""Symbolic tensors: how `Model(inputs, outputs)` learns its graph before any data exists.

`Input(shape=(784,))` returns a KerasTensor: a placeholder with a shape
(None where the size is not known yet, the batch axis always) and a dtype, but
no values. Calling a layer on KerasTensors does not compute anything: the layer
builds its weights, works out the shapes of its outputs, and records a Node
(this layer was called on these tensors and gave those). A functional model
walks the Nodes back from its outputs to its inputs; that is its graph.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy

from ..tree import flatten

# The layer that records a plain function in the graph: Lambda. It is a Layer, and the Layer
# class needs this module, so core.py hands the class over (`records_functions`) when it
# defines it, instead of this module importing core.
_function_layer: type | None = None


def records_functions(layer_class: type) -> type:
    """Class decorator: the layer `symbolic_call` wraps a function in (core.Lambda)."""
    global _function_layer
    _function_layer = layer_class
    return layer_class


class KerasTensor:
    """A placeholder for a tensor in a model under construction.

    Attributes:
        shape: a tuple of sizes, None where unknown (always the batch axis).
        dtype: the name of the dtype the real tensor will have ("float32"), a string as in
            Keras 3 (`numpy.dtype(t.dtype)` gives the NumPy dtype).
        name: the name of the layer that made it ("digits" for an Input named so).
        node: the Node (layer call) that produced it; `index` is its position
            among that call's outputs.
    """

    def __init__(self, shape: Any, dtype: Any = "float32", name: str | None = None):
        self.shape = tuple(None if n is None else int(n) for n in shape)
        self.dtype = numpy.dtype(dtype).name
        self.name = name
        self.node: Node | None = None
        self.index = 0

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    # A placeholder has no values: say so instead of failing somewhere deep inside NumPy.
    def _no_values(self, what: str):
        raise TypeError(
            f"{what}: {self!r} is a symbolic placeholder used to define a model; it holds no values. "
            "Build the model with keras.Model(inputs, outputs), then call it on data (model(x) or "
            "model.predict(x))."
        )

    def __bool__(self):
        self._no_values("bool()")

    def __array__(self, *args, **kwargs):
        self._no_values("numpy.asarray()")

    def numpy(self):
        self._no_values("numpy()")

    def __len__(self):
        self._no_values("len()")

    def __iter__(self):  # without this, Python would iterate through __getitem__ forever
        self._no_values("iter()")

    # Arithmetic on placeholders records a small layer that does the same arithmetic
    # on real tensors later, so `outputs = x * 2 + y` works in a model definition.
    def __add__(self, other): return symbolic_call(_binary("add"), self, other)
    def __radd__(self, other): return symbolic_call(_binary("add"), other, self)
    def __sub__(self, other): return symbolic_call(_binary("subtract"), self, other)
    def __rsub__(self, other): return symbolic_call(_binary("subtract"), other, self)
    def __mul__(self, other): return symbolic_call(_binary("multiply"), self, other)
    def __rmul__(self, other): return symbolic_call(_binary("multiply"), other, self)
    def __truediv__(self, other): return symbolic_call(_binary("divide"), self, other)
    def __rtruediv__(self, other): return symbolic_call(_binary("divide"), other, self)
    def __matmul__(self, other): return symbolic_call(_binary("matmul"), self, other)
    def __rmatmul__(self, other): return symbolic_call(_binary("matmul"), other, self)
    def __pow__(self, other): return symbolic_call(_binary("power"), self, other)
    def __neg__(self): return symbolic_call(_unary("negative"), self)
    def __getitem__(self, index): return symbolic_call(_getitem, self, index)

    __hash__ = object.__hash__  # graph bookkeeping keys tensors by identity

    def __tinyfit_symbolic_apply__(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        """How `tinyfit.ops` functions called on KerasTensors join the graph (ops cannot
        import layers, so they look for this method): as a Lambda layer, via symbolic_call."""
        return symbolic_call(fn, *args, **kwargs)


class Node:
    """One call of a layer on symbolic tensors: an edge list of the functional graph.

    Attributes:
        layer: the layer called.
        args, kwargs: the call's arguments as given (KerasTensors among them).
        inputs: the KerasTensors among args and kwargs, in order.
        outputs: what the call returned (a KerasTensor or a structure of them);
            `output_tensors` is that as a flat list.
    """

    def __init__(self, layer: Any, args: tuple = (), kwargs: dict | None = None, outputs: Any = None):
        self.layer = layer
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.inputs = [t for t in flatten((self.args, self.kwargs)) if isinstance(t, KerasTensor)]
        self.outputs = outputs
        self.output_tensors = [t for t in flatten(outputs) if isinstance(t, KerasTensor)]
        for i, tensor in enumerate(self.output_tensors):
            tensor.node, tensor.index = self, i
        layer._inbound_nodes.append(self)

    @property
    def is_input(self) -> bool:
        """True for the node of an Input: it has no inputs of its own."""
        return not self.inputs and not self.args

    def __repr__(self) -> str:
        return f"<Node {self.layer.name}: {len(self.inputs)} input(s) -> {len(self.output_tensors)} output(s)>"


def any_symbolic(structure: Any) -> bool:
    """True when a (nested) argument structure holds a KerasTensor."""
    return any(isinstance(leaf, KerasTensor) for leaf in flatten(structure))


def symbolic_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` recorded in the graph when an argument is a KerasTensor.

    With real tensors it simply calls `fn`. With KerasTensors it wraps `fn` in a
    Lambda layer (named after the function), so a model definition may apply any
    function of tensors to symbolic ones: `symbolic_call(my_fn, x, axis=-1)`.
    (The `tinyfit.ops` functions do this by themselves.) Keyword arguments that
    hold KerasTensors are passed to the layer's call, so the graph sees them;
    the others are bound into the function.
    """
    if not any_symbolic((args, kwargs)):
        return fn(*args, **kwargs)
    fixed = {k: v for k, v in kwargs.items() if not any_symbolic(v)}
    inputs = {k: v for k, v in kwargs.items() if k not in fixed}
    return _function_layer(_bind_keywords(fn, fixed) if fixed else fn, name=_fn_name(fn))(*args, **inputs)


def _bind_keywords(fn: Callable[..., Any], kwargs: dict) -> Callable[..., Any]:
    def bound(*args, **more):
        return fn(*args, **kwargs, **more)

    bound.__name__ = getattr(fn, "__name__", "lambda")
    return bound


def _fn_name(fn: Callable[..., Any]) -> str:
    """A new layer name from the function's name ("sum", "sum_1", ...); this takes the name."""
    from .naming import unique_name

    return unique_name(getattr(fn, "__name__", "lambda").strip("<>_") or "lambda")


def _binary(name: str) -> Callable[[Any, Any], Any]:
    def apply(a, b):
        from .. import ops

        return getattr(ops, name)(a, b)

    apply.__name__ = name
    return apply


def _unary(name: str) -> Callable[[Any], Any]:
    def apply(a):
        from .. import ops

        return getattr(ops, name)(a)

    apply.__name__ = name
    return apply


def _getitem(x, index):
    return x[index]
