"""Tensor: an array, its gradient, and the op that made it.

A Tensor wraps one backend array (NumPy on the CPU, CuPy on the GPU). When it
requires a gradient and was produced by an op, it remembers that op (a Function)
in `_ctx`; the ops in turn remember their inputs. That chain is the graph which
`backward()` walks, in reverse topological order, to fill in `.grad` on the
leaves: the tensors you created yourself with `requires_grad=True`.
"""

from __future__ import annotations

import warnings
from typing import Any, Iterator

import numpy

from .. import backend
from .graph import topological_order

_FLOAT_DEFAULT = numpy.dtype("float32")
_KNOWN_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
                 "uint8", "uint16", "uint32", "uint64", "bool")


class _Freed:
    """Stands in for an op whose saved arrays were released by backward()."""


FREED = _Freed()


# Answers of as_dtype, by argument: it runs for many tensors of every step, and
# reading a NumPy dtype's name is surprisingly slow.
_dtype_cache: dict[Any, numpy.dtype] = {}


def as_dtype(dtype: Any, where: str = "Tensor") -> numpy.dtype:
    """A NumPy dtype from a name ("float32"), a NumPy dtype or a Python type."""
    try:
        return _dtype_cache[dtype]
    except (KeyError, TypeError):  # not seen yet, or not hashable
        pass
    try:
        result = numpy.dtype(dtype)
    except TypeError:
        result = None
    if result is None or result.name not in _KNOWN_DTYPES:
        raise TypeError(f"{where}: unknown dtype {dtype!r}; use one of {', '.join(_KNOWN_DTYPES)}.")
    try:
        _dtype_cache[dtype] = result
    except TypeError:
        pass
    return result


class Tensor:
    """An n-dimensional array that can record how it was computed.

    Args:
        data: a number, a (nested) list, a NumPy or CuPy array, or a Tensor.
        requires_grad: whether backward() should compute a gradient for it.
        dtype: "float32" (the default for floating and Python data) or
            "float64", or an integer/bool dtype. Integer and bool NumPy/CuPy
            arrays keep their dtype when none is given.

    NumPy data and Python data go to the current backend's device; a CuPy array
    stays on the GPU.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)
    """

    # Make NumPy defer to Tensor's reflected operators: array + tensor -> Tensor.
    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        if isinstance(data, Tensor):
            if data.requires_grad and type(self) is Tensor:  # a Variable copies its initial value on purpose
                warnings.warn(
                    "Tensor(t) copies t's values into a new tensor cut off from t's graph: no gradient "
                    "will flow back through it. Use t itself, or t.detach() to make the cut explicit.",
                    stacklevel=2,
                )
            data = data.data
        wanted = as_dtype(dtype) if dtype is not None else None
        if backend.is_array(data):
            array = data if backend.device_of(data) == "gpu" else backend.xp().asarray(data)
        else:
            try:
                array = backend.xp().asarray(data)
            except (ValueError, TypeError) as exc:
                raise TypeError(
                    f"Tensor: cannot make a tensor from {type(data).__name__} data ({exc}). "
                    "Pass a number, a rectangular nested list, or an array."
                ) from None
            if array.dtype.kind in "iu" and wanted is None:
                wanted = _FLOAT_DEFAULT  # Python numbers are meant as values to differentiate
        if wanted is None:
            if array.dtype.kind == "f" and array.dtype != numpy.float16:
                wanted = _FLOAT_DEFAULT if array.dtype != _FLOAT_DEFAULT else None
            elif array.dtype.kind not in "fiub":
                raise TypeError(
                    f"Tensor: unsupported dtype {array.dtype}; use one of {', '.join(_KNOWN_DTYPES)}."
                )
        if wanted is not None and array.dtype != wanted:
            array = array.astype(wanted)
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only floating-point tensors can require gradients, got {array.dtype}. "
                "Pass dtype='float32' (or 'float64')."
            )
        self.data = array
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None

    @classmethod
    def _make(cls, data: Any, requires_grad: bool) -> "Tensor":
        """Wraps an op's output array as is: no copy, no dtype policy."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t.requires_grad = requires_grad
        t._ctx = None
        return t

    # ------------------------------------------------------------------ facts
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return int(self.data.size)

    @property
    def dtype(self) -> numpy.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        """"cpu" (NumPy) or "gpu" (CuPy)."""
        return backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op: backward() fills their .grad."""
        return self._ctx is None

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d Tensor: it has no first axis.")
        return self.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        for i in range(len(self)):
            yield self[i]

    # ------------------------------------------------------------ conversions
    def numpy(self) -> numpy.ndarray:
        """The values as a NumPy array (copied from the GPU when needed)."""
        return backend.to_numpy(self.data)

    def item(self) -> float | int | bool:
        if self.size != 1:
            raise ValueError(f"item: only a one-element Tensor converts to a number; shape is {self.shape}.")
        return self.numpy().reshape(()).item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"The truth value of a Tensor of shape {self.shape} is ambiguous. "
                "Reduce it first, e.g. bool((t > 0).numpy().all())."
            )
        return bool(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> numpy.ndarray:
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def detach(self) -> "Tensor":
        """The same data, cut off from the graph (no gradient flows through it)."""
        return Tensor._make(self.data, False)

    def to(self, device: str) -> "Tensor":
        """This tensor on `device` ("cpu" or "gpu"); gradients flow back across."""
        from .ops.shape import ToDevice

        if device not in backend.DEVICES:
            raise ValueError(f"to: unknown device {device!r}; choose one of {backend.DEVICES}.")
        if device == self.device:
            return self
        return ToDevice.apply(self, device=device)

    def astype(self, dtype: Any) -> "Tensor":
        from .ops.elementwise import Cast

        out = Cast.apply(self, dtype=as_dtype(dtype, "astype"))
        if out.requires_grad and out.dtype.kind != "f":
            # Rounding to integers (or bools) is flat almost everywhere: no gradient flows,
            # and only floating-point tensors may require one.
            return out.detach()
        return out

    def __repr__(self) -> str:
        body = numpy.array2string(self.numpy(), separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.dtype}"]
        if self.device != "cpu":
            extras.append(f"device={self.device}")
        if self.requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}, {', '.join(extras)})"

    __hash__ = object.__hash__  # tensors are graph nodes: identity, not value

    # --------------------------------------------------------------- backward
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Computes d(self)/d(leaf) for every leaf that requires a gradient.

        Gradients accumulate into the leaves' `.grad` (set them to None to start
        over). Intermediate tensors get no `.grad`, so calling backward twice never
        corrupts them. Afterwards the graph is freed unless `retain_graph=True`.

        Args:
            grad: the gradient flowing into this tensor; defaults to 1 for a
                one-element tensor and is required otherwise.
            retain_graph: keep the graph so backward can run through it again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require a gradient, so no graph was recorded. "
                "Create the inputs with requires_grad=True, outside `with no_grad():`."
            )
        xp = backend.array_module(self.data)
        if grad is None:
            if self.size != 1:
                raise ValueError(
                    f"backward: grad can be left out only for a one-element output; this one has "
                    f"shape {self.shape}. Reduce it (e.g. .sum() or .mean()) or pass grad=."
                )
            grad = xp.ones(self.shape, dtype=self.dtype)
        else:
            grad = grad.data if isinstance(grad, Tensor) else xp.asarray(grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward: grad has shape {grad.shape} but the tensor has shape {self.shape}.")

        order = _topological_order(self)
        grads: dict[int, Any] = {id(self): grad}
        # Arrays already stored as some leaf's .grad in this pass (the caller's
        # `grad` counts: the caller still holds it). See _leaf_grad.
        handed_out = {id(grad)}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            ctx = node._ctx
            if ctx is None:
                node.grad = _leaf_grad(node, g, handed_out)
                continue
            input_grads = ctx.backward(g)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            for parent, pg in zip(ctx.parents, input_grads):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.shape != parent.data.shape:  # an engine bug, never a user error
                    raise RuntimeError(
                        f"{ctx.name}: backward produced a gradient of shape {pg.shape} "
                        f"for an input of shape {parent.shape}."
                    )
                key = id(parent)
                seen = grads.get(key)
                grads[key] = pg if seen is None else seen + pg
        if not retain_graph:
            for node in order:
                if node._ctx is not None:
                    node._ctx = FREED

    # ---------------------------------------------------------------- operators
    def __add__(self, other): return _E.Add.apply(self, other)
    def __radd__(self, other): return _E.Add.apply(self, other)  # other is never a Tensor here
    def __sub__(self, other): return _E.Sub.apply(self, other)
    def __rsub__(self, other): return _E.Sub.apply(_lift(other, self), self)
    def __mul__(self, other): return _E.Mul.apply(self, other)
    def __rmul__(self, other): return _E.Mul.apply(self, other)
    def __truediv__(self, other): return _E.Div.apply(self, other)
    def __rtruediv__(self, other): return _E.Div.apply(_lift(other, self), self)
    def __neg__(self): return _E.Neg.apply(self)
    def __abs__(self): return _E.Abs.apply(self)
    def __matmul__(self, other): return _L.MatMul.apply(self, other)
    def __rmatmul__(self, other): return _L.MatMul.apply(_lift(other, self), self)

    def __pow__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return _E.PowConst.apply(self, exponent=other)
        return _E.Pow.apply(self, other)

    def __rpow__(self, other): return _E.Pow.apply(_lift(other, self), self)

    # Comparisons give boolean tensors that carry no gradient.
    def __eq__(self, other): return _E.compare("equal", self, other)  # type: ignore[override]
    def __ne__(self, other): return _E.compare("not_equal", self, other)  # type: ignore[override]
    def __lt__(self, other): return _E.compare("less", self, other)
    def __le__(self, other): return _E.compare("less_equal", self, other)
    def __gt__(self, other): return _E.compare("greater", self, other)
    def __ge__(self, other): return _E.compare("greater_equal", self, other)

    def __getitem__(self, index): return _S.getitem(self, index)

    def __setitem__(self, index, value):
        raise TypeError(
            "Tensor does not support item assignment: changing values in place would silently "
            "corrupt the gradients of ops that saved them. Build a new tensor instead (e.g. with "
            "tinyfit.ops.where), or edit `t.data` directly where no gradient is involved."
        )

    # ------------------------------------------------------------------ methods
    def sum(self, axis=None, keepdims=False): return _R.Sum.apply(self, axis=axis, keepdims=keepdims)
    def mean(self, axis=None, keepdims=False): return _R.mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return _R.Max.apply(self, axis=axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return _R.Min.apply(self, axis=axis, keepdims=keepdims)
    def var(self, axis=None, keepdims=False): return _R.var(self, axis, keepdims)
    def std(self, axis=None, keepdims=False): return _R.std(self, axis, keepdims)
    def argmax(self, axis=None): return _R.arg("argmax", self, axis)
    def argmin(self, axis=None): return _R.arg("argmin", self, axis)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _S.Reshape.apply(self, shape=shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _S.Transpose.apply(self, axes=axes or None)

    def flatten(self): return self.reshape(-1)
    def exp(self): return _E.Exp.apply(self)
    def log(self): return _E.Log.apply(self)
    def sqrt(self): return _E.Sqrt.apply(self)
    def abs(self): return _E.Abs.apply(self)
    def tanh(self): return _E.Tanh.apply(self)
    def sigmoid(self): return _E.Sigmoid.apply(self)
    def relu(self): return _E.Relu.apply(self)


def _lift(value: Any, like: Tensor) -> Tensor:
    from .function import lift

    return lift(value, like, "operator")


def _leaf_grad(leaf: Tensor, g: Any, handed_out: set[int]) -> Any:
    """The array to store as `leaf.grad`, given the gradient `g` that reached it.

    Most gradients reaching a leaf were just made by an op's backward and are
    referenced nowhere else, so they are kept as they are. A copy is made when
    keeping `g` could surprise later: a view (e.g. a read-only broadcast), a
    NumPy scalar (0-d maths returns those), another dtype (a float32 weight
    that met float64 data must stay float32), or an array another leaf or the
    caller already holds (`a + b` passes one array to both a and b).
    """
    if leaf.grad is not None:
        g = leaf.grad + g
    dtype = leaf.data.dtype
    if (not backend.is_array(g) or g.dtype != dtype or g.base is not None
            or not getattr(g.flags, "writeable", True)  # CuPy has no read-only arrays
            or id(g) in handed_out):
        g = backend.array_module(leaf.data).array(g, dtype=dtype)
    handed_out.add(id(g))
    return g


def _topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor that root depends on through ops that need a gradient, inputs first."""
    return topological_order(root, _parents_needing_grad)


def _parents_needing_grad(node: Tensor) -> list:
    ctx = node._ctx
    if ctx is None:
        return ()
    if ctx is FREED:
        # Found while sorting, before any gradient is added anywhere: a failed
        # backward() leaves every .grad as it was.
        raise RuntimeError(
            "backward: part of this graph was already freed by an earlier backward(). "
            "Pass retain_graph=True to the first backward() to run through it twice."
        )
    return [p for p in ctx.parents if p.requires_grad]


# The ops import Function and Tensor; importing them last, once Tensor is defined,
# keeps this module free of import cycles.
from .ops import elementwise as _E  # noqa: E402
from .ops import linalg as _L  # noqa: E402
from .ops import reduce as _R  # noqa: E402
from .ops import shape as _S  # noqa: E402
