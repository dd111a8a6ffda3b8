"""GroupNormalization: normalizes each sample over groups of its channels.

The channels (the `axis`) are split into `groups` consecutive groups; each
sample's values in one group (over all its other axes too) share a mean and a
variance. groups=1 is LayerNormalization over all of a sample's values (with a
gamma and beta per channel); groups equal to the channels is instance
normalization. Like LayerNormalization, a sample's output never depends on the
rest of its batch, so training and inference compute the same thing.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from .normalization import _Normalization


class GroupNormalization(_Normalization):
    """Normalizes each group of channels of each sample to mean 0 and variance 1, then scales and shifts.

    Args:
        groups: how many groups the channels are split into (default 32); they must
            divide the number of channels. -1 makes one group per channel.
        axis: the channel axis (an int, default -1).
        epsilon: added to the variance before the square root (default 1e-3).
        center, scale: whether to learn beta (a shift) and gamma (a scale), one per channel.
        beta_initializer, gamma_initializer: default "zeros" and "ones".
        beta_regularizer, gamma_regularizer: penalties added to `losses`.
    """
    supports_jit = True

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, **kwargs: Any):
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"GroupNormalization: axis must be an int (the channel axis), got {axis!r}.")
        if isinstance(groups, bool) or not isinstance(groups, int) or not (groups >= 1 or groups == -1):
            raise ValueError(f"GroupNormalization: groups must be a positive int (or -1: one group per "
                             f"channel), got {groups!r}.")
        super().__init__(axis=axis, epsilon=epsilon, center=center, scale=scale,
                         beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                         beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer, **kwargs)
        self.groups = groups

    def build(self, input_shape: tuple) -> None:
        self._build_params(input_shape)
        (channels,) = self._param_shape
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            raise ValueError(
                f"GroupNormalization {self.name!r}: {channels} channels (axis {self.axis} of inputs of shape "
                f"{tuple(input_shape)}) cannot be split into {groups} equal groups; choose groups that divide "
                f"{channels}" + (f" (at most {channels})." if groups > channels else ".")
            )
        self._groups = groups
        self.built = True

    def call(self, inputs):
        self._check_inputs(inputs)
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        (axis,) = self._feature_axes
        shape = tuple(inputs.shape)
        # Split the channel axis into (group, channel within the group); reduce over all
        # but the batch and the group axis.
        grouped = ops.reshape(inputs, shape[:axis] + (self._groups, shape[axis] // self._groups) + shape[axis + 1:])
        reduce = tuple(a for a in range(1, grouped.ndim) if a != axis)
        mean = ops.mean(grouped, axis=reduce, keepdims=True)
        centered = grouped - mean
        variance = ops.mean(centered * centered, axis=reduce, keepdims=True)
        normalized = ops.reshape(centered / ops.sqrt(variance + self.epsilon), shape)
        return self._affine(normalized)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "groups": self.groups}
