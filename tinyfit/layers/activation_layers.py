"""Activation layers: ReLU, LeakyReLU, PReLU, ELU and Softmax, with Keras 3's arguments.

`layers.Activation("relu")` applies any activation by name; these layers carry
the options an activation takes (a ceiling, a slope, a learned slope, an axis,
a mask) as layer arguments, so they show in the model's config and summary.
Each is a few `tinyfit.ops` calls: gradients come from the ops.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

from .. import activations, initializers, ops, regularizers
from .core import _serialize
from .layer import Layer
from .output_spec import ShapeByArithmetic


def _floating(layer: Layer, inputs):
    """Integer inputs as the layer's float dtype: an activation of integers is a float."""
    return inputs if inputs.dtype.kind == "f" else ops.cast(inputs, layer.dtype)


def _non_negative(layer: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"{layer}: {name} must be a number >= 0, got {value!r}.")
    return float(value)


class _Elementwise(ShapeByArithmetic, Layer):
    """An activation applied value by value: the output has the input's shape."""

    supports_masking = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)


class ReLU(_Elementwise):
    """Rectified linear unit: x above `threshold`, capped at `max_value`, sloped below.

    f(x) = max_value                          for x >= max_value
    f(x) = x                                  for threshold < x < max_value
    f(x) = negative_slope * (x - threshold)   otherwise

    Args:
        max_value: the ceiling (a number >= 0), or None for none.
        negative_slope: the slope below the threshold (>= 0; default 0).
        threshold: where the unit turns on (>= 0; default 0).
    """
    supports_jit = True

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _non_negative("ReLU", "max_value", max_value)
        self.negative_slope = _non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = _non_negative("ReLU", "threshold", threshold)

    def call(self, inputs):
        return activations.relu(_floating(self, inputs), negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """Leaky rectified linear unit: x for x > 0, negative_slope * x otherwise.

    Args:
        negative_slope: the slope for negative inputs (>= 0; default 0.3, as in Keras 3).
            `alpha=`, its older name, is accepted with a DeprecationWarning.
    """
    supports_jit = True

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: the argument `alpha` is deprecated; use `negative_slope` instead.",
                          DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _non_negative("LeakyReLU", "negative_slope", negative_slope)

    def call(self, inputs):
        return activations.leaky_relu(_floating(self, inputs), negative_slope=self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(_Elementwise):
    """Parametric ReLU: x for x >= 0, alpha * x otherwise, with alpha learned.

    alpha has one entry per input value of a sample (shape: the input shape
    without the batch axis), except along `shared_axes`, where one entry serves
    the whole axis: for images (batch, height, width, channels),
    shared_axes=[1, 2] learns one slope per channel.

    Args:
        alpha_initializer: how alpha starts (default "Zeros": a plain ReLU at first).
        alpha_regularizer: a penalty on alpha ("l2", a Regularizer), added to `losses`.
        alpha_constraint: None (constraints are not supported in tinyfit).
        shared_axes: an axis or a list of axes (1 = the first after the batch axis)
            along which alpha is shared.
    """
    supports_jit = True

    output_follows_weights = True

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None, alpha_constraint: Any = None,
                 shared_axes: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        if alpha_constraint is not None:
            raise NotImplementedError(
                "PReLU: alpha_constraint is not supported in tinyfit; clip alpha yourself after each step "
                "(e.g. in a callback's on_train_batch_end), or leave alpha_constraint as None."
            )
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = None
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in axes):
                raise ValueError(
                    f"PReLU: shared_axes must be an int or a list of ints >= 1 (axis 0 is the batch axis), "
                    f"got {shared_axes!r}."
                )
            self.shared_axes = axes

    def build(self, input_shape: tuple) -> None:
        shared = self.shared_axes or []
        too_far = [a for a in shared if a >= len(input_shape)]
        if too_far:
            raise ValueError(
                f"PReLU {self.name!r}: shared_axes {self.shared_axes} name axis {too_far[0]}, but inputs of "
                f"shape {tuple(input_shape)} have axes 1 to {len(input_shape) - 1} besides the batch axis."
            )
        alpha_shape = tuple(1 if axis in shared else n for axis, n in enumerate(input_shape) if axis > 0)
        if None in alpha_shape:
            unknown = [axis for axis, n in enumerate(input_shape) if axis > 0 and n is None and axis not in shared]
            raise ValueError(
                f"PReLU {self.name!r}: alpha needs the size of every axis it does not share, but axis "
                f"{unknown[0]} of the input shape {tuple(input_shape)} is unknown. Give the Input that size, "
                f"or share alpha along it: shared_axes={sorted(set(shared) | set(unknown))}."
            )
        self.alpha = self.add_weight(shape=alpha_shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, name="alpha")
        self.built = True

    def call(self, inputs):
        inputs = _floating(self, inputs)
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "alpha_initializer": _serialize(initializers, self.alpha_initializer),
                "alpha_regularizer": _serialize(regularizers, self.alpha_regularizer),
                "alpha_constraint": None, "shared_axes": self.shared_axes}


class ELU(_Elementwise):
    """Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise.

    Args:
        alpha: the value negative inputs approach (as -alpha); default 1.0.
    """
    supports_jit = True

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise ValueError(f"ELU: alpha must be a number, got {alpha!r}.")
        self.alpha = float(alpha)

    def call(self, inputs):
        return activations.elu(_floating(self, inputs), alpha=self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


# What masked positions get before the softmax: exp of it is 0 in float32 and float64,
# yet it stays finite (no inf - inf = NaN); float16 cannot hold -1e9.
_LARGE_NEGATIVE = {"float16": -3e4}


class Softmax(_Elementwise):
    """Softmax: exp(x) / sum(exp(x)) along `axis`, values that sum to 1 along it.

    Args:
        axis: the axis (or a tuple of axes) to normalise over; default -1.

    Call arguments:
        inputs: the scores.
        mask: optional, broadcastable to the inputs: True (or > 0.5) where a
            score counts. Masked positions get probability 0 and the others share
            all of it; where a whole slice is masked, every output of it is 0.
    """
    supports_jit = True

    def __init__(self, axis: int | tuple[int, ...] = -1, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, list):
            axis = tuple(axis)
        self.axis = axis

    def call(self, inputs, mask=None):
        inputs = _floating(self, inputs)
        if mask is None:
            return activations.softmax(inputs, axis=self.axis)
        mask = self._as_bool(mask, inputs.shape)
        scores = ops.where(mask, inputs, _LARGE_NEGATIVE.get(inputs.dtype.name, -1e9))
        # Zeroed again after: a fully masked slice would otherwise be uniform.
        return ops.where(mask, activations.softmax(scores, axis=self.axis), 0.0)

    def _as_bool(self, mask, shape: tuple):
        mask = ops.convert_to_tensor(mask)
        if mask.ndim > len(shape) or any(m not in (1, n) for m, n in zip(mask.shape[::-1], shape[::-1])):
            raise ValueError(
                f"Softmax {self.name!r}: the mask must broadcast to the inputs (the same shape, or 1 where "
                f"a value serves a whole axis); got mask shape {mask.shape} for inputs of shape {shape}."
            )
        return mask if mask.dtype.kind == "b" else ops.greater(mask, 0.5)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
