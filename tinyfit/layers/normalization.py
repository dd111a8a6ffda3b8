"""Normalization layers: BatchNormalization and LayerNormalization.

Both shift and scale values to mean 0 and variance 1, then let the model pick
its own mean and scale back through two trained vectors, beta and gamma:

    y = gamma * (x - mean) / sqrt(variance + epsilon) + beta

They differ in *which* values share a mean. BatchNormalization averages each
feature (channel) over the batch (and the spatial axes), so in training a
sample's output depends on the rest of its batch; at inference it uses running
averages of those statistics gathered during training instead. LayerNormalization
averages over the features of each sample on its own: training and inference
compute the same thing.

The gradients come from the engine: these are compositions of its ops.
"""

from __future__ import annotations

from typing import Any

from .. import initializers, ops, regularizers
from ..autograd.grad_mode import no_grad
from .core import _serialize
from .layer import Layer
from .output_spec import ShapeByArithmetic


def _axes(layer: Layer, axis: Any, ndim: int) -> tuple[int, ...]:
    """`axis` (an int or a list of ints, negative allowed) as sorted non-negative axes of `ndim`."""
    values = [axis] if isinstance(axis, int) else list(axis)
    if not values or not all(isinstance(a, int) and not isinstance(a, bool) and -ndim <= a < ndim
                             for a in values):
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r}: axis {axis!r} does not fit inputs of rank {ndim}; "
            f"each axis must be an int in {-ndim}..{ndim - 1}."
        )
    if any(a % ndim == 0 for a in values):
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r}: axis {axis!r} includes the batch axis (0); "
            "normalize over feature axes, e.g. axis=-1."
        )
    return tuple(sorted({a % ndim for a in values}))


class _Normalization(ShapeByArithmetic, Layer):
    """The parts both layers share: axes, beta and gamma, and the affine step."""

    output_follows_weights = True
    supports_masking = True

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon <= 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be a positive number, got {epsilon!r}.")
        self.axis = axis if isinstance(axis, int) else list(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def _build_params(self, input_shape: tuple) -> None:
        """Axes, the shape of one statistic, and beta/gamma (when centred/scaled)."""
        self._feature_axes = _axes(self, self.axis, len(input_shape))
        sizes = tuple(input_shape[a] for a in self._feature_axes)
        if None in sizes:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the axes it normalizes per feature ({self.axis!r}) "
                f"must have known sizes, but the input shape is {tuple(input_shape)}."
            )
        self._param_shape = sizes
        # How a parameter lines up with the inputs: its sizes on the feature axes, 1 elsewhere.
        # Axes at the end need no reshape (the common axis=-1); others get one.
        rank = self._rank = len(input_shape)
        self._reshape_to = None
        if self._feature_axes != tuple(range(rank - len(sizes), rank)):
            self._reshape_to = tuple(input_shape[a] if a in self._feature_axes else 1 for a in range(rank))
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(shape=sizes, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, name="gamma")
        if self.center:
            self.beta = self.add_weight(shape=sizes, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, name="beta")

    def _aligned(self, param):
        return param if self._reshape_to is None else ops.reshape(param, self._reshape_to)

    def _check_inputs(self, inputs) -> None:
        shape = tuple(inputs.shape)
        if len(shape) != self._rank or tuple(shape[a] for a in self._feature_axes) != self._param_shape:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} was built for inputs of rank {self._rank} with sizes "
                f"{self._param_shape} on axes {self._feature_axes}, got inputs of shape {shape}."
            )

    def _affine(self, normalized):
        if self.gamma is not None:
            normalized = normalized * self._aligned(self.gamma)
        if self.beta is not None:
            normalized = normalized + self._aligned(self.beta)
        return normalized

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _serialize(initializers, self.beta_initializer),
            "gamma_initializer": _serialize(initializers, self.gamma_initializer),
            "beta_regularizer": _serialize(regularizers, self.beta_regularizer),
            "gamma_regularizer": _serialize(regularizers, self.gamma_regularizer),
        }


class BatchNormalization(_Normalization):
    """Normalizes each feature with its batch's statistics in training, running averages otherwise.

    Args:
        axis: the feature axis (or list of axes) that keeps its own statistics
            (default -1: the channels of channels_last data).
        momentum: how much of the running averages each training batch keeps
            (default 0.99): moving = moving * momentum + batch * (1 - momentum).
        epsilon: added to the variance before the square root (default 1e-3).
        center, scale: whether to learn beta (a shift) and gamma (a scale).
        beta_initializer, gamma_initializer: default "zeros" and "ones".
        moving_mean_initializer, moving_variance_initializer: default "zeros" and "ones".
        beta_regularizer, gamma_regularizer: penalties added to `losses`.

    moving_mean and moving_variance are non-trainable weights: fit() does not
    train them; every training call updates them, and inference uses them.
    """
    supports_jit = True

    def __init__(self, axis: Any = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 moving_mean_initializer: Any = "zeros", moving_variance_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, **kwargs: Any):
        super().__init__(axis=axis, epsilon=epsilon, center=center, scale=scale,
                         beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                         beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be a number in [0, 1], got {momentum!r}.")
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape: tuple) -> None:
        self._build_params(input_shape)
        self.moving_mean = self.add_weight(shape=self._param_shape, initializer=self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape=self._param_shape,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self.built = True

    def call(self, inputs, training=None):
        self._check_inputs(inputs)
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        if not training:
            mean, variance = self._aligned(self.moving_mean), self._aligned(self.moving_variance)
            return self._affine((inputs - mean) / ops.sqrt(variance + self.epsilon))
        reduce = tuple(a for a in range(inputs.ndim) if a not in self._feature_axes)
        mean = ops.mean(inputs, axis=reduce, keepdims=True)
        centered = inputs - mean
        variance = ops.mean(centered * centered, axis=reduce, keepdims=True)
        self._update_moving(mean, variance)
        return self._affine(centered / ops.sqrt(variance + self.epsilon))

    def _update_moving(self, mean, variance) -> None:
        # Running averages are bookkeeping, not part of the gradient. Written with ops and
        # assign(), so that a compiled step (which replays ops and assignments) updates them too.
        with no_grad():
            keep = self.momentum
            for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
                moving.assign(moving * keep + ops.reshape(batch, self._param_shape) * (1.0 - keep))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "moving_mean_initializer": _serialize(initializers, self.moving_mean_initializer),
            "moving_variance_initializer": _serialize(initializers, self.moving_variance_initializer),
        }


class LayerNormalization(_Normalization):
    """Normalizes each sample over its feature axes (the same in training and inference).

    Args:
        axis: the axis (or list of axes) whose values share a mean and variance
            (default -1); gamma and beta have their sizes.
        epsilon: added to the variance before the square root (default 1e-3).
        center, scale: whether to learn beta (a shift) and gamma (a scale).
        beta_initializer, gamma_initializer: default "zeros" and "ones".
        beta_regularizer, gamma_regularizer: penalties added to `losses`.
    """
    supports_jit = True

    def build(self, input_shape: tuple) -> None:
        self._build_params(input_shape)
        self.built = True

    def call(self, inputs):
        self._check_inputs(inputs)
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        mean = ops.mean(inputs, axis=self._feature_axes, keepdims=True)
        centered = inputs - mean
        variance = ops.mean(centered * centered, axis=self._feature_axes, keepdims=True)
        return self._affine(centered / ops.sqrt(variance + self.epsilon))
