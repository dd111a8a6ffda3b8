"""A layer's weights: how they are made (add_weight), listed, frozen, read and written."""

from __future__ import annotations

from typing import Any

import numpy

from .. import initializers, regularizers
from ..autograd.tensor import Tensor, as_dtype
from ..autograd.variable import Variable
from .weight_budget import charge_weight


class Weights:
    """The part of Layer that makes and lists weights (see Layer for the whole class)."""

    def add_weight(self, shape: Any = None, initializer: Any = None, dtype: Any = None, trainable: bool = True,
                   regularizer: Any = None, constraint: Any = None, name: str | None = None) -> Variable:
        """Creates a weight of this layer (a Variable) and starts tracking it.

        Args:
            shape: the weight's shape (() for a scalar).
            initializer: a name ("glorot_uniform", "zeros", ...), an Initializer or a
                function f(shape, dtype); default "glorot_uniform" for floats, "zeros" otherwise.
            dtype: defaults to the layer's dtype.
            trainable: whether fit() trains it.
            regularizer: a penalty on the weight ("l1", "l2", a Regularizer), added to `losses`.
            name: the weight's name ("kernel"); its `path` is "<layer name>/<name>".
        """
        if constraint is not None:
            raise NotImplementedError(
                f"{self.name}: add_weight(constraint=...) is not supported in tinyfit; clip or project the weight "
                "yourself after each step (e.g. in a callback's on_train_batch_end) instead."
            )
        dtype = as_dtype(dtype or self.dtype, f"{self.name}.add_weight")
        shape = _weight_shape(self.name, name, shape)
        charge_weight(self.name, name, shape)  # a config read from a file may ask for anything
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        variable = Variable(initializers.get(initializer), shape=shape, dtype=dtype, trainable=trainable,
                            name=name or "variable")
        variable.path = f"{self.name}/{variable.name}"
        if not self.trainable:
            variable.requires_grad = False
        self._own_variables.append(variable)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularizers.append((variable, regularizer))
        self._record()  # the list changed in place: record the new weight (and its regularizer)
        return variable

    add_variable = add_weight  # Keras 3 offers both names

    @property
    def weights(self) -> list[Variable]:
        """Every weight of the layer and its sub-layers: trainable ones and the others."""
        return list(self._gathered().variables)

    @property
    def trainable_weights(self) -> list[Variable]:
        """The weights fit() updates (none when the layer is frozen)."""
        return list(self._gathered().trainable)

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return list(self._gathered().non_trainable)

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    @property
    def trainable(self) -> bool:
        """Whether the layer is trained. Setting it freezes or unfreezes the sub-layers too."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = value
        for _, variable, trained in self._gathered().weights:
            variable.requires_grad = trained  # frozen weights get no gradient at all

    def count_params(self) -> int:
        """How many numbers the weights hold (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"Layer {self.name!r} is not built yet, so it has no weights to count: it creates them on "
                "its first call. Call it on data (or on keras.Input) first, or call build(input_shape)."
            )
        return int(sum(v.size for v in self.weights))

    def get_weights(self) -> list[numpy.ndarray]:
        """The values of `weights`, as NumPy arrays (copies)."""
        return [numpy.array(v.numpy()) for v in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Overwrites the weights with arrays in the order of `weights` (as get_weights gives them).

        Every shape is checked before any weight changes.
        """
        held = self._gathered().weights
        weights = list(weights)
        if len(weights) != len(held):
            names = ", ".join(v.path for _, v, _ in held)
            raise ValueError(
                f"set_weights: {self.name!r} has {len(held)} weights ({names}) but {len(weights)} arrays "
                "were given. Pass one array per weight, in the order of get_weights()."
            )
        arrays = [numpy.asarray(w.numpy() if isinstance(w, Tensor) else w) for w in weights]
        for i, ((owner, v, _), array) in enumerate(zip(held, arrays)):
            if array.shape != v.shape:
                raise ValueError(
                    f"set_weights: weight {i} ({v.name!r} of layer {owner.name!r}) expects shape "
                    f"{v.shape}, got an array of shape {array.shape}."
                )
        for (_, v, _), array in zip(held, arrays):
            v.assign(array)


def _weight_shape(layer: str, name: str | None, shape: Any) -> tuple[int, ...]:
    shape = () if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
    if any(n is None or not isinstance(n, (int, numpy.integer)) or n < 0 for n in shape):
        raise ValueError(
            f"Layer {layer!r}: weight {name or ''!r} has shape {shape}, which has an unknown or invalid "
            "size. Weights need known sizes: build them from the known axes of the input shape "
            "(e.g. input_shape[-1]), never from the batch axis."
        )
    return tuple(int(n) for n in shape)
