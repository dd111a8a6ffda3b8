"""A strict stand-in for CuPy, backed by NumPy: CuPy's rules without a GPU.

The test suite installs it as `cupy` (and `cupyx`) where real CuPy is missing, so every
code path tinyfit takes on a GPU runs in CI, on the CPU, under the rules that catch the
mistakes a CPU-only suite cannot see:

- a device array refuses to become a NumPy array by accident (`numpy.asarray(x)`,
  `numpy.float32(x)`, a NumPy function that needs one): TypeError, with CuPy's message,
  raised on the line that leaked;
- a NumPy array (or a list) cannot be mixed into a device operation: TypeError, as
  CuPy's "Unsupported type";
- reductions return 0-d device arrays, never host scalars, so reading a value is always a
  visible step (`float(x)`, `x.item()`, `x.get()`, `cupy.asnumpy(x)`);
- random numbers come from CuPy's own `cupy.random`, a stream unlike NumPy's for the
  same seed, so code that expects NumPy's numbers from a device generator fails;
- integer-array indices out of range wrap around instead of raising, as on a GPU;
- every copy between host and device, each way, is counted (`transfers`), so a test can
  say how many one training step makes.

Only what CuPy does is allowed; where CuPy is more lenient than this stand-in, the
stand-in errs on the side of refusing.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import sys
import types
from typing import Any

import numpy

IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy "
            "array explicitly.")


class Transfers:
    """Copies between host and device since the last reset: to_device, to_host."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.to_device = 0
        self.to_host = 0
        self.where: list[str] = []  # what made each copy, for a failing test to show

    def note(self, direction: str, what: str) -> None:
        setattr(self, direction, getattr(self, direction) + 1)
        self.where.append(f"{direction}: {what}")


transfers = Transfers()


@contextlib.contextmanager
def counting():
    """Counts the copies made inside the block: `with counting() as seen: ...; seen.to_host`."""
    transfers.reset()
    yield transfers


def _refuse(value: Any) -> None:
    raise TypeError(f"Unsupported type {type(value)}: a host array cannot take part in a device operation; "
                    "move it first with cupy.asarray (one explicit copy)")


def _device(value: Any) -> Any:
    """The NumPy array inside a device array; numbers pass; host arrays and lists are refused."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, (numpy.ndarray, list)):
        _refuse(value)
    return value


def _deep(value: Any) -> Any:
    """Function arguments: device arrays opened, also inside lists and tuples (a list of arrays to
    concatenate); a host array anywhere is refused."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, numpy.ndarray):
        _refuse(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_deep(v) for v in value)
    return value


def _wrap(result: Any) -> Any:
    if isinstance(result, numpy.ndarray):
        return ndarray(result)
    if isinstance(result, numpy.generic) and not isinstance(result, numpy.dtype):
        return ndarray(numpy.asarray(result))  # as CuPy: a reduction gives a 0-d array, not a host scalar
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if isinstance(result, list):
        return [_wrap(r) for r in result]
    return result


def _binary(op: Any, reflected: bool = False):
    def method(self: "ndarray", other: Any) -> Any:
        other = _device(other)
        return _wrap(op(other, self._a) if reflected else op(self._a, other))
    return method


def _inplace(op: Any):
    def method(self: "ndarray", other: Any) -> "ndarray":
        op(self._a, _device(other))
        return self
    return method


def _host_read(self: "ndarray", what: str) -> numpy.ndarray:
    transfers.note("to_host", what)
    return self._a


class ndarray:
    """A device array: NumPy inside, CuPy's rules outside."""

    __slots__ = ("_a",)
    __array_priority__ = 1_000_000  # NumPy defers to it, so numpy_array + device_array reaches __radd__
    __hash__ = None

    def __init__(self, array: numpy.ndarray):
        if not isinstance(array, numpy.ndarray):
            raise TypeError(f"strict_cupy.ndarray wraps a NumPy array, got {type(array)}")
        self._a = array

    # ------------------------------------------------------------ facts (no copy)
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    device = property(lambda self: _Device(0))
    T = property(lambda self: ndarray(self._a.T))

    @property
    def base(self) -> Any:
        return None if self._a.base is None else ndarray(self._a.base)

    def __len__(self) -> int:
        return len(self._a)

    def __repr__(self) -> str:
        return "array(" + repr(self._a)[6:] if repr(self._a).startswith("array(") else repr(self._a)

    __str__ = lambda self: str(self._a)  # noqa: E731

    # ------------------------------------------------------------ the ways home
    def get(self, stream: Any = None, order: str = "C", out: Any = None) -> numpy.ndarray:
        return numpy.array(_host_read(self, "get()"), order=order)

    def item(self, *args: Any) -> Any:
        return _host_read(self, "item()").item(*args)

    def tolist(self) -> Any:
        return _host_read(self, "tolist()").tolist()

    def __float__(self) -> float:
        return float(_host_read(self, "float()"))

    def __int__(self) -> int:
        return int(_host_read(self, "int()"))

    def __index__(self) -> int:
        return operator.index(_host_read(self, "an index").item())

    def __bool__(self) -> bool:
        return bool(_host_read(self, "bool()"))

    def __complex__(self) -> complex:
        return complex(_host_read(self, "complex()"))

    def __format__(self, spec: str) -> str:
        return format(_host_read(self, "format()").item() if self.ndim == 0 else self._a, spec)

    def __array__(self, *args: Any, **kwargs: Any) -> numpy.ndarray:
        raise TypeError(IMPLICIT)

    def __iter__(self):
        for i in range(len(self._a)):
            yield ndarray(numpy.asarray(self._a[i]))

    def __reduce__(self):  # pickling copies to the host and back, as CuPy's does
        return (_from_pickle, (self.get(),))

    def __copy__(self) -> "ndarray":
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo: Any) -> "ndarray":
        return ndarray(self._a.copy())

    # ------------------------------------------------------------ NumPy's protocols
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        inputs = tuple(_device(x) for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(_device(x) for x in kwargs["out"])
        return _wrap(getattr(ufunc, method)(*inputs, **kwargs))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _wrap(func(*_deep(args), **{k: _deep(v) for k, v in kwargs.items()}))

    # ------------------------------------------------------------ indexing
    def __getitem__(self, key: Any) -> Any:
        return _wrap(numpy.asarray(self._a[_index(key, self._a.shape)]))

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(value, (numpy.ndarray, list)):
            transfers.note("to_device", "a host value assigned into a device array")
            value = numpy.asarray(value)
        self._a[_index(key, self._a.shape)] = _device(value) if isinstance(value, ndarray) else value

    # ------------------------------------------------------------ methods: NumPy's, on device arrays
    def __getattr__(self, name: str) -> Any:
        # NumPy finds its way into an array through __array_interface__, __array_struct__ or the buffer
        # protocol; a device array has none of them (and _a is unset while unpickling).
        if name == "_a" or name.startswith("__"):
            raise AttributeError(name)
        attribute = getattr(self._a, name)
        if not callable(attribute):
            return _wrap(attribute)

        @functools.wraps(attribute)
        def method(*args: Any, **kwargs: Any) -> Any:
            return _wrap(attribute(*_deep(args), **{k: _deep(v) for k, v in kwargs.items()}))
        return method

    def astype(self, dtype: Any, order: str = "K", casting: Any = None, subok: Any = None,
               copy: bool = True) -> "ndarray":
        return ndarray(self._a.astype(dtype, order=order, copy=copy))

    def copy(self, order: str = "C") -> "ndarray":
        return ndarray(self._a.copy(order=order))

    # ------------------------------------------------------------ operators
    __add__, __radd__ = _binary(operator.add), _binary(operator.add, True)
    __sub__, __rsub__ = _binary(operator.sub), _binary(operator.sub, True)
    __mul__, __rmul__ = _binary(operator.mul), _binary(operator.mul, True)
    __truediv__, __rtruediv__ = _binary(operator.truediv), _binary(operator.truediv, True)
    __floordiv__, __rfloordiv__ = _binary(operator.floordiv), _binary(operator.floordiv, True)
    __mod__, __rmod__ = _binary(operator.mod), _binary(operator.mod, True)
    __pow__, __rpow__ = _binary(operator.pow), _binary(operator.pow, True)
    __matmul__, __rmatmul__ = _binary(operator.matmul), _binary(operator.matmul, True)
    __and__, __rand__ = _binary(operator.and_), _binary(operator.and_, True)
    __or__, __ror__ = _binary(operator.or_), _binary(operator.or_, True)
    __xor__, __rxor__ = _binary(operator.xor), _binary(operator.xor, True)
    __lshift__, __rshift__ = _binary(operator.lshift), _binary(operator.rshift)
    __eq__, __ne__ = _binary(operator.eq), _binary(operator.ne)
    __lt__, __le__ = _binary(operator.lt), _binary(operator.le)
    __gt__, __ge__ = _binary(operator.gt), _binary(operator.ge)
    __iadd__, __isub__ = _inplace(operator.iadd), _inplace(operator.isub)
    __imul__, __itruediv__ = _inplace(operator.imul), _inplace(operator.itruediv)
    __ipow__, __imod__ = _inplace(operator.ipow), _inplace(operator.imod)
    __ifloordiv__ = _inplace(operator.ifloordiv)
    __iand__, __ior__, __ixor__ = _inplace(operator.iand), _inplace(operator.ior), _inplace(operator.ixor)

    def __neg__(self) -> "ndarray":
        return _wrap(-self._a)

    def __pos__(self) -> "ndarray":
        return _wrap(+self._a)

    def __abs__(self) -> "ndarray":
        return _wrap(abs(self._a))

    def __invert__(self) -> "ndarray":
        return _wrap(~self._a)


def _from_pickle(array: numpy.ndarray) -> ndarray:
    return ndarray(array)


def _index(key: Any, shape: tuple) -> Any:
    """A key for the NumPy array inside: device index arrays opened (integer ones taken modulo
    their axis's size, as a GPU reads out of range without a word); host index arrays and
    lists are copied to the device, as CuPy does, and counted."""
    parts = key if isinstance(key, tuple) else (key,)
    simple = not any(p is None or p is Ellipsis for p in parts)
    opened = []
    for axis, part in enumerate(parts):
        if isinstance(part, (numpy.ndarray, list)):
            transfers.note("to_device", "a host index")
            part = ndarray(numpy.asarray(part))
        if isinstance(part, ndarray):
            part = part._a
            if simple and part.dtype.kind in "iu" and axis < len(shape) and shape[axis]:
                part = part % shape[axis]
        opened.append(part)
    return tuple(opened) if isinstance(key, tuple) else opened[0]


# ------------------------------------------------------------------ the module
def asarray(a: Any, dtype: Any = None, order: Any = None, *, blocking: bool = False) -> ndarray:
    """Device data as it is, or host data copied to the device (one counted copy)."""
    if isinstance(a, ndarray):
        return a if dtype is None or numpy.dtype(dtype) == a.dtype else a.astype(dtype)
    transfers.note("to_device", f"asarray({type(a).__name__})")
    return ndarray(numpy.array(_opened(a), dtype=dtype, order=order or "K"))


def array(obj: Any, dtype: Any = None, copy: bool = True, order: str = "K", subok: bool = False,
          ndmin: int = 0, *, blocking: bool = False) -> ndarray:
    if isinstance(obj, ndarray):
        return ndarray(numpy.array(obj._a, dtype=dtype, copy=True, order=order, ndmin=ndmin))
    transfers.note("to_device", f"array({type(obj).__name__})")
    return ndarray(numpy.array(_opened(obj), dtype=dtype, order=order, ndmin=ndmin))


def _opened(value: Any) -> Any:
    """Data to copy to the device: host data as it is, device arrays inside lists opened."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, (list, tuple)):
        return type(value)(_opened(v) for v in value)
    return value


def asnumpy(a: Any, stream: Any = None, order: str = "C", out: Any = None, *, blocking: bool = True) -> numpy.ndarray:
    if isinstance(a, ndarray):
        return a.get(order=order)
    return numpy.asarray(a, order=order)


def get_array_module(*args: Any) -> types.ModuleType:
    return module if any(isinstance(a, ndarray) for a in args) else numpy


def _function(name: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def device_function(*args: Any, **kwargs: Any) -> Any:
        return _wrap(fn(*_deep(args), **{k: _deep(v) for k, v in kwargs.items()}))
    device_function.__name__ = name
    return device_function


class _Ufunc:
    """A NumPy ufunc on device arrays: called, or through .at/.reduce/.outer/.accumulate."""

    def __init__(self, ufunc: Any):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if "out" in kwargs and kwargs["out"] is not None:
            out = kwargs["out"]
            kwargs["out"] = tuple(_device(o) for o in out) if isinstance(out, tuple) else _device(out)
        return _wrap(self._ufunc(*(_device(a) for a in args), **kwargs))

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._ufunc, name)
        if not callable(method):
            return method
        return lambda *args, **kwargs: _wrap(method(*_deep(args), **{k: _deep(v) for k, v in kwargs.items()}))


class _Device:
    def __init__(self, id: int = 0):
        self.id = id

    def synchronize(self) -> None:
        pass

    def __enter__(self) -> "_Device":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class _MemoryPool:
    def used_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return 0

    def free_all_blocks(self) -> None:
        pass


class _Generator:
    """cupy.random.Generator: device arrays from a stream of its own (not NumPy's for the same seed)."""

    def __init__(self, seed: Any = None):
        # A different stream from NumPy's: code relying on NumPy's numbers from a device generator fails.
        self._rng = numpy.random.Generator(numpy.random.Philox(None if seed is None else [int(seed), 0x5EED]))

    def _draw(self, method: str, *args: Any, **kwargs: Any) -> ndarray:
        return ndarray(numpy.asarray(getattr(self._rng, method)(*_deep(args), **{k: _deep(v) for k, v in kwargs.items()})))

    def random(self, size: Any = None, dtype: Any = numpy.float64, out: Any = None) -> ndarray:
        return self._draw("random", size=size, dtype=dtype)

    def standard_normal(self, size: Any = None, dtype: Any = numpy.float64, out: Any = None) -> ndarray:
        return self._draw("standard_normal", size=size, dtype=dtype)

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None, dtype: Any = numpy.float64) -> ndarray:
        return self._draw("uniform", low, high, size).astype(dtype, copy=False)

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None, dtype: Any = numpy.float64) -> ndarray:
        return self._draw("normal", loc, scale, size).astype(dtype, copy=False)

    def integers(self, low: int, high: Any = None, size: Any = None, dtype: Any = numpy.int64,
                 endpoint: bool = False) -> ndarray:
        return self._draw("integers", low, high, size, dtype=dtype, endpoint=endpoint)

    def permutation(self, x: Any) -> ndarray:
        return self._draw("permutation", x)


class _RandomState(_Generator):
    """cupy.random.RandomState and the module-level legacy functions."""

    def seed(self, seed: Any = None) -> None:
        self.__init__(seed)

    def rand(self, *size: int, dtype: Any = numpy.float64) -> ndarray:
        return self.random(size or None, dtype=dtype)

    def randn(self, *size: int, dtype: Any = numpy.float64) -> ndarray:
        return self.standard_normal(size or None, dtype=dtype)

    random_sample = _Generator.random

    def randint(self, low: int, high: Any = None, size: Any = None, dtype: Any = int) -> ndarray:
        return self.integers(low, high, size, dtype=dtype)


def _random_module() -> types.ModuleType:
    random = types.ModuleType("cupy.random")
    state = _RandomState()
    random.Generator = _Generator
    random.default_rng = lambda seed=None: _Generator(seed)
    random.RandomState = _RandomState
    random.get_random_state = lambda: state
    for name in ("seed", "rand", "randn", "random", "random_sample", "standard_normal", "uniform", "normal",
                 "randint", "permutation"):
        setattr(random, name, getattr(state, name))
    return random


class _Module(types.ModuleType):
    """The `cupy` module: the names above, and NumPy's other functions opened to device arrays."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(numpy, name)
        if isinstance(value, numpy.ufunc):
            value = _Ufunc(value)
        elif callable(value) and not isinstance(value, type) and not isinstance(value, numpy.dtype):
            value = _function(name, value)
        setattr(self, name, value)  # looked up once
        return value


module = _Module("cupy", __doc__)
for _name, _value in {"ndarray": ndarray, "asarray": asarray, "array": array, "asnumpy": asnumpy,
                      "get_array_module": get_array_module, "random": _random_module(),
                      "get_default_memory_pool": lambda: _MemoryPool(),
                      "get_default_pinned_memory_pool": lambda: _MemoryPool(),
                      "transfers": transfers, "counting": counting, "is_strict_stand_in": True}.items():
    setattr(module, _name, _value)
module.ascontiguousarray = lambda a, dtype=None: ndarray(numpy.ascontiguousarray(_device(a), dtype=dtype))
module.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
    as_strided=lambda x, shape=None, strides=None: ndarray(
        numpy.lib.stride_tricks.as_strided(_device(x), shape=shape, strides=strides))))
module.cuda = types.SimpleNamespace(
    runtime=types.SimpleNamespace(getDeviceCount=lambda: 1,
                                  getDeviceProperties=lambda i: {"name": b"strict CuPy stand-in (NumPy)"}),
    Device=_Device, Stream=types.SimpleNamespace(null=None),
    get_current_stream=lambda: types.SimpleNamespace(synchronize=lambda: None))


def _scatter(ufunc: Any):
    def scatter(target: ndarray, index: Any, values: Any) -> None:
        array = _device(target)
        ufunc.at(array, _index(index, array.shape), _device(values))  # out-of-range indices wrap, as on a GPU
    return scatter


cupyx = types.ModuleType("cupyx", "cupyx's scatter functions, for the strict CuPy stand-in")
cupyx.scatter_add = _scatter(numpy.add)
cupyx.scatter_max = _scatter(numpy.maximum)


def install() -> None:
    """Makes `import cupy` and `import cupyx` give this stand-in."""
    sys.modules["cupy"] = module
    sys.modules["cupyx"] = cupyx
