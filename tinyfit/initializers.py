"""Initializers: the first values of a layer's weights.

An initializer is called as `init(shape, dtype)` and returns a Tensor. Random
ones draw from tinyfit's single NumPy generator (`tinyfit.utils.random.rng()`,
seeded by `tinyfit.utils.set_random_seed`) and the values then move to the
backend's device, so one seed gives the same weights on CPU and GPU. Give
`seed=` to make one initializer independent of that stream: it then returns the
same values every time it is called.

>>> import tinyfit
>>> tinyfit.initializers.get("ones")((2,)).numpy()
array([1., 1.], dtype=float32)
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from .autograd.tensor import Tensor, as_dtype
from .utils import random as _random
from .utils import object_config
from .utils.registry import Registry

_REGISTRY = Registry("initializer")
registry = _REGISTRY  # every family names its Registry `registry`


def _register(*names: str):
    """Registers a class under its snake_case names and its class name."""

    def decorate(cls):
        for name in names + (cls.__name__,):
            _REGISTRY.add(name, cls)
        return cls

    return decorate


class Initializer:
    """Base class: subclasses write `draw(shape, rng) -> NumPy array` (float64 is fine)."""

    def __call__(self, shape: Any = (), dtype: Any = None) -> Tensor:
        shape = _as_shape(shape)
        dtype = as_dtype(dtype or "float32", type(self).__name__)
        values = numpy.asarray(self.draw(shape, self._generator()), dtype=dtype)
        return Tensor(numpy.broadcast_to(values, shape).copy(), dtype=dtype)

    def draw(self, shape: tuple[int, ...], rng: numpy.random.Generator) -> Any:
        raise NotImplementedError

    def _generator(self) -> numpy.random.Generator:
        seed = getattr(self, "seed", None)
        return _random.rng() if seed is None else numpy.random.default_rng(seed)

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Initializer":
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@_register("zeros")
class Zeros(Initializer):
    def draw(self, shape, rng):
        return 0.0


@_register("ones")
class Ones(Initializer):
    def draw(self, shape, rng):
        return 1.0


@_register("constant")
class Constant(Initializer):
    """Every value equal to `value` (a number, or an array of the weight's shape)."""

    def __init__(self, value: Any = 0.0):
        self.value = value

    def draw(self, shape, rng):
        value = numpy.asarray(self.value)
        if value.ndim and value.shape != shape:
            raise ValueError(f"Constant: the value has shape {value.shape} but the weight has shape {shape}.")
        return value

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, numpy.ndarray) else value}


@_register("random_normal")
class RandomNormal(Initializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def draw(self, shape, rng):
        return rng.normal(self.mean, self.stddev, size=shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@_register("random_uniform", "uniform")  # "uniform": Embedding's default, as Keras names it
class RandomUniform(Initializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def draw(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, size=shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_normal(rng: numpy.random.Generator, shape: tuple[int, ...], mean: float,
                      stddev: float) -> numpy.ndarray:
    """Normal draws, redrawing every value more than 2 standard deviations from the mean."""
    values = rng.standard_normal(size=shape)
    outside = numpy.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(size=int(outside.sum()))
        outside = numpy.abs(values) > 2.0
    return mean + stddev * values


@_register("truncated_normal")
class TruncatedNormal(Initializer):
    """A normal distribution cut at two standard deviations (values beyond are redrawn)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def draw(self, shape, rng):
        return _truncated_normal(rng, shape, self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: inputs and outputs each unit sees.

    A Dense kernel (in, out) gives (in, out); a convolution kernel
    (*window, in, out) multiplies both by the window's size.
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


@_register("variance_scaling")
class VarianceScaling(Initializer):
    """Draws with variance `scale / n`, n being fan_in, fan_out or their mean.

    Args:
        scale: the variance factor (2.0 for He, 1.0 for Glorot and LeCun).
        mode: "fan_in", "fan_out" or "fan_avg".
        distribution: "truncated_normal", "untruncated_normal" or "uniform".
    """

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "normal", "uniform")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None):
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}.")
        if mode not in self.MODES:
            raise ValueError(f"VarianceScaling: unknown mode {mode!r}; choose one of {self.MODES}.")
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(
                f"VarianceScaling: unknown distribution {distribution!r}; choose one of {self.DISTRIBUTIONS}."
            )
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def draw(self, shape, rng):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, size=shape)
        if self.distribution == "truncated_normal":
            # The standard deviation of a unit normal cut at +-2, so the cut keeps the variance.
            return _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / 0.87962566103423978)
        return rng.normal(0.0, math.sqrt(variance), size=shape)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed settings; only `seed` is an argument."""

    preset: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: int | None = None):
        scale, mode, distribution = self.preset
        super().__init__(scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}


@_register("glorot_uniform")
class GlorotUniform(_Preset):
    """Uniform in +-sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010): Dense's default kernel."""

    preset = (1.0, "fan_avg", "uniform")


@_register("glorot_normal")
class GlorotNormal(_Preset):
    preset = (1.0, "fan_avg", "truncated_normal")


@_register("he_uniform")
class HeUniform(_Preset):
    """Uniform in +-sqrt(6 / fan_in) (He et al., 2015): suits relu layers."""

    preset = (2.0, "fan_in", "uniform")


@_register("he_normal")
class HeNormal(_Preset):
    preset = (2.0, "fan_in", "truncated_normal")


@_register("lecun_uniform")
class LecunUniform(_Preset):
    preset = (1.0, "fan_in", "uniform")


@_register("lecun_normal")
class LecunNormal(_Preset):
    preset = (1.0, "fan_in", "truncated_normal")


@_register("orthogonal")
class Orthogonal(Initializer):
    """A (scaled) orthogonal matrix, from the QR decomposition of a normal one.

    The weight is viewed as a matrix (all axes but the last, by the last).
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain, self.seed = gain, seed

    def draw(self, shape, rng):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the weight needs at least 2 axes, got shape {shape}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = rng.standard_normal(size=(max(rows, cols), min(rows, cols)))
        q, r = numpy.linalg.qr(a)
        q = q * numpy.sign(numpy.diag(r))  # makes the result uniform over orthogonal matrices
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


@_register("identity")
class Identity(Initializer):
    """`gain` times the identity matrix (ones on the main diagonal); 2D weights only."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def draw(self, shape, rng):
        if len(shape) != 2:
            raise ValueError(f"Identity: the identity initializer makes 2D matrices only; the weight has "
                             f"shape {shape} (rank {len(shape)}).")
        return self.gain * numpy.eye(*shape)

    def get_config(self):
        return {"gain": self.gain}


# Keras's lower-case names for the same classes: `initializers.he_normal(seed=1)`.
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal


def get(identifier: Any) -> Any:
    """The initializer for `identifier`.

    Args:
        identifier: None, a name ("glorot_uniform", "zeros", or a class name such as
            "HeNormal"), a dict from `serialize`, an Initializer (returned as is), an
            Initializer class (instantiated), or a function `f(shape, dtype)`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _REGISTRY.lookup(identifier)()
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret initializer identifier {identifier!r}: pass a name "
        f"(e.g. 'glorot_uniform'), an Initializer, or a function f(shape, dtype)."
    )


def serialize(initializer: Initializer) -> dict[str, Any]:
    """Keras 3's four keys {"module", "class_name", "config", "registered_name"}: what `get` turns back."""
    if not isinstance(initializer, Initializer):
        raise TypeError(f"serialize: {initializer!r} is not an Initializer.")
    return object_config.serialize(initializer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The initializer `serialize` described (the older {"class_name", "config"} too), or a name's."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"initializers.deserialize: expected a dict with 'class_name' and 'config' "
                         f"(from serialize()), got {config!r:.80}.")
    return object_config.deserialize(config, custom_objects, _REGISTRY)


def _as_shape(shape: Any) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(not isinstance(n, (int, numpy.integer)) or n is None or n < 0 for n in shape):
        raise ValueError(f"Initializer: the shape must be whole numbers >= 0, got {shape}.")
    return tuple(int(n) for n in shape)


__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
    "LecunNormal", "Orthogonal", "Identity", "compute_fans", "get", "serialize", "deserialize",
    "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity", "lecun_normal",
    "lecun_uniform", "ones", "orthogonal", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "zeros",
]

from .utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
