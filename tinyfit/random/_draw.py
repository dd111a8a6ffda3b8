"""Draw: the op that makes new random values, and the checks every random function shares.

A draw is an op (a Function with no tensor inputs) rather than a constant made
on the side, so that a compiled step, which records a step's ops once and
replays them (autograd/recorder.py), draws new values on every replay, in the
order eager code would, instead of repeating the recorded ones.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor, as_dtype
from ._seed_generator import check_seed, generator_for

FLOATX = "float32"  # the default dtype of floating draws, Keras's floatx()


class Draw(Function):
    """Values from `sample(rng, shape, *params)` (NumPy, on the host), as `dtype` on `device`."""

    name = "random"

    def forward(self, sample: Callable, seed: Any, shape: tuple, dtype: numpy.dtype, device: str,
                params: tuple) -> Any:
        values = numpy.asarray(sample(generator_for(seed), shape, *params)).astype(dtype, copy=False)
        return backend.to_device(values, device)


def draw(where: str, sample: Callable, shape: Any, params: tuple, dtype: Any, kind: str, seed: Any):
    """A new tensor of `shape` drawn by `sample`, after checking the arguments for `where`."""
    check_seed(seed, where)
    return Draw.apply(sample=sample, seed=seed, shape=check_shape(shape, where),
                      dtype=check_dtype(dtype, kind, where), device=backend.default_device(), params=params)


def check_shape(shape: Any, where: str) -> tuple[int, ...]:
    """`shape` as a tuple of sizes; a ValueError naming it when it is not one."""
    sizes = (shape,) if isinstance(shape, (int, numpy.integer)) else shape
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = None
    if sizes is None or not all(isinstance(n, (int, numpy.integer)) and not isinstance(n, bool) and n >= 0
                                for n in sizes):
        raise ValueError(f"{where}: shape must be a tuple of sizes (whole numbers >= 0), got {shape!r}.")
    return tuple(int(n) for n in sizes)


def check_dtype(dtype: Any, kind: str, where: str) -> numpy.dtype:
    """`dtype` (a name or a NumPy dtype; None for float32) checked to be floating ("f") or integer ("i")."""
    resolved = as_dtype(FLOATX if dtype is None else dtype, where)
    if kind == "f" and resolved.kind != "f":
        raise ValueError(f"{where} draws floating-point values; dtype must be a float type such as "
                         f"'float32', got {dtype!r}.")
    if kind == "i" and resolved.kind not in "iu":
        raise ValueError(f"{where} draws integers; dtype must be an integer type such as 'int32', got {dtype!r}.")
    return resolved


def check_at_least(value: Any, bound: float, name: str, where: str, strict: bool = False) -> None:
    """A ValueError naming `name` unless every value of it is >= bound (> bound when strict)."""
    values = numpy.asarray(backend.to_numpy(value.data) if isinstance(value, Tensor) else value, dtype=float)
    bad = values <= bound if strict else values < bound
    if bad.any():
        relation = ">" if strict else ">="
        raise ValueError(f"{where}: {name} must be {relation} {bound}, got {value!r}.")
