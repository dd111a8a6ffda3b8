"""Function: one differentiable op, its forward and backward side by side.

An op subclasses Function and writes two methods on backend arrays:

    forward(self, *arrays, **attrs) -> array      computes the output, keeps on
                                                  `self` what backward will need
    backward(self, grad) -> grads                 one gradient per input (or None
                                                  where an input needs none)

`Function.apply(*inputs, **attrs)` wraps this for tensors: it turns numbers into
tensors, checks that all inputs live on one device, runs forward, and (when a
gradient is wanted) records the Function as the output tensor's creator, so that
`Tensor.backward()` can call `backward` later.
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import backend
from . import grad_mode


_NDARRAY = numpy.ndarray

# The Recording in progress (tinyfit/autograd/recorder.py), told about every op
# applied; None, and one test per op, when nothing records.
_recording = None


class Function:
    """Base class of every op in the tensor engine."""

    name = "function"  # the op's user-facing name, used in error messages

    # Set by apply() on the op objects that join the graph; class-level defaults
    # keep apply() from paying for an __init__ on every op.
    parents: tuple = ()
    # needs_grad[i] tells backward whether input i wants a gradient, so that
    # work for inputs that don't (a data batch, a label) can be skipped.
    needs_grad: tuple[bool, ...] = ()

    def forward(self, *arrays: Any, **attrs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **attrs: Any):
        # This runs for every op of every step, so it is kept to plain loops:
        # its cost is the engine's overhead over the array maths itself.
        inputs = args
        for a in args:
            if not isinstance(a, Tensor):
                inputs = _lift_all(args, cls.name)
                break
        if len(inputs) > 1:
            check_same_device(cls.name, inputs)

        ctx = cls()
        requires_grad = False
        if grad_mode._enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:
                requires_grad = True
                ctx.needs_grad = needs
        data = ctx.forward(*[t.data for t in inputs], **attrs)
        if type(data) is not _NDARRAY:
            data = as_array(data)
        if _recording is not None:
            _recording.note_op(cls, ctx, inputs, attrs, data)
        out = Tensor._make(data, requires_grad)
        if requires_grad:
            ctx.parents = inputs
            out._ctx = ctx
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def as_array(data: Any) -> Any:
    """A forward's result as an array: NumPy returns scalars, not 0-d arrays, from 0-d maths."""
    return data if backend.is_array(data) else numpy.asarray(data)


def _lift_all(args: tuple, op: str) -> tuple:
    """Every argument as a Tensor, numbers taking the dtype of a floating input if any.

    Preferring a floating input keeps `where(mask, 5, x)` from turning 5 into
    the boolean mask's dtype.
    """
    like = None
    for a in args:
        if isinstance(a, Tensor):
            if a.data.dtype.kind == "f":
                like = a
                break
            like = like or a
    return tuple([a if isinstance(a, Tensor) else lift(a, like, op) for a in args])


def lift(value: Any, like: Any, op: str):
    """Turns a number (or array, or list) into a constant Tensor beside `like`.

    A Python number takes the dtype and device of `like`, so `x * 2` keeps a
    float32 tensor float32 instead of promoting it; so does float data beside a float
    tensor, so a float64 computation is never rounded through float32.
    """
    if like is None:
        return Tensor(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        dtype = like.data.dtype
        if dtype.kind != "f" and isinstance(value, float):
            dtype = "float32"
        elif dtype.kind == "b":
            dtype = "int64"  # as NumPy does: mask * 2 counts, it is not mask & True
        return Tensor._make(backend.array_module(like.data).asarray(value, dtype=dtype), False)
    if backend.is_array(value) and backend.device_of(value) != like.device:
        raise ValueError(
            f"{op}: an array on {backend.device_of(value)} was combined with a Tensor on "
            f"{like.device}. Move one of them first, e.g. Tensor(array).to({like.device!r})."
        )
    lifted = Tensor(value)
    if like.data.dtype.kind == "f" and lifted.data.dtype.kind == "f" and lifted.data.dtype != like.data.dtype:
        # Data beside a float tensor takes its dtype, as a number does: a float64 array beside a
        # float64 tensor stays exact (not rounded through float32), one beside float32 stays float32.
        lifted = Tensor(value, dtype=like.data.dtype)
    if lifted.device != like.device:  # made on the default device: a list meets a GPU tensor
        lifted = Tensor._make(backend.to_device(lifted.data, like.device), False)
    return lifted


def check_same_device(op: str, inputs: tuple) -> None:
    first = type(inputs[0].data)
    for t in inputs[1:]:
        if type(t.data) is not first:
            devices = [t.device for t in inputs]
            if len(set(devices)) > 1:
                shown = " and ".join(dict.fromkeys(devices))
                raise ValueError(
                    f"{op}: inputs are on different devices ({shown}). Move them to one "
                    f"device first, e.g. x.to('gpu') or x.to('cpu')."
                )


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sums `grad` back down to `shape`, undoing a forward broadcast.

    Broadcasting copies an operand along new leading axes and along its size-1
    axes; each copy received a gradient, and the operand's gradient is their sum.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead))
    if 1 in shape:
        axes += tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    summed = grad.sum(axis=axes)
    # Reshape only when the kept size-1 axes require it: a reshaped view would
    # cost a copy when it reaches a leaf's .grad.
    return summed if summed.shape == shape else summed.reshape(shape)


# Last, because tensor.py imports the ops, which import this module: by the time
# this line runs, everything above is defined, whichever module was imported first.
from .tensor import Tensor  # noqa: E402
