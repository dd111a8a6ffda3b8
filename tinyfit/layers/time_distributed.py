"""TimeDistributed: one layer applied to every step of a sequence, with the same weights.

(batch, steps, ...) is folded into (batch * steps, ...), so the wrapped layer sees
every step of every sequence as one big batch, and the result is unfolded back to
(batch, steps, ...). One call of the layer, however long the sequence: the same
numbers as a loop over the steps for any layer that treats samples independently
(Dense, Conv2D, pooling, Dropout). A layer computing statistics over its batch
(BatchNormalization in training) computes them over all steps together.
"""

from __future__ import annotations

import inspect
from typing import Any

from .. import ops
from .layer import Layer
from .layer_registry import deserialize


class TimeDistributed(Layer):
    """Applies `layer` to each step: (batch, steps, ...) -> (batch, steps, ...layer's output).

    Args:
        layer: the layer to apply; its weights are shared by all steps.

    >>> frames = keras.Input((10, 28, 28, 1))
    >>> TimeDistributed(Conv2D(8, 3))(frames).shape
    (None, 10, 26, 26, 8)
    """
    supports_jit = True  # the wrapped layer answers for itself: it is one of this layer's sublayers
    supports_masking = True
    keras_sublayer_names = True  # Keras's TimeDistributed keeps its layer as `layer` too (saving/keras_paths.py)

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"TimeDistributed: the argument must be a layer instance, e.g. TimeDistributed(Dense(8)); "
                f"got {layer!r:.80}."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any) -> None:
        shape = self._checked_shape(input_shape)
        if not self.layer.built:
            self.layer.build((None,) + shape[2:])
            self.layer.built = True
        self.built = True

    def call(self, inputs, training=None, mask=None):
        shape = self._checked_shape(tuple(inputs.shape))
        batch, steps = shape[0], shape[1]
        if mask is not None and tuple(mask.shape[:2]) != (batch, steps):
            raise ValueError(
                f"TimeDistributed {self.name!r}: the mask's first two axes must be (batch, steps) = "
                f"{(batch, steps)} like the inputs' {tuple(inputs.shape)}; got a mask of shape {tuple(mask.shape)}."
            )
        folded = ops.reshape(inputs, (batch * steps,) + shape[2:])
        kwargs = {}
        if training is not None and _takes(self.layer, "training"):
            kwargs["training"] = training
        if mask is not None and _takes(self.layer, "mask"):
            kwargs["mask"] = ops.reshape(mask, (batch * steps,) + tuple(mask.shape[2:]))
        outputs = self.layer(folded, **kwargs)
        return ops.reshape(outputs, (batch, steps) + tuple(outputs.shape[1:]))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = self._checked_shape(input_shape)
        inner = self.layer.compute_output_shape((None,) + shape[2:])
        return (shape[0], shape[1]) + tuple(inner[1:])

    def _checked_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                f"TimeDistributed {self.name!r}: inputs must be at least 3-D, (batch, steps, ...features), so "
                f"that there are steps to apply {type(self.layer).__name__} to; got shape {shape}. For one "
                "vector per sample, call the layer itself."
            )
        return shape

    def get_config(self) -> dict[str, Any]:
        from ..utils import object_config

        return {**super().get_config(), "layer": object_config.serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> "TimeDistributed":
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        return cls(**config)


def _takes(layer: Layer, name: str) -> bool:
    return name in inspect.signature(type(layer).call).parameters
