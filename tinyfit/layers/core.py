"""Core layers: Dense, Activation, Identity, Lambda.

KernelAndBias holds the weights and arguments Dense shares with the conv layers.
"""

from __future__ import annotations

from typing import Any, Callable

from .. import activations, initializers, ops, regularizers
from ..autograd.ops.linalg import FusedDense
from .layer import Layer
from .symbolic import records_functions

# The activation functions FusedDense applies inside itself, by the name it knows them by.
_FUSED_ACTIVATIONS = ((activations.linear, None), (activations.relu, "relu"),
                      (activations.sigmoid, "sigmoid"), (activations.tanh, "tanh"))
_NOT_FUSED = object()


class KernelAndBias:
    """What Dense and the conv layers share: an activation, a kernel, an optional bias,
    how those weights start and what penalizes them, from the same six arguments."""

    def _set_kernel_and_bias_args(self, activation: Any, use_bias: bool, kernel_initializer: Any,
                                  bias_initializer: Any, kernel_regularizer: Any, bias_regularizer: Any) -> None:
        # Names ("relu", "he_normal", "l2") become objects once, here, so a bad name fails at construction.
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _add_kernel_and_bias(self, kernel_shape: tuple) -> None:
        """Adds `kernel` of `kernel_shape` and, with use_bias, `bias` with one entry per output (its last axis)."""
        self.kernel = self.add_weight(shape=kernel_shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(kernel_shape[-1],), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, name="bias")

    def _kernel_and_bias_config(self) -> dict[str, Any]:
        return {
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _serialize(initializers, self.kernel_initializer),
            "bias_initializer": _serialize(initializers, self.bias_initializer),
            "kernel_regularizer": _serialize(regularizers, self.kernel_regularizer),
            "bias_regularizer": _serialize(regularizers, self.bias_regularizer),
        }


class Dense(KernelAndBias, Layer):
    """A fully connected layer: `activation(inputs @ kernel + bias)`.

    Args:
        units: how many outputs each sample gets (the last axis of the output).
        activation: a name ("relu", "softmax", ...) or a function; None for none.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: how the weights start
            (default "glorot_uniform" and "zeros").
        kernel_regularizer, bias_regularizer: penalties on the weights ("l1", "l2", ...).
        activity_regularizer: a penalty on the outputs.

    The input's last axis is contracted with the kernel of shape (input_dim, units),
    so an input (batch, d) gives (batch, units) and (batch, t, d) gives (batch, t, units).
    """
    supports_jit = True
    supports_masking = True

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 **kwargs: Any):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"Dense: units must be a whole number >= 1, got {units!r}.")
        self.units = units
        self._set_kernel_and_bias_args(activation, use_bias, kernel_initializer, bias_initializer,
                                       kernel_regularizer, bias_regularizer)

    def build(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1] if input_shape else None
        if input_dim is None:
            raise ValueError(
                f"Dense {self.name!r}: the last axis of its input must have a known size, but the input "
                f"shape is {input_shape}."
            )
        self._add_kernel_and_bias((input_dim, self.units))
        self.built = True

    def call(self, inputs):
        if inputs.shape[-1:] != self.kernel.shape[:1]:
            raise ValueError(
                f"Dense {self.name!r} expects inputs whose last axis has size {self.kernel.shape[0]} (it was "
                f"built for them: kernel shape {self.kernel.shape}), got inputs of shape {inputs.shape}."
            )
        if inputs.dtype.kind != "f":  # integers (pixels, say) are values: compute in the kernel's dtype
            inputs = ops.cast(inputs, self.kernel.dtype)
        # matmul, bias and (for the common activations) the activation as one op: one graph
        # node and one backward per layer instead of three.
        activation = self.activation
        fused = _NOT_FUSED
        for function, name in _FUSED_ACTIVATIONS:
            if activation is function:
                fused = name
                break
        weights = (self.kernel,) if self.bias is None else (self.kernel, self.bias)
        if fused is _NOT_FUSED:  # softmax (its output keeps its logits), gelu, a function of the user's...
            return activation(FusedDense.apply(inputs, *weights))
        return FusedDense.apply(inputs, *weights, activation=fused)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            **self._kernel_and_bias_config(),
        }


class Activation(Layer):
    """Applies an activation function: `Activation("relu")` or `Activation(my_function)`."""
    supports_jit = True
    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    """Returns its input unchanged (a placeholder, or a named point in a model)."""
    supports_jit = True
    supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


@records_functions
class Lambda(Layer):
    """Wraps a function of tensors as a layer: `Lambda(lambda x: x * 2)`.

    It has no weights. Use it for small stateless steps in a model definition;
    anything with weights should be a Layer subclass.
    """

    def __init__(self, function: Callable[..., Any], output_shape: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {function!r}.")
        self.function = function
        self._output_shape = output_shape

    def call(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def get_config(self):
        raise NotImplementedError(
            f"Lambda layer {self.name!r} cannot be serialized: saving stores no code. Write a Layer "
            "subclass (registered for saving) instead."
        )


def _serialize(module: Any, obj: Any) -> Any:
    """A registered object's serialized form; a plain function (or None) is kept as is."""
    if obj is None:
        return None
    base = initializers.Initializer if module is initializers else regularizers.Regularizer
    return module.serialize(obj) if isinstance(obj, base) else obj
