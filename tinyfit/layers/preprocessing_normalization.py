"""Normalization: shifts and scales features by a mean and variance learned from data, not by training.

    layer = Normalization()          # one mean and variance per feature (axis=-1)
    layer.adapt(x_train)             # computes them from the data
    model = Sequential([Input((8,)), layer, Dense(1)])

`adapt(data)` reads the data once (an array, or a dataset of batches) and
stores each kept position's mean and variance in the layer's non-trainable
weights "mean" and "variance": fit() leaves them alone, and they are saved and
loaded with the model. Given `mean` and `variance` directly, the layer holds
them as constants instead and has no weights. Either way the layer computes
(x - mean) / max(sqrt(variance), 1e-7), or its inverse with invert=True.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy

from .. import ops
from ..autograd.tensor import Tensor
from .layer import Layer
from .output_spec import ShapeByArithmetic

# The smallest standard deviation divided by, so a constant feature gives zeros, not infinities.
_EPSILON = 1e-7


class Normalization(ShapeByArithmetic, Layer):
    """Normalizes features to mean 0 and variance 1 with statistics from `adapt(data)` or given directly.

    Args:
        axis: the axis (or tuple of axes) that keeps its own statistics: -1 (the
            default) gives one mean and variance per feature of the last axis;
            None gives one mean and variance for all values.
        mean, variance: the statistics, if known (a number or an array that
            broadcasts to the kept axes); give both or neither. Without them,
            call `adapt(data)` before training.
        invert: True computes the inverse, mean + x * sqrt(variance): turns
            normalized values (e.g. a model's predictions) back into the data's units.
    """
    supports_jit = True
    supports_masking = True

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False,
                 **kwargs: Any):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        values = (axis,) if isinstance(axis, int) else axis
        if isinstance(axis, bool) or not isinstance(values, (tuple, list)) \
                or not all(isinstance(a, int) and not isinstance(a, bool) for a in values):
            raise TypeError(f"Normalization: axis must be an int, a tuple of ints or None, got {axis!r}.")
        self.axis = tuple(values)
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization: give both mean and variance, or neither (and call adapt()); "
                             f"got mean={mean!r} and variance={variance!r}.")
        if mean is not None:
            if numpy.shape(mean) != numpy.shape(variance):
                raise ValueError(f"Normalization: mean and variance must have the same shape, got "
                                 f"{numpy.shape(mean)} and {numpy.shape(variance)}.")
            if numpy.ndim(mean) > len(self.axis):
                raise ValueError(
                    f"Normalization: mean of shape {numpy.shape(mean)} has more axes than the {len(self.axis)} "
                    f"kept (axis={axis!r}); give one value per position of the kept axes, or a single number."
                )
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)

    def build(self, input_shape: tuple) -> None:
        rank = len(input_shape)
        if not all(-rank <= a < rank for a in self.axis):
            raise ValueError(f"Normalization {self.name!r}: axis {self.axis} does not fit inputs of shape "
                             f"{tuple(input_shape)} (rank {rank}); use axes in {-rank}..{rank - 1}.")
        self._keep = tuple(sorted(a % rank for a in self.axis))
        unknown = [a for a in self._keep if input_shape[a] is None]
        if unknown:
            raise ValueError(
                f"Normalization {self.name!r}: the kept axes {self._keep} need known sizes, but axis {unknown[0]} "
                f"of the input shape {tuple(input_shape)} is unknown. Give the Input that size."
            )
        self._reduce = tuple(a for a in range(rank) if a not in self._keep)
        self._build_shape = tuple(input_shape)
        self._stats_shape = tuple(input_shape[a] for a in self._keep)
        # The statistics lined up with the inputs: their sizes on the kept axes, 1 elsewhere.
        self._broadcast = tuple(input_shape[a] if a in self._keep else 1 for a in range(rank))
        if self.input_mean is None:
            self.mean = self.add_weight(shape=self._stats_shape, initializer="zeros", trainable=False, name="mean")
            self.variance = self.add_weight(shape=self._stats_shape, initializer="ones", trainable=False,
                                            name="variance")
            self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False,
                                         name="count")
        else:
            self.mean, self.variance = (self._constant(v) for v in (self.input_mean, self.input_variance))
        self.built = True

    def _constant(self, value: Any) -> numpy.ndarray:
        """A given statistic as an array of the broadcast shape (its axes line up with the last kept axes)."""
        value = numpy.asarray(value, dtype=self.dtype)
        lined_up = [1] * len(self._broadcast)
        for axis, size in zip(self._keep[len(self._keep) - value.ndim:], value.shape):
            lined_up[axis] = size
        try:
            return numpy.broadcast_to(value.reshape(lined_up), self._broadcast).copy()
        except ValueError:
            raise ValueError(
                f"Normalization {self.name!r}: the given mean/variance of shape {value.shape} do not fit the kept "
                f"axes {self._keep} of sizes {self._stats_shape} (inputs of shape {self._build_shape})."
            ) from None

    def adapt(self, data: Any) -> None:
        """Sets the mean and variance to those of `data`, per position of the kept axes.

        Args:
            data: a NumPy array or Tensor (all samples at once), or batches: a
                tinyfit Dataset, a PyDataset, or any iterable of arrays. Batches
                given as (x, y) tuples use x.
        """
        if self.input_mean is not None:
            raise ValueError(f"Normalization {self.name!r} was given mean and variance; adapt() would overwrite "
                             "them. Leave mean and variance out to learn them from data.")
        count, mean, m2 = 0, None, None
        for batch in _batches(data):
            if not self.built:
                self.build(batch.shape)
            self._check_adapt_shape(batch.shape)
            n = math.prod(batch.shape[a] for a in self._reduce)
            if n == 0:
                continue
            batch_mean = batch.mean(axis=self._reduce)
            batch_m2 = ((batch - batch.mean(axis=self._reduce, keepdims=True)) ** 2).sum(axis=self._reduce)
            if mean is None:
                count, mean, m2 = n, batch_mean, batch_m2
                continue
            # Chan et al.'s pairwise update: merges two groups' means and squared deviations exactly.
            delta = batch_mean - mean
            total = count + n
            mean = mean + delta * (n / total)
            m2 = m2 + batch_m2 + delta ** 2 * (count * n / total)
            count = total
        if mean is None:
            raise ValueError(f"Normalization {self.name!r}: adapt() got no data (an empty array or no batches).")
        self.mean.assign(mean.reshape(self._stats_shape))
        self.variance.assign((m2 / count).reshape(self._stats_shape))
        self.count.assign(numpy.asarray(count, dtype="int32"))

    def _check_adapt_shape(self, shape: tuple) -> None:
        if len(shape) != len(self._build_shape) or any(shape[a] != self._build_shape[a] for a in self._keep):
            raise ValueError(
                f"Normalization {self.name!r} keeps axes {self._keep} of inputs of shape {self._build_shape}, "
                f"but adapt() got data of shape {tuple(shape)}."
            )

    def call(self, inputs):
        if inputs.dtype.kind != "f" or inputs.dtype != numpy.dtype(self.dtype):
            inputs = ops.cast(inputs, self.dtype)
        mean, variance = self.mean, self.variance
        if isinstance(mean, numpy.ndarray):
            mean, variance = (ops.convert_to_tensor(v, dtype=self.dtype) for v in (mean, variance))
        else:
            mean, variance = ops.reshape(mean, self._broadcast), ops.reshape(variance, self._broadcast)
        spread = ops.maximum(ops.sqrt(variance), _EPSILON)
        if self.invert:
            return mean + inputs * spread
        return (inputs - mean) / spread

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            return None if value is None else numpy.asarray(value).tolist()
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": plain(self.input_mean), "variance": plain(self.input_variance)}


def _batches(data: Any) -> Iterable[numpy.ndarray]:
    """The arrays of `data` as float64 batches: one array, or each batch of a dataset (x of an (x, y) pair)."""
    if isinstance(data, (numpy.ndarray, Tensor)):
        yield numpy.asarray(data.numpy() if isinstance(data, Tensor) else data, dtype=numpy.float64)
        return
    if hasattr(data, "__iter__"):
        batches = iter(data)
    elif hasattr(data, "__getitem__") and hasattr(data, "__len__"):  # a PyDataset: batches by index
        batches = (data[i] for i in range(len(data)))
    else:
        raise TypeError(f"Normalization.adapt: expected a NumPy array, a Tensor, a Dataset, a PyDataset or an "
                        f"iterable of batches, got {type(data).__name__}.")
    for batch in batches:
        if isinstance(batch, (tuple, list)) and batch and not numpy.isscalar(batch[0]):
            batch = batch[0]
        if isinstance(batch, Tensor):
            batch = batch.numpy()
        if not hasattr(batch, "shape") and not isinstance(batch, (list, tuple)):
            raise TypeError(f"Normalization.adapt: each batch must be an array (or an (x, y) pair), "
                            f"got {type(batch).__name__}.")
        yield numpy.asarray(batch, dtype=numpy.float64)
