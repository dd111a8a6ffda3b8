"""Optimizer: the bookkeeping every optimizer shares, so that subclasses write only the maths.

A training step hands the optimizer one gradient per trainable variable. The
optimizer then, in this order (as Keras 3 does):

1. skips the variables whose gradient is None (they took no part in the loss);
2. clips the gradients (`clipnorm`, `global_clipnorm` or `clipvalue`);
3. applies decoupled weight decay: `variable -= learning_rate * weight_decay * variable`;
4. calls `update_step(gradient, variable, learning_rate)` once per variable;
5. adds one to `iterations`.

All of it happens in place on backend arrays (the `.data` of the model's
Variables and of the optimizer's own "slot" Variables: momentums, velocities...).
No autograd graph is built, and the Variables a model holds stay the same
objects. `update_step` receives NumPy (or CuPy) arrays and a Python float, so
an optimizer reads like the formula in its paper.

A subclass writes `build(variables)` (call `super().build(variables)`, then
create one slot per variable with `add_variable_from_reference`) and
`update_step`, reading a variable's slot with `self._slot(variable, name)`.
See sgd.py for the shortest example.

The rest sits beside this file, one concept each: the optimizer's state (the
variables it updates, their slots, `iterations`: optimizer_variables.py), its
learning rate (learning_rate.py), and the flat state that lets one update cover
every variable at once (flat_state.py).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from .. import backend
from ..autograd.tensor import Tensor
from ..autograd.variable import Variable
from .flat_state import FlatState, pack_slots, same_objects
from .learning_rate import LearningRateHandling
from .optimizer_variables import OptimizerVariables
from .schedules import LearningRateSchedule
from .schedules import deserialize as deserialize_schedule
from .schedules import serialize as serialize_schedule

# Keras 3 arguments tinyfit accepts only at their default value (not implemented).
_KERAS_ONLY_DEFAULTS = {
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
_BASE_ARGUMENTS = "learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name"


def _l2_norm(array: Any) -> Any:
    xp = backend.array_module(array)
    return xp.sqrt(xp.sum(xp.square(array)))


class Optimizer(LearningRateHandling, OptimizerVariables):
    """Base class of all optimizers.

    Args:
        learning_rate: a float, a `schedules.LearningRateSchedule` (called with
            `iterations`), or a callable with no arguments returning the rate.
        weight_decay: if set, each step first shrinks every variable:
            `variable -= learning_rate * weight_decay * variable`.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: scale all gradients together so that their joint L2
            norm is at most this. Only one of the three clipping arguments.
        name: a name for the optimizer (defaults to the class name in lower case).
    """

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None, **kwargs: Any):
        owner = type(self).__name__
        for key, default in _KERAS_ONLY_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise NotImplementedError(f"{owner}: tinyfit does not implement {key}; leave it at {default!r}.")
        if kwargs:
            raise TypeError(
                f"{owner}: unknown argument(s) {', '.join(sorted(kwargs))}. Every optimizer takes "
                f"{_BASE_ARGUMENTS}; see help({owner}) for its own."
            )
        clipping = {k: v for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                       ("global_clipnorm", global_clipnorm)) if v is not None}
        if len(clipping) > 1:
            given = ", ".join(f"{k}={v!r}" for k, v in clipping.items())
            raise ValueError(f"{owner}: only one of clipnorm, clipvalue and global_clipnorm can be set; got {given}.")
        for key, value in clipping.items():
            if not backend.is_number(value) or value <= 0:
                raise ValueError(f"{owner}: {key} must be a number > 0, got {key}={value!r}.")
        if weight_decay is not None and (not backend.is_number(weight_decay) or weight_decay < 0):
            raise ValueError(f"{owner}: weight_decay must be a number >= 0 or None, got {weight_decay!r}.")

        self.name = name or owner.lower()
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.built = False
        self._trainable_variables: list[Variable] = []
        self._index: dict[int, int] = {}
        self._slots: list[Variable] = []
        self._slot_of: dict[tuple[str, int], Variable] = {}  # (slot name, id(variable)) -> its slot
        self._flat: FlatState | None = None  # the one-pass state, once packed (flat_state.py)
        self._packed = False
        self._excluded_ids: set[int] = set()
        self._excluded_names: list[str] = []
        # The step counter lives on the CPU whatever the backend: it is read every
        # step (schedules, Adam's bias correction), and reading GPU memory waits for the GPU.
        self._iterations = self._on_cpu(Variable(0, dtype="int64", trainable=False, name="iteration"))
        self._learning_rate = self._make_learning_rate(learning_rate)
        self._shown_learning_rate: Variable | None = None

    # ------------------------------------------------------------- weight decay
    def exclude_from_weight_decay(self, var_list: Iterable[Variable] | None = None,
                                  var_names: Iterable[str] | None = None) -> None:
        """Keeps weight decay off these variables, or off those whose name contains one of var_names
        (a regular expression search: var_names=["bias"] spares every bias)."""
        if self.built:
            raise ValueError(
                f"{self.name}: exclude_from_weight_decay() must be called before the optimizer is built "
                "(before the first training step)."
            )
        self._excluded_ids = {id(v) for v in var_list or ()}
        self._excluded_names = list(var_names or ())

    def _use_weight_decay(self, variable: Variable) -> bool:
        if id(variable) in self._excluded_ids:
            return False
        return not any(re.search(pattern, variable.name) for pattern in self._excluded_names)

    def _apply_weight_decay(self, variables: list[Variable], learning_rate: float) -> None:
        if self.weight_decay is None:
            return
        shrink = learning_rate * self.weight_decay
        for variable in variables:
            if self._use_weight_decay(variable):
                variable.data -= variable.data * shrink

    # ----------------------------------------------------------------- clipping
    def _clip_gradients(self, grads: list) -> list:
        xp = backend.array_module(grads[0])
        if self.clipnorm is not None:
            # g * c / max(|g|, c): unchanged when |g| <= c, rescaled to norm c otherwise.
            return [g * (self.clipnorm / xp.maximum(_l2_norm(g), self.clipnorm)) for g in grads]
        if self.global_clipnorm is not None:
            total = xp.sqrt(sum(xp.sum(xp.square(g)) for g in grads))
            scale = self.global_clipnorm / xp.maximum(total, self.global_clipnorm)
            return [g * scale.astype(g.dtype) for g in grads]
        if self.clipvalue is not None:
            return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # ------------------------------------------------------------------ updates
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> Variable:
        """Applies (gradient, variable) pairs; returns `iterations`."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads: Iterable[Any], trainable_variables: Iterable[Variable] | None = None) -> None:
        """Updates the variables from their gradients (one per variable, None to skip one).

        Gradients may be backend arrays or Tensors. The first call builds the
        optimizer on `trainable_variables`; later calls may leave them out.
        """
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{self.name}.apply: the optimizer is not built yet, so it does not know which "
                    "variables the gradients belong to; pass them: optimizer.apply(grads, model.trainable_variables)."
                )
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
            if not same_objects(variables, self._trainable_variables):  # the usual case needs no look-ups
                self._check_variables_are_known(variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{self.name}.apply: got {len(grads)} gradients for {len(variables)} variables; "
                "pass one gradient (or None) per variable, in the same order."
            )
        if not grads:
            return
        kept = [(self._as_gradient(g, v), v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            names = ", ".join(v.name for v in variables[:5]) + (", ..." if len(variables) > 5 else "")
            raise ValueError(
                f"{self.name}.apply: every gradient is None, for all {len(variables)} variables ({names}). "
                "The loss does not depend on them: check that the loss is computed from the model's "
                "outputs, and that backward() was called."
            )
        grads = self._clip_gradients([g for g, _ in kept])
        variables = [v for _, v in kept]
        learning_rate = self._current_learning_rate()
        self._apply_weight_decay(variables, learning_rate)
        if not self._packed:
            self._pack()
        self._update_variables(grads, variables, learning_rate)
        self._iterations.data += 1

    def _update_variables(self, grads: list, variables: list[Variable], learning_rate: float) -> None:
        flat = self._flat
        if flat is not None and flat.covers(variables):
            flat.gather(grads)
            self.update_step(flat.gradient, flat, learning_rate)
            flat.scatter()
            return
        for gradient, variable in zip(grads, variables):
            self.update_step(gradient, variable, learning_rate)

    def _pack(self) -> None:
        """Packs the slots into flat arrays, and prepares the one-pass update where it applies (flat_state.py)."""
        self._packed = True
        self._flat = pack_slots(self._trainable_variables, self._slot_of, self.flat_updates)

    # Whether update_step works element by element (the same formula for every number, whatever
    # the shape): then all variables are updated in one pass over flat arrays. A subclass whose
    # update looks at a whole variable (a norm, a matrix factor) leaves it False.
    flat_updates = False

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        """Updates `variable.data` in place from `gradient` (a backend array). Subclasses write this."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_step(self, gradient, variable, learning_rate)."
        )

    def _check_variables_are_known(self, variables: list[Variable]) -> None:
        for variable in variables:
            if id(variable) not in self._index:
                raise ValueError(
                    f"{self.name}: unknown variable {variable.name!r} (shape {variable.shape}). This "
                    f"optimizer was built for {len(self._trainable_variables)} other variables; create "
                    "a new optimizer for a new set of variables."
                )

    def _as_gradient(self, gradient: Any, variable: Variable) -> Any:
        data = gradient.data if isinstance(gradient, Tensor) else gradient
        target = variable.data
        if type(data) is type(target) and data.dtype == target.dtype and data.shape == target.shape:
            return data  # what backward() gives: the same kind of array as the variable, nothing to convert
        if backend.is_array(data) and backend.device_of(data) != variable.device:
            raise ValueError(
                f"{self.name}: the gradient for variable {variable.name!r} is on the "
                f"{backend.device_of(data)}, the variable on the {variable.device}; move the gradient "
                f"with tinyfit.backend.to_device(grad, {variable.device!r})."
            )
        data = backend.array_module(variable.data).asarray(data, dtype=variable.dtype)
        if data.shape != variable.shape:
            raise ValueError(
                f"{self.name}: the gradient for variable {variable.name!r} has shape {data.shape}, "
                f"the variable has shape {variable.shape}; a gradient has its variable's shape."
            )
        return data

    # ------------------------------------------------------------ saving state
    def get_config(self) -> dict:
        """The constructor arguments, as plain data (a schedule as its own config)."""
        rate = self._learning_rate
        if isinstance(rate, Variable):
            rate = float(rate.data)
        elif isinstance(rate, LearningRateSchedule):
            rate = serialize_schedule(rate)
        else:
            raise ValueError(
                f"{self.name}: a learning_rate given as a function cannot be saved (saved files hold no "
                "code). Use a float or a LearningRateSchedule subclass with get_config()."
            )
        return {"name": self.name, "learning_rate": rate, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Optimizer":
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} name={self.name!r} learning_rate={self._current_learning_rate():.6g} "
                f"iterations={int(self._iterations.data)}>")

