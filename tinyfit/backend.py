"""Which array library holds tensor data: NumPy (default, "cpu") or CuPy ("gpu").

This module is the engine's only door to an array library. Ops never import numpy
or cupy themselves: they ask `array_module(x)` for the module that owns an array,
so the same op code runs on either device.

The default backend decides where *new* tensors are created. It is NumPy unless
`set_backend("cupy")` is called or the environment variable `TINYFIT_BACKEND=cupy`
is set before tinyfit is imported. Existing tensors stay where they are; move them
with `Tensor.to("cpu" | "gpu")`.
"""

from __future__ import annotations

import numbers
import os
from types import ModuleType
from typing import Any

import numpy

BACKENDS = ("numpy", "cupy")
DEVICES = ("cpu", "gpu")

_cupy: ModuleType | None = None
_cupy_error: str | None = None
_backend = "numpy"


def _load_cupy() -> ModuleType:
    """Imports CuPy once, turning every way it can be missing into one clear error."""
    global _cupy, _cupy_error
    if _cupy is not None:
        return _cupy
    if _cupy_error is None:
        try:
            import cupy

            cupy.cuda.runtime.getDeviceCount()  # raises when there is no usable GPU
            _cupy = cupy
            return cupy
        except ImportError:
            _cupy_error = (
                "CuPy is not installed. Install it with `pip install -e \".[gpu]\"` "
                "(CUDA 12) or `pip install -e \".[gpu-cuda13]\"` (CUDA 13)."
            )
        except Exception as exc:  # CUDA driver or runtime problems
            _cupy_error = f"CuPy is installed but no CUDA GPU is usable ({exc})."
    raise RuntimeError(f"The 'cupy' backend is unavailable: {_cupy_error}")


def gpu_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        _load_cupy()
        return True
    except RuntimeError:
        return False


def gpu_unavailable_reason() -> str:
    """Why the GPU backend cannot be used here ("" when it can)."""
    if gpu_available():
        return ""
    return _cupy_error or "unknown"


def set_backend(name: str) -> None:
    """Chooses where new tensors are created: "numpy" (CPU) or "cupy" (GPU).

    Args:
        name: "numpy" or "cupy".
    """
    global _backend
    if name not in BACKENDS:
        raise ValueError(f"set_backend: unknown backend {name!r}; choose one of {BACKENDS}.")
    if name == "cupy":
        _load_cupy()
    _backend = name


def get_backend() -> str:
    """The name of the current default backend: "numpy" or "cupy"."""
    return _backend


def default_device() -> str:
    """The device new tensors are created on: "cpu" or "gpu"."""
    return "gpu" if _backend == "cupy" else "cpu"


def xp() -> ModuleType:
    """The array module of the current default backend."""
    return _load_cupy() if _backend == "cupy" else numpy


def is_array(x: Any) -> bool:
    """True for a NumPy or CuPy ndarray."""
    if isinstance(x, numpy.ndarray):
        return True
    return _cupy is not None and isinstance(x, _cupy.ndarray)


def is_number(x: Any) -> bool:
    """True for one real number: a Python int or float, a NumPy integer or floating
    scalar, or a 0-d array of one (as a metric or a log may hold).

    Bools are not numbers here, although Python counts True as an int: a flag given
    where a rate, a weight or a count belongs is a mistake to report, not a 1 or a 0.
    Tensors are not numbers either: callers that accept a 0-d Tensor say so themselves.
    """
    if isinstance(x, (bool, numpy.bool_)):
        return False
    if isinstance(x, numbers.Real):
        return True
    return is_array(x) and x.ndim == 0 and x.dtype.kind in "iuf"


def array_module(x: Any) -> ModuleType:
    """The module (numpy or cupy) that owns array `x`; numpy for anything else."""
    if _cupy is not None and isinstance(x, _cupy.ndarray):
        return _cupy
    return numpy


def device_of(x: Any) -> str:
    """"gpu" for a CuPy array, "cpu" for anything else."""
    return "gpu" if _cupy is not None and isinstance(x, _cupy.ndarray) else "cpu"


def module_for(device: str) -> ModuleType:
    """The array module that holds data on `device`."""
    if device not in DEVICES:
        raise ValueError(f"Unknown device {device!r}; choose one of {DEVICES}.")
    return _load_cupy() if device == "gpu" else numpy


def to_device(x: Any, device: str) -> Any:
    """Returns array `x` on `device`, copying across only when it has to."""
    if device not in DEVICES:
        raise ValueError(f"to: unknown device {device!r}; choose one of {DEVICES}.")
    if device_of(x) == device:
        return x
    if device == "gpu":
        return _load_cupy().asarray(x)
    return x.get()  # CuPy -> NumPy: the one explicit device-to-host copy


def to_numpy(x: Any) -> numpy.ndarray:
    """A NumPy array holding the values of `x` (copied from the GPU when needed)."""
    if device_of(x) == "gpu":
        return x.get()
    return numpy.asarray(x)


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """target[index] += values, adding once per occurrence of a repeated index.

    Plain `target[index] += values` keeps only the last write for repeated
    indices; gradients of a gather need every one of them summed.
    """
    if device_of(target) == "gpu":
        import cupyx

        cupyx.scatter_add(target, index, values)
    else:
        numpy.add.at(target, index, values)


def scatter_max(target: Any, index: Any, values: Any) -> None:
    """target[index] = max(target[index], values), over every occurrence of a repeated index."""
    if device_of(target) == "gpu":
        import cupyx

        cupyx.scatter_max(target, index, values)
    else:
        numpy.maximum.at(target, index, values)


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of `shapes` (shape arithmetic needs no device)."""
    return numpy.broadcast_shapes(*shapes)


def _from_environment() -> None:
    name = os.environ.get("TINYFIT_BACKEND", "").strip().lower()
    if name:
        set_backend(name)


_from_environment()
